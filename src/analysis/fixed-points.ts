/**
 * Fixed and slow points of a recurrent step map (Sussillo & Barak 2013; Golub & Sussillo 2018,
 * FixedPointFinder): minimise q(s) = ½‖F(s, x*) − s‖² from many initial states with autograd
 * and Adam, batched over the initial states; keep fixed points (q < tolFixed) and slow points
 * (q < tolSlow); deduplicate; linearise (closed-form Jacobian) and classify by the eigenvalues
 * of the discrete-time map: stable (all |λ| < 1), unstable (all > 1), saddle (mixed), marginal
 * (|λ| ≈ 1 in some directions, none unstable) — one real λ ≈ 1 with the rest inside the unit
 * circle marks a point of a line attractor / slow manifold.
 * State convention as cell.ts: s = h (RNN, GRU) or [h, c] (LSTM).
 */
import { Tensor } from '../tensor/tensor.js';
import { backward } from '../autograd/engine.js';
import { sub, square, mulScalar } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import type { Rng } from '../util/rng.js';
import { checkOptions } from '../ops/checks.js';
import { ShapeError, ValueError } from '../util/errors.js';
import { fmtShape } from '../util/shape.js';
import { stepTensor, stepValues, trajectory, type Cell } from './cell.js';
import { jacobian } from './jacobian.js';
import { modulus, solve, type Complex, type Matrix } from './linalg.js';
import { eigenvalues, realEigenvector, svd } from './eig.js';

export type Stability = 'stable' | 'unstable' | 'saddle' | 'marginal';

export interface FixedPoint {
  state: number[];
  q: number;
  /** 'fixed' when q < tolFixed, else 'slow' (q < tolSlow). */
  kind: 'fixed' | 'slow';
  stability: Stability;
  jacobian: Matrix;
  /** Sorted by modulus, largest first. */
  eigenvalues: Complex[];
  /** Directions with |λ| > 1 + tolUnit. */
  unstableDims: number;
  /** Directions with ||λ| − 1| ≤ tolUnit. */
  marginalDims: number;
  /** One real marginal eigenvalue, none unstable: a point of a line attractor / 1-D slow manifold. */
  lineAttractor: boolean;
  /** Unit eigenvector of the real eigenvalue closest to +1 when lineAttractor; else null. */
  slowDirection: number[] | null;
  /** Number of optimised candidates that ended at this point. */
  count: number;
}

export interface FixedPointOptions {
  /** Initial states: (N, S) tensor, flat N·S array, or N rows. Use {@link sampleStates} for trajectory samples. */
  initialStates: Tensor | ArrayLike<number> | readonly (readonly number[])[];
  /** The constant input x* (default zeros). */
  input?: ArrayLike<number>;
  /** Std of Gaussian noise added to the initial states (default 0); needs `rng`. */
  noise?: number;
  rng?: Rng;
  /** Adam iterations (default 2000) and initial learning rate (default 1e-2, adapted per candidate). */
  maxIters?: number;
  lr?: number;
  /** A candidate stops moving once its q < tolQ (default tolFixed). */
  tolQ?: number;
  tolFixed?: number; // default 1e-12
  tolSlow?: number; // default 1e-6
  /** Candidates closer than this (Euclidean) are one point (default 1e-3). */
  tolUnique?: number;
  /** |λ| within tolUnit of 1 counts as marginal (default 1e-3). */
  tolUnit?: number;
  /** Newton refinement steps for candidates with q < polishBelow, kept only while q decreases (default 8, 1e-8). */
  newtonSteps?: number;
  polishBelow?: number;
}

export interface FixedPointResult {
  /** Unique fixed and slow points, by q ascending. */
  points: FixedPoint[];
  /** Every optimised candidate with its final q. */
  candidates: { state: number[]; q: number }[];
  /** Mean and max q over candidates every 50 iterations. */
  qHistory: { iter: number; mean: number; max: number }[];
}

function initialMatrix(init: FixedPointOptions['initialStates'], S: number): Float64Array {
  if (init instanceof Tensor) {
    if (init.ndim !== 2 || init.shape[1] !== S) throw new ShapeError('findFixedPoints: initialStates', `shape (N, ${S})`, fmtShape(init.shape));
    return Float64Array.from(init.data);
  }
  const rows = init as readonly (readonly number[])[];
  const flat = rows.length && Array.isArray(rows[0]) ? Float64Array.from(rows.flat()) : Float64Array.from(init as ArrayLike<number>);
  if (flat.length === 0 || flat.length % S !== 0) throw new ShapeError('findFixedPoints: initialStates', `N·${S} values`, String(flat.length));
  return flat;
}

const qOf = (cell: Cell, s: ArrayLike<number>, x: ArrayLike<number>): number => {
  const f = stepValues(cell, s, x);
  let q = 0;
  for (let i = 0; i < f.length; i++) q += (f[i]! - s[i]!) ** 2;
  return q / 2;
};

/** Adam on q, batched: one autograd pass per iteration gives every candidate's gradient. */
function optimise(cell: Cell, S0: Float64Array, x: Float64Array, o: Required<Pick<FixedPointOptions, 'maxIters' | 'lr' | 'tolQ'>>): { S: Float64Array; q: Float64Array; hist: FixedPointResult['qHistory'] } {
  const S = cell.stateSize;
  const N = S0.length / S;
  const X = new Tensor(Float64Array.from({ length: N * x.length }, (_, i) => x[i % x.length]!), [N, x.length]);
  const s = new Tensor(S0.slice(), [N, S], { requiresGrad: true });
  const m = new Float64Array(N * S);
  const v = new Float64Array(N * S);
  const lr = new Float64Array(N).fill(o.lr);
  const q = new Float64Array(N).fill(Infinity);
  const done = new Uint8Array(N);
  const hist: FixedPointResult['qHistory'] = [];
  const [b1, b2, eps] = [0.9, 0.999, 1e-12];
  for (let it = 1; it <= o.maxIters; it++) {
    s.grad = null;
    const d = sub(stepTensor(cell, s, X), s);
    backward(mulScalar(sum(square(d)), 0.5));
    const g = s.grad!.data;
    let active = 0;
    for (let n = 0; n < N; n++) {
      if (done[n]) continue;
      let qn = 0;
      for (let j = 0; j < S; j++) qn += d.data[n * S + j]! ** 2;
      qn /= 2;
      // Per-candidate adaptive step (FixedPointFinder): grow while q falls, halve when it rises.
      lr[n] = qn <= q[n]! ? Math.min(lr[n]! * 1.05, o.lr) : lr[n]! * 0.5;
      q[n] = qn;
      if (qn < o.tolQ) {
        done[n] = 1;
        continue;
      }
      active++;
      for (let j = 0; j < S; j++) {
        const i = n * S + j;
        m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
        v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
        s.data[i] -= (lr[n]! * (m[i]! / (1 - b1 ** it))) / (Math.sqrt(v[i]! / (1 - b2 ** it)) + eps);
      }
    }
    if (it % 50 === 0 || active === 0) hist.push({ iter: it, mean: q.reduce((a, b) => a + b, 0) / N, max: Math.max(...q) });
    if (active === 0) break;
  }
  const out = Float64Array.from(s.data);
  for (let n = 0; n < N; n++) q[n] = qOf(cell, out.subarray(n * S, (n + 1) * S), x);
  return { S: out, q, hist };
}

/** Newton steps s ← s − (J − I)⁻¹(F(s) − s), each kept only if q decreases. */
function polish(cell: Cell, s: Float64Array, x: Float64Array, steps: number): { s: Float64Array; q: number } {
  let cur = s;
  let q = qOf(cell, cur, x);
  for (let k = 0; k < steps && q > 0; k++) {
    const J = jacobian(cell, cur, x);
    for (let i = 0; i < J.rows; i++) J.data[i * J.cols + i] -= 1;
    const f = stepValues(cell, cur, x);
    const r = f.map((v, i) => v - cur[i]!);
    const delta = solve(J, r);
    const next = cur.map((v, i) => v - delta[i]!);
    const qn = qOf(cell, next, x);
    if (!(qn < q)) break;
    cur = next;
    q = qn;
  }
  return { s: cur, q };
}

/** Classify a point by the eigenvalues of the Jacobian of the discrete-time map. */
export function classify(ev: readonly Complex[], tolUnit = 1e-3): { stability: Stability; unstableDims: number; marginalDims: number; lineAttractor: boolean } {
  let unstable = 0;
  let marginal = 0;
  for (const e of ev) {
    const r = modulus(e);
    if (r > 1 + tolUnit) unstable++;
    else if (r >= 1 - tolUnit) marginal++;
  }
  const stable = ev.length - unstable - marginal;
  const stability: Stability = marginal === 0 ? (unstable === 0 ? 'stable' : stable === 0 ? 'unstable' : 'saddle') : unstable === 0 ? 'marginal' : 'saddle';
  const realMarginal = ev.filter((e) => e.im === 0 && e.re > 0 && Math.abs(e.re - 1) <= tolUnit).length;
  return { stability, unstableDims: unstable, marginalDims: marginal, lineAttractor: marginal === 1 && unstable === 0 && realMarginal === 1 };
}

/**
 * Find, deduplicate, linearise and classify the fixed and slow points of a cell at input x*.
 * @example
 * const init = sampleStates(cell, xs, { count: 256, noise: 0.05, rng });
 * const { points } = findFixedPoints(cell, { initialStates: init, input: [0, 0, 0] });
 */
export function findFixedPoints(cell: Cell, opts: FixedPointOptions): FixedPointResult {
  checkOptions('findFixedPoints', opts, [
    'initialStates', 'input', 'noise', 'rng', 'maxIters', 'lr', 'tolQ', 'tolFixed', 'tolSlow', 'tolUnique', 'tolUnit', 'newtonSteps', 'polishBelow',
  ]);
  const S = cell.stateSize;
  const tolFixed = opts.tolFixed ?? 1e-12;
  const tolSlow = opts.tolSlow ?? 1e-6;
  const tolUnique = opts.tolUnique ?? 1e-3;
  const tolUnit = opts.tolUnit ?? 1e-3;
  const x = Float64Array.from(opts.input ?? new Float64Array(cell.inputSize));
  if (x.length !== cell.inputSize) throw new ShapeError('findFixedPoints: input', `an input of size ${cell.inputSize}`, String(x.length));
  if (!(tolFixed <= tolSlow)) throw new ValueError('findFixedPoints', 'tolFixed <= tolSlow', `${tolFixed} > ${tolSlow}`);
  const S0 = initialMatrix(opts.initialStates, S);
  if (opts.noise) {
    if (!opts.rng) throw new ValueError('findFixedPoints', 'an rng with noise', 'no rng');
    for (let i = 0; i < S0.length; i++) S0[i] += opts.noise * opts.rng.normal();
  }
  const run = optimise(cell, S0, x, { maxIters: opts.maxIters ?? 2000, lr: opts.lr ?? 1e-2, tolQ: opts.tolQ ?? tolFixed });
  const N = S0.length / S;
  const cands = Array.from({ length: N }, (_, n) => {
    let st = run.S.subarray(n * S, (n + 1) * S) as Float64Array;
    let q = run.q[n]!;
    if (q < (opts.polishBelow ?? 1e-8)) ({ s: st, q } = polish(cell, st.slice(), x, opts.newtonSteps ?? 8));
    return { state: Array.from(st), q };
  });
  const kept: { state: number[]; q: number; count: number }[] = [];
  for (const c of [...cands].sort((a, b) => a.q - b.q)) {
    if (!(c.q < tolSlow)) continue;
    const near = kept.find((k) => Math.hypot(...k.state.map((v, i) => v - c.state[i]!)) < tolUnique);
    if (near) near.count++;
    else kept.push({ ...c, count: 1 });
  }
  const points = kept.map((k): FixedPoint => {
    const J = jacobian(cell, k.state, x);
    const ev = eigenvalues(J);
    const cls = classify(ev, tolUnit);
    let slowDirection: number[] | null = null;
    if (cls.lineAttractor) {
      const lam = ev.filter((e) => e.im === 0).reduce((a, b) => (Math.abs(b.re - 1) < Math.abs(a.re - 1) ? b : a));
      slowDirection = Array.from(realEigenvector(J, lam.re));
    }
    return { state: k.state, q: k.q, kind: k.q < tolFixed ? 'fixed' : 'slow', jacobian: J, eigenvalues: ev, ...cls, slowDirection, count: k.count };
  });
  return { points, candidates: cands, qHistory: run.hist };
}

export interface SampleStatesOptions {
  /** Number of states to draw (default 128). */
  count?: number;
  /** Std of Gaussian noise added to each state (default 0). */
  noise?: number;
  rng: Rng;
  /** Initial state (B·S) of the trajectories (default zeros). */
  s0?: ArrayLike<number>;
}

/**
 * States visited by the cell on real inputs xs (T, B, I), drawn uniformly over (t, b), plus
 * noise: the initial states FixedPointFinder recommends. Returns a flat (count·S) array.
 */
export function sampleStates(cell: Cell, xs: Tensor, opts: SampleStatesOptions): Float64Array {
  checkOptions('sampleStates', opts, ['count', 'noise', 'rng', 's0']);
  const traj = trajectory(cell, xs, opts.s0);
  const S = cell.stateSize;
  const total = traj.length / S;
  const count = opts.count ?? 128;
  const out = new Float64Array(count * S);
  for (let n = 0; n < count; n++) {
    const r = opts.rng.int(total);
    for (let j = 0; j < S; j++) out[n * S + j] = traj[r * S + j]! + (opts.noise ? opts.noise * opts.rng.normal() : 0);
  }
  return out;
}

export interface SlowManifold {
  /** Fractions of the points' variance along their principal axes (descending). */
  explainedVariance: number[];
  /** First principal axis of the point cloud. */
  direction: number[];
  /** Mean |cos| between each line-attractor point's slowDirection and `direction` (NaN if none). */
  alignment: number;
  /** Share of the points with the line-attractor signature. */
  lineAttractorShare: number;
  /** The points lie along one axis (≥ minVariance), are locally marginal along it (alignment and share ≥ minAlignment). */
  isLineAttractor: boolean;
}

/** Does a set of slow/fixed points form a line attractor? PCA of the locations vs local slow directions. */
export function slowManifold(points: readonly FixedPoint[], opts: { minVariance?: number; minAlignment?: number } = {}): SlowManifold {
  if (points.length < 2) throw new ValueError('slowManifold', 'at least 2 points', String(points.length));
  const S = points[0]!.state.length;
  const mean = Array.from({ length: S }, (_, j) => points.reduce((a, p) => a + p.state[j]!, 0) / points.length);
  const centred = points.map((p) => p.state.map((v, j) => v - mean[j]!));
  const { s, V } = svd(centred);
  const tot = s.reduce((a, v) => a + v * v, 0) || 1;
  const explainedVariance = s.map((v) => (v * v) / tot);
  const direction = Array.from({ length: S }, (_, j) => V.data[j * V.cols]!);
  const line = points.filter((p) => p.slowDirection);
  const alignment = line.length ? line.reduce((a, p) => a + Math.abs(p.slowDirection!.reduce((d, v, j) => d + v * direction[j]!, 0)), 0) / line.length : NaN;
  const share = line.length / points.length;
  const minA = opts.minAlignment ?? 0.9;
  return {
    explainedVariance, direction, alignment, lineAttractorShare: share,
    isLineAttractor: explainedVariance[0]! >= (opts.minVariance ?? 0.9) && alignment >= minA && share >= minA,
  };
}
