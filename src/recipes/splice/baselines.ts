/**
 * The baselines shown beside every model: the majority class; multinomial logistic regression
 * on the one-hot sequence (L positions × K symbols, e.g. 60 × 4 for splice; position-aware:
 * the strongest simple baseline on aligned windows), its L2 penalty chosen on a validation split
 * of the training fold only; and logistic regression on k-mer counts (position-free: it sees
 * which k-mers occur but not where, so it is weak on splice EI/IE by construction, and strong
 * where a motif may sit anywhere). Fitted full-batch with Adam.
 *
 * Legend: N examples, D features, C classes.
 */
import { Adam, F, Tensor, ValueError, kmerFeatures, noGrad, oneHot, resolveAlphabet, zeros, type AlphabetName, type Rng } from '../../index.js';
import { groupSplit, stratifiedSplit } from './folds.js';

/** The most frequent class id (the lowest id on a tie). */
export function majorityClass(labels: ArrayLike<number>, numClasses: number): number {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]! += 1;
  return counts.indexOf(Math.max(...counts));
}

/**
 * Majority-class "probabilities" (N, C) for n examples: the training class frequencies, the
 * same row for every example (so its AUCs are 0.5 and it predicts the majority class).
 */
export function majorityProbs(trainLabels: ArrayLike<number>, n: number, numClasses: number): Float64Array {
  const prior = new Float64Array(numClasses);
  for (let i = 0; i < trainLabels.length; i++) prior[trainLabels[i]!]! += 1 / trainLabels.length;
  const out = new Float64Array(n * numClasses);
  for (let i = 0; i < n; i++) out.set(prior, i * numClasses);
  return out;
}

export interface LogisticRegressionOptions {
  /** L2 penalty λ on the weights (not the bias): loss = CE + λ/2·‖W‖² (default 1e-3). */
  l2?: number;
  /** Full-batch Adam steps (default 300). */
  iterations?: number;
  /** Adam learning rate (default 0.05). */
  lr?: number;
}

/**
 * Multinomial logistic regression on standardised features (z-scores from the training set).
 * @example const lr = new LogisticRegression({ l2: 1e-3 }).fit(X, y, 3); const p = lr.predictProbs(Xtest);
 */
export class LogisticRegression {
  readonly l2: number;
  readonly iterations: number;
  readonly lr: number;
  private w: Tensor | null = null;
  private b: Tensor | null = null;
  private mu = new Float64Array(0);
  private sd = new Float64Array(0);
  /** Training loss (penalised) after every step. */
  losses: number[] = [];

  constructor(opts: LogisticRegressionOptions = {}) {
    this.l2 = opts.l2 ?? 1e-3;
    this.iterations = opts.iterations ?? 300;
    this.lr = opts.lr ?? 0.05;
    if (!(this.l2 >= 0)) throw new ValueError('LogisticRegression', 'l2 >= 0', String(this.l2));
  }

  private standardise(X: Tensor): Tensor {
    const [N, D] = X.shape as [number, number];
    const out = new Float32Array(N * D);
    for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) out[i * D + j] = (X.data[i * D + j]! - this.mu[j]!) / this.sd[j]!;
    return new Tensor(out, [N, D]);
  }

  /** Fit to X (N, D) and class ids y. Returns this. */
  fit(X: Tensor, y: ArrayLike<number>, numClasses: number): this {
    const [N, D] = X.shape as [number, number];
    if (X.ndim !== 2 || y.length !== N) throw new ValueError('LogisticRegression.fit', `X (N, D) and N=${y.length} labels`, `X ${JSON.stringify(X.shape)}`);
    this.mu = new Float64Array(D);
    this.sd = new Float64Array(D);
    for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) this.mu[j]! += X.data[i * D + j]! / N;
    for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) this.sd[j]! += (X.data[i * D + j]! - this.mu[j]!) ** 2 / N;
    for (let j = 0; j < D; j++) this.sd[j] = Math.sqrt(this.sd[j]!) || 1; // constant feature → divide by 1
    const Z = this.standardise(X);
    const w = zeros([numClasses, D], { requiresGrad: true });
    const b = zeros([numClasses], { requiresGrad: true });
    const opt = new Adam([w, b], { lr: this.lr });
    const target = Int32Array.from(y as ArrayLike<number>);
    this.losses = [];
    for (let it = 0; it < this.iterations; it++) {
      const ce = F.crossEntropy(F.linear(Z, w, b), target);
      const loss = F.add(ce, F.mulScalar(F.sum(F.square(w)), this.l2 / 2));
      opt.zeroGrad();
      loss.backward();
      opt.step();
      this.losses.push(loss.item());
    }
    this.w = w;
    this.b = b;
    return this;
  }

  /** Class probabilities (N, C) row-major. */
  predictProbs(X: Tensor): Float64Array {
    if (!this.w || !this.b) throw new ValueError('LogisticRegression.predictProbs', 'a fitted model (call fit first)', 'an unfitted one');
    const w = this.w;
    const b = this.b;
    return noGrad(() => Float64Array.from(F.softmax(F.linear(this.standardise(X), w, b), -1).data));
  }
}

/**
 * Fit k-mer logistic regression on training sequences and score test sequences.
 * @example const probs = kmerLogisticBaseline(trainSeqs, trainY, testSeqs, 3);
 */
export function kmerLogisticBaseline(
  trainSeqs: readonly string[], trainLabels: ArrayLike<number>, testSeqs: readonly string[], numClasses: number,
  opts: LogisticRegressionOptions & { ks?: readonly number[]; alphabet?: AlphabetName } = {},
): Float64Array {
  const { ks = [1, 2, 3], alphabet = 'dna', ...lr } = opts;
  const model = new LogisticRegression(lr).fit(kmerFeatures(trainSeqs, ks, alphabet), trainLabels, numClasses);
  return model.predictProbs(kmerFeatures(testSeqs, ks, alphabet));
}


/**
 * One-hot features (N, L·K) of sequences; ambiguity codes fractional, as the encoder does.
 * Position p of every sequence is feature block p: shorter sequences are zero-padded at the
 * end and longer ones cut to `L` (default: the first sequence's length; then all must have it).
 */
export function oneHotFeatures(seqs: readonly string[], alphabet: AlphabetName = 'dna', length?: number): Tensor {
  const L = length ?? seqs[0]?.length ?? 0;
  const K = resolveAlphabet(alphabet).symbols.length;
  const out = new Float32Array(seqs.length * L * K);
  seqs.forEach((s, i) => {
    if (length === undefined && s.length !== L) throw new ValueError('oneHotFeatures', `sequences of one length (${L})`, `length ${s.length} at ${i}`);
    out.set(oneHot(s.length > L ? s.slice(0, L) : s, alphabet), i * L * K);
  });
  return new Tensor(out, [seqs.length, L * K]);
}

/** The L2 grid the one-hot baseline chooses from. */
export const ONEHOT_L2_GRID: readonly number[] = Object.freeze([1e-4, 1e-3, 1e-2, 1e-1, 1]);

/** Mean cross-entropy of probabilities (N, C) on labels. */
function logLoss(probs: Float64Array, y: ArrayLike<number>, C: number): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s -= Math.log(Math.max(probs[i * C + y[i]!]!, 1e-12));
  return s / Math.max(1, y.length);
}

/**
 * Position-aware baseline: multinomial L2 logistic regression on the one-hot sequence (padded
 * to the longest training sequence; see {@link oneHotFeatures}). The L2
 * strength is chosen from `grid` by the log-loss on a stratified `valFraction` of the training
 * set (the test set is never seen), then the model is refitted on the whole training set.
 * @example const { probs, l2 } = oneHotLogisticBaseline(trainSeqs, trainY, testSeqs, 3, new Rng(0));
 */
export function oneHotLogisticBaseline(
  trainSeqs: readonly string[], trainLabels: ArrayLike<number>, testSeqs: readonly string[], numClasses: number, rng: Rng,
  opts: { grid?: readonly number[]; valFraction?: number; iterations?: number; alphabet?: AlphabetName; groups?: readonly string[] } = {},
): { probs: Float64Array; l2: number; valLoss: number[] } {
  const { grid = ONEHOT_L2_GRID, valFraction = 0.2, iterations, alphabet = 'dna', groups } = opts;
  const y = Array.from(trainLabels);
  const L = Math.max(...trainSeqs.map((s) => s.length));
  const X = oneHotFeatures(trainSeqs, alphabet, L);
  // Grouped data: the validation part holds whole groups, as the test folds do.
  const split = groups ? groupSplit(groups, valFraction, rng) : stratifiedSplit(y, valFraction, rng);
  const rows = (idx: number[]): Tensor => {
    const D = X.shape[1]!;
    const out = new Float32Array(idx.length * D);
    idx.forEach((i, j) => out.set(X.data.subarray(i * D, (i + 1) * D), j * D));
    return new Tensor(out, [idx.length, D]);
  };
  const [Xfit, Xval] = [rows(split.train), rows(split.test)];
  const [yFit, yVal] = [split.train.map((i) => y[i]!), split.test.map((i) => y[i]!)];
  const it = iterations === undefined ? {} : { iterations };
  const valLoss = grid.map((l2) => logLoss(new LogisticRegression({ l2, ...it }).fit(Xfit, yFit, numClasses).predictProbs(Xval), yVal, numClasses));
  let best = 0;
  for (let k = 1; k < grid.length; k++) if (valLoss[k]! < valLoss[best]!) best = k;
  const l2 = grid[best]!;
  const model = new LogisticRegression({ l2, ...it }).fit(X, y, numClasses);
  return { probs: model.predictProbs(oneHotFeatures(testSeqs, alphabet, L)), l2, valLoss };
}
