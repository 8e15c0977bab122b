/**
 * Spectra of small dense float64 matrices: eigenvalues of real nonsymmetric matrices (balancing,
 * Householder reduction to Hessenberg form, Francis double-shift QR — EISPACK's `hqr`), real
 * eigenvectors by inverse iteration, and the SVD by one-sided Jacobi rotations (Hestenes), which
 * is accurate to high relative precision even for tiny singular values. Complex right and left
 * eigenvectors are in eigvec.ts.
 */
import { ValueError } from '../util/errors.js';
import { matrix, solve, square, transposeMatrix, zerosMatrix, EPS, type Complex, type Matrix } from './linalg.js';

/** Similarity scaling by powers of 2 so that row and column norms match (Parlett–Reinsch). */
function balance(A: Float64Array, n: number): void {
  let done = false;
  while (!done) {
    done = true;
    for (let i = 0; i < n; i++) {
      let r = 0;
      let c = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        c += Math.abs(A[j * n + i]!);
        r += Math.abs(A[i * n + j]!);
      }
      if (c === 0 || r === 0) continue;
      const s = c + r;
      let f = 1;
      let g = r / 2;
      while (c < g) {
        f *= 2;
        c *= 4;
      }
      g = r * 2;
      while (c > g) {
        f /= 2;
        c /= 4;
      }
      if ((c + r) / f < 0.95 * s) {
        done = false;
        for (let j = 0; j < n; j++) A[i * n + j] /= f;
        for (let j = 0; j < n; j++) A[j * n + i] *= f;
      }
    }
  }
}

/** In-place Householder reduction to upper Hessenberg form (a similarity transform). */
function hessenberg(A: Float64Array, n: number): void {
  for (let k = 0; k < n - 2; k++) {
    const m = n - k - 1;
    const v = new Float64Array(m);
    let norm = 0;
    for (let i = 0; i < m; i++) {
      v[i] = A[(k + 1 + i) * n + k]!;
      norm += v[i]! * v[i]!;
    }
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    v[0] += v[0]! >= 0 ? norm : -norm;
    let vn2 = 0;
    for (const e of v) vn2 += e * e;
    const beta = 2 / vn2;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += v[i]! * A[(k + 1 + i) * n + j]!;
      for (let i = 0; i < m; i++) A[(k + 1 + i) * n + j] -= beta * dot * v[i]!;
    }
    for (let i = 0; i < n; i++) {
      let dot = 0;
      for (let j = 0; j < m; j++) dot += A[i * n + k + 1 + j]! * v[j]!;
      for (let j = 0; j < m; j++) A[i * n + k + 1 + j] -= beta * dot * v[j]!;
    }
    for (let i = k + 2; i < n; i++) A[i * n + k] = 0;
  }
}

/**
 * Eigenvalues of a real square matrix, sorted by modulus (largest first; a conjugate pair
 * lists +im first). Balancing, Hessenberg reduction, then the Francis double-shift QR
 * iteration with deflation (the EISPACK `hqr` algorithm).
 * @example eigenvalues([[0, -1], [1, 0]])  // [{re: 0, im: 1}, {re: 0, im: -1}]
 */
export function eigenvalues(m: Matrix | readonly (readonly number[])[]): Complex[] {
  const a0 = matrix(m);
  const n = square('eigenvalues', a0);
  for (const v of a0.data) if (!Number.isFinite(v)) throw new ValueError('eigenvalues', 'a finite matrix', String(v));
  const A = a0.data.slice();
  balance(A, n);
  hessenberg(A, n);
  const out = hqr(A, n);
  return out.sort((p, q) => Math.hypot(q.re, q.im) - Math.hypot(p.re, p.im) || q.re - p.re || q.im - p.im);
}

/** Francis double-shift QR on an upper Hessenberg matrix (destroyed). */
function hqr(a: Float64Array, n: number): Complex[] {
  const A = (i: number, j: number): number => a[i * n + j]!;
  const set = (i: number, j: number, v: number): void => {
    a[i * n + j] = v;
  };
  const w: Complex[] = new Array(n);
  let anorm = 0;
  for (let i = 0; i < n; i++) for (let j = Math.max(i - 1, 0); j < n; j++) anorm += Math.abs(A(i, j));
  let nn = n - 1;
  let t = 0;
  let its = 0;
  while (nn >= 0) {
    let l = nn;
    for (; l > 0; l--) {
      let s = Math.abs(A(l - 1, l - 1)) + Math.abs(A(l, l));
      if (s === 0) s = anorm;
      if (Math.abs(A(l, l - 1)) <= EPS * s) {
        set(l, l - 1, 0);
        break;
      }
    }
    let x = A(nn, nn);
    if (l === nn) {
      w[nn--] = { re: x + t, im: 0 };
      its = 0;
      continue;
    }
    let y = A(nn - 1, nn - 1);
    let wv = A(nn, nn - 1) * A(nn - 1, nn);
    if (l === nn - 1) {
      const p = 0.5 * (y - x);
      const q = p * p + wv;
      let z = Math.sqrt(Math.abs(q));
      x += t;
      if (q >= 0) {
        z = p + (p >= 0 ? z : -z);
        w[nn - 1] = { re: x + z, im: 0 };
        w[nn] = { re: z !== 0 ? x - wv / z : x + z, im: 0 };
      } else {
        w[nn - 1] = { re: x + p, im: z };
        w[nn] = { re: x + p, im: -z };
      }
      nn -= 2;
      its = 0;
      continue;
    }
    if (its === 60) throw new ValueError('eigenvalues', 'QR iteration to converge within 60 sweeps', 'no convergence');
    if (its === 10 || its === 20 || its === 40) {
      // Exceptional shift to break cycles.
      t += x;
      for (let i = 0; i <= nn; i++) set(i, i, A(i, i) - x);
      const s = Math.abs(A(nn, nn - 1)) + Math.abs(A(nn - 1, nn - 2));
      y = x = 0.75 * s;
      wv = -0.4375 * s * s;
    }
    its++;
    francisSweep(a, n, l, nn, x, y, wv);
  }
  return w;
}

/** One implicit double-shift QR sweep on the active block rows/cols l…nn. */
function francisSweep(a: Float64Array, n: number, l: number, nn: number, x: number, y: number, wv: number): void {
  const A = (i: number, j: number): number => a[i * n + j]!;
  let m = nn - 2;
  let p = 0;
  let q = 0;
  let r = 0;
  for (; m >= l; m--) {
    const z = A(m, m);
    r = x - z;
    const s0 = y - z;
    p = (r * s0 - wv) / A(m + 1, m) + A(m, m + 1);
    q = A(m + 1, m + 1) - z - r - s0;
    r = A(m + 2, m + 1);
    const s = Math.abs(p) + Math.abs(q) + Math.abs(r);
    p /= s;
    q /= s;
    r /= s;
    if (m === l) break;
    const u = Math.abs(A(m, m - 1)) * (Math.abs(q) + Math.abs(r));
    const v = Math.abs(p) * (Math.abs(A(m - 1, m - 1)) + Math.abs(z) + Math.abs(A(m + 1, m + 1)));
    if (u <= EPS * v) break;
  }
  for (let i = m; i < nn - 1; i++) {
    a[(i + 2) * n + i] = 0;
    if (i !== m) a[(i + 2) * n + i - 1] = 0;
  }
  for (let k = m; k < nn; k++) {
    let xs = 0;
    if (k !== m) {
      p = A(k, k - 1);
      q = A(k + 1, k - 1);
      r = k !== nn - 1 ? A(k + 2, k - 1) : 0;
      xs = Math.abs(p) + Math.abs(q) + Math.abs(r);
      if (xs !== 0) {
        p /= xs;
        q /= xs;
        r /= xs;
      }
    }
    const sn = Math.sqrt(p * p + q * q + r * r);
    const s = p >= 0 ? sn : -sn;
    if (s === 0) continue;
    if (k === m) {
      if (l !== m) a[k * n + k - 1] = -A(k, k - 1);
    } else a[k * n + k - 1] = -s * xs;
    p += s;
    const px = p / s;
    const py = q / s;
    const pz = r / s;
    q /= p;
    r /= p;
    for (let j = k; j <= nn; j++) {
      let pp = A(k, j) + q * A(k + 1, j);
      if (k !== nn - 1) {
        pp += r * A(k + 2, j);
        a[(k + 2) * n + j] -= pp * pz;
      }
      a[(k + 1) * n + j] -= pp * py;
      a[k * n + j] -= pp * px;
    }
    const mmin = nn < k + 3 ? nn : k + 3;
    for (let i = l; i <= mmin; i++) {
      let pp = px * A(i, k) + py * A(i, k + 1);
      if (k !== nn - 1) {
        pp += pz * A(i, k + 2);
        a[i * n + k + 2] -= pp * r;
      }
      a[i * n + k + 1] -= pp * q;
      a[i * n + k] -= pp;
    }
  }
}

/**
 * Singular value decomposition A = U·diag(s)·Vᵀ by one-sided Jacobi (Hestenes) rotations:
 * s sorted descending (length min(m, n)), U (m×r), V (n×r), r = min(m, n).
 */
export function svd(m: Matrix | readonly (readonly number[])[]): { s: number[]; U: Matrix; V: Matrix } {
  const a = matrix(m);
  if (a.rows < a.cols) {
    const t = svd(transposeMatrix(a));
    return { s: t.s, U: t.V, V: t.U };
  }
  const [rows, n] = [a.rows, a.cols];
  // Columns as contiguous rows: C[j] is column j of the working matrix, Vt[j] column j of V.
  const C = Array.from({ length: n }, (_, j) => Float64Array.from({ length: rows }, (_, i) => a.data[i * n + j]!));
  const Vt = Array.from({ length: n }, (_, j) => Float64Array.from({ length: n }, (_, i) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 80; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const cp = C[p]!;
        const cq = C[q]!;
        let al = 0;
        let be = 0;
        let ga = 0;
        for (let i = 0; i < rows; i++) {
          al += cp[i]! * cp[i]!;
          be += cq[i]! * cq[i]!;
          ga += cp[i]! * cq[i]!;
        }
        if (ga === 0 || Math.abs(ga) <= EPS * Math.sqrt(al * be)) continue;
        rotated = true;
        const zeta = (be - al) / (2 * ga);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        rotate(cp, cq, c, s);
        rotate(Vt[p]!, Vt[q]!, c, s);
      }
    }
    if (!rotated) break;
  }
  const norms = C.map((col) => Math.sqrt(col.reduce((acc, v) => acc + v * v, 0)));
  const order = norms.map((_, i) => i).sort((i, j) => norms[j]! - norms[i]!);
  const U = zerosMatrix(rows, n);
  const V = zerosMatrix(n, n);
  order.forEach((src, k) => {
    const sv = norms[src]!;
    for (let i = 0; i < rows; i++) U.data[i * n + k] = sv > 0 ? C[src]![i]! / sv : 0;
    for (let i = 0; i < n; i++) V.data[i * n + k] = Vt[src]![i]!;
  });
  return { s: order.map((i) => norms[i]!), U, V };
}

function rotate(x: Float64Array, y: Float64Array, c: number, s: number): void {
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    const yi = y[i]!;
    x[i] = c * xi - s * yi;
    y[i] = s * xi + c * yi;
  }
}

/** Singular values only, descending. */
export function singularValues(m: Matrix | readonly (readonly number[])[]): number[] {
  return svd(m).s;
}

/**
 * Unit eigenvector for a real eigenvalue λ (inverse iteration with a tiny shift), with the sign
 * chosen so that its largest-magnitude entry is positive.
 */
export function realEigenvector(m: Matrix | readonly (readonly number[])[], lambda: number, iters = 6): Float64Array {
  const a = matrix(m);
  const n = square('realEigenvector', a);
  const shifted = { rows: n, cols: n, data: a.data.slice() };
  const mu = lambda + 1e-10 * Math.max(1, Math.abs(lambda));
  for (let i = 0; i < n; i++) shifted.data[i * n + i] -= mu;
  let v = Float64Array.from({ length: n }, (_, i) => 1 / Math.sqrt(n) + 1e-3 * Math.sin(i + 1));
  for (let it = 0; it < iters; it++) {
    const y = solve(shifted, v);
    const nrm = Math.sqrt(y.reduce((s, e) => s + e * e, 0));
    v = y.map((e) => e / nrm);
  }
  let big = 0;
  for (let i = 1; i < n; i++) if (Math.abs(v[i]!) > Math.abs(v[big]!)) big = i;
  return v[big]! < 0 ? v.map((e) => -e) : v;
}

