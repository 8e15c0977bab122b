/**
 * Readings: short sentences computed from the instruments' numbers. Every word that judges
 * ("contracting", "vanishing", "well described") comes from a threshold below, and every
 * number in a sentence is the measured one.
 */
import type { DmdSummary, FixedPointSummary, GradientFlowSummary, InstrumentResults, LyapunovSummary } from './instruments.js';

/**
 * Thresholds of the readings.
 * - `neutralBand` (nats/step): a Lyapunov exponent or a per-step gradient log-factor within
 *   ±0.005 of 0 changes a perturbation by less than a factor e^0.5 ≈ 1.65 over 100 steps, which
 *   over the sequence lengths of these tasks is indistinguishable from neutral.
 * - `memorySv`: a direction "keeps" information over a span when the singular value of the
 *   Jacobian product is ≥ 0.01 (a perturbation keeps at least 1 % of its size).
 * - `r2Good` / `r2Partial`: a linear map "describes" the state motion when it explains ≥ 90 % of
 *   the variance of the step-to-step change, "partly" from 50 %.
 * - `unit`: an eigenvalue modulus within 1e-3 of 1 is marginal (as analysis.classify).
 */
export const THRESHOLDS = { neutralBand: 0.005, memorySv: 0.01, r2Good: 0.9, r2Partial: 0.5, unit: 1e-3 } as const;

/** A number for a sentence: 3 significant digits, exponent notation when tiny or huge. */
export function fmt(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(1).replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

const steps = (n: number): string => `${fmt(n)} step${n === 1 ? '' : 's'}`;
const pct = (v: number): string => `${Number((100 * v).toPrecision(3))} %`;

/** ‖∂L/∂s‖ at `lag` steps before the last, relative to the last step's. */
export function gradientRatio(g: GradientFlowSummary, lag: number): number {
  const last = g.gradNorm[g.lags.indexOf(0)]!;
  return g.gradNorm[g.lags.indexOf(lag)]! / last;
}

export function gradientReadings(g: GradientFlowSummary): string[] {
  const out: string[] = [];
  const K = g.steps - 1;
  const last = g.gradNorm[g.lags.indexOf(0)]!;
  if (!(last > 0)) return [`the loss (${g.lossLabel}) does not depend on this layer's last state: no gradient to follow`];
  if (K < 1) return ['sequences of one step: no gradient flow through time to measure'];
  for (const lag of [10, 100].filter((l) => l < K)) out.push(`gradients reaching ${steps(lag)} back: ${fmt(gradientRatio(g, lag))} of the last step's`);
  const rK = gradientRatio(g, K);
  out.push(`gradients reaching ${steps(K)} back (the start of the sequence): ${fmt(rK)} of the last step's`);
  const logRate = Math.log(rK) / K;
  const band = THRESHOLDS.neutralBand;
  if (logRate < -band) out.push(`vanishing: on average ×${fmt(Math.exp(logRate))} per step (halving every ${steps(Math.LN2 / -logRate)})`);
  else if (logRate > band) out.push(`growing: on average ×${fmt(Math.exp(logRate))} per step (doubling every ${steps(Math.LN2 / logRate)}) — exploding over long sequences`);
  else out.push(`roughly preserved: ×${fmt(Math.exp(logRate))} per step on average (within e^±${band} of 1)`);
  const j = g.spans.length - 1;
  if (j >= 0) {
    const span = g.spans[j]!;
    const logs = g.logSingularValues[j]!;
    const keep = logs.filter((l) => l >= Math.log(THRESHOLDS.memorySv)).length;
    out.push(`after ${steps(span)}, a state perturbation keeps at most ${fmt(Math.exp(logs[0]!))} of its size (σ₁ of ∂s_T/∂s_T−${span}); ${keep} of ${logs.length} directions keep ≥ ${pct(THRESHOLDS.memorySv)}`);
  }
  return out;
}

export function lyapunovReadings(l: LyapunovSummary): string[] {
  const l1 = l.exponents[0]!;
  const band = THRESHOLDS.neutralBand;
  const out: string[] = [];
  const se = l.stdErr?.[0];
  const pm = !l.converged && se !== undefined && Number.isFinite(se) ? ` ± ${fmt(se)}` : '';
  if (l1 < -band) out.push(`largest Lyapunov exponent ${fmt(l1)}${pm} per step: contracting — nearby trajectories converge, a perturbation shrinks by e every ${steps(-1 / l1)}, so the state forgets where it started`);
  else if (l1 > band) out.push(`largest Lyapunov exponent ${fmt(l1)}${pm} per step: expanding (chaotic) — nearby trajectories separate by e every ${steps(1 / l1)}, so small input changes have lasting effects`);
  else out.push(`largest Lyapunov exponent ${fmt(l1)}${pm} per step: neutral (within ±${band}) — a perturbation along the leading direction neither grows nor fades over ~${steps(1 / band)}: long memory`);
  const neutral = l.exponents.filter((e) => Math.abs(e) <= band).length;
  const collapsed = l.exponents.filter((e) => e === -Infinity).length;
  const shown = l.exponents.length < l.stateSize ? `${l.exponents.length} leading exponents of ${l.stateSize}` : `${l.stateSize} exponents`;
  out.push(`${shown}: from ${fmt(l1)} to ${fmt(l.exponents.at(-1)!)}; ${neutral} within ±${band} of 0 (${l.steps} steps after ${l.warmup} warm-up steps)`);
  if (collapsed) out.push(`${collapsed} exponent${collapsed > 1 ? 's are' : ' is'} −∞: the step Jacobian has exact zero directions (e.g. ReLU units switched off), which lose a perturbation at once`);
  if (l.converged) out.push(`converged: every exponent changed by less than 1e-5 over the last window`);
  else if (se === undefined) out.push(`too few steps for an error bar (${l.steps}): longer inputs or a larger --budget would give one`);
  else if (Number.isFinite(se) && Math.abs(Math.abs(l1) - band) < 2 * se) out.push(`λ₁ is within two standard errors of the ±${band} neutral band: the verdict is uncertain; longer inputs or --budget full would tighten it`);
  return out;
}

const timeConstant = (m: number): number => -1 / Math.log(m);

export function fixedPointReadings(f: FixedPointSummary): string[] {
  const n = f.points.length;
  if (!n) return [`no fixed or slow point (q < ${fmt(f.tolSlow)}) from ${f.seeds} seeds at the mean input: the autonomous dynamics keep moving there (a cycle or chaos), or the search needs more iterations (--budget full)`];
  const count = (p: (x: FixedPointSummary['points'][number]) => boolean): number => f.points.filter(p).length;
  const fixed = count((p) => p.kind === 'fixed');
  const kinds = ['stable', 'saddle', 'unstable', 'marginal'].map((k) => [k, count((p) => p.stability === k)] as const).filter(([, c]) => c > 0);
  const out = [`${fixed} fixed and ${n - fixed} slow point${n - fixed === 1 ? '' : 's'} at the mean input from ${f.seeds} seeds: ${kinds.map(([k, c]) => `${c} ${k}`).join(', ')}`];
  const stable = f.points.filter((p) => p.stability === 'stable').sort((a, b) => b.count - a.count);
  if (stable.length) {
    const p = stable[0]!;
    const m = p.moduli[0]!;
    out.push(`the most-reached stable point (${p.count} of ${f.seeds} seeds) has slowest mode |λ| = ${fmt(m)} (time constant ${steps(timeConstant(m))}), at ${fmt(p.distance)} × the RMS spread of the visited states from their mean`);
  }
  if (stable.length > 1) out.push(`${stable.length} stable points: multistable at this input (it can hold ${stable.length} discrete memories)`);
  const saddles = f.points.filter((p) => p.stability === 'saddle');
  if (saddles.length) out.push(`${saddles.length} saddle${saddles.length > 1 ? 's' : ''} (${saddles.map((p) => p.unstableDims).join(', ')} unstable direction(s)): boundaries between basins`);
  if (f.lineAttractor) out.push('the points lie along a line and are marginal along it: a line attractor (an integrator)');
  return out;
}

export function dmdReadings(d: DmdSummary): string[] {
  if ('skipped' in d) return [`DMD skipped: ${d.skipped}`];
  const out = [`DMD of ${d.snapshots} consecutive states: rank ${d.rank} of ${d.stateSize} holds ${pct(d.energy)} of their energy`];
  const r2 = d.r2Change;
  const word = r2 >= THRESHOLDS.r2Good ? 'describes it well' : r2 >= THRESHOLDS.r2Partial ? 'describes it partly' : 'describes it poorly';
  out.push(`a linear map of the state alone explains ${pct(r2)} of the variance of the step-to-step change (${word})`);
  const r2u = d.r2WithInput;
  const wordU = r2u >= THRESHOLDS.r2Good ? 'a linear input-driven system describes it well' : r2u >= THRESHOLDS.r2Partial ? 'partly linear' : 'strongly nonlinear';
  out.push(`with the input as well (DMD with control): ${pct(r2u)} — ${wordU}${r2u - r2 >= 0.1 ? '; much of the motion is the input\'s push' : ''}${r2u < THRESHOLDS.r2Good ? `; the remaining ${pct(1 - r2u)} is the nonlinearity` : ''}`);
  const decaying = d.eigenvalues.filter((e) => e.modulus < 1 - THRESHOLDS.unit);
  const unit = d.eigenvalues.filter((e) => Math.abs(e.modulus - 1) <= THRESHOLDS.unit);
  const growing = d.eigenvalues.filter((e) => e.modulus > 1 + THRESHOLDS.unit);
  if (unit.length) out.push(`${unit.length} mode${unit.length > 1 ? 's' : ''} with |λ| ≈ 1 (persistent: the mean state, or a slow drift)`);
  if (growing.length) out.push(`${growing.length} growing mode${growing.length > 1 ? 's' : ''} (largest |λ| = ${fmt(growing[0]!.modulus)})`);
  if (decaying.length) {
    const [slow, fast] = [decaying[0]!, decaying.at(-1)!];
    // A time constant longer than the fitted stretch is an extrapolation: say so rather than quote it bare.
    const beyond = slow.timeConstant! > d.snapshots ? `, longer than the ${d.snapshots} states it was fitted on` : '';
    const fastest = fast.modulus < slow.modulus - 1e-9 ? `, fastest |λ| = ${fmt(fast.modulus)}` : '';
    out.push(`slowest decaying mode |λ| = ${fmt(slow.modulus)} (time constant ${steps(slow.timeConstant!)}${beyond})${fastest}`);
  }
  const osc = d.eigenvalues.filter((e) => e.period !== null && e.im > 0);
  if (osc.length) out.push(`${osc.length} oscillating pair${osc.length > 1 ? 's' : ''}; the slowest-decaying has period ${steps(osc[0]!.period!)} and |λ| = ${fmt(osc[0]!.modulus)}`);
  return out;
}

export interface Readings {
  gradientFlow: string[];
  lyapunov: string[];
  fixedPoints: string[];
  dmd: string[];
}

export function readingsOf(r: InstrumentResults): Readings {
  return { gradientFlow: gradientReadings(r.gradientFlow), lyapunov: lyapunovReadings(r.lyapunov), fixedPoints: fixedPointReadings(r.fixedPoints), dmd: dmdReadings(r.dmd) };
}
