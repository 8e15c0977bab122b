/**
 * E7, part D: Koopman (DMD / EDMD) view of a GRU trained on the 3-bit flip-flop, against the
 * Jacobian spectra at the fixed points that analysis.findFixedPoints reports. The data are the
 * hidden states at zero input (runs between input pulses), i.e. the autonomous map h → F(h, 0).
 */
import { Adam, F, Rng, Tensor, analysis } from '../../index.js';
import { Report, SeqModel, fit, fmt, round, scatterSvg, type Ctx } from './common.js';
import { flipFlop8, initialStates } from './e5.js';
import { zeroInputRuns } from './koopman-systems.js';

export interface E7FlipFlop {
  hidden: number;
  steps: number;
  valMse: number;
  /** Zero-input snapshot pairs (h_t, h_{t+1}) from the validation sequences. */
  pairs: number;
  /** DMD (full rank) eigenvalues, by modulus. */
  dmd: { re: number; im: number; modulus: number }[];
  /** EDMD with the affine dictionary [1, h]: eigenvalues, by modulus. */
  edmdAffine: { re: number; im: number; modulus: number }[];
  /** DMD eigenvalues with ||λ| − 1| ≤ nearOneTol. */
  nearOne: number;
  nearOneTol: number;
  /** Fixed points at input 0 (q < 1e-8): stable ones and saddles. */
  stable: number;
  saddles: number;
  /** Spectral radius of the Jacobian at each stable fixed point. */
  stableSpectralRadii: number[];
  /** Moduli of all Jacobian eigenvalues at the stable points, pooled, largest first (first 12). */
  stableJacobianTop: number[];
  /** Largest modulus among the DMD eigenvalues that are not near 1. */
  dmdLargestOther: number;
  /** EDMD [1, h] eigenvalues within nearOneTol of 1 other than the constant function's (whose φ does not vary over the data). */
  memoryEigenvalues: { re: number; im: number; modulus: number }[];
  /**
   * Cosines of the principal angles between the span of those eigenvalues' Koopman modes (real and
   * imaginary parts) and the span of the leading principal axes (as many) of the centred stable
   * fixed points (1 = the same subspace).
   */
  memoryAlignment: number[];
  /** Share of the stable fixed points' variance on those leading principal axes. */
  attractorPcaShare: number;
  /**
   * Local DMD per stable point: DMD of the deviations (h_t − h*, h_{t+1} − h*) over the pairs with
   * ‖h_t − h*‖ < localRadius, against the Jacobian at h* (leading three moduli each).
   */
  localRadius: number;
  local: { pairs: number; dmdTop: number[]; jacobianTop: number[]; maxDiff: number }[];
}

const TOL = 0.02;
const RADIUS = 0.2;

interface FlipCfg { hidden: number; T: number; batch: number; steps: number; candidates: number; maxIters: number; evalEvery: number }

function train(ctx: Ctx, cfg: FlipCfg): { m: SeqModel; valMse: number; val: { x: Tensor; y: Tensor } } {
  const rng = ctx.rng('e7-flipflop');
  const m = new SeqModel('gru', 3, cfg.hidden, 3, { rng });
  const val = flipFlop8(cfg.T, 128, new Rng(7000 + ctx.seed));
  const params = m.parameters();
  const mse = (d: { x: Tensor; y: Tensor }): Tensor => F.mseLoss(m.every(d.x).y, F.reshape(d.y, [d.y.shape[0]! * d.y.shape[1]!, 3]));
  const r = fit({
    steps: cfg.steps, opt: new Adam(params, { lr: 1e-2 }), params, clip: 1, evalEvery: cfg.evalEvery,
    loss: () => mse(flipFlop8(cfg.T, cfg.batch, rng)), evaluate: () => mse(val).item(),
    log: ctx.config === 'tiny' ? undefined : ctx.log, label: 'e7 flip-flop',
  });
  return { m, valMse: r.final, val };
}


/** Orthonormal basis of the span of the given vectors (at most `max` leading directions, none below 1e-8 of the largest) and each direction's share of the squared norm. */
function orthoBasis(vectors: number[][], max = Infinity): { basis: number[][]; share: number[] } {
  const { s, U } = analysis.svd(analysis.transposeMatrix(analysis.matrix(vectors)));
  const k = Math.min(max, s.filter((v) => v > 1e-8 * s[0]!).length);
  const tot = s.reduce((a, v) => a + v * v, 0);
  return { basis: Array.from({ length: k }, (_, j) => Array.from({ length: U.rows }, (_, i) => U.data[i * U.cols + j]!)), share: s.slice(0, k).map((v) => (v * v) / tot) };
}

/** Indices of the eigenvalues within TOL of the unit circle, split into the constant function's (least variance of φ over the states) and the rest. */
function memoryModes(e: analysis.KoopmanResult, states: number[][]): number[] {
  const near = e.eigenvalues.map((_, i) => i).filter((i) => Math.abs(analysis.modulus(e.eigenvalues[i]!) - 1) <= TOL);
  const spread = (i: number): number => {
    const v = states.map((x) => e.eigenfunctions[i]!(x));
    const [mr, mi] = [v.reduce((a, z) => a + z.re, 0) / v.length, v.reduce((a, z) => a + z.im, 0) / v.length];
    return v.reduce((a, z) => a + (z.re - mr) ** 2 + (z.im - mi) ** 2, 0) / v.reduce((a, z) => a + z.re ** 2 + z.im ** 2, 0);
  };
  const constant = near.reduce((best, i) => (best < 0 || spread(i) < spread(best) ? i : best), -1);
  return near.filter((i) => i !== constant);
}

/** Cosines of the principal angles between two subspaces given by orthonormal bases. */
export function principalCosines(a: number[][], b: number[][]): number[] {
  if (!a.length || !b.length) return [];
  const M = a.map((u) => b.map((v) => u.reduce((s, x, i) => s + x * v[i]!, 0)));
  return analysis.singularValues(M);
}

/** DMD of the deviations from a fixed point over the pairs within RADIUS of it (null when fewer than 2·S pairs). */
function localDmd(p: analysis.FixedPoint, X: number[][], Y: number[][]): E7FlipFlop['local'][number] | null {
  const dx: number[][] = [];
  const dy: number[][] = [];
  X.forEach((x, i) => {
    const d = x.map((v, j) => v - p.state[j]!);
    if (Math.hypot(...d) >= RADIUS) return;
    dx.push(d);
    dy.push(Y[i]!.map((v, j) => v - p.state[j]!));
  });
  if (dx.length < 2 * p.state.length) return null;
  const dmdTop = analysis.dmd(dx, dy, { rcond: 1e-6 }).eigenvalues.slice(0, 3).map((l) => round(analysis.modulus(l), 4));
  const jacobianTop = p.eigenvalues.slice(0, 3).map((l) => round(analysis.modulus(l), 4));
  return { pairs: dx.length, dmdTop, jacobianTop, maxDiff: round(Math.max(...dmdTop.map((v, k) => Math.abs(v - (jacobianTop[k] ?? 0)))), 3) };
}

const spectrum = (ls: analysis.Complex[]): { re: number; im: number; modulus: number }[] => ls.map((l) => ({ re: round(l.re, 6), im: round(l.im, 6), modulus: round(analysis.modulus(l), 6) }));

export function flipFlopPart(ctx: Ctx, cfg: FlipCfg, rep: Report): E7FlipFlop {
  const { m, valMse, val } = train(ctx, cfg);
  const cell = analysis.cellOf(m.rnn);
  const xs = analysis.f64(val.x);
  const runs = zeroInputRuns(cell, xs);
  const X = runs.flatMap((t) => t.slice(0, -1));
  const Y = runs.flatMap((t) => t.slice(1));
  const d = analysis.dmd(X, Y);
  const e = analysis.edmd({ trajectories: runs }, { dictionary: analysis.monomials(1) });
  const init = initialStates(cell, xs, [0, 0, 0], cfg.candidates, ctx.rng('e7-fp'));
  const pts = analysis.findFixedPoints(cell, { initialStates: init, input: [0, 0, 0], maxIters: cfg.maxIters, tolUnique: 1e-2 }).points.filter((p) => p.q < 1e-8);
  const stable = pts.filter((p) => p.stability === 'stable');
  const saddles = pts.filter((p) => p.unstableDims > 0);
  const near = d.eigenvalues.map((l, i) => i).filter((i) => Math.abs(analysis.modulus(d.eigenvalues[i]!) - 1) <= TOL);
  const memory = memoryModes(e, X.filter((_, i) => i % Math.max(1, Math.floor(X.length / 500)) === 0));
  const modeVectors = memory.flatMap((i) => [e.modes[i]!.map((z) => z.re), e.modes[i]!.map((z) => z.im)]).filter((v) => v.some((x) => Math.abs(x) > 1e-12));
  const centre = stable.length ? stable[0]!.state.map((_, j) => stable.reduce((s, p) => s + p.state[j]!, 0) / stable.length) : [];
  const attractors = stable.length > 1 && memory.length ? orthoBasis(stable.map((p) => p.state.map((v, j) => v - centre[j]!)), memory.length) : { basis: [], share: [] };
  const memoryAlignment = principalCosines(modeVectors.length ? orthoBasis(modeVectors).basis : [], attractors.basis).map((v) => round(v, 4));
  const others = d.eigenvalues.filter((_, i) => !near.includes(i)).map(analysis.modulus);
  const pooled = stable.flatMap((p) => p.eigenvalues.map(analysis.modulus)).sort((a, b) => b - a);
  const res: E7FlipFlop = {
    hidden: cfg.hidden, steps: cfg.steps, valMse: round(valMse), pairs: X.length, dmd: spectrum(d.eigenvalues), edmdAffine: spectrum(e.eigenvalues),
    nearOne: near.length, nearOneTol: TOL, stable: stable.length, saddles: saddles.length,
    stableSpectralRadii: stable.map((p) => round(analysis.modulus(p.eigenvalues[0]!), 4)), stableJacobianTop: pooled.slice(0, 12).map((v) => round(v, 4)),
    dmdLargestOther: round(others.length ? Math.max(...others) : NaN, 4), memoryEigenvalues: spectrum(memory.map((i) => e.eigenvalues[i]!)), memoryAlignment,
    attractorPcaShare: round(attractors.share.reduce((a, v) => a + v, 0), 4),
    localRadius: RADIUS, local: stable.map((p) => localDmd(p, X, Y)).filter((l): l is NonNullable<typeof l> => l !== null),
  };
  ctx.log(`e7 flip-flop: val MSE ${fmt(valMse)}; DMD on ${X.length} zero-input pairs: ${near.length} eigenvalues within ${TOL} of the unit circle, largest other ${fmt(res.dmdLargestOther)}; `
    + `${stable.length} stable fixed points, spectral radii ${fmt(Math.min(...res.stableSpectralRadii))}…${fmt(Math.max(...res.stableSpectralRadii))}; EDMD memory eigenvalues ${res.memoryEigenvalues.map((l) => fmt(l.modulus, 5)).join(', ')}, alignment with the attractors ${memoryAlignment.join(', ')}`);
  report(rep, res, d, e, stable, saddles);
  return res;
}

function report(rep: Report, r: E7FlipFlop, d: analysis.KoopmanResult, e: analysis.KoopmanResult, stable: analysis.FixedPoint[], saddles: analysis.FixedPoint[]): void {
  const pt = (l: analysis.Complex): [number, number] => [l.re, l.im];
  const circle = Array.from({ length: 180 }, (_, k) => [Math.cos((2 * Math.PI * k) / 180), Math.sin((2 * Math.PI * k) / 180)] as [number, number]);
  rep.svg('flipflop-spectra.svg', 'Flip-flop GRU: DMD eigenvalues vs Jacobian spectra at fixed points', scatterSvg('Flip-flop GRU (input 0): Koopman vs fixed-point spectra', 'Re λ', 'Im λ', [
    { name: 'unit circle', pts: circle, r: 0.8 },
    { name: 'Jacobian, stable points', pts: stable.flatMap((p) => p.eigenvalues.map(pt)), r: 3 },
    { name: 'Jacobian, saddles (|λ| ≤ 1.5)', pts: saddles.flatMap((p) => p.eigenvalues.filter((l) => analysis.modulus(l) <= 1.5).map(pt)), r: 2 },
    { name: 'EDMD [1, h]', pts: e.eigenvalues.map(pt), r: 6 },
    { name: 'DMD', pts: d.eigenvalues.map(pt), r: 4 },
  ]));
  rep.table(['val MSE', 'zero-input pairs', `DMD |λ| within ${r.nearOneTol} of 1`, 'largest other DMD |λ|', 'EDMD [1, h] memory eigenvalues (constant excluded)', 'stable fixed points', 'their Jacobian spectral radii', 'saddles', 'memory modes vs attractor axes: cosines (axes\' variance share)'], [[
    r.valMse, r.pairs, r.nearOne, r.dmdLargestOther, r.memoryEigenvalues.map((l) => fmt(l.modulus, 5)).join(', '), r.stable,
    r.stableSpectralRadii.length ? `${fmt(Math.min(...r.stableSpectralRadii))} … ${fmt(Math.max(...r.stableSpectralRadii))}` : '–', r.saddles, `${r.memoryAlignment.join(', ')} (${r.attractorPcaShare})`,
  ]]);
  rep.p(`Local DMD: for each stable point h* with at least ${2 * r.hidden} zero-input pairs within ${r.localRadius} of it, DMD of the deviations (h_t − h*, h_{t+1} − h*) against the Jacobian at h*.`);
  rep.table(['stable point', 'pairs', 'local DMD: leading |λ|', 'Jacobian: leading |λ|', 'largest difference'], r.local.map((l, i) => [
    i, l.pairs, l.dmdTop.map((v) => fmt(v, 4)).join(', '), l.jacobianTop.map((v) => fmt(v, 4)).join(', '), l.maxDiff,
  ]));
  rep.p(`DMD |λ| (largest first): ${r.dmd.map((l) => fmt(l.modulus, 4)).join(', ')}. EDMD with [1, h]: ${r.edmdAffine.map((l) => fmt(l.modulus, 4)).join(', ')}. `
    + `Jacobian |λ| at the stable points, pooled, largest first: ${r.stableJacobianTop.map((v) => fmt(v, 3)).join(', ')}.`);
}
