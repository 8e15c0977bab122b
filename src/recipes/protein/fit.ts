/**
 * Training of the ΔΔG network: AdamW on the mean squared error of standardised ΔΔG, a step per
 * group of proteins (all their training mutations), gradient clipping, early stopping on the
 * per-protein Pearson of an inner validation set (the best epoch's weights are kept).
 */
import { AdamW, F, Tensor, clipGradNorm, noGrad, type Rng } from '../../index.js';
import { perProtein } from './metrics.js';
import { StabilityNet, makeBatch, type MutInput, type SeqInput, type StabilityNetSpec } from './model.js';

export interface FitOptions {
  spec: StabilityNetSpec;
  maxEpochs: number;
  patience: number;
  lr: number;
  weightDecay: number;
  /** Proteins per optimizer step. */
  proteinsPerStep: number;
  rng: Rng;
  onEpoch?: (e: EpochRecord) => void;
}

export interface EpochRecord { epoch: number; trainLoss: number; valPearson: number; ms: number }

/**
 * A trained network and the scale of its outputs: ΔΔG ≈ mu + sd·output, with mu the training mean
 * and sd the mean within-protein standard deviation (the network learns within-protein z-scores).
 */
export interface FittedNet { net: StabilityNet; mu: number; sd: number; bestEpoch: number; history: EpochRecord[] }

/** The inputs of one data set as the model reads them (sequences, mutations, targets). */
export interface ModelData { seqs: SeqInput[]; muts: MutInput; y: Float64Array }

function byProtein(m: MutInput, rows: readonly number[]): Map<number, number[]> {
  const g = new Map<number, number[]>();
  for (const r of rows) {
    const s = m.seq[r]!;
    if (!g.has(s)) g.set(s, []);
    g.get(s)!.push(r);
  }
  return g;
}

/** Predicted ΔΔG (kcal/mol) of `rows`, in their order. */
export function predictRows(f: Pick<FittedNet, 'net' | 'mu' | 'sd'>, data: Pick<ModelData, 'seqs' | 'muts'>, rows: readonly number[], proteinsPerBatch = 16): Float64Array {
  f.net.eval();
  const out = new Float64Array(rows.length);
  const where = new Map(rows.map((r, i) => [r, i]));
  const groups = [...byProtein(data.muts, rows)];
  noGrad(() => {
    for (let i = 0; i < groups.length; i += proteinsPerBatch) {
      const chunk = groups.slice(i, i + proteinsPerBatch);
      const rs = chunk.flatMap(([, g]) => g);
      const y = f.net.forward(makeBatch(data.seqs, chunk.map(([s]) => s), data.muts, rs, f.net.spec.rsa)).data;
      rs.forEach((r, j) => { out[where.get(r)!] = f.mu + f.sd * y[j]!; });
    }
  });
  return out;
}

/**
 * Training targets standardised within each protein: the metric is a within-protein correlation,
 * so a protein's mean and spread of ΔΔG are nuisance the loss should not spend capacity on.
 */
function withinProtein(y: Float64Array, groups: [number, number[]][]): { z: Map<number, number>; sd: number } {
  const z = new Map<number, number>();
  let sdSum = 0;
  for (const [, g] of groups) {
    const m = g.reduce((a, r) => a + y[r]!, 0) / g.length;
    const s = Math.sqrt(g.reduce((a, r) => a + (y[r]! - m) ** 2, 0) / g.length) || 1;
    sdSum += s;
    for (const r of g) z.set(r, (y[r]! - m) / s);
  }
  return { z, sd: sdSum / groups.length };
}

function trainEpoch(net: StabilityNet, opt: AdamW, data: ModelData, groups: [number, number[]][], z: Map<number, number>, o: FitOptions): number {
  net.train();
  const order = o.rng.shuffle(groups.map((_, i) => i));
  let sum = 0;
  let n = 0;
  for (let i = 0; i < order.length; i += o.proteinsPerStep) {
    const chunk = order.slice(i, i + o.proteinsPerStep).map((k) => groups[k]!);
    const rows = chunk.flatMap(([, g]) => g);
    const target = new Tensor(Float32Array.from(rows, (r) => z.get(r)!), [rows.length]);
    const loss = F.mseLoss(net.forward(makeBatch(data.seqs, chunk.map(([s]) => s), data.muts, rows, o.spec.rsa)), target);
    opt.zeroGrad();
    loss.backward();
    clipGradNorm(net.parameters(), 1);
    opt.step();
    sum += loss.item() * rows.length;
    n += rows.length;
  }
  return sum / n;
}

/**
 * Train one network on `train` rows, early-stopped on `val` rows (per-protein Pearson).
 * @example const f = fitNet(data, fold.train, inner.test, { spec, maxEpochs: 30, patience: 5, lr: 3e-3, weightDecay: 1e-4, proteinsPerStep: 4, rng });
 */
export function fitNet(data: ModelData, train: readonly number[], val: readonly number[], o: FitOptions): FittedNet {
  const net = new StabilityNet(o.spec, o.rng);
  const opt = new AdamW(net.parameters(), { lr: o.lr, weightDecay: o.weightDecay });
  const groups = [...byProtein(data.muts, train)].sort((a, b) => a[0] - b[0]);
  const { z, sd } = withinProtein(data.y, groups);
  const mu = train.reduce((a, r) => a + data.y[r]!, 0) / train.length;
  const valTruth = Float64Array.from(val, (r) => data.y[r]!);
  const history: EpochRecord[] = [];
  let best = { epoch: -1, score: -Infinity, state: [] as Float32Array[] };
  for (let epoch = 0; epoch < o.maxEpochs && epoch - best.epoch <= o.patience; epoch++) {
    const t0 = Date.now();
    const trainLoss = trainEpoch(net, opt, data, groups, z, o);
    const valPearson = perProtein(val, data.muts.seq, predictRows({ net, mu, sd }, data, val), valTruth).pearson;
    const rec = { epoch, trainLoss, valPearson, ms: Date.now() - t0 };
    history.push(rec);
    o.onEpoch?.(rec);
    if (valPearson > best.score) best = { epoch, score: valPearson, state: net.parameters().map((p) => Float32Array.from(p.data)) };
  }
  if (best.state.length) net.parameters().forEach((p, i) => p.data.set(best.state[i]!));
  return { net, mu, sd, bestEpoch: best.epoch, history };
}

/** The model's view of the loaded data (proteins as sequences, mutations as columns, ΔΔG as target). */
export function modelData(d: { proteins: SeqInput[]; protein: Int32Array; pos: Int32Array; wt: Int32Array; mut: Int32Array; ddg: Float64Array }): ModelData {
  return { seqs: d.proteins, muts: { seq: d.protein, pos: d.pos, wt: d.wt, mut: d.mut }, y: d.ddg };
}
