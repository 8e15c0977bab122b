/**
 * CPU time per step of the benchmark workloads, run exactly as bench/worker.ts runs them, plus
 * the bare recurrent kernels on the same shapes (the floor) — to see what the TypeScript side
 * costs on top of the kernels. CPU time (process.cpuUsage: all threads of the process) is used
 * because the machine is shared and wall time moves with other load; wall time is printed too.
 * Not part of the test suite.
 *
 *   npx tsx bench/overhead.ts --workloads W1,W3,W4,W5 [--reps 20] [--warmup 3] [--rounds 3]
 *   RECUR_NUM_THREADS=1 npx tsx bench/overhead.ts --workloads W1,W8 --rounds 7   # what W8's dropout costs
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/overhead.ts --workloads W1
 *
 * Per workload: `step` = one training step (W1–W3), one forward (W5) or one streamed step (W4);
 * `kernel` = the backend's fused forward (+ backward when training) on preallocated buffers (in
 * inference mode for W4 / W5, as the op layer calls it under noGrad).
 * Figures are medians over rounds of (CPU time of `reps` repetitions) / reps.
 */
import { LSTM, GRU, LSTMCell, Linear, Adam, F, Rng, Tensor, noGrad, randn, manualSeed, getBackend, type RecurrentState } from '../src/index.js';
import { SHAPES, directions, layerOptions, type Shape, type WorkloadId } from './workloads.js';

interface Opts { workloads: WorkloadId[]; reps: number; warmup: number; rounds: number }

function parse(argv: string[]): Opts {
  const o: Opts = { workloads: ['W1', 'W3', 'W4', 'W5'], reps: 0, warmup: 3, rounds: 3 };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!.replace(/^--/, '');
    const v = argv[i + 1] ?? '';
    if (k === 'workloads') o.workloads = v.split(',').map((s) => s.trim().toUpperCase()) as WorkloadId[];
    else if (k === 'reps' || k === 'warmup' || k === 'rounds') o[k] = Number(v);
    else throw new Error(`overhead: unknown option --${k}`);
  }
  return o;
}

/** Median over rounds of per-repetition CPU and wall milliseconds. */
function measure(fn: () => void, reps: number, warmup: number, rounds: number): { cpuMs: number; wallMs: number } {
  for (let i = 0; i < warmup; i++) fn();
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const c = process.cpuUsage(c0);
    wall.push((performance.now() - t0) / reps);
    cpu.push((c.user + c.system) / 1000 / reps);
  }
  const med = (xs: number[]): number => [...xs].sort((p, q) => p - q)[xs.length >> 1]!;
  return { cpuMs: med(cpu), wallMs: med(wall) };
}

function trainStep(s: Shape): () => void {
  const rng = new Rng(0);
  const opts = { ...layerOptions(s), rng: new Rng(1) };
  const rnn = s.cell === 'lstm' ? new LSTM(s.I, s.H, opts) : new GRU(s.I, s.H, opts);
  const head = new Linear(directions(s) * s.H, s.O);
  const opt = new Adam([...rnn.parameters(), ...head.parameters()], { lr: 1e-3 });
  const x = randn([s.T, s.B, s.I], rng);
  const target = randn([s.T, s.B, s.O], rng);
  return () => {
    opt.zeroGrad();
    const { output } = rnn.forward(x);
    const loss = F.mseLoss(head.forward(output), target);
    loss.backward();
    opt.step();
    loss.item();
  };
}

/** The bare fused kernels on preallocated buffers: the floor of a step. */
function kernelStep(s: Shape, train: boolean): () => void {
  const be = getBackend();
  const G = (s.cell === 'lstm' ? 4 : 3) * s.H;
  const rng = new Rng(1);
  const r = (n: number): Float32Array => randn([n], rng).data as Float32Array;
  const { T, B, I, H } = s;
  const inp = {
    T, B, I, H, P: 0, x: r(T * B * I), h0: new Float32Array(B * H), c0: new Float32Array(B * H),
    wIh: r(G * I), wHh: r(G * H), bIh: r(G), bHh: r(G), wHr: null, lengths: null, reverse: false, maskX: null, maskH: null,
    inference: !train, // as the op layer says when no graph is recorded
  };
  const ws = new Float32Array(be.recurrentWorkspace(s.cell, { T, B, I, H, P: 0 }, 'float32'));
  const f = (n: number): Float32Array => new Float32Array(n);
  if (s.cell === 'lstm') {
    const out = { y: f(T * B * H), hN: f(B * H), cN: f(B * H), gates: f(T * B * G), c: f(T * B * H), h: f(T * B * H), m: null };
    const g = { dy: r(T * B * H), dhN: null, dcN: null, dx: null, dh0: null, dc0: null, dWIh: f(G * I), dWHh: f(G * H), dBIh: f(G), dBHh: f(G), dWHr: null };
    return () => {
      be.lstmForward(inp, out, ws);
      if (train) be.lstmBackward(inp, out, g, ws);
    };
  }
  const out = { y: f(T * B * H), hN: f(B * H), gates: f(T * B * G), q: f(T * B * H), h: f(T * B * H) };
  const g = { dy: r(T * B * H), dhN: null, dx: null, dh0: null, dWIh: f(G * I), dWHh: f(G * H), dBIh: f(G), dBHh: f(G) };
  return () => {
    be.gruForward(inp, out, ws);
    if (train) be.gruBackward(inp, out, g, ws);
  };
}

function inferStep(s: Shape): () => void {
  const rnn = new LSTM(s.I, s.H).eval();
  const head = new Linear(s.H, s.O).eval();
  const x = randn([s.T, s.B, s.I], new Rng(0));
  return () => {
    const y = noGrad(() => head.forward(rnn.forward(x).output));
    void y.data[y.size - 1];
  };
}

/** W4, `steps` streamed steps per call (the two variants of bench/worker.ts). */
function streamSteps(s: Shape, variant: 'cell' | 'seq', steps: number): () => void {
  const xs = randn([steps, s.I], new Rng(3)).data as Float32Array;
  if (variant === 'cell') {
    const cell = new LSTMCell(s.I, s.H).eval();
    const head = new Linear(s.H, s.O).eval();
    return () => noGrad(() => {
      let st: { h: Tensor; c: Tensor } | null = null;
      for (let t = 0; t < steps; t++) {
        st = cell.forward(new Tensor(xs.subarray(t * s.I, (t + 1) * s.I), [1, s.I]), st);
        head.forward(st.h);
      }
    });
  }
  const lstm = new LSTM(s.I, s.H).eval();
  const head = new Linear(s.H, s.O).eval();
  return () => noGrad(() => {
    let state: RecurrentState | null = null;
    for (let t = 0; t < steps; t++) {
      const r = lstm.forward(new Tensor(xs.subarray(t * s.I, (t + 1) * s.I), [1, 1, s.I]), { state });
      head.forward(r.output);
      state = r.state;
    }
  });
}

function main(): void {
  const o = parse(process.argv.slice(2));
  manualSeed(0);
  const be = getBackend().name;
  console.log(`overhead: backend ${be}, threads env ${process.env['RECUR_NUM_THREADS'] ?? '(all)'}`);
  for (const w of o.workloads) {
    const s = SHAPES[w];
    if (s.mode === 'stream') {
      const steps = 1000;
      const reps = o.reps || 5;
      for (const v of ['cell', 'seq'] as const) {
        const m = measure(streamSteps(s, v, steps), reps, o.warmup, o.rounds);
        console.log(`${w} ${v.padEnd(6)} step   cpu ${((m.cpuMs * 1000) / steps).toFixed(2).padStart(8)} µs/step   wall ${((m.wallMs * 1000) / steps).toFixed(2).padStart(8)} µs/step`);
      }
      const k = measure(kernelStep({ ...s, T: 1 }, false), 2000, 100, o.rounds);
      console.log(`${w} kernel        cpu ${(k.cpuMs * 1000).toFixed(2).padStart(8)} µs/step   wall ${(k.wallMs * 1000).toFixed(2).padStart(8)} µs/step (lstmForward T=1, B=1 only)`);
      continue;
    }
    const reps = o.reps || (w === 'W2' || w === 'W5' ? 5 : 10);
    const step = s.mode === 'train' ? trainStep(s) : inferStep(s);
    const m = measure(step, reps, o.warmup, o.rounds);
    const seq = (ms: number): string => `${((s.B * 1000) / ms).toFixed(0).padStart(6)} seq/s`;
    console.log(`${w} step     cpu ${m.cpuMs.toFixed(2).padStart(8)} ms  wall ${m.wallMs.toFixed(2).padStart(8)} ms (${seq(m.wallMs)} wall)`);
    if ((s.layers ?? 1) > 1 || s.bidirectional) continue; // the kernel floor below is one layer and direction
    const k = measure(kernelStep(s, s.mode === 'train'), reps, o.warmup, o.rounds);
    console.log(`${w} kernel   cpu ${k.cpuMs.toFixed(2).padStart(8)} ms  wall ${k.wallMs.toFixed(2).padStart(8)} ms (${seq(k.wallMs)} wall)`);
    console.log(`${w} outside the recurrent kernels: cpu ${(m.cpuMs - k.cpuMs).toFixed(2)} ms/step (${((100 * (m.cpuMs - k.cpuMs)) / m.cpuMs).toFixed(0)}%)`);
  }
}

main();
