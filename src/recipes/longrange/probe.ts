/**
 * Measurements beside accuracy: memory of one training step, and gradient flow through time in a
 * trained recurrent model's forward direction (src/analysis/gradient-flow.ts).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { F, GRU, LSTM, RNN, Tensor, analysis, type Rng } from '../../index.js';
import { acceptorIndex, oneHot, spliceBatch } from './generate.js';
import { modelInput } from './train.js';
import { activationBound, makeModel, type LongRangeModel, type ModelKind } from './models.js';

export interface MemoryProbe {
  /** Growth of JS heap + array buffers from before the forward pass to after it (held for backward), MB. */
  forwardMb: number;
  /** The same right after backward (gradients, before they are freed), MB. */
  backwardMb: number;
  /** T·B·gates·H floats of the recurrent op, both directions, as MB of float32 (null: not recurrent). */
  boundMb: number | null;
  /** Process peak RSS so far (process.resourceUsage().maxRSS), MB: a high-water mark over the whole run. */
  maxRssMb: number;
}

/** A full collection before a measurement (node hides gc() unless started with --expose-gc). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

const used = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/**
 * Memory of one forward + backward pass of a fresh model on a batch of B sequences at distance d.
 * A full garbage collection runs first, so the baseline holds no garbage of earlier steps.
 */
export function memoryProbe(kind: ModelKind, d: number, B: number, rng: Rng): MemoryProbe {
  const b = spliceBatch(d, B, rng.fork());
  const model = makeModel(kind, b.T, rng.fork());
  const inp = modelInput(model, b);
  collectGarbage();
  const base = used();
  const out = model.forward(inp.x, inp.site);
  const loss = F.add(F.sum(out.acceptor), F.sum(out.donor));
  const fwd = used() - base;
  loss.backward();
  const bwd = used() - base;
  const bound = activationBound(kind, b.T, B);
  return { forwardMb: fwd / 2 ** 20, backwardMb: bwd / 2 ** 20, boundMb: bound === null ? null : (4 * bound) / 2 ** 20, maxRssMb: process.resourceUsage().maxRSS / 1024 };
}

export interface FlowProbe {
  /** Lags from the site (0) back to the planted donor. */
  lags: number[];
  /** ‖∂ℓ/∂s_t‖ / ‖∂ℓ/∂s_site‖ at those lags (ℓ = the acceptor logit's forward part), mean over sequences. */
  relGrad: number[];
  /** At the donor of each probed sequence: log10 of that ratio. */
  donorLog10: number[];
}

/** The forward direction of a trained bidirectional layer as a unidirectional module (same weights). */
function forwardDirection(model: LongRangeModel & { rnn?: GRU | LSTM | RNN }): GRU | LSTM | RNN {
  const src = model.rnn!;
  const H = src.hiddenSize;
  const uni = src instanceof GRU ? new GRU(4, H) : src instanceof LSTM ? new LSTM(4, H) : new RNN(4, H);
  for (const k of ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']) uni.param(k).data.set(src.param(k).data);
  return uni;
}

/**
 * Gradient of the acceptor logit's forward-direction part, w→ · h→_site, with respect to the
 * forward state at every earlier step, for `n` positive test sequences at distance d. Only the
 * steps up to the site are unrolled (the 16 exon steps after it cannot reach the logit).
 */
export function flowProbe(model: LongRangeModel, d: number, n: number, rng: Rng): FlowProbe {
  const site = acceptorIndex(d);
  const b = spliceBatch(d, 4 * n + 8, rng);
  const rows = Array.from({ length: b.B }, (_, i) => i).filter((i) => b.labels[i]).slice(0, n);
  const full = oneHot(b);
  const x = new Float64Array((site + 1) * rows.length * 4);
  for (let t = 0; t <= site; t++) rows.forEach((r, j) => x.set(full.subarray((t * b.B + r) * 4, (t * b.B + r + 1) * 4), (t * rows.length + j) * 4));
  const uni = forwardDirection(model as LongRangeModel & { rnn?: GRU | LSTM | RNN });
  const H = uni.hiddenSize;
  const head = (model as unknown as { head: { param(k: string): Tensor } }).head.param('weight').data;
  const w = new Tensor(Float64Array.from({ length: H }, (_, j) => head[j]!), [H]);
  const B = rows.length;
  const g = analysis.gradientFlow(uni, new Tensor(x, [site + 1, B, 4]), {
    spans: [1],
    loss: (out) => F.mulScalar(F.sum(F.mul(F.reshape(F.slice(out, 0, site, site + 1), [B, H]), w)), 1 / B),
  });
  // gradNorm is over the batch; per-sequence ratios need per-row norms, so use the batch norm
  // for the curve and one row at a time for the donors.
  const at = (lag: number): number => g.gradNorm[site - lag]! / g.gradNorm[site]!;
  const lags = [0, 1, 3, 10, 30, 100, 300, 1000, 3000, 10000].filter((l) => l <= site);
  const donorLog10 = rows.map((r) => Math.log10(at(b.dist[r]!)));
  return { lags, relGrad: lags.map(at), donorLog10 };
}
