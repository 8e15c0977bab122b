/**
 * A PyTorch state dict saved as safetensors (plain keys, tools/gen_interop_fixtures.py) loads
 * into recur and gives PyTorch's outputs, final states and gradients — on configurations that
 * are not in the golden grid (3 layers, T=11, projection 4, relu, other sizes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { GRU, LSTM, RNN, F, Tensor, loadStateDictFile, loadStateDictFileSync, type RecurrentState } from '../src/index.js';
import { main as interopExample } from '../examples/pytorch-interop.js';

const DIR = join(import.meta.dirname, 'fixtures', 'interop');

function close(name: string, got: Tensor, want: Tensor): void {
  assert.deepEqual([...got.shape], [...want.shape], `${name}: shape`);
  for (let i = 0; i < want.size; i++) {
    const d = Math.abs(got.data[i]! - want.data[i]!);
    assert.ok(d <= 1e-6 + 1e-5 * Math.abs(want.data[i]!), `${name}[${i}]: recur ${got.data[i]} vs PyTorch ${want.data[i]}`);
  }
}

const models = {
  lstm: () => new LSTM(7, 6, { numLayers: 3, bidirectional: true, batchFirst: true, projSize: 4 }),
  gru: () => new GRU(3, 9, { numLayers: 2, bidirectional: true }),
  rnn: () => new RNN(5, 4, { numLayers: 3, batchFirst: true, nonlinearity: 'relu' }),
};

for (const [name, make] of Object.entries(models)) {
  test(`PyTorch ${name} state dict from safetensors: outputs, states, gradients`, async () => {
    const model = make();
    model.loadStateDict(await loadStateDictFile(join(DIR, `${name}.safetensors`)));
    const io = loadStateDictFileSync(join(DIR, `${name}.io.safetensors`));
    const x = io.x!.requireGrad();
    const state: RecurrentState = { h: io.h0!.requireGrad(), c: io.c0?.requireGrad() };
    const out = model.forward(x, { state });
    let loss = F.add(F.sum(F.mul(out.output, io.up_output!)), F.sum(F.mul(out.state.h, io.up_h_n!)));
    if (out.state.c) loss = F.add(loss, F.sum(F.mul(out.state.c, io.up_c_n!)));
    loss.backward();
    close('output', out.output, io.output!);
    close('h_n', out.state.h, io.h_n!);
    close('grad x', x.grad!, io.grad_x!);
    close('grad h0', state.h.grad!, io.grad_h0!);
    if (out.state.c) {
      close('c_n', out.state.c, io.c_n!);
      close('grad c0', state.c!.grad!, io.grad_c0!);
    }
    for (const [k, p] of Object.entries(model.stateDict())) close(`grad ${k}`, p.grad!, io[`grad.${k}`]!);
  });
}

test('the README example (examples/pytorch-interop.ts) runs and returns shapes and gradients', async () => {
  const r = await interopExample();
  assert.deepEqual(r.output, [4, 11, 8]);
  assert.deepEqual(r.h, [6, 4, 4]);
  assert.deepEqual(r.c, [6, 4, 6]);
  assert.ok(Number.isFinite(r.loss) && r.loss > 0);
});
