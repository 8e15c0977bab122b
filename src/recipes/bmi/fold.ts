/**
 * One train/validation/test split of the BMI protocol: standardise with the training bins,
 * then per decoder choose its hyperparameter on the validation block only, refit on the training
 * bins and score the test block (R², mean over targets). Every decoder is scored on the same
 * test bins: those whose whole lag window lies inside the test block.
 */
import { Rng } from '../../index.js';
import { KALMAN_C_GRID, RIDGE_GRID, kalmanFilter, kalmanFit, kalmanRunner, linearPredict, ridgeFit, type KalmanModel } from './baselines.js';
import { columnStats, laggedDesign, r2, rowsOf, samplesOf, standardise, type Block, type Recording } from './data.js';
import { gram } from './linalg.js';
import { StreamingDecoder, WindowDecoder, decode, fitDecoder, type DecoderSpec, type Series } from './model.js';

export interface RnnSettings {
  cells: ('gru' | 'lstm')[];
  hiddenGrid: number[];
  dropoutGrid: number[];
  seeds: number;
  epochs: number;
  batchSize: number;
  lr: number;
  patience: number;
}

/** What a split gives a fold: the training recording with its blocks, the test recording with its block. */
export interface FoldData {
  train: Recording;
  trainBlocks: Block[];
  val: Block;
  test: Recording;
  testBlock: Block;
  lags: number;
}

export interface RnnOutcome {
  cell: 'gru' | 'lstm';
  /** The configuration chosen on the validation block (mean validation R² over seeds). */
  hidden: number;
  dropout: number;
  /** Validation R² of every configuration tried. */
  grid: { hidden: number; dropout: number; val: number }[];
  /** Test R² (mean over targets) per seed of the chosen configuration. */
  test: number[];
  /** Test R² (mean over targets) of the seed-averaged prediction: the fold's decoder. */
  ensemble: number;
  /** Test R² per target of the seed-averaged prediction. */
  perTarget: number[];
  /** The seed average blended with the Wiener filter, α·recurrent + (1 − α)·Wiener, α chosen on the validation block. */
  blend: { alpha: number; val: number; test: number };
  epochs: number[];
}

/** The fold's fitted decoders, saved as its checkpoint (deploy.ts). */
export interface FoldModels {
  xs: { mean: Float64Array; sd: Float64Array };
  ys: { mean: Float64Array; sd: Float64Array };
  lags: number;
  wiener: { lambda: number; W: Float64Array };
  kalman: { c: number; model: KalmanModel };
  rnn: { cell: 'gru' | 'lstm'; alpha: number; nets: WindowDecoder[] }[];
}

export interface FoldOutcome {
  bins: { train: number; val: number; test: number };
  wiener: { lambda: number; val: number; test: number; perTarget: number[] };
  kalman: { c: number; val: number; test: number; perTarget: number[] };
  rnn: RnnOutcome[];
  /** Streaming decode of seed 0's first cell: per-bin latency (ms) and max |difference| to the window decode. */
  streaming: { latencies: number[]; maxAbsDiff: number };
  /** Test truth and predictions (raw units, row-major (n, K)) for the trace charts. */
  trace: { bins: number[]; truth: number[]; wiener: number[]; kalman: number[]; rnn: number[] };
  ms: number;
}

interface Prepared {
  d: FoldData;
  Xtr: Float64Array;
  Ytr: Float64Array;
  Xte: Float64Array;
  Yte: Float64Array;
  tr: number[];
  va: number[];
  te: number[];
  xs: { mean: Float64Array; sd: Float64Array };
  ys: { mean: Float64Array; sd: Float64Array };
}

function prepare(d: FoldData): Prepared {
  const { train, test, lags } = d;
  const xs = columnStats(train.X, train.N, d.trainBlocks);
  const ys = columnStats(train.Y, train.K, d.trainBlocks);
  return {
    d, xs, ys, Xtr: standardise(train.X, train.N, xs), Ytr: standardise(train.Y, train.K, ys), Xte: standardise(test.X, test.N, xs), Yte: standardise(test.Y, test.K, ys),
    tr: d.trainBlocks.flatMap((b) => samplesOf(b, lags)), va: samplesOf(d.val, lags), te: samplesOf(d.testBlock, lags),
  };
}

interface WienerFit { out: FoldOutcome['wiener']; pred: Float64Array; valPred: Float64Array; W: Float64Array }

function wiener(p: Prepared): WienerFit {
  const { N, K } = p.d.train;
  const L = p.d.lags;
  const cols = (L + 1) * N + 1;
  const A = laggedDesign(p.Xtr, N, L, p.tr);
  const Y = rowsOf(p.Ytr, K, p.tr);
  const G = gram(A, cols);
  const Av = laggedDesign(p.Xtr, N, L, p.va);
  const Yv = rowsOf(p.Ytr, K, p.va);
  let best = { lambda: NaN, val: -Infinity };
  for (const lambda of RIDGE_GRID) {
    const v = r2(Yv, linearPredict(Av, cols, ridgeFit(A, cols, Y, K, lambda, G), K), K).mean;
    if (v > best.val) best = { lambda, val: v };
  }
  const W = ridgeFit(A, cols, Y, K, best.lambda, G);
  const pred = linearPredict(laggedDesign(p.Xte, N, L, p.te), cols, W, K);
  const s = r2(rowsOf(p.Yte, K, p.te), pred, K);
  return { out: { ...best, test: s.mean, perTarget: s.perTarget }, pred, valPred: linearPredict(Av, cols, W, K), W };
}

function kalman(p: Prepared): { out: FoldOutcome['kalman']; pred: Float64Array; model: KalmanModel } {
  const { N, K } = p.d.train;
  const model = kalmanFit(p.Ytr, K, p.Xtr, N, p.d.trainBlocks);
  const run = kalmanRunner(model);
  const scored = (X: Float64Array, b: Block, ts: number[], c: number): Float64Array => rowsOf(kalmanFilter(run, X, b.start, b.end, c), K, ts.map((t) => t - b.start));
  const Yv = rowsOf(p.Ytr, K, p.va);
  let best = { c: NaN, val: -Infinity };
  for (const c of KALMAN_C_GRID) {
    const v = r2(Yv, scored(p.Xtr, p.d.val, p.va, c), K).mean;
    if (v > best.val) best = { c, val: v };
  }
  const pred = scored(p.Xte, p.d.testBlock, p.te, best.c);
  const s = r2(rowsOf(p.Yte, K, p.te), pred, K);
  return { out: { ...best, test: s.mean, perTarget: s.perTarget }, pred, model };
}

function series(X: Float64Array, Y: Float64Array, r: Recording, lags: number): Series {
  return { X: Float32Array.from(X), Y: Float32Array.from(Y), N: r.N, K: r.K, lags };
}

/** The blend weights tried on the validation block: α·recurrent + (1 − α)·Wiener. */
export const BLEND_GRID = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

const average = (preds: Float64Array[]): Float64Array => preds[0]!.map((_, i) => preds.reduce((a, q) => a + q[i]!, 0) / preds.length);
const mix = (a: Float64Array, b: Float64Array, alpha: number): Float64Array => a.map((v, i) => alpha * v + (1 - alpha) * b[i]!);

/** Train one configuration's seeds; null when stopped. */
async function trainSeeds(p: Prepared, spec: DecoderSpec, h: RnnSettings, rng: Rng, stop?: { readonly requested: boolean }): Promise<{ models: WindowDecoder[]; epochs: number[] } | null> {
  const sTr = series(p.Xtr, p.Ytr, p.d.train, p.d.lags);
  const models: WindowDecoder[] = [];
  const epochs: number[] = [];
  for (let s = 0; s < h.seeds; s++) {
    const m = new WindowDecoder(spec, rng.fork());
    const fit = await fitDecoder(m, sTr, p.tr, p.va, { epochs: h.epochs, batchSize: h.batchSize, lr: h.lr, patience: h.patience, rng: rng.fork(), ...(stop ? { stop } : {}) });
    if (!fit) return null;
    models.push(m);
    epochs.push(fit.bestEpoch + 1);
  }
  return { models, epochs };
}

/**
 * Train every configuration × seed of one cell; choose on validation (mean R² over seeds); score
 * the chosen one's seeds and their average, and the average's blend with Wiener (α on validation).
 */
async function recurrent(p: Prepared, cell: 'gru' | 'lstm', h: RnnSettings, w: WienerFit, rng: Rng, stop?: { readonly requested: boolean }): Promise<{ out: RnnOutcome; pred: Float64Array; models: WindowDecoder[] } | null> {
  const { N, K } = p.d.train;
  const sTr = series(p.Xtr, p.Ytr, p.d.train, p.d.lags);
  const sTe = series(p.Xte, p.Yte, p.d.test, p.d.lags);
  const Yv = rowsOf(p.Ytr, K, p.va);
  const grid: RnnOutcome['grid'] = [];
  let best: { i: number; models: WindowDecoder[]; epochs: number[] } | null = null;
  for (const hidden of h.hiddenGrid) {
    for (const dropout of h.dropoutGrid) {
      const t = await trainSeeds(p, { cell, inputs: N, hidden, targets: K, dropout }, h, rng, stop);
      if (!t) return null;
      const val = t.models.reduce((a, m) => a + r2(Yv, decode(m, sTr, p.va), K).mean / h.seeds, 0);
      grid.push({ hidden, dropout, val });
      if (!best || val > grid[best.i]!.val) best = { i: grid.length - 1, ...t };
    }
  }
  const { models, epochs } = best!;
  const Yt = rowsOf(p.Yte, K, p.te);
  const preds = models.map((m) => decode(m, sTe, p.te));
  const avg = average(preds);
  const valAvg = average(models.map((m) => decode(m, sTr, p.va)));
  let blend = { alpha: NaN, val: -Infinity, test: NaN };
  for (const alpha of BLEND_GRID) {
    const val = r2(Yv, mix(valAvg, w.valPred, alpha), K).mean;
    if (val > blend.val) blend = { alpha, val, test: NaN };
  }
  blend.test = r2(Yt, mix(avg, w.pred, blend.alpha), K).mean;
  const chosen = grid[best!.i]!;
  const e = r2(Yt, avg, K);
  return {
    out: { cell, hidden: chosen.hidden, dropout: chosen.dropout, grid, test: preds.map((q) => r2(Yt, q, K).mean), ensemble: e.mean, perTarget: e.perTarget, blend, epochs },
    pred: avg, models,
  };
}

/** Decode the test block bin by bin with carried state; latency per bin and agreement with the window decode. */
function streamTest(model: WindowDecoder, p: Prepared): FoldOutcome['streaming'] {
  const s = series(p.Xte, p.Yte, p.d.test, p.d.lags);
  const ref = decode(model, s, p.te);
  const sd = new StreamingDecoder(model, p.d.lags);
  const latencies: number[] = [];
  let i = 0;
  let maxAbsDiff = 0;
  for (let t = p.d.testBlock.start; t < p.d.testBlock.end; t++) {
    const t0 = performance.now();
    const y = sd.push(s.X.subarray(t * s.N, (t + 1) * s.N));
    latencies.push(performance.now() - t0);
    if (!y) continue;
    for (let k = 0; k < s.K; k++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(y[k]! - ref[i * s.K + k]!));
    i++;
  }
  return { latencies, maxAbsDiff };
}

function raw(z: Float64Array, ys: Prepared['ys']): number[] {
  const K = ys.mean.length;
  return Array.from(z, (v, i) => v * ys.sd[i % K]! + ys.mean[i % K]!);
}

/** Run all decoders on one split. Null when a stop was requested. */
export async function runFoldData(d: FoldData, h: RnnSettings, seed: number, stop?: { readonly requested: boolean }): Promise<{ outcome: FoldOutcome; models: FoldModels } | null> {
  const t0 = performance.now();
  const p = prepare(d);
  const w = wiener(p);
  const k = kalman(p);
  const rng = new Rng(seed);
  const rnn: RnnOutcome[] = [];
  const nets: FoldModels['rnn'] = [];
  let first: { pred: Float64Array; models: WindowDecoder[] } | null = null;
  for (const cell of h.cells) {
    const r = await recurrent(p, cell, h, w, rng.fork(), stop);
    if (!r) return null;
    rnn.push(r.out);
    nets.push({ cell, alpha: r.out.blend.alpha, nets: r.models });
    first ??= r;
  }
  const K = d.train.K;
  const outcome: FoldOutcome = {
    bins: { train: p.tr.length, val: p.va.length, test: p.te.length },
    wiener: w.out, kalman: k.out, rnn, streaming: streamTest(first!.models[0]!, p),
    trace: { bins: p.te, truth: raw(rowsOf(p.Yte, K, p.te), p.ys), wiener: raw(w.pred, p.ys), kalman: raw(k.pred, p.ys), rnn: raw(first!.pred, p.ys) },
    ms: performance.now() - t0,
  };
  const models: FoldModels = { xs: p.xs, ys: p.ys, lags: d.lags, wiener: { lambda: w.out.lambda, W: w.W }, kalman: { c: k.out.c, model: k.model }, rnn: nets };
  return { outcome, models };
}
