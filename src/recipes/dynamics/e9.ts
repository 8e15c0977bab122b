/**
 * E9 — how a vanilla tanh RNN holds the 3-bit flip-flop: fixed points or period-2 orbits.
 *
 * The E5 pilots found that a tanh RNN trained on the flip-flop keeps the bits in period-2
 * orbits: its 8 "corner" fixed points have a real eigenvalue below −1 (a flip instability), so
 * they are saddles and the state alternates around them in a direction the read-out ignores.
 * Here the tools show it and test training changes that might remove it:
 *   - analysis.findFixedPoints at input 0 (stable points, their read-out patterns, and points
 *     with a real eigenvalue < −1);
 *   - orbits: trajectory states relaxed at input 0 for `relax` steps, then classified by
 *     period (|F(s) − s| and |F(F(s)) − s|); a period-2 orbit's stability from the eigenvalues
 *     of J(F(s))·J(s) (its Floquet multipliers); its read-out at both phases.
 * Variants (the same data stream per seed): PyTorch's init; W_hh initialised to the identity
 * (every recurrent eigenvalue starts at +1); L2 weight decay on all weights.
 */
import { Rng, Tensor, analysis } from '../../index.js';
import { Report, context, fmt, fmtCi, info, meanCi, pick, round, scatterSvg, type Ctx, type RunInfo, type RunOptions } from './common.js';
import { flipFlop8, initialStates, trainFlipFlop, type Cfg as FlipFlopCfg, type FlipFlopTraining } from './e5.js';
import type { SeqModel } from './common.js';

export type E9Variant = 'default init' | 'identity W_hh' | 'weight decay';

export interface E9Run {
  variant: E9Variant;
  seed: number;
  valMse: number;
  fixedPoints: number;
  stable: number;
  /** Distinct read-out sign patterns over the stable fixed points (8 = every bit pattern). */
  stablePatterns: number;
  /** Fixed points with a real eigenvalue < −1 (flip-unstable). */
  flipUnstable: number;
  /** Most negative real eigenvalue over the fixed points. */
  minRealEigenvalue: number;
  /** Shares of relaxed states that end at a fixed point, on a period-2 orbit, or neither. */
  period1Share: number;
  period2Share: number;
  /** Distinct stable period-2 orbits and the read-out sign patterns they hold (both phases agree). */
  period2Orbits: number;
  period2Patterns: number;
  /** Memory by fixed points (8 stable patterns, < 10% period 2), by period-2 orbits (≥ 50% period 2), or mixed. */
  mechanism: 'fixed points' | 'period-2 orbits' | 'mixed';
}

export interface E9Result extends RunInfo {
  seeds: number[];
  hidden: number;
  steps: number;
  runs: E9Run[];
  findings: string[];
}

export interface Cfg extends FlipFlopCfg { seeds: number; relax: number; probes: number }

function config(ctx: Ctx): Cfg {
  const none = { lineHidden: 0, lineSteps: 0, lineNetworks: 0 };
  return pick<Cfg>(ctx, {
    full: { ...none, hidden: 16, T: 100, batch: 32, steps: 1500, evalEvery: 250, candidates: 256, maxIters: 1500, seeds: 3, relax: 1000, probes: 256 },
    quick: { ...none, hidden: 16, T: 60, batch: 16, steps: 500, evalEvery: 100, candidates: 128, maxIters: 800, seeds: 1, relax: 500, probes: 128 },
    tiny: { ...none, hidden: 4, T: 10, batch: 4, steps: 4, evalEvery: 2, candidates: 9, maxIters: 50, seeds: 2, relax: 20, probes: 8 },
  });
}

const VARIANTS: { variant: E9Variant; training: FlipFlopTraining }[] = [
  { variant: 'default init', training: {} },
  {
    variant: 'identity W_hh',
    training: {
      prepare: (m) => {
        const w = m.rnn.param('weight_hh_l0');
        const H = w.shape[0]!;
        w.data.fill(0);
        for (let i = 0; i < H; i++) w.data[i * H + i] = 1;
      },
    },
  },
  { variant: 'weight decay', training: { weightDecay: 1e-3 } },
];

const dist = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
};

const readout = (m: SeqModel, h: ArrayLike<number>): number[] => {
  const W = m.head.param('weight');
  const b = m.head.param('bias');
  const [O, H] = W.shape as [number, number];
  return Array.from({ length: O }, (_, o) => {
    let v = b.data[o]!;
    for (let j = 0; j < H; j++) v += h[j]! * W.data[o * H + j]!;
    return v;
  });
};

const pattern = (r: number[]): string => r.map((v) => (v > 0 ? '+' : '−')).join('');

/** Relax probe states at input 0 and classify the orbits they reach. */
function orbits(cell: analysis.Cell, m: SeqModel, probes: Float64Array, relax: number): Pick<E9Run, 'period1Share' | 'period2Share' | 'period2Orbits' | 'period2Patterns'> {
  const S = cell.stateSize;
  const x0 = [0, 0, 0];
  const n = probes.length / S;
  let p1 = 0;
  let p2 = 0;
  const found: Float64Array[] = [];
  const patterns = new Set<string>();
  for (let k = 0; k < n; k++) {
    let s: Float64Array = probes.slice(k * S, (k + 1) * S);
    for (let t = 0; t < relax; t++) s = analysis.stepValues(cell, s, x0);
    const s1 = analysis.stepValues(cell, s, x0);
    const s2 = analysis.stepValues(cell, s1, x0);
    const scale = 1e-4 * Math.max(1, Math.sqrt(S));
    if (dist(s1, s) < scale) p1++;
    else if (dist(s2, s) < scale) {
      p2++;
      if (found.some((f) => dist(f, s) < 1e-2 || dist(f, s1) < 1e-2)) continue;
      const mono = analysis.matmulMatrix(analysis.jacobian(cell, s1, x0), analysis.jacobian(cell, s, x0));
      const stable = analysis.eigenvalues(mono).every((e) => analysis.modulus(e) < 1);
      const [a, b] = [pattern(readout(m, s)), pattern(readout(m, s1))];
      found.push(s);
      if (stable && a === b) patterns.add(a);
    }
  }
  return { period1Share: round(p1 / n, 3), period2Share: round(p2 / n, 3), period2Orbits: found.length, period2Patterns: patterns.size };
}

/** Fixed points and relaxed orbits of a flip-flop tanh RNN at input 0 (the E9 measurements). */
export function analyse(ctx: Ctx, cfg: Cfg, m: SeqModel, xs: Tensor, seed: number): Omit<E9Run, 'variant' | 'seed' | 'valMse'> & { eig: analysis.Complex[] } {
  const cell = analysis.cellOf(m.rnn);
  const rng = ctx.rng(`e9-fp-${seed}`);
  const init = initialStates(cell, xs, [0, 0, 0], cfg.candidates, rng);
  const { points } = analysis.findFixedPoints(cell, { initialStates: init, input: [0, 0, 0], maxIters: cfg.maxIters, tolUnique: 1e-2 });
  const fixed = points.filter((p) => p.kind === 'fixed' || p.q < 1e-8);
  const stable = fixed.filter((p) => p.stability === 'stable');
  const realNeg = (p: analysis.FixedPoint): number => Math.min(...p.eigenvalues.filter((e) => Math.abs(e.im) < 1e-9).map((e) => e.re), Infinity);
  const flip = fixed.filter((p) => realNeg(p) < -1);
  // The point read out nearest a corner (all |bits| largest): the eigenvalues drawn in the figure.
  const corner = [...fixed].sort((a, b) => Math.min(...readout(m, b.state).map(Math.abs)) - Math.min(...readout(m, a.state).map(Math.abs)))[0];
  const probes = analysis.sampleStates(cell, xs, { count: cfg.probes, noise: 0.02, rng });
  const mins = fixed.map(realNeg).filter(Number.isFinite);
  const orb = orbits(cell, m, probes, cfg.relax);
  const stablePatterns = new Set(stable.map((p) => pattern(readout(m, p.state)))).size;
  const mechanism = stablePatterns === 8 && orb.period2Share < 0.1 ? 'fixed points' : orb.period2Share >= 0.5 ? 'period-2 orbits' : 'mixed';
  return {
    fixedPoints: fixed.length, stable: stable.length, stablePatterns, flipUnstable: flip.length,
    minRealEigenvalue: round(mins.length ? Math.min(...mins) : NaN), ...orb, mechanism, eig: corner?.eigenvalues ?? [],
  };
}

/** One hidden unit over `n` steps at input 0 after a flip-flop drive: the oscillation made visible. */
function relaxTrace(m: SeqModel, seed: number, n: number): number[] {
  const cell = analysis.cellOf(m.rnn);
  const drive = analysis.f64(flipFlop8(50, 1, new Rng(9300 + seed)).x);
  let s: Float64Array = analysis.trajectory(cell, drive).slice(-cell.stateSize);
  const rows: Float64Array[] = [];
  for (let t = 0; t < n; t++) rows.push((s = analysis.stepValues(cell, s, [0, 0, 0])));
  // The unit with the largest step-to-step change at the end shows an orbit best.
  const last = rows.at(-1)!;
  const prev = rows.at(-2)!;
  let j = 0;
  for (let i = 1; i < last.length; i++) if (Math.abs(last[i]! - prev[i]!) > Math.abs(last[j]! - prev[j]!)) j = i;
  return rows.map((r) => round(r[j]!, 5));
}

export async function run(opts: RunOptions = {}): Promise<E9Result> {
  const ctx = context('e9', opts);
  const cfg = config(ctx);
  const seeds = Array.from({ length: cfg.seeds }, (_, k) => ctx.seed + k);
  const runs: E9Run[] = [];
  const eig: { name: string; pts: [number, number][] }[] = [];
  const traces: { name: string; y: number[] }[] = [];
  for (const [k, seed] of seeds.entries()) {
    for (const v of VARIANTS) {
      const { m, valMse, xs } = trainFlipFlop(ctx, cfg, { ...v.training, kind: 'rnn', label: `e9-${k}` });
      const a = analyse(ctx, cfg, m, xs, seed);
      const { eig: e, ...rest } = a;
      runs.push({ variant: v.variant, seed, valMse: round(valMse), ...rest });
      ctx.log(`e9 ${v.variant} seed ${seed}: val MSE ${fmt(valMse)}; ${a.stable} stable points (${a.stablePatterns}/8 patterns), ${a.flipUnstable} with λ < −1 (min ${fmt(a.minRealEigenvalue)}); `
        + `relaxed: ${fmt(a.period1Share)} period 1, ${fmt(a.period2Share)} period 2 (${a.period2Orbits} orbits, ${a.period2Patterns} patterns) → ${a.mechanism}`);
      if (k === 0) {
        eig.push({ name: v.variant, pts: e.map((z) => [z.re, z.im]) });
        traces.push({ name: v.variant, y: relaxTrace(m, seed, 40) });
      }
    }
  }
  const result: E9Result = { ...info(ctx), seeds, hidden: cfg.hidden, steps: cfg.steps, runs, findings: findings(runs) };
  write(ctx, cfg, result, eig, traces);
  return result;
}

function findings(runs: E9Run[]): string[] {
  return VARIANTS.map(({ variant }) => {
    const rs = runs.filter((r) => r.variant === variant);
    const count = (m: E9Run['mechanism']): number => rs.filter((r) => r.mechanism === m).length;
    return `${variant}: val MSE ${fmtCi(meanCi(rs.map((r) => r.valMse)))}; memory by fixed points in ${count('fixed points')}/${rs.length} seeds, by period-2 orbits in ${count('period-2 orbits')}, mixed in ${count('mixed')}; `
      + `share of relaxed states on period-2 orbits ${fmtCi(meanCi(rs.map((r) => r.period2Share)))}; stable fixed-point patterns ${rs.map((r) => r.stablePatterns).join(', ')} of 8; `
      + `most negative real eigenvalue at a fixed point ${rs.map((r) => fmt(r.minRealEigenvalue)).join(', ')}.`;
  });
}

function write(ctx: Ctx, cfg: Cfg, r: E9Result, eig: { name: string; pts: [number, number][] }[], traces: { name: string; y: number[] }[]): void {
  const rep = new Report('E9 — fixed points vs period-2 orbits in a tanh RNN trained on the 3-bit flip-flop');
  rep.p(`Config ${ctx.config}, seeds ${r.seeds.join(', ')}, backend ${r.backend}. Vanilla tanh RNN, ${cfg.hidden} units + linear read-out, flip-flop T = ${cfg.T}, batch ${cfg.batch}, `
    + `Adam lr 1e-2, clip 1, ${cfg.steps} steps (E5's loop). Fixed points at input 0 from ${cfg.candidates} initial states (analysis.findFixedPoints); orbits: ${cfg.probes} trajectory states relaxed `
    + `${cfg.relax} steps at input 0, then period 1 if |F(s) − s| < 1e-4·√S, period 2 if |F(F(s)) − s| is; a period-2 orbit is stable when every eigenvalue of J(F(s))·J(s) has modulus < 1. `
    + 'Mechanism: "fixed points" = 8 stable fixed-point patterns and < 10% of relaxed states on period-2 orbits; "period-2 orbits" = ≥ 50% on period-2 orbits; else "mixed". '
    + 'Variants: PyTorch init; W_hh = identity at init; Adam L2 weight decay 1e-3.');
  rep.table(['variant', 'seed', 'val MSE', 'fixed points', 'stable', 'stable patterns', 'with real λ < −1', 'min real λ', 'relaxed: period 1', 'period 2', 'stable period-2 patterns', 'mechanism'],
    r.runs.map((x) => [x.variant, x.seed, x.valMse, x.fixedPoints, x.stable, `${x.stablePatterns}/8`, x.flipUnstable, x.minRealEigenvalue, x.period1Share, x.period2Share, `${x.period2Patterns}/8`, x.mechanism]));
  rep.h2('Findings (computed from the runs)');
  rep.p(r.findings.map((f) => `- ${f}`).join('\n'));
  const circle: [number, number][] = Array.from({ length: 72 }, (_, i) => [Math.cos((i * Math.PI) / 36), Math.sin((i * Math.PI) / 36)]);
  rep.svg('corner-eigenvalues.svg', 'Eigenvalues at the corner fixed point', scatterSvg(`Jacobian eigenvalues at the fixed point nearest a corner, seed ${r.seeds[0]}`, 'Re λ', 'Im λ',
    [{ name: 'unit circle', pts: circle, r: 1 }, ...eig]));
  rep.plot('relax-trace.svg', {
    title: `One hidden unit at input 0 after a flip-flop drive, seed ${r.seeds[0]}`, xLabel: 'step', yLabel: 'h_j', logY: false,
    series: traces.map((t) => ({ name: t.name, x: t.y.map((_, i) => i), y: t.y })),
  });
  rep.write(ctx.outDir, r);
}
