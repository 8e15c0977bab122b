/**
 * E7 — Koopman analysis (exact DMD, EDMD, kernel EDMD; analysis/koopman.ts) on four systems:
 * A. the linear map J = [[0.9, −0.1], [0, 0.8]]: EDMD on monomials of degree ≤ 3 must give the
 *    eigenvalues 0.9^i·0.8^j (PyDMD's tutorial case);
 * B. the pendulum (leapfrog, dt 0.01): a λ = 1 eigenfunction that is the energy ½p² − cos q;
 * C. Lotka–Volterra with a log-augmented dictionary: the same for its invariant;
 * D. a GRU trained on the 3-bit flip-flop: DMD of its zero-input hidden states against the
 *    Jacobian spectra at its fixed points (e7-flipflop.ts).
 */
import { analysis, getBackend } from '../../index.js';
import { Report, context, fmt, info, pick, round, scatterSvg, type Ctx, type RunInfo, type RunOptions } from './common.js';
import { flipFlopPart, type E7FlipFlop } from './e7-flipflop.js';
import {
  correlation, linearTrajectories, lotkaVolterraTrajectories, LV, lvInvariant, pendulumDictionary, pendulumEnergy, pendulumTrajectories, type Traj,
} from './koopman-systems.js';

export interface E7Linear {
  /** Expected leading eigenvalues 0.9^i·0.8^j (i + j ≤ 3), sorted. */
  expected: number[];
  dmd: number[];
  /** Per method: the leading eigenvalues and the largest |λ_k − expected_k| over the first 9. */
  rows: { method: string; functions: number; eigenvalues: number[]; maxError9: number | null }[];
  /** Largest relative linearity error of the monomials(3) eigenfunctions on held-out trajectories. */
  validityMaxError: number;
}

export interface E7Conserved {
  system: string;
  trainTrajectories: number;
  trainSteps: number;
  heldOutTrajectories: number;
  heldOutSteps: number;
  dictionary: string;
  rank: number;
  /** Eigenvalues with |λ − 1| ≤ 1e-3 (the candidate space). */
  unitEigenvalues: { re: number; im: number }[];
  /** Relative variance along held-out trajectories of every non-constant candidate, ascending. */
  candidateVariances: number[];
  confirmed: number;
  relativeVariance: number;
  /** Pearson r with the known invariant over the held-out states. */
  correlation: number;
  eigenvalue: number;
  /** Dictionary coefficients of the best candidate, scaled to the reference term, |c| ≥ 1e-4. */
  coefficients: { label: string; value: number }[];
  /** Linearity error of the best and worst eigenfunctions (validity check). */
  validityBest: number;
  validityWorst: number;
}

export interface E7Result extends RunInfo {
  linear: E7Linear;
  pendulum: E7Conserved;
  lotkaVolterra: E7Conserved;
  flipflop: E7FlipFlop;
}

interface Cfg {
  train: number; steps: number; heldOut: number; heldSteps: number;
  flip: { hidden: number; T: number; batch: number; steps: number; candidates: number; maxIters: number; evalEvery: number };
}

function config(ctx: Ctx): Cfg {
  return pick<Cfg>(ctx, {
    full: { train: 200, steps: 200, heldOut: 50, heldSteps: 2000, flip: { hidden: 16, T: 200, batch: 32, steps: 1500, candidates: 512, maxIters: 2000, evalEvery: 100 } },
    quick: { train: 200, steps: 100, heldOut: 20, heldSteps: 1000, flip: { hidden: 16, T: 100, batch: 16, steps: 600, candidates: 256, maxIters: 1000, evalEvery: 100 } },
    tiny: { train: 20, steps: 50, heldOut: 4, heldSteps: 200, flip: { hidden: 4, T: 30, batch: 4, steps: 3, candidates: 9, maxIters: 100, evalEvery: 2 } },
  });
}

const J = [[0.9, -0.1], [0, 0.8]];
const CIRCLE = Array.from({ length: 180 }, (_, k) => [Math.cos((2 * Math.PI * k) / 180), Math.sin((2 * Math.PI * k) / 180)] as [number, number]);
const pt = (l: analysis.Complex): [number, number] => [l.re, l.im];

function linearPart(ctx: Ctx, rep: Report): E7Linear {
  const trs = linearTrajectories(J, 100, 10, ctx.rng('e7-linear'));
  const X = trs.flatMap((t) => t.slice(0, -1));
  const Y = trs.flatMap((t) => t.slice(1));
  const expected: number[] = [];
  for (let i = 0; i <= 3; i++) for (let j = 0; i + j <= 3; j++) expected.push(0.9 ** i * 0.8 ** j);
  expected.sort((a, b) => b - a);
  const err9 = (ls: analysis.Complex[]): number | null => (ls.length < 9 ? null : Math.max(...ls.slice(0, 9).map((l, k) => Math.hypot(l.re - expected[k]!, l.im))));
  const d = analysis.dmd(X, Y);
  const runs: [string, analysis.KoopmanResult][] = [
    ['EDMD monomials(2)', analysis.edmd({ trajectories: trs }, { dictionary: analysis.monomials(2) })],
    ['EDMD monomials(3)', analysis.edmd({ trajectories: trs }, { dictionary: analysis.monomials(3) })],
    ['EDMD hermite(3)', analysis.edmd({ trajectories: trs }, { dictionary: analysis.hermite(3) })],
    ['kernel EDMD polynomial(3), rank 10', analysis.kernelEdmd({ X: X.slice(0, 200), Y: Y.slice(0, 200) }, { kernel: analysis.polynomialKernel(3), rank: 10 })],
  ];
  const rows = runs.map(([method, r]) => ({ method, functions: r.rank, eigenvalues: r.eigenvalues.map((l) => round(l.re, 10)), maxError9: err9(r.eigenvalues) }));
  const validity = analysis.validityCheck(runs[1]![1], linearTrajectories(J, 10, 30, ctx.rng('e7-linear-held')));
  const res: E7Linear = { expected, dmd: d.eigenvalues.map((l) => round(l.re, 12)), rows, validityMaxError: validity.at(-1)!.relativeError };
  ctx.log(`e7 linear: DMD ${res.dmd.join(', ')}; ${rows.map((r) => `${r.method}: max error ${r.maxError9 === null ? '–' : fmt(r.maxError9)}`).join('; ')}`);
  rep.table(['method', 'functions / rank', 'max |λ_k − 0.9^i·0.8^j| over the leading 9', 'eigenvalues'], rows.map((r) => [
    r.method, r.functions, r.maxError9 === null ? `only ${r.eigenvalues.length} eigenvalues` : fmt(r.maxError9, 2), r.eigenvalues.map((v) => fmt(v, 6)).join(', '),
  ]));
  rep.p(`Exact DMD (rank 2): ${res.dmd.join(', ')}. Validity check of the monomials(3) eigenfunctions on 10 held-out trajectories of 30 steps: largest relative linearity error ${fmt(res.validityMaxError, 2)}.`);
  rep.svg('linear-eigenvalues.svg', 'Linear map: EDMD eigenvalues', scatterSvg('J = [[0.9, −0.1], [0, 0.8]]: EDMD (monomials ≤ 3) vs 0.9^i·0.8^j', 'Re λ', 'Im λ', [
    { name: '0.9^i·0.8^j, i + j ≤ 3', pts: expected.map((v) => [v, 0] as [number, number]), r: 7 },
    { name: 'EDMD monomials(3)', pts: runs[1]![1].eigenvalues.map(pt), r: 4 },
    { name: 'kernel EDMD', pts: runs[3]![1].eigenvalues.map(pt), r: 2 },
  ]));
  return res;
}

interface ConservedCase {
  system: string;
  train: Traj[];
  held: Traj[];
  dictionary: analysis.Dictionary;
  invariant: (x: ArrayLike<number>) => number;
  invariantName: string;
  /** Coefficients are scaled so that this label's equals value. */
  reference: { label: string; value: number };
  file: string;
}

function conservedPart(ctx: Ctx, rep: Report, c: ConservedCase): E7Conserved {
  const r = analysis.edmd({ trajectories: c.train }, { dictionary: c.dictionary });
  const cq = analysis.conservedQuantities(r, c.held);
  const v = analysis.validityCheck(r, c.held.map((t) => t.slice(0, 200)));
  const best = cq.candidates[0];
  const states = c.held.flatMap((t) => t.filter((_, i) => i % 10 === 0));
  const rho = best ? correlation(states.map(best.evaluate), states.map(c.invariant)) : NaN;
  const n = c.train[0]![0]!.length;
  const labels = c.dictionary.labels(n);
  const coef = best ? analysis.matvec(r.projection, best.coefficients) : new Float64Array(labels.length);
  const ref = coef[labels.indexOf(c.reference.label)]!;
  const coefficients = labels.map((label, i) => ({ label, value: round((coef[i]! / ref) * c.reference.value, 6) })).filter((x) => Math.abs(x.value) >= 1e-4);
  const res: E7Conserved = {
    system: c.system, trainTrajectories: c.train.length, trainSteps: c.train[0]!.length - 1, heldOutTrajectories: c.held.length, heldOutSteps: c.held[0]!.length - 1,
    dictionary: c.dictionary.name, rank: r.rank, unitEigenvalues: cq.unitEigenvalues.map((l) => ({ re: round(l.re, 10), im: round(l.im, 10) })),
    candidateVariances: cq.candidates.map((q) => round(q.relativeVariance, 4)), confirmed: cq.quantities.length,
    relativeVariance: best?.relativeVariance ?? NaN, correlation: round(rho, 10), eigenvalue: round(best?.eigenvalue ?? NaN, 12), coefficients,
    validityBest: v[0]!.relativeError, validityWorst: v.at(-1)!.relativeError,
  };
  ctx.log(`e7 ${c.system}: rank ${r.rank}, ${cq.unitEigenvalues.length} eigenvalues within 1e-3 of 1, ${res.confirmed} confirmed; best relative variance ${fmt(res.relativeVariance)}, r with ${c.invariantName} ${res.correlation}`);
  rep.table(['training data', 'held-out', 'dictionary (rank)', 'eigenvalues within 1e-3 of 1', 'candidates: relative variance', 'best: λ', `r with ${c.invariantName}`], [[
    `${res.trainTrajectories} × ${res.trainSteps} steps`, `${res.heldOutTrajectories} × ${res.heldOutSteps} steps`, `${res.dictionary} (${res.rank})`,
    res.unitEigenvalues.map((l) => fmt(l.re, 10)).join(', '), res.candidateVariances.map((x) => fmt(x, 2)).join(', '), fmt(res.eigenvalue, 12), fmt(res.correlation, 10),
  ]]);
  rep.p(`Best candidate in the dictionary, scaled so that ${c.reference.label} has coefficient ${c.reference.value}: `
    + `${coefficients.map((x) => `${fmt(x.value, 5)}·${x.label}`).join(' + ')}. Validity check (first 200 steps of the held-out trajectories): relative linearity error from ${fmt(res.validityBest, 2)} (best) to ${fmt(res.validityWorst, 2)} (worst).`);
  const idx = states.map((_, i) => i).filter((i) => i % Math.max(1, Math.floor(states.length / 800)) === 0);
  rep.svg(c.file, `${c.system}: conserved eigenfunction vs ${c.invariantName}`, scatterSvg(`${c.system}: λ = 1 eigenfunction vs ${c.invariantName} (held-out states)`, c.invariantName, 'φ (EDMD)', [
    { name: 'held-out states', pts: idx.map((i) => [c.invariant(states[i]!), best ? best.evaluate(states[i]!) : NaN] as [number, number]), r: 2 },
  ]));
  rep.svg(`${c.file.replace('.svg', '')}-eigenvalues.svg`, `${c.system}: EDMD eigenvalues`, scatterSvg(`${c.system}: EDMD eigenvalues`, 'Re λ', 'Im λ', [
    { name: 'unit circle', pts: CIRCLE, r: 0.8 }, { name: 'EDMD', pts: r.eigenvalues.map(pt), r: 4 },
  ]));
  return res;
}

export async function run(opts: RunOptions = {}): Promise<E7Result> {
  const ctx = context('e7', opts);
  const cfg = config(ctx);
  const rep = new Report('E7 — Koopman analysis: DMD, EDMD and conserved quantities');
  rep.p(`Config ${ctx.config}, seed ${ctx.seed}, backend ${getBackend().name} (the GRU's training only; the Koopman numerics are float64 TypeScript). `
    + 'Snapshots are pairs (x_t, x_{t+1}); EDMD truncates Ψ_X at singular values below 1e-10·σ₁, no ridge. Conserved quantities: the eigenspace of the eigenvalues within 1e-3 of 1, '
    + 'constant direction projected out, confirmed when the variance along each held-out trajectory is ≤ 1e-6 of the variance over all held-out states.');
  rep.h2('A. Linear map J = [[0.9, −0.1], [0, 0.8]]');
  rep.p('100 trajectories of 10 steps from x_0 uniform in [−1, 1]². The monomials of degree ≤ d span a space the map leaves invariant, so EDMD on them is exact: its eigenvalues are 0.9^i·0.8^j, i + j ≤ d.');
  const linear = linearPart(ctx, rep);
  rep.h2('B. Pendulum q̈ = −sin q (leapfrog, dt 0.01)');
  const pendulum = conservedPart(ctx, rep, {
    system: 'pendulum', train: pendulumTrajectories(cfg.train, cfg.steps, ctx.rng('e7-pendulum')), held: pendulumTrajectories(cfg.heldOut, cfg.heldSteps, ctx.rng('e7-pendulum-held')),
    dictionary: pendulumDictionary(), invariant: pendulumEnergy, invariantName: 'energy ½p² − cos q', reference: { label: '(p)^2', value: 0.5 }, file: 'pendulum-energy.svg',
  });
  rep.h2('C. Lotka–Volterra (leapfrog in log coordinates, dt 0.01)');
  rep.p(`ẋ = αx − βxy, ẏ = δxy − γy with α = ${LV.alpha}, β = ${LV.beta}, γ = ${LV.gamma}, δ = ${LV.delta}; invariant δx − γ log x + βy − α log y.`);
  const lotkaVolterra = conservedPart(ctx, rep, {
    system: 'Lotka–Volterra', train: lotkaVolterraTrajectories(cfg.train, cfg.steps, ctx.rng('e7-lv')), held: lotkaVolterraTrajectories(cfg.heldOut, cfg.heldSteps, ctx.rng('e7-lv-held')),
    dictionary: analysis.logAugmented(analysis.monomials(1)), invariant: lvInvariant, invariantName: 'LV invariant', reference: { label: 'x0', value: LV.delta }, file: 'lv-invariant.svg',
  });
  rep.h2('D. GRU trained on the 3-bit flip-flop');
  rep.p(`GRU ${cfg.flip.hidden} units + linear read-out, trained as in E5 (T = ${cfg.flip.T}, ${cfg.flip.steps} Adam steps). DMD (full rank) and EDMD with [1, h] on the validation `
    + 'sequences\' hidden states between input pulses (input 0), against the Jacobian eigenvalues at the fixed points that analysis.findFixedPoints finds at input 0.');
  const flipflop = flipFlopPart(ctx, cfg.flip, rep);
  const result: E7Result = { ...info(ctx), linear, pendulum, lotkaVolterra, flipflop };
  rep.write(ctx.outDir, result);
  return result;
}
