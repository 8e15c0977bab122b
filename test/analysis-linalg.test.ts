/**
 * Dense float64 linear algebra behind the analysis tools: eigenvalues of known real matrices
 * (rotation, defective Jordan blocks, symmetric, companion with known roots, badly scaled,
 * random: trace and determinant), one-sided Jacobi SVD vs known values and reconstruction,
 * Householder QR, LU solve and inverse iteration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/index.js';
import {
  eigenvalues, matmulMatrix, matrix, modulus, qr, realEigenvector, singularValues, solve, svd, transposeMatrix, type Complex,
} from '../src/analysis/index.js';

const near = (a: number, b: number, tol: number, what = ''): void => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

function sameSpectrum(got: Complex[], want: Complex[], tol: number): void {
  assert.equal(got.length, want.length);
  const left = [...want];
  for (const g of got) {
    const i = left.findIndex((w) => Math.hypot(w.re - g.re, w.im - g.im) <= tol);
    assert.ok(i >= 0, `unexpected eigenvalue ${JSON.stringify(g)} (want ${JSON.stringify(want)})`);
    left.splice(i, 1);
  }
}

const randMat = (n: number, m: number, rng: Rng): number[][] => Array.from({ length: n }, () => Array.from({ length: m }, () => rng.normal()));

test('eigenvalues: rotation, scaled rotation, defective and symmetric matrices', () => {
  const th = 0.7;
  const [c, s] = [Math.cos(th), Math.sin(th)];
  sameSpectrum(eigenvalues([[c, -s], [s, c]]), [{ re: c, im: s }, { re: c, im: -s }], 1e-14);
  const ev = eigenvalues([[0, -2, 0], [2, 0, 0], [0, 0, 0.5]]);
  assert.deepEqual(ev.map((e) => +modulus(e).toFixed(12)), [2, 2, 0.5], 'sorted by modulus');
  assert.ok(ev[0]!.im > 0 && ev[1]!.im < 0, 'pair listed +im first');
  sameSpectrum(eigenvalues([[1, 1], [0, 1]]), [{ re: 1, im: 0 }, { re: 1, im: 0 }], 1e-12);
  // A 3×3 Jordan block in a random basis: perturbation ~ eps^(1/3).
  const rng = new Rng(1);
  const P = matrix(randMat(3, 3, rng));
  const Pinv = matrix([0, 1, 2].map((j) => Array.from(solve(P, [0, 1, 2].map((i) => (i === j ? 1 : 0)))))).data;
  const J = matmulMatrix(matmulMatrix(P, matrix([[2, 1, 0], [0, 2, 1], [0, 0, 2]])), transposeMatrix({ rows: 3, cols: 3, data: Pinv }));
  for (const e of eigenvalues(J)) near(Math.hypot(e.re - 2, e.im), 0, 1e-4, 'Jordan block');
  // Symmetric: real eigenvalues equal to the singular values up to sign.
  const A = randMat(6, 6, rng);
  const Sym = A.map((r, i) => r.map((v, j) => v + A[j]![i]!));
  const evs = eigenvalues(Sym);
  assert.ok(evs.every((e) => e.im === 0));
  const absSorted = evs.map((e) => Math.abs(e.re)).sort((a, b) => b - a);
  singularValues(Sym).forEach((v, i) => near(v, absSorted[i]!, 1e-12, 'symmetric'));
});

test('eigenvalues: companion matrix with known roots, badly scaled and random matrices', () => {
  // (x−1)(x−2)(x−3)(x−4)(x²+1)
  let poly = [1];
  const mul = (p: number[], q: number[]): number[] => {
    const r = new Array<number>(p.length + q.length - 1).fill(0);
    p.forEach((a, i) => q.forEach((b, j) => (r[i + j] += a * b)));
    return r;
  };
  for (const r of [1, 2, 3, 4]) poly = mul(poly, [1, -r]);
  poly = mul(poly, [1, 0, 1]);
  const n = poly.length - 1;
  const C = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === 0 ? -poly[j + 1]! : j === i - 1 ? 1 : 0)));
  sameSpectrum(eigenvalues(C), [1, 2, 3, 4].map((re) => ({ re, im: 0 })).concat([{ re: 0, im: 1 }, { re: 0, im: -1 }]), 1e-9);
  // Diagonal similarity with scales 1e±6: balancing keeps it accurate.
  const D = [1e-6, 1, 1e6];
  const base = [[0.5, 0.2, 0.1], [0.3, -0.4, 0.2], [0.1, 0.1, 0.9]];
  const bad = base.map((r, i) => r.map((v, j) => (v * D[i]!) / D[j]!));
  sameSpectrum(eigenvalues(bad), eigenvalues(base), 1e-10);
  const rng = new Rng(2);
  const R = randMat(40, 40, rng);
  const ev = eigenvalues(R);
  near(ev.reduce((a, e) => a + e.re, 0), R.reduce((a, r, i) => a + r[i]!, 0), 1e-9, 'trace');
  near(Math.abs(ev.reduce((a, e) => a + e.im, 0)), 0, 1e-9, 'conjugate pairs');
  const logDet = ev.reduce((a, e) => a + Math.log(modulus(e)), 0);
  near(logDet, svd(R).s.reduce((a, v) => a + Math.log(v), 0), 1e-8, 'log|det|');
});

test('svd: known singular values, reconstruction, orthogonality, wide matrices', () => {
  singularValues([[3, 0], [4, 5]]).forEach((v, i) => near(v, [Math.sqrt(45), Math.sqrt(5)][i]!, 1e-14));
  singularValues([[2, 0, 0], [0, -3, 0]]).forEach((v, i) => near(v, [3, 2][i]!, 1e-15));
  const rng = new Rng(3);
  for (const [m, n] of [[7, 4], [4, 7]] as const) {
    const A = matrix(randMat(m, n, rng));
    const { s, U, V } = svd(A);
    const r = Math.min(m, n);
    const US = { rows: m, cols: r, data: U.data.map((v, k) => v * s[k % r]!) };
    const back = matmulMatrix(US, transposeMatrix(V));
    back.data.forEach((v, k) => near(v, A.data[k]!, 1e-12, 'reconstruction'));
    const VtV = matmulMatrix(transposeMatrix(V), V);
    VtV.data.forEach((v, k) => near(v, k % (r + 1) === 0 ? 1 : 0, 1e-12, 'VᵀV'));
  }
  // Tiny singular values keep high relative accuracy (graded matrix).
  singularValues([[1, 0], [0, 1e-12]]).forEach((v, i) => near(v, [1, 1e-12][i]!, 1e-26));
});

test('qr, solve and inverse iteration', () => {
  const rng = new Rng(4);
  const A = matrix(randMat(6, 3, rng));
  const { Q, R } = qr(A);
  matmulMatrix(Q, R).data.forEach((v, k) => near(v, A.data[k]!, 1e-13, 'QR'));
  for (let i = 0; i < 3; i++) assert.ok(R.data[i * 3 + i]! > 0, 'positive diagonal');
  matmulMatrix(transposeMatrix(Q), Q).data.forEach((v, k) => near(v, k % 4 === 0 ? 1 : 0, 1e-14, 'QᵀQ'));
  const M = matrix([[4, 1, 0], [1, 3, 1], [0, 1, 2]]);
  const x = solve(M, [1, 2, 3]);
  [1, 2, 3].forEach((b, i) => near(M.data.slice(i * 3, i * 3 + 3).reduce((a, v, j) => a + v * x[j]!, 0), b, 1e-13, 'solve'));
  const v = realEigenvector([[2, 1], [1, 2]], 3);
  near(v[0]!, Math.SQRT1_2, 1e-12);
  near(v[1]!, Math.SQRT1_2, 1e-12);
});
