/**
 * A small DataLoader over array-backed datasets: per-epoch (optionally shuffled) orders cut
 * into batches, and chronological / random splits. Shuffling draws from an explicit `Rng`, so
 * a run is reproduced by the generator's seed, and resumed exactly by its saved state.
 */
import type { Rng } from '../util/rng.js';
import { OptionError, ValueError } from '../util/errors.js';

export interface BatchOptions {
  /** Examples per batch (integer >= 1). */
  batchSize: number;
  /** Shuffle the order each epoch (default false); needs `rng`. */
  shuffle?: boolean;
  /** Source of the shuffle (required when shuffle is true). */
  rng?: Rng;
  /** Drop the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
}

const BATCH_KEYS = ['batchSize', 'shuffle', 'rng', 'dropLast'];

function checkBatchOptions(where: string, n: number, opts: BatchOptions): void {
  for (const k of Object.keys(opts)) {
    if (!BATCH_KEYS.includes(k)) throw new OptionError(where, `options among {${BATCH_KEYS.join(', ')}}`, `unknown option '${k}'`);
  }
  if (!Number.isInteger(n) || n < 0) throw new ValueError(where, 'a dataset size n >= 0', String(n));
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new ValueError(where, 'batchSize an integer >= 1', String(opts.batchSize));
  if (opts.shuffle && !opts.rng) throw new OptionError(where, 'an rng when shuffle is true', 'no rng');
}

/**
 * The example order of one epoch: 0…n−1, or a Fisher–Yates shuffle of it drawn from `rng`
 * (n − 1 draws).
 */
export function epochOrder(n: number, opts: { shuffle?: boolean; rng?: Rng } = {}): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  if (!opts.shuffle) return order;
  if (!opts.rng) throw new OptionError('epochOrder', 'an rng when shuffle is true', 'no rng');
  return opts.rng.shuffle(order);
}

/** Cut an order into consecutive batches of `batchSize` indices (the last may be short unless dropLast). */
export function chunkOrder(order: readonly number[], batchSize: number, dropLast = false): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) {
    const b = order.slice(i, i + batchSize);
    if (b.length < batchSize && dropLast) break;
    out.push(b);
  }
  return out;
}

/**
 * The batches of indices of one epoch over a dataset of n examples.
 * @example
 * for (const idx of batchIndices(1000, { batchSize: 32, shuffle: true, rng })) train(select(data, idx));
 */
export function batchIndices(n: number, opts: BatchOptions): number[][] {
  checkBatchOptions('batchIndices', n, opts);
  return chunkOrder(epochOrder(n, opts), opts.batchSize, opts.dropLast ?? false);
}

/**
 * The batches of examples of one epoch (the order is drawn when this is called).
 * @example
 * const rng = new Rng(0);
 * for (let epoch = 0; epoch < 10; epoch++) {
 *   for (const examples of batches(train, { batchSize: 16, shuffle: true, rng })) step(collateSequences(examples));
 * }
 */
export function batches<E>(dataset: readonly E[], opts: BatchOptions): E[][] {
  checkBatchOptions('batches', dataset.length, opts);
  return batchIndices(dataset.length, opts).map((idx) => select(dataset, idx));
}

/** The examples at `indices`, in that order. */
export function select<E>(dataset: readonly E[], indices: readonly number[]): E[] {
  return indices.map((i) => {
    if (!Number.isInteger(i) || i < 0 || i >= dataset.length) throw new ValueError('select', `indices in [0, ${dataset.length})`, String(i));
    return dataset[i]!;
  });
}

/** Split sizes as PyTorch's `random_split` with fractions: floors, then the remainder one by one from the first split. */
function splitSizes(where: string, n: number, fractions: readonly number[]): number[] {
  if (!Number.isInteger(n) || n < 0) throw new ValueError(where, 'n an integer >= 0', String(n));
  if (fractions.length === 0 || fractions.some((f) => !(f >= 0 && f <= 1))) {
    throw new ValueError(where, 'fractions in [0, 1]', `[${fractions.join(', ')}]`);
  }
  const total = fractions.reduce((a, b) => a + b, 0);
  if (Math.abs(total - 1) > 1e-9) throw new ValueError(where, 'fractions summing to 1', String(total));
  const sizes = fractions.map((f) => Math.floor(n * f));
  let rest = n - sizes.reduce((a, b) => a + b, 0);
  for (let i = 0; rest > 0; i = (i + 1) % sizes.length, rest--) sizes[i]! += 1;
  return sizes;
}

function cut(order: readonly number[], sizes: readonly number[]): number[][] {
  let at = 0;
  return sizes.map((s) => order.slice(at, (at += s)));
}

/**
 * Contiguous index ranges in time order (train on the past, validate on the future), no shuffling.
 * @example
 * const [train, val] = splitChronological(1000, [0.8, 0.2]); // [0..799], [800..999]
 */
export function splitChronological(n: number, fractions: readonly number[]): number[][] {
  return cut(epochOrder(n), splitSizes('splitChronological', n, fractions));
}

/**
 * Disjoint random index sets (PyTorch's `random_split` with fractions) from one shuffle of 0…n−1.
 * @example
 * const [train, val, test] = randomSplit(1000, [0.8, 0.1, 0.1], new Rng(0));
 */
export function randomSplit(n: number, fractions: readonly number[], rng: Rng): number[][] {
  const sizes = splitSizes('randomSplit', n, fractions);
  return cut(epochOrder(n, { shuffle: true, rng }), sizes);
}
