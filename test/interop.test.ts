/**
 * A PyTorch state dict saved as safetensors (plain keys, tools/gen_interop_fixtures.py) loads
 * into recur and gives PyTorch's outputs, final states and gradients — on configurations that
 * are not in the golden grid (3 layers, T=11, projection 4, relu, other sizes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadStateDictFile, loadStateDictFileSync } from '../src/index.js';
import { main as interopExample } from '../examples/pytorch-interop.js';
import { INTEROP_MODELS, interopCheck } from './golden-check.js';

const DIR = join(import.meta.dirname, 'fixtures', 'interop');

for (const name of Object.keys(INTEROP_MODELS) as (keyof typeof INTEROP_MODELS)[]) {
  test(`PyTorch ${name} state dict from safetensors: outputs, states, gradients`, async () => {
    const checks = interopCheck(name, await loadStateDictFile(join(DIR, `${name}.safetensors`)), loadStateDictFileSync(join(DIR, `${name}.io.safetensors`)));
    for (const c of checks) assert.ok(c.ratio <= 1, `${c.name}: ${c.ratio.toFixed(2)}× the tolerance (|d| ${c.absErr})`);
  });
}

test('the README example (examples/pytorch-interop.ts) runs and returns shapes and gradients', async () => {
  const r = await interopExample();
  assert.deepEqual(r.output, [4, 11, 8]);
  assert.deepEqual(r.h, [6, 4, 4]);
  assert.deepEqual(r.c, [6, 4, 6]);
  assert.ok(Number.isFinite(r.loss) && r.loss > 0);
});
