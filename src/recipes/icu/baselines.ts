/**
 * Non-recurrent baselines: per-variable summary features of the 48 h and an L2-regularised
 * logistic regression fitted by Newton's method, λ chosen on the training fold's validation part.
 *
 * `summary`: per variable first, last, min, max, mean (winsorised z-scores; 0 = mean when never
 * observed), log(1 + count) and presence, plus age, gender and ICU type — the strong baseline.
 * `summary-mean`: per variable mean and presence only, plus the same descriptors.
 */
import type { IrregularData } from './data.js';
import { fitScaler, scaleValue, staticMatrix, type Scaler } from './features.js';
import { rocAuc } from '../../index.js';

export type SummaryKind = 'summary' | 'summary-mean';
export const LR_LAMBDAS = [1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1];
const LR_STATICS = ['Age', 'Gender', 'ICUType'];

/** The summary features of every stay (rows) for one fold's scaler. */
export function summaryFeatures(data: IrregularData, s: Scaler, train: readonly number[], kind: SummaryKind): Float64Array[] {
  const V = data.variables.length;
  const per = kind === 'summary' ? 7 : 2;
  // PhysioNet: age, gender and ICU type (as the measured baseline); a user's data: all its descriptors.
  const physio = data.staticNames.filter((n) => LR_STATICS.includes(n));
  const st = staticMatrix(data, train, physio.length ? physio : data.staticNames);
  return data.stays.map((stay, i) => {
    const f = new Float64Array(V * per + st.cols.length);
    const first = new Float64Array(V).fill(NaN);
    const last = new Float64Array(V);
    const min = new Float64Array(V).fill(Infinity);
    const max = new Float64Array(V).fill(-Infinity);
    const sum = new Float64Array(V);
    const cnt = new Float64Array(V);
    const obs = [...stay.obs].sort((a, b) => a.t - b.t);
    for (const o of obs) {
      const z = scaleValue(s, o.v, o.value);
      if (Number.isNaN(first[o.v]!)) first[o.v] = z;
      last[o.v] = z;
      min[o.v] = Math.min(min[o.v]!, z);
      max[o.v] = Math.max(max[o.v]!, z);
      sum[o.v]! += z;
      cnt[o.v]! += 1;
    }
    for (let v = 0; v < V; v++) {
      const seen = cnt[v]! > 0;
      const row = kind === 'summary'
        ? [seen ? first[v]! : 0, seen ? last[v]! : 0, seen ? min[v]! : 0, seen ? max[v]! : 0, seen ? sum[v]! / cnt[v]! : 0, Math.log1p(cnt[v]!), seen ? 1 : 0]
        : [seen ? sum[v]! / cnt[v]! : 0, seen ? 1 : 0];
      f.set(row, v * per);
    }
    f.set(st.rows[i]!, V * per);
    return f;
  });
}

/** Standardise columns with the training rows' mean/std (in place). */
export function standardiseColumns(X: Float64Array[], train: readonly number[]): void {
  const p = X[0]!.length;
  for (let j = 0; j < p; j++) {
    let m = 0;
    for (const i of train) m += X[i]![j]!;
    m /= train.length;
    let v = 0;
    for (const i of train) v += (X[i]![j]! - m) ** 2;
    const sd = Math.sqrt(v / train.length) || 1;
    for (const row of X) row[j] = (row[j]! - m) / sd;
  }
}

/** Weights (p) and intercept of a logistic regression. */
export interface Logistic { w: Float64Array; b: number }

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

export function predictLogistic(m: Logistic, X: readonly Float64Array[]): Float64Array {
  return Float64Array.from(X, (x) => {
    let z = m.b;
    for (let j = 0; j < x.length; j++) z += m.w[j]! * x[j]!;
    return sigmoid(z);
  });
}

/** Solve A x = g for symmetric positive-definite A (p×p, row-major) by Cholesky; A is overwritten. */
function choleskySolve(A: Float64Array, g: Float64Array, p: number): Float64Array {
  for (let j = 0; j < p; j++) {
    let d = A[j * p + j]!;
    for (let k = 0; k < j; k++) d -= A[j * p + k]! ** 2;
    const l = Math.sqrt(Math.max(d, 1e-12));
    A[j * p + j] = l;
    for (let i = j + 1; i < p; i++) {
      let s = A[i * p + j]!;
      for (let k = 0; k < j; k++) s -= A[i * p + k]! * A[j * p + k]!;
      A[i * p + j] = s / l;
    }
  }
  const y = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = g[i]!;
    for (let k = 0; k < i; k++) s -= A[i * p + k]! * y[k]!;
    y[i] = s / A[i * p + i]!;
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < p; k++) s -= A[k * p + i]! * y[k]!;
    y[i] = s / A[i * p + i]!;
  }
  return y;
}

/**
 * L2 logistic regression, minimising mean log-loss + (λ/2)‖w‖² (intercept unpenalised) by
 * Newton's method on the augmented design [x, 1]. Converges in a few iterations.
 */
export function fitLogistic(X: readonly Float64Array[], y: ArrayLike<number>, lambda: number, opts: { maxIter?: number; init?: Logistic } = {}): Logistic {
  const n = X.length;
  const p = X[0]!.length + 1;
  const maxIter = opts.maxIter ?? 30;
  const beta = new Float64Array(p);
  if (opts.init) { beta.set(opts.init.w); beta[p - 1] = opts.init.b; }
  const xa = new Float64Array(p);
  for (let it = 0; it < maxIter; it++) {
    const H = new Float64Array(p * p);
    const g = new Float64Array(p);
    for (let i = 0; i < n; i++) {
      xa.set(X[i]!);
      xa[p - 1] = 1;
      let z = 0;
      for (let j = 0; j < p; j++) z += beta[j]! * xa[j]!;
      const q = sigmoid(z);
      const r = (q - y[i]!) / n;
      const wgt = Math.max(q * (1 - q), 1e-10) / n;
      for (let j = 0; j < p; j++) {
        g[j]! += r * xa[j]!;
        const wj = wgt * xa[j]!;
        if (wj === 0) continue;
        for (let k = 0; k <= j; k++) H[j * p + k]! += wj * xa[k]!;
      }
    }
    for (let j = 0; j < p - 1; j++) { g[j]! += lambda * beta[j]!; H[j * p + j]! += lambda; }
    for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) H[k * p + j] = H[j * p + k]!;
    const step = choleskySolve(H, g, p);
    let mx = 0;
    for (let j = 0; j < p; j++) { beta[j]! -= step[j]!; mx = Math.max(mx, Math.abs(step[j]!)); }
    if (mx < 1e-5) break;
  }
  return { w: beta.slice(0, p - 1), b: beta[p - 1]! };
}

/**
 * λ from LR_LAMBDAS by validation AUROC (fit on `fit`, score on `val`; a warm-started path from
 * the largest λ down). Returns the chosen model (fitted on `fit` only).
 */
export function selectLogistic(X: readonly Float64Array[], y: ArrayLike<number>, fit: readonly number[], val: readonly number[]): { model: Logistic; lambda: number; valAuc: number } {
  const Xf = fit.map((i) => X[i]!);
  const yf = fit.map((i) => y[i]!);
  const Xv = val.map((i) => X[i]!);
  const yv = val.map((i) => y[i]!);
  let best: { model: Logistic; lambda: number; valAuc: number } | null = null;
  let init: Logistic | undefined;
  for (const lambda of [...LR_LAMBDAS].reverse()) {
    const model = fitLogistic(Xf, yf, lambda, { init });
    init = model;
    const valAuc = rocAuc(predictLogistic(model, Xv), yv);
    if (!best || valAuc > best.valAuc) best = { model, lambda, valAuc };
  }
  return best!;
}

export { fitScaler };
