/**
 * Golden fixtures from PyTorch (tools/gen_fixtures.py): outputs, final states and every
 * gradient of nn.RNN / nn.LSTM / nn.GRU over the grid cell × layers × bidirectional ×
 * batchFirst × lengths × initial state, float32, |err| <= 1e-6 + 1e-5·|want| (numpy.allclose).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GRU, LSTM, RNN, F, Tensor, readSafetensorsSync, type RecurrentState } from '../src/index.js';
import { tensorFromSt } from '../src/io/state-dict.js';

const DIR = join(import.meta.dirname, 'fixtures', 'recurrent');
interface Cfg { cell: string; num_layers: number; bidirectional: boolean; batch_first: boolean; proj_size: number; input_size: number; hidden_size: number; has_lengths: boolean; has_init: boolean; bias: boolean }
const index = JSON.parse(readFileSync(join(DIR, 'INDEX.json'), 'utf8')) as { files: { file: string; config: Cfg }[] };

function build(c: Cfg): RNN | LSTM | GRU {
  const o = { numLayers: c.num_layers, bidirectional: c.bidirectional, batchFirst: c.batch_first, bias: c.bias };
  if (c.cell.startsWith('lstm')) return new LSTM(c.input_size, c.hidden_size, { ...o, projSize: c.proj_size });
  if (c.cell === 'gru') return new GRU(c.input_size, c.hidden_size, o);
  return new RNN(c.input_size, c.hidden_size, { ...o, nonlinearity: c.cell === 'rnn_relu' ? 'relu' : 'tanh' });
}

/** Max error as a multiple of the tolerance (<= 1 passes). */
function compare(name: string, got: Tensor, want: Tensor): number {
  assert.deepEqual([...got.shape], [...want.shape], `${name}: shape`);
  let worst = 0;
  for (let i = 0; i < want.size; i++) {
    const d = Math.abs(got.data[i]! - want.data[i]!);
    const ratio = d / (1e-6 + 1e-5 * Math.abs(want.data[i]!)); // numpy.allclose(rtol=1e-5, atol=1e-6)
    worst = Math.max(worst, ratio);
  }
  return worst;
}

const worstByCell: Record<string, { ratio: number; absErr: number; file: string }> = {};

for (const { file, config: c } of index.files) {
  test(`golden ${file}`, () => {
    const st = readSafetensorsSync(join(DIR, file));
    const fx: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(st.tensors)) if (v.dtype === 'F32') fx[k] = tensorFromSt(k, v);
    const model = build(c);
    const params: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(fx)) if (k.startsWith('param.')) params[k.slice(6)] = v;
    model.loadStateDict(params);
    const x = fx['input.x']!.requireGrad();
    const state: RecurrentState | null = c.has_init ? { h: fx['input.h0']!.requireGrad(), c: fx['input.c0']?.requireGrad() } : null;
    const lengths = c.has_lengths ? Array.from(st.tensors['input.lengths']!.data as BigInt64Array, Number) : null;
    const { output, state: s } = model.forward(x, { state, lengths });
    let loss = F.sum(F.mul(output, fx['upstream.output']!));
    loss = F.add(loss, F.sum(F.mul(s.h, fx['upstream.h_n']!)));
    if (s.c) loss = F.add(loss, F.sum(F.mul(s.c, fx['upstream.c_n']!)));
    loss.backward();
    const checks: [string, Tensor, Tensor][] = [['output', output, fx['out.output']!], ['h_n', s.h, fx['out.h_n']!], ['grad.x', x.grad!, fx['grad.x']!]];
    if (s.c) checks.push(['c_n', s.c, fx['out.c_n']!]);
    if (state) {
      checks.push(['grad.h0', state.h.grad!, fx['grad.h0']!]);
      if (state.c) checks.push(['grad.c0', state.c.grad!, fx['grad.c0']!]);
    }
    for (const [k, p] of Object.entries(model.stateDict())) checks.push([`grad.${k}`, p.grad!, fx[`grad.${k}`]!]);
    for (const [name, got, want] of checks) {
      assert.ok(want, `${file}: fixture lacks ${name}`);
      assert.ok(got, `${file}: recur produced no ${name}`);
      const r = compare(name, got, want);
      let absErr = 0;
      for (let i = 0; i < want.size; i++) absErr = Math.max(absErr, Math.abs(got.data[i]! - want.data[i]!));
      const cell = c.cell;
      if (!worstByCell[cell] || absErr > worstByCell[cell]!.absErr) worstByCell[cell] = { ratio: r, absErr, file: `${file}:${name}` };
      assert.ok(r <= 1, `${file}: ${name} differs from PyTorch (worst ${r.toFixed(2)}× the tolerance)`);
    }
  });
}

test('golden: largest error per cell type', (t) => {
  for (const [cell, w] of Object.entries(worstByCell)) t.diagnostic(`${cell}: max abs err ${w.absErr.toExponential(2)} (${w.file})`);
  assert.ok(Object.keys(worstByCell).length >= 5);
});
