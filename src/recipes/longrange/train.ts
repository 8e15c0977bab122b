/**
 * Training and scoring one model at one pairing distance (one stage of the curriculum): Adam on the binary cross-entropies of
 * the acceptor's logit and of the donor track (SpliceAI's per-position labels; local, so it
 * teaches the motif but not the pairing), full backpropagation through time over the whole sequence, every update
 * on a fresh seeded batch (so every model sees the same number of sequences, `updates · batch`,
 * and none can overfit a finite set). The final weights are scored; nothing is selected on the
 * test set.
 */
import { Adam, F, Tensor, clipGradNorm, noGrad, type Rng } from '../../index.js';
import { acceptorIndex, oneHot, spliceBatch, type SpliceBatch } from './generate.js';
import { averagePrecision, topKAccuracy } from './metrics.js';
import type { LongRangeModel } from './models.js';
import { yieldToEvents } from '../common/interrupt.js';

export interface TrainSettings {
  updates: number;
  batch: number;
  lr: number;
}

export interface TrainOutcome {
  /** Mean training loss over each tenth of the updates. */
  lossCurve: number[];
  trainMs: number;
  /** Training sequences per second (forward + backward + step, data generation excluded). */
  seqPerSec: number;
}

/**
 * The model's input rows [from, site] … T: the whole sequence, or for a model with a finite
 * `window` its last `window` positions up to the site (the acceptor logit is exactly the one
 * the whole sequence gives: nothing earlier is in its receptive field).
 */
export function modelInput(model: LongRangeModel, b: SpliceBatch): { x: Tensor; site: number; donor: Tensor } {
  const g = acceptorIndex(b.d);
  const from = Number.isFinite(model.window) ? Math.max(0, g + 1 - model.window) : 0;
  const to = Number.isFinite(model.window) ? g + 1 : b.T;
  const full = oneHot(b);
  const n = to - from;
  return {
    x: new Tensor(full.slice(from * b.B * 4, to * b.B * 4), [n, b.B, 4]),
    site: g - from,
    donor: new Tensor(Float32Array.from(b.donor.subarray(from * b.B, to * b.B)), [n, b.B]),
  };
}

/**
 * Continue training `model` at distance d for `s.updates` updates (a stage of the curriculum).
 * @param stop polled between updates (Ctrl-C)
 */
export async function trainStage(model: LongRangeModel, d: number, s: TrainSettings, rng: Rng, stop?: () => boolean): Promise<TrainOutcome> {
  const opt = new Adam(model.parameters(), { lr: s.lr });
  const losses: number[] = [];
  let ms = 0;
  model.train();
  for (let u = 0; u < s.updates && !stop?.(); u++) {
    await yieldToEvents(); // lets a Ctrl-C through between updates
    const b = spliceBatch(d, s.batch, rng);
    const inp = modelInput(model, b);
    const t0 = performance.now();
    const out = model.forward(inp.x, inp.site);
    // The donor track is balanced per sequence: one positive against T − 1 negatives.
    const loss = F.add(
      F.bceWithLogits(out.acceptor, new Tensor(Float32Array.from(b.labels), [b.B])),
      F.bceWithLogits(out.donor, inp.donor, { posWeight: new Tensor(Float32Array.of(inp.x.shape[0]!), [1]) }),
    );
    opt.zeroGrad();
    loss.backward();
    clipGradNorm(model.parameters(), 1);
    opt.step();
    ms += performance.now() - t0;
    losses.push(loss.item());
  }
  const tenth = Math.max(1, Math.floor(losses.length / 10));
  const lossCurve = Array.from({ length: Math.ceil(losses.length / tenth) }, (_, i) => {
    const part = losses.slice(i * tenth, (i + 1) * tenth);
    return part.reduce((a, v) => a + v, 0) / part.length;
  });
  return { lossCurve, trainMs: ms, seqPerSec: (1000 * losses.length * s.batch) / Math.max(ms, 1e-9) };
}

export interface TestSet {
  d: number;
  batches: SpliceBatch[];
}

/** `n` held-out sequences in chunks of `chunk` (drawn from their own seed). */
export function testSet(d: number, n: number, chunk: number, rng: Rng): TestSet {
  const batches: SpliceBatch[] = [];
  for (let i = 0; i < n; i += chunk) batches.push(spliceBatch(d, Math.min(chunk, n - i), rng));
  return { d, batches };
}

export interface Score {
  topK: number;
  prAuc: number;
  /** The acceptor logits and labels, in test-set order. */
  scores: Float64Array;
  labels: Uint8Array;
}

export function scoreModel(model: LongRangeModel, test: TestSet): Score {
  model.eval();
  const scores: number[] = [];
  const labels: number[] = [];
  noGrad(() => {
    for (const b of test.batches) {
      const inp = modelInput(model, b);
      scores.push(...model.forward(inp.x, inp.site).acceptor.data);
      labels.push(...b.labels);
    }
  });
  const sc = Float64Array.from(scores);
  const lb = Uint8Array.from(labels);
  return { topK: topKAccuracy(sc, lb), prAuc: averagePrecision(sc, lb), scores: sc, labels: lb };
}
