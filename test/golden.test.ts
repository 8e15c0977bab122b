/**
 * Golden fixtures from PyTorch (tools/gen_fixtures.py): outputs, final states and every
 * gradient of nn.RNN / nn.LSTM / nn.GRU over the grid cell × layers × bidirectional ×
 * batchFirst × lengths × initial state, float32, |err| <= 1e-6 + 1e-5·|want| (numpy.allclose).
 * The check itself is ./golden-check.ts (also run in Chromium by test/browser-parity.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensorsSync } from '../src/index.js';
import { goldenCheck, type GoldenIndex } from './golden-check.js';

const DIR = join(import.meta.dirname, 'fixtures', 'recurrent');
const index = JSON.parse(readFileSync(join(DIR, 'INDEX.json'), 'utf8')) as GoldenIndex;

const worstByCell: Record<string, { ratio: number; absErr: number; file: string }> = {};

for (const { file, config: c } of index.files) {
  test(`golden ${file}`, () => {
    for (const { name, ratio, absErr } of goldenCheck(c, readSafetensorsSync(join(DIR, file)))) {
      if (!worstByCell[c.cell] || absErr > worstByCell[c.cell]!.absErr) worstByCell[c.cell] = { ratio, absErr, file: `${file}:${name}` };
      assert.ok(ratio <= 1, `${file}: ${name} differs from PyTorch (worst ${ratio.toFixed(2)}× the tolerance)`);
    }
  });
}

test('golden: largest error per cell type', (t) => {
  for (const [cell, w] of Object.entries(worstByCell)) t.diagnostic(`${cell}: max abs err ${w.absErr.toExponential(2)} (${w.file})`);
  assert.ok(Object.keys(worstByCell).length >= 5);
});
