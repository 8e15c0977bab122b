/**
 * E3 — dropout in recurrent language models, character level, tiny shakespeare: a tuned,
 * multi-seed comparison (issue 11 §3).
 *
 * Four methods on one LSTM language model (embedding → LSTM → linear over the 65 characters):
 *   - none;
 *   - per-step dropout (Zaremba et al. 2014): a fresh mask at every step and position, on the
 *     non-recurrent connections only (LSTM input = embedding output, LSTM output), rate p_io;
 *   - variational input+output (Gal & Ghahramani 2016): the same two connections, one mask per
 *     sequence reused at every step (`variational: { input, output }`), rate p_io;
 *   - variational input+output+hidden: also the recurrent state h_{t−1} where it enters W_hh
 *     (`variational: { input, hidden, output }`), rates p_io and p_h — the case time-locking makes
 *     possible.
 * Protocol: the text is split 80 / 10 / 10 into train / validation / test. The model trains on a
 * prefix of the training part, small enough that "none" overfits. Every run stops early on
 * validation BPC (patience, with a step cap) and keeps its best-on-validation weights. Each
 * method's rates are chosen from a small grid on seed 0's validation BPC; then every method runs
 * at its chosen rates for `seeds` seeds (seed 0 reuses the tuning run) and is scored on the test
 * part, which no choice ever looks at. Reported: per method the 95 % t-interval of test BPC over
 * seeds, and paired per-seed differences (same initial batches stream per seed) against none and
 * against per-step, with the sentences computed from the intervals.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Adam, Embedding, F, LSTM, Linear, Module, Tensor, noGrad, type RecurrentState, type Rng, type VariationalDropout,
} from '../../index.js';
import {
  Report, context, fit, fmt, fmtCi, info, meanCi, pick, round, type Ctx, type RunInfo, type RunOptions,
} from './common.js';

export interface E3Options extends RunOptions {
  /** Folder holding tinyshakespeare/input.txt (default: env RECUR_DATA_DIR, else ../shared/data). */
  dataDir?: string;
}

export type Method = 'none' | 'per-step' | 'variational' | 'variational+hidden';
const METHODS: readonly Method[] = ['none', 'per-step', 'variational', 'variational+hidden'];

/** Dropout rates: `io` on the LSTM's input and output, `hidden` on h_{t−1} (variational+hidden only). */
export interface Rates { io: number; hidden: number }

/** One training run: early-stopped, best-on-validation weights. */
export interface E3Run {
  method: Method;
  rates: Rates;
  seed: number;
  /** Steps taken (≤ the cap) and the step of the kept checkpoint. */
  steps: number;
  bestStep: number;
  valBpc: number;
  testBpc: number;
  /** BPC on a probe of the training prefix at the kept weights (dropout off). */
  trainBpc: number;
  seconds: number;
  curve: { step: number; valBpc: number }[];
}

/** Mean, sample sd and 95 % t-interval half-width over seeds. */
export interface Interval { mean: number; ci95: number; sd: number; n: number }

export interface E3Summary {
  method: Method;
  rates: Rates;
  n: number;
  testBpc: Interval;
  valBpc: Interval;
  trainBpc: Interval;
  steps: number[];
}

/** Paired per-seed difference of test BPC, a − b (negative: a is better). */
export interface E3Diff { a: Method; b: Method; mean: number; ci95: number; n: number; verdict: string }

export interface E3Result extends RunInfo {
  data: string;
  split: string;
  trainChars: number;
  valChars: number;
  testChars: number;
  vocab: number;
  hidden: number;
  embed: number;
  seqLen: number;
  batch: number;
  stepCap: number;
  evalEvery: number;
  patience: number;
  params: number;
  seeds: number;
  grid: { io: number[]; hidden: number[] };
  tuning: E3Run[];
  chosen: Record<Method, Rates>;
  runs: E3Run[];
  rows: E3Summary[];
  diffs: E3Diff[];
}

interface Cfg {
  trainChars: number; valChars: number; testChars: number; hidden: number; embed: number; seqLen: number; batch: number;
  stepCap: number; evalEvery: number; patience: number; seeds: number; io: number[]; hid: number[]; streams: number;
}

function config(ctx: Ctx): Cfg {
  return pick<Cfg>(ctx, {
    full: {
      trainChars: 20_000, valChars: 20_000, testChars: 60_000, hidden: 96, embed: 32, seqLen: 48, batch: 32,
      stepCap: 2000, evalEvery: 100, patience: 3, seeds: 5, io: [0.1, 0.3], hid: [0.1, 0.25], streams: 16,
    },
    quick: {
      trainChars: 30_000, valChars: 8_000, testChars: 8_000, hidden: 48, embed: 16, seqLen: 32, batch: 16,
      stepCap: 300, evalEvery: 50, patience: 2, seeds: 3, io: [0.1, 0.3], hid: [0.25], streams: 16,
    },
    tiny: {
      trainChars: 2_000, valChars: 500, testChars: 500, hidden: 8, embed: 4, seqLen: 8, batch: 4,
      stepCap: 4, evalEvery: 2, patience: 1, seeds: 2, io: [0.25], hid: [0.25], streams: 2,
    },
  });
}

/** Embedding → LSTM → Linear, time-major; the dropout method and rates are fixed at construction. */
class CharLM extends Module {
  readonly emb: Embedding;
  readonly rnn: LSTM;
  readonly head: Linear;

  constructor(V: number, E: number, H: number, readonly method: Method, readonly rates: Rates, rng: Rng, private readonly maskRng: Rng) {
    super();
    const variational: VariationalDropout | undefined = method === 'variational' ? { input: rates.io, output: rates.io }
      : method === 'variational+hidden' ? { input: rates.io, hidden: rates.hidden, output: rates.io } : undefined;
    this.emb = this.registerModule('emb', new Embedding(V, E, { rng }));
    this.rnn = this.registerModule('rnn', new LSTM(E, H, { rng, ...(variational ? { variational } : {}) }));
    this.head = this.registerModule('head', new Linear(H, V, { rng }));
  }

  /** ids (T·B) time-major → logits (T·B, V). */
  forward(ids: Int32Array, T: number, B: number, state: RecurrentState | null = null): { logits: Tensor; state: RecurrentState } {
    const drop = (x: Tensor): Tensor => (this.method === 'per-step' ? F.dropout(x, this.rates.io, { training: this.training, rng: this.maskRng }) : x);
    const x = drop(this.emb.forward(ids, [T, B]));
    const r = this.rnn.forward(x, { state });
    const out = drop(r.output);
    return { logits: this.head.forward(F.reshape(out, [T * B, out.shape[2]!])), state: r.state };
  }
}

function loadText(opts: E3Options): { text: string; path: string } {
  const dir = opts.dataDir ?? process.env.RECUR_DATA_DIR ?? join('..', 'shared', 'data');
  const path = join(dir, 'tinyshakespeare', 'input.txt');
  if (!existsSync(path)) throw new Error(`e3: ${path} not found (set RECUR_DATA_DIR to the folder holding tinyshakespeare/input.txt)`);
  return { text: readFileSync(path, 'utf8'), path };
}

/** Bits per character over `ids` read as `streams` parallel contiguous streams, state carried across chunks. */
function bpc(m: CharLM, ids: Int32Array, streams: number, chunk: number): number {
  const per = Math.floor((ids.length - 1) / streams);
  return noGrad(() => {
    m.eval();
    let state: RecurrentState | null = null;
    let nats = 0;
    let n = 0;
    for (let t0 = 0; t0 < per; t0 += chunk) {
      const T = Math.min(chunk, per - t0);
      const x = new Int32Array(T * streams);
      const y = new Int32Array(T * streams);
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < streams; b++) {
          x[t * streams + b] = ids[b * per + t0 + t]!;
          y[t * streams + b] = ids[b * per + t0 + t + 1]!;
        }
      }
      const r = m.forward(x, T, streams, state);
      state = r.state;
      nats += F.crossEntropy(r.logits, y).item() * T * streams;
      n += T * streams;
    }
    m.train();
    return nats / n / Math.LN2;
  });
}

const rateLabel = (method: Method, r: Rates): string => (method === 'none' ? '–'
  : method === 'variational+hidden' ? `p_io ${r.io}, p_h ${r.hidden}` : `p_io ${r.io}`);

/** "a beats b by d [lo, hi]" / "a is worse than b by …" / "no difference shown". */
function verdict(a: Method, b: Method, d: { mean: number; ci95: number; n: number }): string {
  const iv = `${fmt(d.mean, 3)} bits/char, 95 % CI [${fmt(d.mean - d.ci95, 3)}, ${fmt(d.mean + d.ci95, 3)}], n = ${d.n} seeds`;
  if (!Number.isFinite(d.ci95)) return `${a} − ${b}: ${iv} (no interval with one seed)`;
  if (d.mean + d.ci95 < 0) return `${a} beats ${b} by ${fmt(-d.mean, 3)} bits/char on test (difference ${iv})`;
  if (d.mean - d.ci95 > 0) return `${a} is worse than ${b} by ${fmt(d.mean, 3)} bits/char on test (difference ${iv})`;
  return `${a} vs ${b}: no difference shown (difference ${iv})`;
}

export async function run(opts: E3Options = {}): Promise<E3Result> {
  const ctx = context('e3', opts);
  const cfg = config(ctx);
  const { text, path } = loadText(opts);
  const chars = [...new Set(text)].sort();
  const index = new Map(chars.map((c, i) => [c, i]));
  const all = Int32Array.from(text, (c) => index.get(c)!);
  const s1 = Math.floor(all.length * 0.8);
  const s2 = Math.floor(all.length * 0.9);
  const train = all.subarray(0, Math.min(s1, cfg.trainChars));
  const val = all.subarray(s1, Math.min(s2, s1 + cfg.valChars));
  const test = all.subarray(s2, Math.min(all.length, s2 + cfg.testChars));
  const trainProbe = train.subarray(0, Math.min(train.length, 30_000));
  const V = chars.length;
  const { seqLen: T, batch: B, streams } = cfg;
  let params = 0;

  const once = (method: Method, rates: Rates, seed: number): E3Run => {
    const tag = `${method}-${rates.io}-${rates.hidden}-s${seed}`;
    // Same initial weights for every method of a seed (the constructor's draws come first from this
    // stream; the variational masks follow it); per-step masks come from their own stream.
    const m = new CharLM(V, cfg.embed, cfg.hidden, method, rates, ctx.rng(`e3-init-s${seed}`), ctx.rng(`e3-masks-s${seed}-${tag}`));
    params = m.numParameters();
    const data = ctx.rng(`e3-batches-s${seed}`); // identical batch stream for every method of a seed
    const ps = m.parameters();
    const r = fit({
      steps: cfg.stepCap, opt: new Adam(ps, { lr: 3e-3 }), params: ps, clip: 1, evalEvery: cfg.evalEvery,
      patience: cfg.patience, keepBest: true,
      loss: () => {
        const x = new Int32Array(T * B);
        const y = new Int32Array(T * B);
        for (let b = 0; b < B; b++) {
          const s = data.int(train.length - T - 1);
          for (let t = 0; t < T; t++) {
            x[t * B + b] = train[s + t]!;
            y[t * B + b] = train[s + t + 1]!;
          }
        }
        return F.crossEntropy(m.forward(x, T, B).logits, y);
      },
      evaluate: () => bpc(m, val, streams, 128),
      label: `e3 ${tag}`,
    });
    const out: E3Run = {
      method, rates, seed, steps: r.steps, bestStep: r.best?.step ?? r.steps, valBpc: round(r.final),
      testBpc: round(bpc(m, test, streams, 128)), trainBpc: round(bpc(m, trainProbe, streams, 128)), seconds: round(r.seconds, 3),
      curve: r.evals.map((e) => ({ step: e.step, valBpc: round(e.value) })),
    };
    ctx.log(`e3 ${method} (${rateLabel(method, rates)}) seed ${seed}: val ${fmt(out.valBpc, 4)} test ${fmt(out.testBpc, 4)} `
      + `train ${fmt(out.trainBpc, 4)}, best step ${out.bestStep}/${out.steps}, ${r.seconds.toFixed(1)} s`);
    return out;
  };

  // 1. Rates per method on seed 0's validation BPC.
  const grids: Record<Method, Rates[]> = {
    none: [{ io: 0, hidden: 0 }],
    'per-step': cfg.io.map((io) => ({ io, hidden: 0 })),
    variational: cfg.io.map((io) => ({ io, hidden: 0 })),
    'variational+hidden': cfg.io.flatMap((io) => cfg.hid.map((hidden) => ({ io, hidden }))),
  };
  const tuning: E3Run[] = [];
  const chosen = {} as Record<Method, Rates>;
  const seed0 = {} as Record<Method, E3Run>;
  for (const method of METHODS) {
    let best: E3Run | null = null;
    for (const rates of grids[method]) {
      const r = once(method, rates, 0);
      tuning.push(r);
      if (!best || r.valBpc < best.valBpc) best = r;
    }
    chosen[method] = best!.rates;
    seed0[method] = best!;
  }
  // 2. Every method at its chosen rates on further seeds; test BPC.
  const runs: E3Run[] = METHODS.map((m) => seed0[m]);
  for (let s = 1; s < cfg.seeds; s++) for (const method of METHODS) runs.push(once(method, chosen[method], s));
  const of = (method: Method): E3Run[] => runs.filter((r) => r.method === method).sort((a, b) => a.seed - b.seed);
  const ci = (a: number[]): Interval => {
    const c = meanCi(a);
    return { mean: round(c.mean), ci95: round(c.ci95), sd: round(c.sd), n: c.n };
  };
  const rows: E3Summary[] = METHODS.map((method) => {
    const rs = of(method);
    const t = ci(rs.map((r) => r.testBpc));
    return {
      method, rates: chosen[method], n: rs.length, testBpc: t, valBpc: ci(rs.map((r) => r.valBpc)),
      trainBpc: ci(rs.map((r) => r.trainBpc)), steps: rs.map((r) => r.bestStep),
    };
  });
  const diffs: E3Diff[] = [];
  const pairs: [Method, Method][] = [
    ['per-step', 'none'], ['variational', 'none'], ['variational+hidden', 'none'],
    ['variational', 'per-step'], ['variational+hidden', 'per-step'], ['variational+hidden', 'variational'],
  ];
  for (const [a, b] of pairs) {
    const ra = of(a);
    const rb = of(b);
    const d = ci(ra.map((r, i) => r.testBpc - rb[i]!.testBpc));
    diffs.push({ a, b, mean: d.mean, ci95: d.ci95, n: d.n, verdict: verdict(a, b, d) });
  }

  const result: E3Result = {
    ...info(ctx), data: path, split: '80 / 10 / 10 train / validation / test (contiguous)', trainChars: train.length, valChars: val.length,
    testChars: test.length, vocab: V, hidden: cfg.hidden, embed: cfg.embed, seqLen: T, batch: B, stepCap: cfg.stepCap,
    evalEvery: cfg.evalEvery, patience: cfg.patience, params, seeds: cfg.seeds, grid: { io: cfg.io, hidden: cfg.hid },
    tuning, chosen, runs, rows, diffs,
  };

  const rep = new Report('E3 — variational vs per-step dropout vs none: character-level tiny shakespeare');
  const n = (v: number): string => v.toLocaleString('en');
  rep.p(`Config ${ctx.config}, base seed ${ctx.seed}, backend ${result.backend}. Data ${path}, split 80 / 10 / 10 into train / validation / test. `
    + `Training on the first ${n(train.length)} characters of the training part (small on purpose, so that a model without dropout overfits); `
    + `validation (early stopping, rate choice) on the first ${n(val.length)} characters of the validation part; test on the first ${n(test.length)} `
    + `characters of the test part, never used for any choice. Embedding ${cfg.embed} → LSTM ${cfg.hidden} → linear (${n(params)} parameters), `
    + `windows of ${T} characters, batch ${B}, Adam lr 3e-3, gradient norm clipped to 1. Every run: validation BPC every ${cfg.evalEvery} steps, `
    + `stop after ${cfg.patience} evaluations without a new best or at ${n(cfg.stepCap)} steps, keep the best-on-validation weights. `
    + 'BPC = cross-entropy in bits per character, text read as long streams with the state carried over; train BPC is on a probe of the training prefix, dropout off.');
  rep.h2('Rate choice (seed 0, validation)');
  rep.p(`Grid: p_io ∈ {${cfg.io.join(', ')}} for every dropout method, and p_h ∈ {${cfg.hid.join(', ')}} on the recurrent state for variational+hidden `
    + '(all pairs). The lowest validation BPC picks the rates.');
  rep.table(['method', 'rates', 'val BPC', 'train BPC', 'best step / steps', 'seconds', 'chosen'],
    tuning.map((r) => [r.method, rateLabel(r.method, r.rates), r.valBpc, r.trainBpc, `${r.bestStep} / ${r.steps}`, r.seconds,
      chosen[r.method] === r.rates ? '✓' : '']));
  rep.h2(`Test BPC over ${cfg.seeds} seeds at the chosen rates`);
  rep.p('Mean ± 95 % t-interval half-width over seeds (seed 0 is the tuning run). The gap is test − train.');
  rep.table(['method', 'rates', 'test BPC', 'val BPC', 'train BPC', 'gap', 'kept steps'],
    rows.map((x) => [x.method, rateLabel(x.method, x.rates), fmtCi(x.testBpc), fmtCi(x.valBpc), fmtCi(x.trainBpc), round(x.testBpc.mean - x.trainBpc.mean, 3), x.steps.join(', ')]));
  rep.h2('Paired differences (test BPC, same seed, a − b; negative favours a)');
  rep.table(['a', 'b', 'mean difference', '95 % CI'], diffs.map((d) => [d.a, d.b, round(d.mean, 3),
    Number.isFinite(d.ci95) ? `[${fmt(d.mean - d.ci95, 3)}, ${fmt(d.mean + d.ci95, 3)}]` : '–']));
  rep.p(diffs.map((d) => `- ${d.verdict}.`).join('\n'));
  const noneRows = of('none');
  const overfit = noneRows.filter((r) => r.steps > r.bestStep).length;
  rep.p(`Overfitting check: without dropout, validation BPC stopped improving before the cap in ${overfit} of ${noneRows.length} seeds `
    + `(kept steps ${noneRows.map((r) => r.bestStep).join(', ')}, stopped at ${noneRows.map((r) => r.steps).join(', ')} of ${n(cfg.stepCap)}). `
    + 'The train − test gap mixes overfitting with the shift between the training prefix (the first play) and the later text, '
    + 'so it is not a measure of overfitting here.');
  rep.plot('val-bpc.svg', {
    title: 'Validation bits per character (seed 0, chosen rates)', xLabel: 'step', yLabel: 'BPC', logY: false,
    series: METHODS.map((m) => ({ name: m, x: seed0[m].curve.map((c) => c.step), y: seed0[m].curve.map((c) => c.valBpc) })),
  });
  rep.write(ctx.outDir, result);
  return result;
}

