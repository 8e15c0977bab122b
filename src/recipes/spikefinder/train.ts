/**
 * Training the spike-rate network on random windows of the training cells.
 *
 * Legend: W window in 25 Hz bins, B batch, T4 bins of a neuron.
 */
import { Adam, F, Rng, Tensor, clipGradNorm } from '../../index.js';
import { yieldToEvents } from '../common/interrupt.js';
import { BLOCK, blockSum, normalise, type Dataset } from './data.js';
import { SpikeNet, type NetSpec } from './model.js';

/** A training cell ready for the network: normalised calcium (100 Hz) and spike counts per 25 Hz bin. */
export interface Cell {
  dataset: string;
  index: number;
  x: Float32Array;
  target: Float64Array;
  spikes: Float64Array;
  bins: number;
}

export function cellsOf(ds: Dataset): Cell[] {
  return ds.calcium.map((y, i) => {
    const target = blockSum(ds.spikes[i]!);
    return { dataset: ds.id, index: i, x: normalise(y), target, spikes: ds.spikes[i]!, bins: target.length };
  });
}

export interface TrainOptions {
  epochs: number;
  /** Window length in 25 Hz bins. */
  window: number;
  batchSize: number;
  lr: number;
  /** 'mse' on the counts per bin, or 'corr': 1 − mean Pearson r per window (the score's own measure). */
  loss?: 'mse' | 'corr';
  /** Checked between steps; training returns null once requested. */
  stop?: { readonly requested: boolean };
  onEpoch?: (epoch: number, loss: number) => void;
}

/** One batch of windows: input (W, B, 4) and target (W, B). Windows start at a bin boundary. */
function batchOf(cells: Cell[], picks: { cell: number; start: number }[], W: number): { x: Tensor; y: Tensor } {
  const B = picks.length;
  const x = new Float32Array(W * B * BLOCK);
  const y = new Float32Array(W * B);
  picks.forEach(({ cell, start }, b) => {
    const c = cells[cell]!;
    for (let t = 0; t < W; t++) {
      const bin = start + t;
      x.set(c.x.subarray(bin * BLOCK, (bin + 1) * BLOCK), (t * B + b) * BLOCK);
      y[t * B + b] = c.target[bin]!;
    }
  });
  return { x: new Tensor(x, [W, B, BLOCK]), y: new Tensor(y, [W, B]) };
}

/** Random windows for one epoch: about as many bins as the cells hold, cells drawn by length. */
function epochPicks(cells: Cell[], W: number, rng: Rng): { cell: number; start: number }[] {
  const usable = cells.map((c) => Math.max(0, c.bins - W + 1));
  const total = usable.reduce((a, b) => a + b, 0);
  const n = Math.max(1, Math.round(cells.reduce((a, c) => a + c.bins, 0) / W));
  return Array.from({ length: n }, () => {
    let u = rng.random() * total;
    let i = 0;
    while (i < cells.length - 1 && u >= usable[i]!) u -= usable[i++]!;
    return { cell: i, start: Math.min(usable[i]! - 1, Math.floor(u)) };
  });
}

/** 1 − mean over the batch of the Pearson r along time of out and y (W, B). */
function corrLoss(out: Tensor, y: Tensor): Tensor {
  const po = F.sub(out, F.mean(out, { axis: 0, keepDim: true }));
  const yo = F.sub(y, F.mean(y, { axis: 0, keepDim: true }));
  const num = F.sum(F.mul(po, yo), { axis: 0 });
  const den = F.sqrt(F.addScalar(F.mul(F.sum(F.square(po), { axis: 0 }), F.sum(F.square(yo), { axis: 0 })), 1e-6));
  return F.addScalar(F.neg(F.mean(F.div(num, den))), 1);
}

/**
 * Train a new network of `spec` on `cells` (MSE between predicted and true counts per 40 ms bin;
 * Adam with a cosine-decayed learning rate; gradient norm clipped at 1).
 * @returns the network and the loss per epoch, or null when a stop was requested.
 */
export async function trainNet(spec: NetSpec, cells: Cell[], o: TrainOptions, seed: number): Promise<{ net: SpikeNet; losses: number[] } | null> {
  const rng = new Rng(seed);
  const net = new SpikeNet(spec, rng);
  const W = Math.min(o.window, Math.min(...cells.map((c) => c.bins)));
  const opt = new Adam(net.parameters(), { lr: o.lr });
  const losses: number[] = [];
  const picksPerEpoch = epochPicks(cells, W, rng).length;
  const totalSteps = o.epochs * Math.ceil(picksPerEpoch / o.batchSize);
  let step = 0;
  for (let e = 0; e < o.epochs; e++) {
    net.train();
    const picks = epochPicks(cells, W, rng);
    let sum = 0;
    for (let i = 0; i < picks.length; i += o.batchSize) {
      opt.groups[0]!.lr = o.lr * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * step++) / totalSteps)));
      const { x, y } = batchOf(cells, picks.slice(i, i + o.batchSize), W);
      const out = net.forward(x);
      const loss = o.loss === 'corr' ? corrLoss(out, y) : F.mseLoss(out, y);
      opt.zeroGrad();
      loss.backward();
      clipGradNorm(net.parameters(), 1);
      opt.step();
      sum += loss.item() * Math.min(o.batchSize, picks.length - i);
      if (o.stop) {
        await yieldToEvents();
        if (o.stop.requested) return null;
      }
    }
    losses.push(sum / picks.length);
    o.onEpoch?.(e, sum / picks.length);
  }
  return { net, losses };
}
