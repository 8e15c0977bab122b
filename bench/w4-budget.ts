/**
 * Where a W4 step goes (bench/jobs.ts streamCell / streamSeq: LSTM I=32 H=128, Linear head 128→32,
 * batch 1, one step per call under noGrad): each piece of the step timed on its own in one process,
 * from the public API down to the native step and head product on preallocated buffers (the floor), and
 * last the cell step with the addon's stepRun / linearRun as no-ops (its JavaScript alone).
 * Figures are medians over rounds of CPU time (all threads; the machine is shared) per call, with
 * the min–max over rounds; wall time is printed beside it. Not part of the test suite.
 *
 *   npx tsx bench/w4-budget.ts [--rounds 7] [--calls 20000]
 *   RECUR_NUM_THREADS=1 npx tsx bench/w4-budget.ts
 *   npx tsx bench/w4-budget.ts --I 1 --H 4 --O 1   # tiny weights: what is not the kernels' arithmetic
 */
import { existsSync, readFileSync } from 'node:fs';
import { LSTM, LSTMCell, Linear, Rng, Tensor, noGrad, randn, getBackend, type RecurrentState } from '../src/index.js';
import { lstmLayer } from '../src/ops/recurrent-layer.js';
import { loadNative } from '../src/kernels/native/index.js';
import { inferenceModel } from './jobs.js';
import { SHAPES } from './workloads.js';

interface Opts { rounds: number; calls: number; I: number; H: number; O: number }

function parse(argv: string[]): Opts {
  const o: Opts = { rounds: 7, calls: 20000, ...SHAPES.W4 };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!.replace(/^--/, '');
    if (k === 'rounds' || k === 'calls' || k === 'I' || k === 'H' || k === 'O') o[k] = Number(argv[i + 1]);
    else throw new Error(`w4-budget: unknown option --${k}`);
  }
  return o;
}

const med = (xs: number[]): number => [...xs].sort((p, q) => p - q)[xs.length >> 1]!;

/** µs per call of fn(i) for i in [0, calls): median CPU and wall over rounds, CPU min–max. */
function measure(name: string, fn: (i: number) => void, o: Opts): void {
  for (let i = 0; i < o.calls; i++) fn(i); // warm-up (JIT)
  const cpu: number[] = [], wall: number[] = [];
  for (let r = 0; r < o.rounds; r++) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    for (let i = 0; i < o.calls; i++) fn(i);
    const c = process.cpuUsage(c0);
    wall.push(((performance.now() - t0) * 1000) / o.calls);
    cpu.push((c.user + c.system) / o.calls);
  }
  const f = (v: number): string => v.toFixed(3).padStart(7);
  console.log(`${name.padEnd(44)} cpu ${f(med(cpu))} µs (${f(Math.min(...cpu))}–${f(Math.max(...cpu))})   wall ${f(med(wall))} µs`);
}

function main(): void {
  const o = parse(process.argv.slice(2));
  const s = { ...SHAPES.W4, I: o.I, H: o.H, O: o.O };
  const { I, H, O } = s;
  const model = inferenceModel(s);
  const { lstm, head } = model;
  const cell = new LSTMCell(I, H).eval();
  cell.loadStateDict({ weight_ih: lstm.param('weight_ih_l0'), weight_hh: lstm.param('weight_hh_l0'), bias_ih: lstm.param('bias_ih_l0'), bias_hh: lstm.param('bias_hh_l0') });
  const N = 1000;
  const xs = randn([N, I], new Rng(3)).data as Float32Array;
  const x2 = Array.from({ length: N }, (_, t) => new Tensor(xs.subarray(t * I, (t + 1) * I), [1, I]));
  const x3 = Array.from({ length: N }, (_, t) => new Tensor(xs.subarray(t * I, (t + 1) * I), [1, 1, I]));
  const h1 = new Tensor(new Float32Array(H).fill(0.1), [1, H]);
  console.log(`w4-budget: I=${I} H=${H} O=${s.O}, backend ${getBackend().name}, threads env ${process.env['RECUR_NUM_THREADS'] ?? '(all)'}, ${o.rounds} rounds × ${o.calls} calls, load ${readLoad()}`);
  noGrad(() => {
    // the whole step, as bench/jobs.ts writes it
    measure('W4 cell step (jobs.ts streamCell)', cellStep(cell, head, xs, N), o);
    let state: RecurrentState | null = null;
    measure('W4 seq step (jobs.ts streamSeq)', (i) => {
      const t = i % N;
      const r = lstm.forward(new Tensor(xs.subarray(t * I, (t + 1) * I), [1, 1, I]), { state });
      void head.forward(r.output).data;
      state = r.state;
    }, o);
    // its pieces
    measure('  xs.subarray(…)', (i) => void xs.subarray((i % N) * I, ((i % N) + 1) * I), o);
    measure('  new Tensor(xs.subarray(…), [1, I])', (i) => void new Tensor(xs.subarray((i % N) * I, ((i % N) + 1) * I), [1, I]), o);
    let st2: { h: Tensor; c: Tensor } | null = null;
    measure('  LSTMCell.forward (x prebuilt)', (i) => { st2 = cell.forward(x2[i % N]!, st2); }, o);
    let state2: RecurrentState | null = null;
    measure('  LSTM.forward T=1 (x prebuilt)', (i) => { state2 = lstm.forward(x3[i % N]!, { state: state2 }).state; }, o);
    const w = { wIh: lstm.param('weight_ih_l0'), wHh: lstm.param('weight_hh_l0'), bIh: lstm.param('bias_ih_l0'), bHh: lstm.param('bias_hh_l0') };
    const c1 = new Tensor(new Float32Array(H).fill(0.1), [1, H]);
    measure('  lstmLayer op T=1 (x prebuilt)', (i) => void lstmLayer(x3[i % N]!, h1, c1, w), o);
    const be = getBackend(), ws = new Float32Array(be.recurrentWorkspace('lstm', { T: 1, B: 1, I, H, P: 0 }, 'float32'));
    const inp = { T: 1, B: 1, I, H, P: 0, x: xs.subarray(0, I), h0: h1.data, c0: c1.data, wIh: w.wIh.data, wHh: w.wHh.data, bIh: w.bIh.data, bHh: w.bHh.data,
      wHr: null, lengths: null, reverse: false, maskX: null, maskH: null, inference: true };
    const out = { y: new Float32Array(H), hN: new Float32Array(H), cN: new Float32Array(H), gates: null, c: null, h: null, m: null };
    measure('  backend lstmForward T=1 (adapter + step)', () => be.lstmForward(inp, out as never, ws), o);
    measure(`  Linear.forward (1, ${H}) → (1, ${O})`, () => void head.forward(h1), o);
    measure('  Linear.forward(…).data', () => void head.forward(h1).data, o);
  });
  floor(o, lstm, head, xs, N);
  jsAlone(o, cell, head, xs, N);
}

/** Step i of jobs.ts's streamCell (x = row i mod N of xs), carrying its own state. */
function cellStep(cell: LSTMCell, head: Linear, xs: Float32Array, N: number): (i: number) => void {
  const I = cell.inputSize;
  let st: { h: Tensor; c: Tensor } | null = null;
  return (i) => {
    const t = i % N;
    st = cell.forward(new Tensor(xs.subarray(t * I, (t + 1) * I), [1, I]), st);
    void head.forward(st.h).data;
  };
}

/** The cell step of jobs.ts with the addon's stepRun and linearRun replaced by no-ops: its JavaScript alone. */
function jsAlone(o: Opts, cell: LSTMCell, head: Linear, xs: Float32Array, N: number): void {
  const loaded = loadNative();
  if (!('addon' in loaded)) return;
  const a = loaded.addon as unknown as Record<'stepRun' | 'linearRun', (...args: unknown[]) => void>;
  const { stepRun, linearRun } = a;
  a.stepRun = a.linearRun = () => {};
  noGrad(() => measure('W4 cell step, native calls as no-ops (its JS)', cellStep(cell, head, xs, N), o));
  Object.assign(a, { stepRun, linearRun });
}

/** The native calls alone on preallocated buffers: the prepared step and the head's GEMM. */
function floor(o: Opts, lstm: LSTM, head: Linear, xs: Float32Array, N: number): void {
  const loaded = loadNative();
  if (!('addon' in loaded)) return console.log(`native addon not available: ${loaded.error}`);
  const a = loaded.addon;
  const { I, H, O } = o;
  const f = (n: number): Float32Array => new Float32Array(n);
  const ws = f(a.recurrentWorkspace(0, 1, 1, I, H, 0));
  const p = (n: string): Float32Array => lstm.param(n).data as Float32Array;
  const handle = a.stepPrepare(0, Int32Array.of(1, 1, I, H, 0, 0, 0, 0, H), xs.subarray(0, I), f(H), f(H),
    p('weight_ih_l0'), p('weight_hh_l0'), p('bias_ih_l0'), p('bias_hh_l0'), null, null, null, null, ws);
  const h = [f(H), f(H)], c = [f(H), f(H)], y = f(H);
  measure('  native stepRun (prepared, B=1)', (i) => {
    const t = i % N, k = i & 1;
    a.stepRun(handle, xs.subarray(t * I, (t + 1) * I), h[k]!, c[k]!, y, h[1 - k]!, c[1 - k]!);
  }, o);
  const x0 = xs.subarray(0, I);
  measure('  native stepRun (prepared, B=1, x fixed)', (i) => {
    const k = i & 1;
    a.stepRun(handle, x0, h[k]!, c[k]!, y, h[1 - k]!, c[1 - k]!);
  }, o);
  const W = head.param('weight').data as Float32Array, out = f(O);
  measure(`  native gemm 1×${H}·(${O}×${H})ᵀ`, () => a.gemm(false, true, 1, O, H, 1, y, 0, H, W, 0, H, 0, out, 0, O, null), o);
  const bias = (head.paramOrNull('bias')?.data ?? null) as Float32Array | null;
  const lin = a.linearPrepare(W, bias, O, H);
  measure(`  native linearRun 1×${H}·(${O}×${H})ᵀ + b (prepared)`, () => a.linearRun(lin, 1, y, out), o);
  measure('  empty N-API call (getThreads)', () => void a.getThreads(), o);
}

function readLoad(): string {
  return existsSync('/proc/loadavg') ? readFileSync('/proc/loadavg', 'utf8').trim() : '?';
}

main();
