/**
 * What dropout costs in a training step: E3's character-level LSTM step (src/recipes/dynamics/e3.ts,
 * full config: V=65, E=32, H=96, T=48, B=32, Adam, gradient clipping 1) for each dropout method, and the
 * bare dropout ops on E3's, W6's and W8's shapes. CPU time per step (process.cpuUsage, all threads: the machine is
 * shared; RECUR_NUM_THREADS=1 keeps the pool's spinning out of it), median over rounds, the cases
 * interleaved within each round; the load average is printed. Not part of the test suite.
 *
 *   RECUR_NUM_THREADS=1 npx tsx bench/dropout.ts [--reps 10] [--warmup 5] [--rounds 5] [--backend auto|native|wasm|ref]
 */
import { loadavg } from 'node:os';
import { Adam, Embedding, F, LSTM, Linear, Rng, clipGradNorm, setBackend, Tensor, type VariationalDropout } from '../src/index.js';

type Method = 'none' | 'per-step' | 'variational' | 'variational+hidden';
const METHODS: Method[] = ['none', 'per-step', 'variational', 'variational+hidden'];
const [V, E, H, T, B, P_IO, P_H] = [65, 32, 96, 48, 32, 0.3, 0.25];

function parse(argv: string[]): { reps: number; warmup: number; rounds: number; backend: string } {
  const o = { reps: 10, warmup: 5, rounds: 5, backend: 'auto' };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!.replace(/^--/, '');
    const v = argv[i + 1] ?? '';
    if (k === 'reps' || k === 'warmup' || k === 'rounds') o[k] = Number(v);
    else if (k === 'backend') o.backend = v;
    else throw new Error(`dropout bench: unknown option --${k}`);
  }
  return o;
}

/** One E3 training step (as e3.ts's CharLM + fit) for `method`. */
function e3Step(method: Method): () => void {
  const rng = new Rng(1);
  const masks = new Rng(2);
  const variational: VariationalDropout | undefined = method === 'variational' ? { input: P_IO, output: P_IO }
    : method === 'variational+hidden' ? { input: P_IO, hidden: P_H, output: P_IO } : undefined;
  const emb = new Embedding(V, E, { rng });
  const rnn = new LSTM(E, H, { rng, ...(variational ? { variational } : {}) });
  const head = new Linear(H, V, { rng });
  const ps = [...emb.parameters(), ...rnn.parameters(), ...head.parameters()];
  const opt = new Adam(ps, { lr: 3e-3 });
  const data = new Rng(3);
  const drop = (x: Tensor): Tensor => (method === 'per-step' ? F.dropout(x, P_IO, { training: true, rng: masks }) : x);
  return () => {
    const x = new Int32Array(T * B);
    const y = new Int32Array(T * B);
    for (let i = 0; i < T * B; i++) { x[i] = data.int(V); y[i] = data.int(V); }
    opt.zeroGrad();
    const out = drop(rnn.forward(drop(emb.forward(x, [T, B]))).output);
    const loss = F.crossEntropy(head.forward(F.reshape(out, [T * B, H])), y);
    loss.backward();
    clipGradNorm(ps, 1);
    opt.step();
  };
}

/** F.dropout forward + backward on a (d0, d1, d2) input. */
function dropoutOp(shape: [number, number, number], p: number): () => void {
  const rng = new Rng(4);
  const x = new Tensor(new Float32Array(shape[0] * shape[1] * shape[2]).fill(1), shape, { requiresGrad: true });
  return () => F.sum(F.dropout(x, p, { training: true, rng })).backward();
}

/** CPU milliseconds per repetition of every case, round by round (cases interleaved within a round). */
function measure(cases: [string, () => void][], reps: number, warmup: number, rounds: number): number[][] {
  for (const [, fn] of cases) for (let i = 0; i < warmup; i++) fn();
  const ms: number[][] = cases.map(() => []);
  for (let r = 0; r < rounds; r++) {
    cases.forEach(([, fn], k) => {
      const c0 = process.cpuUsage();
      for (let i = 0; i < reps; i++) fn();
      const c = process.cpuUsage(c0);
      ms[k]!.push((c.user + c.system) / 1000 / reps);
    });
  }
  return ms;
}

const o = parse(process.argv.slice(2));
if (o.backend !== 'auto') setBackend(o.backend as 'native');
const cases: [string, () => void][] = [
  ...METHODS.map((m): [string, () => void] => [`E3 step, ${m}`, e3Step(m)]),
  ['F.dropout fwd+bwd (48, 32, 96)', dropoutOp([T, B, H], P_IO)],
  ['variationalMask (32, 96)', () => F.variationalMask(B, H, P_H, new Rng(5))],
  // W6's inter-layer dropout (bench/workloads.ts: T 100, B 32, 2H 512, p 0.2) and W8's hidden mask (B 32, H 128)
  ['W6 F.dropout fwd+bwd (100, 32, 512)', dropoutOp([100, 32, 512], 0.2)],
  ['W8 variationalMask (32, 128)', () => F.variationalMask(32, 128, 0.25, new Rng(6))],
];
const load0 = loadavg()[0]!;
const ms = measure(cases, o.reps, o.warmup, o.rounds);
console.log(`load average ${load0.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}, ${o.rounds} rounds × ${o.reps} reps, backend ${o.backend}, `
  + `RECUR_NUM_THREADS=${process.env.RECUR_NUM_THREADS ?? '(all cores)'}; CPU ms per repetition: median [min, max] over rounds`);
cases.forEach(([name], k) => {
  const xs = [...ms[k]!].sort((a, b) => a - b);
  console.log(`${name.padEnd(34)} ${xs[xs.length >> 1]!.toFixed(3)} [${xs[0]!.toFixed(3)}, ${xs[xs.length - 1]!.toFixed(3)}]`);
});
