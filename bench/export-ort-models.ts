/**
 * The ONNX Runtime peer's models (W4 streaming step, W5 sequence forward: LSTM + Linear head,
 * inputs x, h0, c0, outputs y, h1, c1), exported by recur's own `exportOnnx` — the fallback when
 * export_onnx.py cannot run (torch 2.x's exporter needs the onnxscript package, which is not on
 * every machine). The W4 reference (lstm_w4_ref.json, 5 streamed steps) is recur's own output for
 * the same weights, so bench_ort.js's correctness check compares ONNX Runtime with recur.
 *
 *   npx tsx bench/export-ort-models.ts OUTDIR
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LSTM, Linear, Rng, Tensor, noGrad } from '../src/index.js';
import { exportOnnx, onnxLinear, onnxRecurrent } from '../src/io/onnx.js';

interface Shape { I: number; H: number; O: number; T: number; B: number }

function model(s: Shape): { lstm: LSTM; head: Linear } {
  const rng = new Rng(0);
  return { lstm: new LSTM(s.I, s.H, { rng }), head: new Linear(s.H, s.O, { rng }) };
}

function onnx(m: { lstm: LSTM; head: Linear }, T: number, B: number): Uint8Array {
  return exportOnnx(m.lstm, {
    inputShape: [T, B, m.lstm.inputSize], inputName: 'x',
    build: (g, x) => {
      const h0 = g.input('h0', 'float32', [1, B, m.lstm.hiddenSize]);
      const c0 = g.input('c0', 'float32', [1, B, m.lstm.hiddenSize]);
      const r = onnxRecurrent(g, m.lstm, x, { h0, c0 });
      return { y: onnxLinear(g, m.head, r.output), h1: r.h, c1: r.c! };
    },
  });
}

const out = process.argv[2];
if (!out) throw new Error('usage: npx tsx bench/export-ort-models.ts OUTDIR');
const scripts = process.env['PEERS_SCRIPTS'] ?? join(import.meta.dirname, '..', '..', 'shared', 'peers');
const shapes = JSON.parse(readFileSync(join(scripts, 'common_shapes.json'), 'utf8')) as Record<'W4' | 'W5', Shape>;
mkdirSync(out, { recursive: true });
const w4 = model(shapes.W4);
writeFileSync(join(out, 'lstm_w4_step.onnx'), onnx(w4, 1, 1));
writeFileSync(join(out, 'lstm_w5_seq.onnx'), onnx(model(shapes.W5), shapes.W5.T, shapes.W5.B));
// Five streamed steps of the W4 model, for bench_ort.js's check.
const { I, H } = shapes.W4;
const rng = new Rng(1);
const x = Float32Array.from({ length: 5 * I }, () => rng.normal());
const ys: number[][] = [];
noGrad(() => {
  let state = { h: new Tensor(new Float32Array(H), [1, 1, H]), c: new Tensor(new Float32Array(H), [1, 1, H]) };
  for (let t = 0; t < 5; t++) {
    const r = w4.lstm.forward(new Tensor(x.slice(t * I, (t + 1) * I), [1, 1, I]), { state });
    ys.push(Array.from(w4.head.forward(r.output).data));
    state = r.state as typeof state;
  }
});
writeFileSync(join(out, 'lstm_w4_ref.json'), JSON.stringify({ x: Array.from(x), y: ys }));
console.log(`wrote lstm_w4_step.onnx, lstm_w5_seq.onnx, lstm_w4_ref.json to ${out} (recur's exportOnnx)`);
