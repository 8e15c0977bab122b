/**
 * E3 — dropout in recurrent language models, character level, tiny shakespeare.
 *
 * Four regimes of one LSTM language model (embedding → LSTM → linear over the 65 characters):
 *   - none;
 *   - per-step dropout (Zaremba et al. 2014): a fresh mask at every step and position, on the
 *     non-recurrent connections only (LSTM input = embedding output, LSTM output);
 *   - variational / time-locked dropout (Gal & Ghahramani 2016) on the same two connections:
 *     one mask per sequence, reused at every step (`variational: { input, output }`) — the only
 *     difference from per-step is the time-locking;
 *   - variational with the recurrent state h_{t−1} dropped too (`variational: { input, hidden,
 *     output }`), which time-locking makes possible.
 * Same rate p everywhere, same seed, same batches. Metric: validation bits per character
 * (cross-entropy / ln 2) on the held-out last 10 % of the text, read as long streams with the
 * state carried across chunks; also the training BPC (dropout off) to show the gap.
 * The training set is a prefix of the 90 % training split (`trainChars`) so that the
 * regulariser has something to do in a few minutes of training.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Adam, Embedding, F, LSTM, Linear, Module, Tensor, noGrad, type RecurrentState, type Rng, type VariationalDropout,
} from '../../index.js';
import { Report, context, fit, fmt, info, pick, round, type Ctx, type FitResult, type RunInfo, type RunOptions } from './common.js';

export interface E3Options extends RunOptions {
  /** Folder holding tinyshakespeare/input.txt (default: env RECUR_DATA_DIR, else ../shared/data). */
  dataDir?: string;
}

type Regime = 'none' | 'per-step' | 'variational' | 'variational+hidden';
const REGIMES: readonly Regime[] = ['none', 'per-step', 'variational', 'variational+hidden'];

export interface E3Result extends RunInfo {
  data: string;
  trainChars: number;
  valChars: number;
  vocab: number;
  hidden: number;
  embed: number;
  seqLen: number;
  batch: number;
  steps: number;
  p: number;
  params: number;
  rows: { regime: Regime; valBpc: number; bestValBpc: number; trainBpc: number; seconds: number }[];
  curves: Record<Regime, { step: number; valBpc: number }[]>;
}

interface Cfg { trainChars: number; valChars: number; hidden: number; embed: number; seqLen: number; batch: number; steps: number; evalEvery: number; p: number }

function config(ctx: Ctx): Cfg {
  return pick<Cfg>(ctx, {
    full: { trainChars: 200_000, valChars: 111_540, hidden: 128, embed: 32, seqLen: 64, batch: 32, steps: 2000, evalEvery: 250, p: 0.25 },
    quick: { trainChars: 50_000, valChars: 10_000, hidden: 32, embed: 16, seqLen: 32, batch: 16, steps: 200, evalEvery: 100, p: 0.25 },
    tiny: { trainChars: 2_000, valChars: 500, hidden: 8, embed: 4, seqLen: 8, batch: 4, steps: 3, evalEvery: 2, p: 0.25 },
  });
}

/** Embedding → LSTM → Linear, time-major; the dropout regime is fixed at construction. */
class CharLM extends Module {
  readonly emb: Embedding;
  readonly rnn: LSTM;
  readonly head: Linear;

  constructor(V: number, E: number, H: number, readonly regime: Regime, readonly p: number, private readonly rng: Rng) {
    super();
    const variational: VariationalDropout | undefined = regime === 'variational' ? { input: p, output: p }
      : regime === 'variational+hidden' ? { input: p, hidden: p, output: p } : undefined;
    this.emb = this.registerModule('emb', new Embedding(V, E, { rng }));
    this.rnn = this.registerModule('rnn', new LSTM(E, H, { rng, ...(variational ? { variational } : {}) }));
    this.head = this.registerModule('head', new Linear(H, V, { rng }));
  }

  /** ids (T·B) time-major → logits (T·B, V). */
  forward(ids: Int32Array, T: number, B: number, state: RecurrentState | null = null): { logits: Tensor; state: RecurrentState } {
    const drop = (x: Tensor): Tensor => (this.regime === 'per-step' ? F.dropout(x, this.p, { training: this.training, rng: this.rng }) : x);
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

export async function run(opts: E3Options = {}): Promise<E3Result> {
  const ctx = context('e3', opts);
  const cfg = config(ctx);
  const { text, path } = loadText(opts);
  const chars = [...new Set(text)].sort();
  const index = new Map(chars.map((c, i) => [c, i]));
  const all = Int32Array.from(text, (c) => index.get(c)!);
  const split = Math.floor(all.length * 0.9);
  const train = all.subarray(0, Math.min(split, cfg.trainChars));
  const val = all.subarray(split, split + Math.min(all.length - split, cfg.valChars));
  const trainProbe = train.subarray(0, Math.min(train.length, 20_000));
  const V = chars.length;
  const { seqLen: T, batch: B } = cfg;
  const streams = ctx.config === 'tiny' ? 2 : 16;
  const rows: E3Result['rows'] = [];
  const curves = {} as E3Result['curves'];
  let params = 0;
  for (const regime of REGIMES) {
    const m = new CharLM(V, cfg.embed, cfg.hidden, regime, cfg.p, ctx.rng(`e3-model-${regime}`));
    params = m.numParameters();
    const data = ctx.rng('e3-batches'); // identical batch stream for every regime
    const ps = m.parameters();
    const r: FitResult = fit({
      steps: cfg.steps, opt: new Adam(ps, { lr: 3e-3 }), params: ps, clip: 1, evalEvery: cfg.evalEvery,
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
      log: ctx.config === 'tiny' ? undefined : ctx.log, label: `e3 ${regime}`,
    });
    const trainBpc = bpc(m, trainProbe, streams, 128);
    const best = Math.min(...r.evals.map((e) => e.value));
    rows.push({ regime, valBpc: round(r.final), bestValBpc: round(best), trainBpc: round(trainBpc), seconds: round(r.seconds, 3) });
    curves[regime] = r.evals.map((e) => ({ step: e.step, valBpc: round(e.value) }));
    ctx.log(`e3 ${regime}: val BPC ${fmt(r.final, 4)} (best ${fmt(best, 4)}), train BPC ${fmt(trainBpc, 4)}, ${r.seconds.toFixed(1)} s`);
  }
  const result: E3Result = {
    ...info(ctx), data: path, trainChars: train.length, valChars: val.length, vocab: V, hidden: cfg.hidden, embed: cfg.embed,
    seqLen: T, batch: B, steps: cfg.steps, p: cfg.p, params, rows, curves,
  };
  const rep = new Report('E3 — variational vs per-step dropout vs none: character-level tiny shakespeare');
  rep.p(`Config ${ctx.config}, seed ${ctx.seed}, backend ${result.backend}. Data ${path}: training on the first ${train.length.toLocaleString('en')} characters `
    + `of the 90 % training split, validation on ${val.length.toLocaleString('en')} characters of the last 10 %. Embedding ${cfg.embed} → LSTM ${cfg.hidden} → linear (${params.toLocaleString('en')} parameters), `
    + `windows of ${T} characters, batch ${B}, Adam lr 3e-3, gradient norm clipped to 1, ${cfg.steps} steps, dropout rate p = ${cfg.p}. `
    + 'BPC = cross-entropy in bits per character; the validation set is read as 16 long streams with the state carried over.');
  rep.table(['dropout', 'val BPC (end)', 'val BPC (best)', 'train BPC', 'gap', 'seconds'], rows.map((x) => [x.regime, x.valBpc, x.bestValBpc, x.trainBpc, round(x.valBpc - x.trainBpc, 3), x.seconds]));
  rep.plot('val-bpc.svg', {
    title: 'Validation bits per character', xLabel: 'step', yLabel: 'BPC', logY: false,
    series: rows.map((x) => ({ name: x.regime, x: curves[x.regime].map((c) => c.step), y: curves[x.regime].map((c) => c.valBpc) })),
  });
  rep.write(ctx.outDir, result);
  return result;
}
