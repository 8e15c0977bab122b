/**
 * Koopman tools (src/analysis/koopman*.ts, dictionaries.ts) and complex eigenvectors (eig.ts):
 * the linear map J = [[0.9, −0.1], [0, 0.8]] (EDMD spectrum = products 0.9^i·0.8^j), the pendulum's
 * energy and the Lotka–Volterra invariant as λ = 1 eigenfunctions, and DMD of a flip-flop GRU's
 * hidden states against the Jacobians at its fixed points. The GRU here has hand-set weights
 * (3 units, 8 attractors) so the test needs no training; E7 does the same on a trained GRU.
 * Pendulum / LV use 40 training and 8 held-out trajectories (E7 uses 200 and 50).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, Tensor, analysis, flipFlop } from '../src/index.js';
import { OptionError, ShapeError, ValueError } from '../src/util/errors.js';
import {
  correlation, linearTrajectories, lotkaVolterraTrajectories, lvInvariant, pendulumDictionary, pendulumEnergy, pendulumTrajectories, zeroInputRuns,
} from '../src/recipes/dynamics/koopman-systems.js';

const { eigenvectors, centry, dmd, edmd, kernelEdmd, monomials, hermite, validityCheck, conservedQuantities } = analysis;
const J = [[0.9, -0.1], [0, 0.8]];
const pairs = (trs: number[][][]): { X: number[][]; Y: number[][] } => ({ X: trs.flatMap((t) => t.slice(0, -1)), Y: trs.flatMap((t) => t.slice(1)) });
const products = (d: number): number[] => {
  const out: number[] = [];
  for (let i = 0; i <= d; i++) for (let j = 0; i + j <= d; j++) out.push(0.9 ** i * 0.8 ** j);
  return out.sort((a, b) => b - a);
};
const dist = (z: analysis.Complex, re: number, im = 0): number => Math.hypot(z.re - re, z.im - im);

test('eigenvectors: right and left vectors of a nonsymmetric matrix with complex pairs; a repeated eigenvalue', () => {
  const rng = new Rng(11);
  const n = 7;
  const A = Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal()));
  const { values, right, left } = eigenvectors(A, { left: true });
  assert.ok(values.some((v) => Math.abs(v.im) > 1e-3), 'the test matrix has a complex pair');
  for (let k = 0; k < n; k++) {
    const l = values[k]!;
    let resR = 0;
    let resL = 0;
    let dotRe = 0;
    let dotIm = 0;
    for (let i = 0; i < n; i++) {
      let avR = -(l.re * right.re[i * n + k]! - l.im * right.im[i * n + k]!);
      let avI = -(l.re * right.im[i * n + k]! + l.im * right.re[i * n + k]!);
      // (uᴴA)_i = Σ_j conj(u_j) A_ji
      let uaR = -(l.re * left!.re[i * n + k]! + l.im * left!.im[i * n + k]!);
      let uaI = -(l.im * left!.re[i * n + k]! - l.re * left!.im[i * n + k]!);
      for (let j = 0; j < n; j++) {
        avR += A[i]![j]! * right.re[j * n + k]!;
        avI += A[i]![j]! * right.im[j * n + k]!;
        uaR += A[j]![i]! * left!.re[j * n + k]!;
        uaI -= A[j]![i]! * left!.im[j * n + k]!;
      }
      resR += avR ** 2 + avI ** 2;
      resL += uaR ** 2 + uaI ** 2;
      const [u, v] = [centry(left!, i, k), centry(right, i, k)];
      dotRe += u.re * v.re + u.im * v.im;
      dotIm += u.re * v.im - u.im * v.re;
    }
    assert.ok(Math.sqrt(resR) < 1e-10, `right residual ${Math.sqrt(resR)} for λ${k}`);
    assert.ok(Math.sqrt(resL) < 1e-9, `left residual ${Math.sqrt(resL)} for λ${k}`);
    assert.ok(Math.abs(dotRe - 1) < 1e-9 && Math.abs(dotIm) < 1e-9, `uᴴv = ${dotRe} + ${dotIm}i`);
  }
  // diag(2, 2, 1) rotated: the two vectors of λ = 2 must be independent.
  const D = eigenvectors([[2, 0, 1], [0, 2, 1], [0, 0, 1]]);
  const v0 = [0, 1, 2].map((i) => D.right.re[i * 3]!);
  const v1 = [0, 1, 2].map((i) => D.right.re[i * 3 + 1]!);
  assert.ok(Math.abs(v0.reduce((s, v, i) => s + v * v1[i]!, 0)) < 1e-8, 'orthogonalised within the eigenspace');
  assert.throws(() => eigenvectors([[1, 2, 3]]), ShapeError);
});

test('DMD of the linear map: eigenvalues 0.9 and 0.8, exact modes and optimal amplitudes reconstruct a trajectory', () => {
  const [tr] = linearTrajectories(J, 1, 30, new Rng(1));
  const r = dmd(tr!.slice(0, -1), tr!.slice(1));
  assert.equal(r.rank, 2);
  assert.ok(dist(r.eigenvalues[0]!, 0.9) < 1e-12 && dist(r.eigenvalues[1]!, 0.8) < 1e-12, JSON.stringify(r.eigenvalues));
  for (let t = 0; t < 30; t += 7) {
    for (let j = 0; j < 2; j++) {
      const x = r.eigenvalues.reduce((s, l, i) => {
        const p = analysis.cmul(analysis.cmul(analysis.cpow(l, t), r.amplitudes[i]!), r.modes[i]![j]!);
        return s + p.re;
      }, 0);
      assert.ok(Math.abs(x - tr![t]![j]!) < 1e-10, `x_${t}[${j}]: ${x} vs ${tr![t]![j]}`);
    }
  }
  // Eigenfunctions of a linear map are linear: φ(Jx) = λφ(x).
  const x = [0.3, -0.7];
  const Jx = J.map((row) => row[0]! * x[0]! + row[1]! * x[1]!);
  r.eigenfunctions.forEach((phi, i) => assert.ok(dist(phi(Jx), r.eigenvalues[i]!.re * phi(x).re, r.eigenvalues[i]!.re * phi(x).im) < 1e-12));
  assert.throws(() => dmd(tr!.slice(0, -1), tr!.slice(1), { rank: 3 }), ValueError);
  assert.throws(() => dmd(tr!.slice(0, -1), tr!.slice(2)), ShapeError);
  assert.throws(() => dmd([], []), ShapeError);
});

test('EDMD of the linear map, monomials up to degree 3: the leading 9 eigenvalues within 1e-6 of 0.9^i·0.8^j', () => {
  const trs = linearTrajectories(J, 10, 10, new Rng(2));
  const want = products(3);
  for (const dictionary of [monomials(3), hermite(3)]) {
    const r = edmd({ trajectories: trs }, { dictionary });
    assert.equal(r.eigenvalues.length, 10);
    for (let i = 0; i < 9; i++) assert.ok(dist(r.eigenvalues[i]!, want[i]!) < 1e-6, `${dictionary.name} λ${i} = ${r.eigenvalues[i]!.re} vs ${want[i]}`);
    // Modes reconstruct the state from the eigenfunctions: x = Σ φ_i(x) v_i.
    const x = [0.2, 0.5];
    const phi = r.evaluate(x);
    for (let j = 0; j < 2; j++) assert.ok(Math.abs(phi.reduce((s, p, i) => s + analysis.cmul(p, r.modes[i]![j]!).re, 0) - x[j]!) < 1e-9);
  }
  // Degree 2 has only 6 functions, so it cannot give 9 eigenvalues: degree 3 is needed.
  assert.equal(edmd({ trajectories: trs }, { dictionary: monomials(2) }).eigenvalues.length, 6);
  const k = kernelEdmd(pairs(trs), { kernel: analysis.polynomialKernel(3), rank: 10 });
  for (let i = 0; i < 9; i++) assert.ok(dist(k.eigenvalues[i]!, want[i]!) < 1e-6, `kernel λ${i} = ${k.eigenvalues[i]!.re}`);
  // Every eigenfunction is exact here: the validity check's linearity errors are at rounding level.
  const held = linearTrajectories(J, 3, 20, new Rng(3));
  const v = validityCheck(edmd({ trajectories: trs }, { dictionary: monomials(3) }), held);
  assert.equal(v.length, 10);
  assert.ok(v.every((e) => e.relativeError < 1e-9), JSON.stringify(v.at(-1)));
  assert.ok(v[0]!.relativeError <= v.at(-1)!.relativeError);
});

test('validity check ranks true eigenfunctions above spurious ones (an RBF dictionary on the linear map)', () => {
  const trs = linearTrajectories(J, 20, 10, new Rng(4));
  const centres = Array.from({ length: 6 }, (_, i) => [Math.cos(i), Math.sin(i)]);
  const r = edmd({ trajectories: trs }, { dictionary: analysis.concat(monomials(1), analysis.rbf(centres, 0.7)), ridge: 1e-10 });
  const v = validityCheck(r, linearTrajectories(J, 4, 20, new Rng(5)));
  // The span holds the exact eigenfunctions 1, x-linear ones (λ = 1, 0.9, 0.8); the RBF directions are only approximately invariant.
  const best = v.slice(0, 3).map((e) => e.eigenvalue.re).sort((a, b) => b - a);
  assert.ok(dist({ re: best[0]!, im: 0 }, 1) < 1e-6 && dist({ re: best[1]!, im: 0 }, 0.9) < 1e-6 && dist({ re: best[2]!, im: 0 }, 0.8) < 1e-6, JSON.stringify(v.slice(0, 4)));
  assert.ok(v.at(-1)!.relativeError > 100 * v[2]!.relativeError, `worst ${v.at(-1)!.relativeError} vs third ${v[2]!.relativeError}`);
});

test('dictionaries: sizes, labels, Hermite values, delay embedding; delays recover a second-order recurrence', () => {
  assert.deepEqual(monomials(2).labels(2), ['1', 'x0', 'x1', 'x0^2', 'x0·x1', 'x1^2']);
  assert.equal(monomials(3).size(4), 35);
  assert.equal(analysis.hermitePolynomial(3, 2), 2 ** 3 - 3 * 2);
  assert.deepEqual(Array.from(hermite(2).evaluate([2, 3])), [1, 2, 3, 3, 6, 8]);
  assert.deepEqual(analysis.delayEmbed([[1], [2], [3], [4]], 2), [[3, 2, 1], [4, 3, 2]]);
  assert.deepEqual(Array.from(analysis.logAugmented().evaluate([1, Math.E])), [1, 1, Math.E, 0, 1]);
  assert.throws(() => analysis.logAugmented().evaluate([0, 1]), ValueError);
  assert.throws(() => monomials(-1), ValueError);
  // x_{t+1} = 1.5x_t − 0.56x_{t−1}: characteristic roots 0.8 and 0.7, seen only through one delay.
  const rng = new Rng(6);
  const trs = Array.from({ length: 5 }, () => {
    const x = [rng.uniform(-1, 1), rng.uniform(-1, 1)];
    while (x.length < 20) x.push(1.5 * x.at(-1)! - 0.56 * x.at(-2)!);
    return x.map((v) => [v]);
  });
  const r = edmd({ trajectories: trs }, { dictionary: analysis.delays(1) });
  assert.equal(r.delays, 1);
  assert.ok(dist(r.eigenvalues[0]!, 0.8) < 1e-9 && dist(r.eigenvalues[1]!, 0.7) < 1e-9, JSON.stringify(r.eigenvalues));
  assert.ok(validityCheck(r, trs).every((e) => e.relativeError < 1e-8));
  assert.throws(() => edmd(pairs(trs), { dictionary: analysis.delays(1) }), ValueError);
});

test('pendulum (leapfrog, dt 0.01): a λ = 1 eigenfunction with relative variance ≤ 1e-6 along held-out trajectories and |r| ≥ 0.9999 with the energy', () => {
  const train = pendulumTrajectories(40, 100, new Rng(7));
  const held = pendulumTrajectories(8, 1000, new Rng(8));
  const r = edmd({ trajectories: train }, { dictionary: pendulumDictionary() });
  const c = conservedQuantities(r, held, { tol: 1e-6 });
  assert.ok(c.unitEigenvalues.length >= 2, 'the constant and at least one more eigenvalue near 1');
  assert.ok(c.quantities.length >= 1, JSON.stringify(c.candidates.map((q) => q.relativeVariance)));
  const q = c.quantities[0]!;
  assert.ok(q.relativeVariance <= 1e-6 && Math.abs(q.eigenvalue - 1) < 1e-6, `${q.relativeVariance}, λ ${q.eigenvalue}`);
  const states = held.flat();
  const rho = correlation(states.map(q.evaluate), states.map(pendulumEnergy));
  assert.ok(Math.abs(rho) >= 0.9999, `r = ${rho}`);
  assert.throws(() => conservedQuantities(r, []), ShapeError);
  assert.throws(() => conservedQuantities(r, held, { tol: 0 }), ValueError);
});

test('Lotka–Volterra with a log-augmented dictionary: its invariant is a λ = 1 eigenfunction (relative variance ≤ 1e-6, |r| ≥ 0.9999)', () => {
  const train = lotkaVolterraTrajectories(40, 100, new Rng(9));
  const held = lotkaVolterraTrajectories(8, 1000, new Rng(10));
  const r = edmd({ trajectories: train }, { dictionary: analysis.logAugmented(monomials(1)) });
  const c = conservedQuantities(r, held);
  assert.ok(c.quantities.length >= 1, JSON.stringify(c.candidates.map((q) => q.relativeVariance)));
  const q = c.quantities[0]!;
  assert.ok(q.relativeVariance <= 1e-6, String(q.relativeVariance));
  const states = held.flat();
  assert.ok(Math.abs(correlation(states.map(q.evaluate), states.map(lvInvariant))) >= 0.9999);
  // Without the logarithms the invariant is outside the span: nothing is confirmed.
  const plain = conservedQuantities(edmd({ trajectories: train }, { dictionary: monomials(2) }), held);
  assert.equal(plain.quantities.length, 0, JSON.stringify(plain.candidates.map((x) => x.relativeVariance)));
});

/** A 3-unit GRU with 8 attractors (±0.995 per unit) that an input pulse of ±1 flips (gates r, z, n). */
function flipFlopGru(): analysis.Cell {
  const H = 3;
  const eye = (s: number): number[] => Array.from({ length: H * H }, (_, i) => (i % (H + 1) === 0 ? s : 0));
  const t = (v: number[], shape: number[]): Tensor => new Tensor(Float64Array.from(v), shape);
  return analysis.cellFromWeights('gru', {
    wIh: t([...eye(0), ...eye(0), ...eye(10)], [3 * H, H]), wHh: t([...eye(0), ...eye(0), ...eye(3)], [3 * H, H]),
    bIh: t([...Array(H).fill(5), ...Array(H).fill(-2), ...Array(H).fill(0)], [3 * H]), bHh: t(Array(3 * H).fill(0), [3 * H]),
  });
}

test('flip-flop GRU: DMD of zero-input hidden states has eigenvalues near 1 (memories); the Jacobians at the stable fixed points contract', () => {
  const cell = flipFlopGru();
  const runs = zeroInputRuns(cell, analysis.f64(flipFlop(100, 20, { rng: new Rng(12) }).x));
  const r = dmd(runs.flatMap((t) => t.slice(0, -1)), runs.flatMap((t) => t.slice(1)));
  assert.equal(r.eigenvalues.length, 3);
  for (const l of r.eigenvalues) assert.ok(Math.abs(analysis.modulus(l) - 1) < 0.01, `|λ| = ${analysis.modulus(l)}`);
  const rng = new Rng(13);
  const init = Float64Array.from({ length: 200 * 3 }, () => rng.uniform(-1.2, 1.2));
  const stable = analysis.findFixedPoints(cell, { initialStates: init, maxIters: 300 }).points.filter((p) => p.stability === 'stable');
  assert.equal(new Set(stable.map((p) => p.state.map((v) => (v > 0 ? '+' : '-')).join(''))).size, 8, 'the 8 corners');
  for (const p of stable) assert.ok(analysis.modulus(p.eigenvalues[0]!) < 0.2, `spectral radius ${analysis.modulus(p.eigenvalues[0]!)}`);
});

test('E7 (tiny configuration): report, figures and result.json; the analytic cases already meet their thresholds', async () => {
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { run } = await import('../src/recipes/dynamics/e7.js');
  const dir = mkdtempSync(join(tmpdir(), 'recur-e7-'));
  try {
    const r = await run({ tiny: true, seed: 1, outDir: dir });
    assert.equal(r.id, 'e7');
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    const figures = [...md.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]!);
    assert.equal(figures.length, 6);
    for (const f of figures) assert.match(readFileSync(join(dir, f), 'utf8'), /^<svg [^>]*>[\s\S]*<\/svg>$/);
    assert.equal(JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')).id, 'e7');
    assert.ok(r.linear.rows[1]!.maxError9! < 1e-6);
    for (const c of [r.pendulum, r.lotkaVolterra]) assert.ok(c.relativeVariance <= 1e-6 && Math.abs(c.correlation) >= 0.9999, JSON.stringify(c));
    assert.equal(r.flipflop.dmd.length, r.flipflop.hidden);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kernel EDMD with a Gaussian kernel approximates the linear map\'s leading eigenvalues; bad arguments are typed errors', () => {
  const trs = linearTrajectories(J, 20, 5, new Rng(14));
  const k = kernelEdmd(pairs(trs), { kernel: analysis.gaussianKernel(1), rank: 20 });
  for (const want of [1, 0.9, 0.8]) assert.ok(k.eigenvalues.some((l) => dist(l, want) < 1e-2), `${want} among ${k.eigenvalues.slice(0, 5).map((l) => l.re.toFixed(4))}`);
  assert.throws(() => edmd({ trajectories: [] }, { dictionary: monomials(1) }), ShapeError);
  assert.throws(() => edmd({ trajectories: [[[1, 2]]] }, { dictionary: monomials(1) }), /at least 2 states/);
  assert.throws(() => edmd({ trajectories: [[[1, 2], [3, 4]], [[1], [2]]] }, { dictionary: monomials(1) }), ShapeError);
  assert.throws(() => edmd({ trajectories: trs }, { dictionary: monomials(1), ridge: -1 }), ValueError);
  assert.throws(() => edmd({ trajectories: trs }, { dictionary: monomials(1), rank: 2 } as never), OptionError);
  assert.throws(() => kernelEdmd(pairs(trs), { kernel: analysis.gaussianKernel(1), rank: 500 }), /rank an integer in 1…100/);
  assert.throws(() => dmd([[1, Number.NaN]], [[1, 2]]), ValueError);
  const r = edmd({ trajectories: trs }, { dictionary: monomials(1) });
  assert.throws(() => validityCheck(r, [[[1, 2, 3]]]), /states of dimension 2/);
  assert.throws(() => eigenvectors([[1]], { lft: true } as never), OptionError);
});
