/**
 * The two directions of a bidirectional LSTM layer (W6's shapes: B=32 T=100 H=256, I=64 for layer 1 and
 * 512 for layer 2) through Backend.recurrentPair against the same two directions as two calls, in ONE
 * process, interleaved (pair, singles, pair, ...), so that the load of a shared machine hits both alike:
 * forward + backward (training) and the inference forward. Reports medians (min..max) of wall and
 * process CPU time per layer step, on the pool's thread count (RECUR_NUM_THREADS). Not a test.
 *
 *   RECUR_NUM_THREADS=2 npx tsx bench/pair.ts [--reps 15] [--I 64]
 *   RECUR_NUM_THREADS=1 npx tsx bench/pair.ts --slices    # one direction as 1 batch slice of 32 rows vs 2 of 16
 *
 * --slices: the per-core side of the pair (CPU time of one direction's forward and backward, forced to 1
 * or 2 batch slices through the adapter's `tasks`, on whatever threads the pool has).
 */
import { parseArgs } from 'node:util';
import type { Backend, RecurrentCall } from '../src/kernels/backend.js';
import { loadNative } from '../src/kernels/native/index.js';
import { makeRecurrentMethods } from '../src/kernels/native/recurrent-adapter.js';
import { runCall } from '../src/kernels/recurrent-call.js';
import { Rng } from '../src/util/rng.js';

const { values: v } = parseArgs({ options: { reps: { type: 'string', default: '15' }, I: { type: 'string', default: '64,512' }, slices: { type: 'boolean', default: false } } });
const loaded = loadNative();
if (!('backend' in loaded)) throw new Error(loaded.error);
const be: Backend = loaded.backend;
const T = 100, B = 32, H = 256, G = 4 * H;

function call(I: number, reverse: boolean, seed: number, inference: boolean): RecurrentCall {
  const rng = new Rng(seed);
  const r = (n: number, s: number) => Float32Array.from({ length: n }, () => rng.uniform(-s, s));
  const inp = {
    T, B, I, H, P: 0, x: r(T * B * I, 1), h0: r(B * H, 0.5), c0: r(B * H, 0.5), wIh: r(G * I, 0.06), wHh: r(G * H, 0.06), bIh: r(G, 0.06),
    bHh: r(G, 0.06), wHr: null, lengths: null, reverse, maskX: null, maskH: null, inference, nonlinearity: 'tanh' as const,
  };
  const f = (n: number) => new Float32Array(n);
  const h = f(T * B * H);
  const out = { y: h, hN: f(B * H), cN: f(B * H), gates: f(T * B * G), c: f(T * B * H), h, m: null };
  return { inp, out, g: null, ws: f(be.recurrentWorkspace('lstm', inp, 'float32')) };
}

function grads(c: RecurrentCall, I: number): RecurrentCall {
  const f = (n: number) => new Float32Array(n);
  const g = { dy: f(T * B * H).fill(1e-3), dhN: null, dcN: null, dx: f(T * B * I), dh0: null, dc0: null, dWIh: f(G * I), dWHh: f(G * H), dBIh: f(G), dBHh: f(G), dWHr: null };
  return { ...c, g };
}

const median = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1]!;
const fmt = (a: number[]): string => `${median(a).toFixed(1)} (${Math.min(...a).toFixed(1)}..${Math.max(...a).toFixed(1)})`;

/** One direction, forward then backward, as 1 and as 2 batch slices, interleaved: CPU ms of each. */
function slices(I: number): void {
  const fwd = call(I, false, 1, false), bwd = grads(fwd, I);
  const m = [1, 2].map((tasks) => makeRecurrentMethods((loaded as { addon: unknown }).addon, { tasks }));
  const cpu: number[][][] = [[[], []], [[], []]]; // [slices-1][fwd | bwd]
  const time = (f: () => void): number => { const c0 = process.cpuUsage(); f(); const c = process.cpuUsage(c0); return (c.user + c.system) / 1e3; };
  for (let k = 0; k < Number(v.reps) + 2; k++) {
    for (const s of k % 2 ? [1, 0] : [0, 1]) {
      const f = time(() => m[s]!.lstmForward(fwd.inp, fwd.out as never, fwd.ws));
      const b = time(() => m[s]!.lstmBackward(bwd.inp, bwd.out as never, bwd.g as never, bwd.ws));
      if (k >= 2) { cpu[s]![0]!.push(f); cpu[s]![1]!.push(b); }
    }
  }
  for (const s of [0, 1]) console.log(`I=${I} ${s + 1} slice(s): forward cpu ${fmt(cpu[s]![0]!)} ms, backward cpu ${fmt(cpu[s]![1]!)} ms`);
}

for (const I of v.I!.split(',').map(Number)) {
  if (v.slices) { slices(I); continue; }
  for (const inference of [false, true]) {
    const a = call(I, false, 1, inference), b = call(I, true, 2, inference);
    const ga = grads(a, I), gb = grads(b, I);
    const step = (pair: boolean): void => {
      if (pair) be.recurrentPair('lstm', a, b);
      else { runCall(be, 'lstm', a); runCall(be, 'lstm', b); }
      if (inference) return;
      if (pair) be.recurrentPair('lstm', ga, gb);
      else { runCall(be, 'lstm', ga); runCall(be, 'lstm', gb); }
    };
    const res = { pair: { wall: [] as number[], cpu: [] as number[] }, singles: { wall: [] as number[], cpu: [] as number[] } };
    for (let k = 0; k < 2; k++) { step(true); step(false); }
    for (let k = 0; k < Number(v.reps); k++) {
      for (const pair of k % 2 ? [false, true] : [true, false]) {
        const c0 = process.cpuUsage(), t0 = performance.now();
        step(pair);
        const t1 = performance.now(), c1 = process.cpuUsage(c0);
        const r = pair ? res.pair : res.singles;
        r.wall.push(t1 - t0);
        r.cpu.push((c1.user + c1.system) / 1e3);
      }
    }
    const what = `I=${I} ${inference ? 'inference forward' : 'forward+backward'}`;
    console.log(`${what}: pair wall ${fmt(res.pair.wall)} ms, cpu ${fmt(res.pair.cpu)} ms | two calls wall ${fmt(res.singles.wall)} ms, cpu ${fmt(res.singles.cpu)} ms | wall ratio ${(median(res.singles.wall) / median(res.pair.wall)).toFixed(3)}x`);
  }
}
