/**
 * A decode run's deployable decoders: every fold saves its fitted decoders as
 * `fold-<split>-<f>.safetensors` beside its fold-*.json: the recurrent networks of the configuration
 * chosen on validation (all seeds, keys `<cell>.<seed>.<param>`), and in `extra` the fold's
 * standardisation, the Wiener weights, the Kalman parameters and the blend weight α.
 *
 * The run's decoder is the average of its fold decoders' predictions in raw units (every fold of
 * every split, every seed), not a refit on all the data: each fold model had a validation block
 * for its early stopping and its hyperparameters, which a refit on all bins would lack, and
 * the fold models are what cross-validation scored.
 */
import { z } from 'zod';
import { Rng, checkSchema, loadCheckpointSync, saveCheckpointSync, type Tensor } from '../../index.js';
import { kalmanFilter, kalmanRunner, linearPredict } from './baselines.js';
import { laggedDesign, samplesOf, standardise, type Block, type Recording } from './data.js';
import type { FoldModels } from './fold.js';
import { StreamingDecoder, WindowDecoder, decode } from './model.js';

const FORMAT = 'recur.bmi-fold/1';

const nums = z.array(z.number());
const stats = z.strictObject({ mean: nums, sd: nums });
const extraSchema = z.strictObject({
  format: z.literal(FORMAT),
  inputs: z.array(z.string()),
  targets: z.array(z.string()),
  lags: z.number().int().min(0),
  xs: stats,
  ys: stats,
  wiener: z.strictObject({ lambda: z.number(), W: nums }),
  kalman: z.strictObject({ c: z.number(), A: nums, W: nums, H: nums, Q: nums, P0: nums }),
  rnn: z.array(z.strictObject({ cell: z.enum(['gru', 'lstm']), hidden: z.number().int().min(1), dropout: z.number(), seeds: z.number().int().min(1), alpha: z.number() })),
});

/** A fold's decoders with the column names they were trained on. */
export interface SavedFold extends FoldModels {
  inputs: string[];
  targets: string[];
}

const arr = (v: Float64Array): number[] => Array.from(v);

/** Write a fold's decoders (see the file comment). */
export function saveFold(path: string, m: FoldModels, inputs: string[], targets: string[]): void {
  const model: Record<string, Tensor> = {};
  for (const r of m.rnn) r.nets.forEach((net, s) => Object.entries(net.stateDict()).forEach(([k, v]) => (model[`${r.cell}.${s}.${k}`] = v)));
  const k = m.kalman.model;
  const extra: z.input<typeof extraSchema> = {
    format: FORMAT, inputs, targets, lags: m.lags,
    xs: { mean: arr(m.xs.mean), sd: arr(m.xs.sd) }, ys: { mean: arr(m.ys.mean), sd: arr(m.ys.sd) },
    wiener: { lambda: m.wiener.lambda, W: arr(m.wiener.W) },
    kalman: { c: m.kalman.c, A: arr(k.A), W: arr(k.W), H: arr(k.H), Q: arr(k.Q), P0: arr(k.P0) },
    rnn: m.rnn.map((r) => ({ cell: r.cell, hidden: r.nets[0]!.spec.hidden, dropout: r.nets[0]!.spec.dropout, seeds: r.nets.length, alpha: r.alpha })),
  };
  saveCheckpointSync(path, { model, extra });
}

/**
 * Read a fold's decoders.
 * @throws FormatError naming the file for a malformed or foreign checkpoint.
 */
export function loadFold(path: string): SavedFold {
  const ck = loadCheckpointSync(path);
  const x = checkSchema(extraSchema, ck.extra, `${path}: extra`);
  const N = x.inputs.length;
  const K = x.targets.length;
  const f64 = (v: number[]): Float64Array => Float64Array.from(v);
  const rnn = x.rnn.map((r) => ({
    cell: r.cell, alpha: r.alpha,
    nets: Array.from({ length: r.seeds }, (_, s) => {
      const net = new WindowDecoder({ cell: r.cell, inputs: N, hidden: r.hidden, targets: K, dropout: r.dropout }, new Rng(0));
      const prefix = `${r.cell}.${s}.`;
      net.loadStateDict(Object.fromEntries(Object.entries(ck.model).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v])));
      return net;
    }),
  }));
  const k = x.kalman;
  return {
    inputs: x.inputs, targets: x.targets, lags: x.lags,
    xs: { mean: f64(x.xs.mean), sd: f64(x.xs.sd) }, ys: { mean: f64(x.ys.mean), sd: f64(x.ys.sd) },
    wiener: { lambda: x.wiener.lambda, W: f64(x.wiener.W) },
    kalman: { c: k.c, model: { K, N, A: f64(k.A), W: f64(k.W), H: f64(k.H), Q: f64(k.Q), P0: f64(k.P0) } },
    rnn,
  };
}

/** Predictions (n, K) in raw target units of every decoder of a fold, for bins `samplesOf(block, lags)`. */
export interface FoldPredictions {
  wiener: Float64Array;
  kalman: Float64Array;
  /** Per cell: the seed average and its blend with Wiener. */
  rnn: { cell: 'gru' | 'lstm'; avg: Float64Array; blend: Float64Array }[];
}

function unstandardise(z: Float64Array, ys: FoldModels['ys']): Float64Array {
  const K = ys.mean.length;
  return z.map((v, i) => v * ys.sd[i % K]! + ys.mean[i % K]!);
}

/** Decode a block of a recording with one fold's decoders (window decode; equal to the streaming path within 1e-5). */
export function decodeBlock(f: FoldModels, r: Recording, b: Block): FoldPredictions {
  const { N, K } = r;
  const L = f.lags;
  const X = standardise(r.X, N, f.xs);
  const ts = samplesOf(b, L);
  const wz = linearPredict(laggedDesign(X, N, L, ts), (L + 1) * N + 1, f.wiener.W, K);
  const kz = kalmanFilter(kalmanRunner(f.kalman.model), X, b.start, b.end, f.kalman.c).slice(L * K);
  const s = { X: Float32Array.from(X), Y: new Float32Array(r.T * K), N, K, lags: L };
  const rnn = f.rnn.map((c) => {
    const preds = c.nets.map((m) => decode(m, s, ts));
    const avg = preds[0]!.map((_, i) => preds.reduce((a, q) => a + q[i]!, 0) / preds.length);
    return { cell: c.cell, avg: unstandardise(avg, f.ys), blend: unstandardise(avg.map((v, i) => c.alpha * v + (1 - c.alpha) * wz[i]!), f.ys) };
  });
  return { wiener: unstandardise(wz, f.ys), kalman: unstandardise(kz, f.ys), rnn };
}

/** Bin-by-bin causal decoding of one fold's recurrent networks with carried state (the streaming path). */
export class FoldStream {
  private readonly streams: { cell: string; s: StreamingDecoder[] }[];
  private readonly N: number;

  constructor(private readonly f: FoldModels) {
    this.N = f.xs.mean.length;
    this.streams = f.rnn.map((c) => ({ cell: c.cell, s: c.nets.map((m) => new StreamingDecoder(m, f.lags)) }));
  }

  /** Feed one bin of raw activity; per cell the seed-averaged prediction in raw units, or null during the first `lags` bins. */
  push(x: ArrayLike<number>): (Float64Array | null)[] {
    const z = Float32Array.from({ length: this.N }, (_, n) => (x[n]! - this.f.xs.mean[n]!) / this.f.xs.sd[n]!);
    return this.streams.map(({ s }) => {
      const outs = s.map((d) => d.push(z));
      if (!outs[0]) return null;
      const avg = Float64Array.from(outs[0], (_, k) => outs.reduce((a, o) => a + o![k]!, 0) / outs.length);
      return unstandardise(avg, this.f.ys);
    });
  }
}
