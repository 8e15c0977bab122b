/**
 * The one linear program exact POMDP pruning needs: given difference vectors d_1..d_K over n
 * hidden values, the largest margin δ* = max over beliefs b (b ≥ 0, Σb = 1) of min_k b·d_k, and a
 * belief attaining it. A vector α is useful against a set W iff δ* > 0 for d_k = α − w_k.
 *
 * Solved through its dual, min μ over convex combinations λ of the d_k with Σ_k λ_k d_k ≤ μ
 * componentwise, by a dense tableau simplex: n + 1 rows whatever K is, so a pivot costs
 * O(n·K) instead of the primal's O(K²). Bland's rule (the smallest improving column, ties in the
 * ratio test to the smallest basic index) keeps the many degenerate pivots from cycling. The
 * witness belief is read from the simplex multipliers of the n componentwise rows.
 */

const SHIFT = 4; // μ' = μ + SHIFT ≥ 0 for |d| ≤ 2 (differences of values in [−1, 1])

export interface Margin { delta: number; b: Float64Array }

/** max_b min_k b·d_k over the probability simplex (K ≥ 1 vectors of length n, entries in [−2, 2]). */
export function maxMinMargin(d: readonly ArrayLike<number>[], n: number): Margin {
  const K = d.length, cols = K + 1 + n, w = cols + 1, rows = n + 1;
  // Columns: λ_0..λ_{K−1}, μ', s_0..s_{n−1}, then the right-hand side. Rows: h = 0..n−1, then Σλ = 1.
  const T = new Float64Array(rows * w);
  for (let h = 0; h < n; h++) {
    for (let k = 0; k < K; k++) T[h * w + k] = d[k]![h]!;
    T[h * w + K] = -1;
    T[h * w + K + 1 + h] = 1;
    T[h * w + cols] = -SHIFT;
  }
  for (let k = 0; k < K; k++) T[n * w + k] = 1;
  T[n * w + cols] = 1;
  // A feasible start: λ_0 = 1, μ' at d_0's largest entry (row hs), every other slack basic.
  let hs = 0;
  for (let h = 1; h < n; h++) if (d[0]![h]! > d[0]![hs]!) hs = h;
  const basis = new Int32Array(rows);
  pivot(T, w, rows, n, 0); basis[n] = 0;
  pivot(T, w, rows, hs, K); basis[hs] = K;
  for (let h = 0; h < n; h++) if (h !== hs) { pivot(T, w, rows, h, K + 1 + h); basis[h] = K + 1 + h; }
  // Objective: minimize μ'; z[j] is the reduced cost of column j.
  const z = new Float64Array(w);
  z[K] = 1;
  for (let r = 0; r < rows; r++) { const c = z[basis[r]!]!; if (c) for (let j = 0; j < w; j++) z[j]! -= c * T[r * w + j]!; }
  simplex(T, z, basis, rows, cols, 50 * (K + rows), 0);
  // The componentwise rows' simplex multipliers are y_h = −z[s_h] ≤ 0; the primal belief is −y.
  const b = new Float64Array(n);
  let sum = 0;
  for (let h = 0; h < n; h++) { b[h] = Math.max(0, z[K + 1 + h]!); sum += b[h]!; }
  if (sum > 0) for (let h = 0; h < n; h++) b[h]! /= sum;
  else b.fill(1 / n);
  return { delta: -z[cols]! - SHIFT, b };
}

/**
 * Minimize over the tableau T (rows × (cols + 1), right-hand side last) from a feasible basis; z holds
 * the reduced costs (z[cols] the objective). Dantzig's rule (most negative reduced cost) for the first
 * `dantzig` pivots, then Bland's (the first improving column; ties in the ratio test to the smallest
 * basic index), which cannot cycle on the degenerate pivots. Stops after `maxIt` pivots, or when no
 * row bounds the entering column (cannot happen for the two LPs here; kept as a stop).
 */
function simplex(T: Float64Array, z: Float64Array, basis: Int32Array, rows: number, cols: number, maxIt: number, dantzig: number): void {
  const w = cols + 1;
  for (let it = 0; it < maxIt; it++) {
    let e = -1;
    for (let j = 0; j < cols; j++) if (z[j]! < -1e-12 && (e < 0 || (it < dantzig && z[j]! < z[e]!))) { e = j; if (it >= dantzig) break; }
    if (e < 0) return;
    let r = -1, best = Infinity;
    for (let i = 0; i < rows; i++) {
      const x = T[i * w + e]!;
      if (x <= 1e-12) continue;
      const ratio = T[i * w + cols]! / x;
      if (ratio < best - 1e-15 || (ratio <= best + 1e-15 && r >= 0 && basis[i]! < basis[r]!)) { best = ratio; r = i; }
    }
    if (r < 0) return;
    pivot(T, w, rows, r, e);
    const f = z[e]!;
    for (let j = 0; j < w; j++) z[j]! -= f * T[r * w + j]!;
    basis[r] = e;
  }
}

function pivot(T: Float64Array, w: number, rows: number, r: number, c: number): void {
  const p = T[r * w + c]!;
  for (let j = 0; j < w; j++) T[r * w + j]! /= p;
  for (let i = 0; i < rows; i++) {
    if (i === r) continue;
    const f = T[i * w + c]!;
    if (f) for (let j = 0; j < w; j++) T[i * w + j]! -= f * T[r * w + j]!;
  }
}

/** λ and its value; y: the simplex multipliers of the rows (0 for the rows dropped with b_h = 0), for pricing further columns. */
export interface Packing { value: number; lambda: Float64Array; y: Float64Array }

/**
 * The packing LP of the LP-combination upper bound (hsvi.ts): max Σ_k c_k λ_k subject to
 * Σ_k λ_k a_k ≤ b componentwise and λ ≥ 0, for c ≥ 0 and a_k, b ≥ 0 (n entries each). λ = 0 is
 * feasible, so the slack basis starts the simplex; rows with b_h = 0 are dropped together with the
 * columns that need them. Dantzig's rule, then Bland's after 4n pivots (against cycling on the
 * degenerate ones). Any feasible λ serves the caller (a smaller value is still a valid bound), so
 * the λ returned is clipped at 0 and scaled to meet the constraints in floating point before its
 * value is taken.
 */
export function packingLp(a: readonly ArrayLike<number>[], c: ArrayLike<number>, b: ArrayLike<number>, n: number): Packing {
  const rowOf: number[] = [];
  for (let h = 0; h < n; h++) if (b[h]! > 0) rowOf.push(h);
  const K = a.length, rows = rowOf.length, cols = K + rows, w = cols + 1;
  const T = new Float64Array(rows * w), z = new Float64Array(w), basis = new Int32Array(rows);
  for (let k = 0; k < K; k++) {
    let usable = c[k]! > 0;
    for (let h = 0; h < n && usable; h++) if (a[k]![h]! > 0 && !(b[h]! > 0)) usable = false;
    if (!usable) continue; // a column of zeros never enters
    for (let i = 0; i < rows; i++) T[i * w + k] = a[k]![rowOf[i]!]!;
    z[k] = -c[k]!;
  }
  for (let i = 0; i < rows; i++) { T[i * w + K + i] = 1; T[i * w + cols] = b[rowOf[i]!]!; basis[i] = K + i; }
  simplex(T, z, basis, rows, cols, 50 * (cols + 1), 4 * n);
  const lambda = new Float64Array(K);
  for (let i = 0; i < rows; i++) if (basis[i]! < K) lambda[basis[i]!] = Math.max(0, T[i * w + cols]!);
  let scale = 1;
  for (let h = 0; h < n; h++) {
    let use = 0;
    for (let k = 0; k < K; k++) use += lambda[k]! * a[k]![h]!;
    if (use > b[h]!) scale = Math.min(scale, b[h]! / use);
  }
  let value = 0;
  for (let k = 0; k < K; k++) { lambda[k]! *= scale; value += lambda[k]! * c[k]!; }
  const y = new Float64Array(n);
  for (let i = 0; i < rows; i++) y[rowOf[i]!] = z[K + i]!;
  return { value, lambda, y };
}
