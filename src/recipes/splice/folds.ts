/**
 * Stratified splits: every class is shuffled (by an explicit Rng) and dealt out separately, so
 * each fold holds the class proportions of the whole to within one example per class.
 */
import { ValueError, type Rng } from '../../index.js';

/** One train/test partition of example indices. */
export interface Fold {
  train: number[];
  test: number[];
}

function byClass(labels: readonly number[], rng: Rng): number[][] {
  const groups = new Map<number, number[]>();
  labels.forEach((y, i) => {
    if (!groups.has(y)) groups.set(y, []);
    groups.get(y)!.push(i);
  });
  return [...groups.keys()].sort((a, b) => a - b).map((k) => rng.shuffle(groups.get(k)!));
}

/**
 * k stratified folds: example i is in the test set of exactly one fold and in the training set
 * of the other k − 1. Within a class, fold f gets the examples dealt at positions ≡ f (mod k)
 * after a shuffle, with the starting fold rotating between classes so fold sizes stay even.
 * @example const folds = stratifiedKFold(labels, 10, new Rng(0));
 */
export function stratifiedKFold(labels: readonly number[], k: number, rng: Rng): Fold[] {
  if (!Number.isInteger(k) || k < 2) throw new ValueError('stratifiedKFold', 'k an integer >= 2', String(k));
  if (k > labels.length) throw new ValueError('stratifiedKFold', `k <= the number of examples (${labels.length})`, String(k));
  const tests: number[][] = Array.from({ length: k }, () => []);
  let start = 0;
  for (const idx of byClass(labels, rng)) {
    idx.forEach((i, j) => tests[(start + j) % k]!.push(i));
    start = (start + idx.length) % k;
  }
  return tests.map((test, f) => ({
    test: test.sort((a, b) => a - b),
    train: tests.flatMap((t, g) => (g === f ? [] : t)).sort((a, b) => a - b),
  }));
}

/**
 * One stratified split: `testFraction` of every class (rounded, at least one when the class
 * has two or more examples) goes to `test`.
 * @example const { train, test } = stratifiedSplit(labels, 0.1, new Rng(0));
 */
export function stratifiedSplit(labels: readonly number[], testFraction: number, rng: Rng): Fold {
  if (!(testFraction > 0 && testFraction < 1)) throw new ValueError('stratifiedSplit', 'testFraction in (0, 1)', String(testFraction));
  const train: number[] = [];
  const test: number[] = [];
  for (const idx of byClass(labels, rng)) {
    const n = idx.length < 2 ? 0 : Math.min(idx.length - 1, Math.max(1, Math.round(idx.length * testFraction)));
    test.push(...idx.slice(0, n));
    train.push(...idx.slice(n));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

/**
 * A stratified random sample of exactly n indices: each class gets its proportional share,
 * rounded by largest remainder (ties to the lower class id). Returned sorted.
 * @example const keep = stratifiedSample(labels, 1000, new Rng(0)); // as the published protocol's 1,000
 */
export function stratifiedSample(labels: readonly number[], n: number, rng: Rng): number[] {
  if (!Number.isInteger(n) || n < 1 || n > labels.length) throw new ValueError('stratifiedSample', `n an integer in [1, ${labels.length}]`, String(n));
  const groups = byClass(labels, rng);
  const quota = groups.map((g) => (g.length * n) / labels.length);
  const take = quota.map(Math.floor);
  let rest = n - take.reduce((a, b) => a + b, 0);
  const order = quota.map((q, c) => [q - Math.floor(q), c] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let j = 0; rest > 0; j++, rest--) take[order[j]![1]]! += 1;
  return groups.flatMap((g, c) => g.slice(0, take[c])).sort((a, b) => a - b);
}

/** Distinct groups in first-seen order, each with its example indices. */
function byGroup(groups: readonly string[]): number[][] {
  const m = new Map<string, number[]>();
  groups.forEach((g, i) => {
    if (!m.has(g)) m.set(g, []);
    m.get(g)!.push(i);
  });
  return [...m.values()];
}

/**
 * k folds that keep every group whole (a group's examples are all in the same test fold):
 * groups are shuffled, then dealt largest first to the fold with the fewest examples so far
 * (ties: the lower fold), which keeps fold sizes close without looking at the labels.
 * @throws ValueError for fewer groups than folds.
 * @example const folds = groupKFold(['a', 'a', 'b', 'c'], 3, new Rng(0)); // 'a' tested together
 */
export function groupKFold(groups: readonly string[], k: number, rng: Rng): Fold[] {
  if (!Number.isInteger(k) || k < 2) throw new ValueError('groupKFold', 'k an integer >= 2', String(k));
  const members = rng.shuffle(byGroup(groups)).sort((a, b) => b.length - a.length);
  if (members.length < k) throw new ValueError('groupKFold', `at least as many groups as folds (${k})`, `${members.length} groups`);
  const tests: number[][] = Array.from({ length: k }, () => []);
  for (const m of members) {
    let f = 0;
    for (let g = 1; g < k; g++) if (tests[g]!.length < tests[f]!.length) f = g;
    tests[f]!.push(...m);
  }
  return tests.map((test, f) => ({
    test: test.sort((a, b) => a - b),
    train: tests.flatMap((t, g) => (g === f ? [] : t)).sort((a, b) => a - b),
  }));
}

/**
 * One split keeping groups whole: shuffled groups go to `test` until it holds about
 * `testFraction` of the examples (at least one group, and at least one left for `train`).
 * @example const { train, test } = groupSplit(groups, 0.1, new Rng(0));
 */
export function groupSplit(groups: readonly string[], testFraction: number, rng: Rng): Fold {
  if (!(testFraction > 0 && testFraction < 1)) throw new ValueError('groupSplit', 'testFraction in (0, 1)', String(testFraction));
  const members = rng.shuffle(byGroup(groups));
  if (members.length < 2) throw new ValueError('groupSplit', 'at least 2 groups', `${members.length}`);
  const want = testFraction * groups.length;
  const test: number[] = [];
  for (let j = 0; j < members.length - 1 && (test.length === 0 || test.length + members[j]!.length / 2 <= want); j++) test.push(...members[j]!);
  const inTest = new Set(test);
  return { train: groups.map((_, i) => i).filter((i) => !inTest.has(i)), test: test.sort((a, b) => a - b) };
}
