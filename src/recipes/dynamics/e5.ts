/**
 * E5 — fixed points of trained networks (Sussillo & Barak 2013; Golub & Sussillo 2018).
 *
 * Part A: a GRU trained on the 3-bit flip-flop. With the input held at zero, the fixed-point
 * finder (analysis.findFixedPoints, initial states sampled from real trajectories plus random
 * mixtures of them) should recover 8 stable attractors — one per output pattern (±1, ±1, ±1),
 * read through the trained read-out — and saddles between them (one unstable direction, the
 * read-out of one bit near 0).
 *
 * Part B: a GRU trained on the continuous delayed-response task (hold a value through a delay):
 * at zero input its slow points lie along a line whose read-out sweeps the value range, each with
 * one eigenvalue ≈ 1 along the line (analysis.slowManifold): a line attractor.
 */
import { Adam, F, Rng, Tensor, analysis, delayedResponse, flipFlop, getBackend, noGrad } from '../../index.js';
import { Report, SeqModel, context, fit, fmt, info, pca2, pick, round, scatterSvg, type CellKind, type Ctx, type RunInfo, type RunOptions } from './common.js';

export interface E5Point {
  state: number[];
  q: number;
  stability: string;
  unstableDims: number;
  readout: number[];
  /** Read-out bits with |value| < 0.5 (0 at a corner of the cube, 1 on an edge, 2 on a face, 3 at the centre). */
  undecidedBits: number;
  eigenvalueModuli: number[];
}

export interface E5Result extends RunInfo {
  flipflop: {
    hidden: number;
    steps: number;
    valMse: number;
    fixedPoints: number;
    stable: number;
    /** Distinct sign patterns of the read-out over the stable points (8 = all corners). */
    stablePatterns: number;
    saddles: { unstableDims: number; count: number }[];
    /** Saddles with exactly one unstable direction whose read-out has one bit near 0 and the others near ±1. */
    saddlesBetweenAttractors: number;
    points: E5Point[];
  };
  /** One record per independently trained network (seeds seed·100 + k). */
  lineAttractor: E5LineNetwork[];
  /** Networks that pass slowManifold's strict test. */
  lineAttractorCount: number;
}

export interface E5LineNetwork {
  network: number;
  hidden: number;
  steps: number;
  valMse: number;
  slowPoints: number;
  /** |λ| within tolUnit of 1 counts as marginal (the finder's classification). */
  tolUnit: number;
  /** Share of the slow points' variance along their first principal axis (the line). */
  explainedVariancePC1: number;
  /** analysis.slowManifold: mean |cos| (line direction, local slow direction) and share of points with the line-attractor signature. */
  alignment: number;
  lineAttractorShare: number;
  /** slowManifold's verdict (PC1 ≥ 0.9, alignment and share ≥ 0.9). */
  isLineAttractor: boolean;
  /** Median |cos| between each point's slowest mode and the line, over all slow points. */
  medianSlowModeAlignment: number;
  /** Median modulus of the largest and second eigenvalue over the slow points. */
  medianTopEigenvalue: number;
  medianSecondEigenvalue: number;
  /** Range of the read-out over the slow points (the values the line can hold). */
  readoutRange: [number, number];
}

export interface Cfg { hidden: number; lineHidden: number; lineSteps: number; lineNetworks: number; T: number; batch: number; steps: number; candidates: number; maxIters: number; evalEvery: number }

function config(ctx: Ctx): Cfg {
  return pick<Cfg>(ctx, {
    full: { hidden: 16, lineHidden: 8, lineSteps: 3000, lineNetworks: 5, T: 200, batch: 32, steps: 1500, candidates: 512, maxIters: 2000, evalEvery: 100 },
    quick: { hidden: 16, lineHidden: 8, lineSteps: 1000, lineNetworks: 1, T: 100, batch: 16, steps: 600, candidates: 256, maxIters: 1000, evalEvery: 100 },
    tiny: { hidden: 4, lineHidden: 3, lineSteps: 3, lineNetworks: 1, T: 30, batch: 4, steps: 3, candidates: 9, maxIters: 100, evalEvery: 2 },
  });
}

const TOL_UNIT = 0.002;

/**
 * The flip-flop with every bit defined from the start: a channel whose first pulse comes after
 * step 0 gets a random pulse at step 0, so the targets are always ±1 (as in Sussillo & Barak) and
 * the memory has exactly 8 states.
 */
export function flipFlop8(T: number, B: number, rng: Rng): { x: Tensor; y: Tensor } {
  const d = flipFlop(T, B, { rng });
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < 3; c++) {
      if (d.x.data[b * 3 + c] !== 0) continue;
      const s = rng.bernoulli(0.5) ? 1 : -1;
      d.x.data[b * 3 + c] = s;
      for (let t = 0; t < T && d.y.data[(t * B + b) * 3 + c] === 0; t++) d.y.data[(t * B + b) * 3 + c] = s;
    }
  }
  return d;
}

const readout = (m: SeqModel, h: readonly number[]): number[] => {
  const W = m.head.param('weight');
  const b = m.head.param('bias');
  const [O, H] = W.shape as [number, number];
  return Array.from({ length: O }, (_, o) => b.data[o]! + h.slice(0, H).reduce((s, v, j) => s + v * W.data[o * H + j]!, 0));
};

/** Up to `max` evenly spaced rows (states) of a flat (N·S) trajectory. */
function rowsOf(traj: Float64Array, S: number, max: number): number[][] {
  const N = traj.length / S;
  const n = Math.min(max, N);
  return Array.from({ length: n }, (_, k) => {
    const i = Math.floor((k * N) / n);
    return Array.from(traj.subarray(i * S, (i + 1) * S));
  });
}

/**
 * Initial states for the finder, n in three thirds: trajectory states relaxed for 500 steps at
 * input x* (they settle on the attractors), mixtures w·a + (1 − w)·b of two relaxed states with
 * w ∈ [0.3, 0.7] (they start between attractors, near the saddles), and trajectory states + noise.
 */
export function initialStates(cell: analysis.Cell, xs: Tensor, xStar: number[], n: number, rng: Rng): Float64Array {
  const S = cell.stateSize;
  const out = analysis.sampleStates(cell, xs, { count: n, noise: 0.02, rng });
  const third = Math.ceil(n / 3);
  for (let k = 0; k < third; k++) {
    let s: Float64Array = out.slice(k * S, (k + 1) * S);
    for (let t = 0; t < 500; t++) s = analysis.stepValues(cell, s, xStar);
    out.set(s, k * S);
  }
  for (let k = third; k < Math.min(n, 2 * third); k++) {
    const [i, j] = [rng.int(third), rng.int(third)];
    const w = rng.uniform(0.3, 0.7);
    for (let d = 0; d < S; d++) out[k * S + d] = w * out[i * S + d]! + (1 - w) * out[j * S + d]!;
  }
  return out;
}

export interface FlipFlopTraining {
  /** Cell type (default GRU). */
  kind?: CellKind;
  /** Edit the fresh model before training (an initialisation variant). */
  prepare?: (m: SeqModel, rng: Rng) => void;
  /** Generator label (default 'e5-flipflop'): runs with different labels draw different weights and data. */
  label?: string;
  /** Adam's L2 weight decay (default 0). */
  weightDecay?: number;
  /** Called at every evaluation (step 0 included) with the validation MSE. */
  onEval?: (m: SeqModel, step: number, valMse: number) => void;
}

/** Train a network on the 8-state flip-flop (MSE at every step, Adam lr 1e-2, clip 1). */
export function trainFlipFlop(ctx: Ctx, cfg: Cfg, o: FlipFlopTraining = {}): { m: SeqModel; valMse: number; xs: Tensor } {
  const kind = o.kind ?? 'gru';
  const label = o.label ?? 'e5-flipflop';
  const rng = ctx.rng(label);
  const m = new SeqModel(kind, 3, cfg.hidden, 3, { rng });
  o.prepare?.(m, rng);
  const val = flipFlop8(cfg.T, 128, new Rng(5000 + ctx.seed));
  const params = m.parameters();
  const mse = (d: { x: Tensor; y: Tensor }): Tensor => F.mseLoss(m.every(d.x).y, F.reshape(d.y, [d.y.shape[0]! * d.y.shape[1]!, 3]));
  let step = 0;
  const evaluate = (): number => {
    const v = mse(val).item();
    o.onEval?.(m, step, v);
    return v;
  };
  if (o.onEval) noGrad(evaluate);
  const r = fit({
    steps: cfg.steps, opt: new Adam(params, { lr: 1e-2, weightDecay: o.weightDecay ?? 0 }), params, clip: 1, evalEvery: cfg.evalEvery,
    loss: (i) => {
      step = i + 1; // the evaluation after this update sees step i + 1
      return mse(flipFlop8(cfg.T, cfg.batch, rng));
    },
    evaluate,
    log: ctx.config === 'tiny' ? undefined : ctx.log, label: `${label} ${kind}`,
  });
  return { m, valMse: r.final, xs: analysis.f64(val.x) };
}

/** Part A: train the flip-flop GRU, find and classify its fixed points at input 0, draw them into `rep`. */
export function flipFlopPart(ctx: Ctx, cfg: Cfg, rep: Report): E5Result['flipflop'] {
  const { m, valMse, xs } = trainFlipFlop(ctx, cfg);
  const cell = analysis.cellOf(m.rnn);
  const rng = ctx.rng('e5-fp');
  const init = initialStates(cell, xs, [0, 0, 0], cfg.candidates, rng);
  const { points } = analysis.findFixedPoints(cell, { initialStates: init, input: [0, 0, 0], maxIters: cfg.maxIters, tolUnique: 1e-2 });
  const fixed = points.filter((p) => p.kind === 'fixed' || p.q < 1e-8);
  const pts: E5Point[] = fixed.map((p) => ({
    state: p.state.map((v) => round(v, 6)), q: p.q, stability: p.stability, unstableDims: p.unstableDims,
    readout: readout(m, p.state).map((v) => round(v, 4)), undecidedBits: readout(m, p.state).filter((v) => Math.abs(v) < 0.5).length, eigenvalueModuli: p.eigenvalues.map((e) => round(analysis.modulus(e), 5)),
  }));
  const stable = pts.filter((p) => p.stability === 'stable');
  const patterns = new Set(stable.map((p) => p.readout.map((v) => (v > 0 ? '+' : '−')).join('')));
  const saddles = pts.filter((p) => p.unstableDims > 0);
  const dims = [...new Set(saddles.map((p) => p.unstableDims))].sort((a, b) => a - b);
  const between = saddles.filter((p) => p.unstableDims === 1 && p.undecidedBits === 1).length;
  ctx.log(`e5 flip-flop: val MSE ${fmt(valMse)}; ${pts.length} fixed points, ${stable.length} stable (${patterns.size}/8 patterns), ${saddles.length} saddles (${between} between two attractors)`);

  // Figure: trajectory states and fixed points in the two leading PCs of the trajectories.
  const trajRows = rowsOf(analysis.trajectory(cell, xs), cell.stateSize, 600);
  const proj = pca2([...trajRows, ...pts.map((p) => p.state)], trajRows);
  const P = proj.pts.slice(trajRows.length);
  rep.svg('flipflop-fixed-points.svg', 'Flip-flop: fixed points in the leading PCs', scatterSvg('3-bit flip-flop GRU: fixed points (input 0), PCs of trajectories', 'PC1', 'PC2', [
    { name: 'trajectory states', pts: proj.pts.slice(0, trajRows.length), r: 1.5 },
    { name: 'stable', pts: P.filter((_, i) => pts[i]!.stability === 'stable'), r: 6 },
    ...dims.map((d) => ({ name: `saddle, ${d} unstable`, pts: P.filter((_, i) => pts[i]!.unstableDims === d), r: 4 })),
  ]));
  return {
    hidden: cfg.hidden, steps: cfg.steps, valMse: round(valMse), fixedPoints: pts.length, stable: stable.length, stablePatterns: patterns.size,
    saddles: dims.map((d) => ({ unstableDims: d, count: saddles.filter((p) => p.unstableDims === d).length })), saddlesBetweenAttractors: between, points: pts,
  };
}

function median(a: number[]): number {
  const b = a.filter(Number.isFinite).sort((x, y) => x - y);
  return b.length ? b[Math.floor((b.length - 1) / 2)]! : NaN;
}

function linePart(ctx: Ctx, cfg: Cfg, rep: Report | null, k: number): E5LineNetwork {
  const rng = ctx.rng(`e5-delayed-${k}`);
  const T = ctx.config === 'tiny' ? 30 : 45; // cue 5, delay 10–20, then the response
  const m = new SeqModel('gru', 2, cfg.lineHidden, 1, { rng });
  const val = delayedResponse(T, 128, { rng: new Rng(6000 + ctx.seed) });
  const params = m.parameters();
  const maskedMse = (d: ReturnType<typeof delayedResponse>): Tensor => {
    const y = m.every(d.x).y; // (T·B, 1)
    const mask = F.reshape(d.mask, [d.mask.size, 1]);
    return F.mulScalar(F.sum(F.mul(F.square(F.sub(y, F.reshape(d.y, [d.y.size, 1]))), mask)), 1 / Math.max(1, F.sum(d.mask).item()));
  };
  const r = fit({
    steps: cfg.lineSteps, opt: new Adam(params, { lr: 1e-2 }), params, clip: 1, evalEvery: cfg.evalEvery * 2,
    loss: () => maskedMse(delayedResponse(T, cfg.batch, { rng })), evaluate: () => maskedMse(val).item(),
    log: ctx.config === 'tiny' ? undefined : ctx.log, label: 'e5 delayed response',
  });
  const cell = analysis.cellOf(m.rnn);
  // Initial states: states during the delay (input 0 between the cue, steps 0–4, and the earliest go, step 15).
  const S = cell.stateSize;
  const B = val.x.shape[1]!;
  const early = analysis.trajectory(cell, analysis.f64(F.slice(val.x, 0, 0, 15))); // (15, B, S)
  const init = new Float64Array(cfg.candidates * S);
  for (let n = 0; n < cfg.candidates; n++) {
    const row = (5 + rng.int(10)) * B + rng.int(B);
    for (let j = 0; j < S; j++) init[n * S + j] = early[row * S + j]! + 0.01 * rng.normal();
  }
  const { points } = analysis.findFixedPoints(cell, { initialStates: init, input: [0, 0], maxIters: cfg.maxIters, tolSlow: 1e-6, tolUnit: TOL_UNIT, tolUnique: 1e-3 });
  const man = points.length >= 2 ? analysis.slowManifold(points) : null;
  const top = points.map((p) => analysis.modulus(p.eigenvalues[0]!));
  const second = points.map((p) => (p.eigenvalues[1] ? analysis.modulus(p.eigenvalues[1]) : NaN));
  // |cos| between each point's slowest mode (eigenvector of a real leading eigenvalue) and the line.
  const cosines = man ? points.map((p) => {
    const l = p.eigenvalues[0]!;
    if (l.im !== 0) return NaN;
    const v = analysis.realEigenvector(p.jacobian, l.re);
    return Math.abs(Array.from(v).reduce((a, x, j) => a + x * man.direction[j]!, 0));
  }) : [];
  const outs = points.map((p) => readout(m, p.state)[0]!);
  const res: E5LineNetwork = {
    network: k, hidden: cfg.lineHidden, steps: cfg.lineSteps, valMse: round(r.final), slowPoints: points.length, tolUnit: TOL_UNIT,
    explainedVariancePC1: round(man?.explainedVariance[0] ?? NaN), alignment: round(man?.alignment ?? NaN), lineAttractorShare: round(man?.lineAttractorShare ?? NaN),
    isLineAttractor: man?.isLineAttractor ?? false, medianSlowModeAlignment: round(median(cosines)),
    medianTopEigenvalue: round(median(top)), medianSecondEigenvalue: round(median(second)),
    readoutRange: [round(Math.min(...outs), 3), round(Math.max(...outs), 3)],
  };
  ctx.log(`e5 delayed response #${k}: val MSE ${fmt(r.final)}; ${points.length} slow points, PC1 ${fmt(res.explainedVariancePC1)}, slow mode ∥ line ${fmt(res.medianSlowModeAlignment)}, `
    + `line-attractor share ${fmt(res.lineAttractorShare)} (verdict ${res.isLineAttractor}), median |λ1| ${fmt(res.medianTopEigenvalue, 4)}, |λ2| ${fmt(res.medianSecondEigenvalue, 4)}, read-out ${res.readoutRange.join('…')}`);
  if (rep && points.length >= 2) {
    const rows = rowsOf(analysis.trajectory(cell, analysis.f64(val.x)), S, 600);
    const proj = pca2([...rows, ...points.map((p) => p.state)], rows);
    rep.svg('line-attractor.svg', 'Delayed response: slow points', scatterSvg(`Delayed-response GRU #${k}: slow points (input 0), PCs of trajectories`, 'PC1', 'PC2', [
      { name: 'trajectory states', pts: proj.pts.slice(0, rows.length), r: 1.5 },
      { name: 'slow points', pts: proj.pts.slice(rows.length), r: 4 },
    ]));
    const order = outs.map((_, i) => i).sort((a, b) => outs[a]! - outs[b]!);
    rep.plot('line-eigenvalues.svg', {
      title: `Network #${k}: leading eigenvalue moduli at the slow points`, xLabel: 'read-out of the slow point (held value)', yLabel: '|λ|', logY: false,
      series: [
        { name: '|λ1|', x: order.map((i) => outs[i]!), y: order.map((i) => top[i]!) },
        { name: '|λ2|', x: order.map((i) => outs[i]!), y: order.map((i) => second[i]!) },
      ],
    });
  }
  return res;
}

export async function run(opts: RunOptions = {}): Promise<E5Result> {
  const ctx = context('e5', opts);
  const cfg = config(ctx);
  const rep = new Report('E5 — fixed points: 3-bit flip-flop attractors and a delayed-response line attractor');
  rep.p(`Config ${ctx.config}, seed ${ctx.seed}, backend ${getBackend().name}. Flip-flop: GRU ${cfg.hidden} units + linear read-out, T = ${cfg.T}, Adam lr 1e-2, gradient norm clipped to 1, ${cfg.steps} steps, batch ${cfg.batch}. `
    + `Fixed points at input 0 from ${cfg.candidates} initial states (analysis.findFixedPoints, ${cfg.maxIters} Adam iterations + Newton polish), `
    + 'classified by the eigenvalues of the step-map Jacobian.');
  rep.h2('3-bit flip-flop');
  const flipflop = flipFlopPart(ctx, cfg, rep);
  rep.table(['val MSE', 'fixed points', 'stable', 'read-out patterns of stable points', 'saddles (unstable dims: count)', 'saddles between two attractors'], [[
    flipflop.valMse, flipflop.fixedPoints, flipflop.stable, `${flipflop.stablePatterns}/8`, flipflop.saddles.map((s) => `${s.unstableDims}: ${s.count}`).join(', ') || '–', flipflop.saddlesBetweenAttractors,
  ]]);
  rep.table(['stability', 'unstable dims', 'read-out', 'undecided bits', '|λ| largest three', 'q'], flipflop.points.map((p) => [
    p.stability, p.unstableDims, p.readout.map((v) => fmt(v, 2)).join(', '), p.undecidedBits, p.eigenvalueModuli.slice(0, 3).map((v) => fmt(v, 3)).join(', '), fmt(p.q, 2),
  ]));
  rep.h2('Delayed response: line attractor');
  const line = Array.from({ length: cfg.lineNetworks }, (_, k) => linePart(ctx, cfg, k === 0 ? rep : null, k));
  rep.p(`GRU ${cfg.lineHidden} units on delayedResponse (cue 5 steps, delay 10–20, T = 45), MSE on the response period, ${cfg.lineSteps} steps. Slow points: q < 1e-6; `
    + `|λ| within ${TOL_UNIT} of 1 counts as marginal; a point has the line-attractor signature when exactly one real eigenvalue is marginal and none is unstable.`);
  rep.table(['network', 'val MSE', 'slow points', 'PC1 variance', 'slowest mode ∥ line (median |cos|)', 'median |λ1|', 'median |λ2|', 'signature share', 'slowManifold verdict', 'read-out range'], line.map((l) => [
    `#${l.network}`, l.valMse, l.slowPoints, l.explainedVariancePC1, l.medianSlowModeAlignment, fmt(l.medianTopEigenvalue, 4), fmt(l.medianSecondEigenvalue, 4),
    l.lineAttractorShare, l.isLineAttractor ? 'line attractor' : 'no', l.readoutRange.join(' … '),
  ]));
  const lineAttractorCount = line.filter((l) => l.isLineAttractor).length;
  rep.p(`${lineAttractorCount} of ${line.length} networks pass the strict test. The figures above show network #0.`);
  const result: E5Result = { ...info(ctx), flipflop, lineAttractor: line, lineAttractorCount };
  rep.write(ctx.outDir, result);
  return result;
}
