/**
 * The four dynamics instruments run on one layer of a trained recurrent module, within a budget:
 * gradient flow through time, the Lyapunov spectrum of the input-driven dynamics, fixed and slow
 * points with their stability, and a DMD of the state trajectory. Results are plain JSON-able
 * numbers; readings.ts turns them into sentences.
 *
 * State convention (as src/analysis): s = h for RNN/GRU, s = [h, c] for the LSTM.
 */
import { Tensor, analysis, type Rng } from '../../index.js';
import type { Budget } from './budget.js';

/** What is analysed: one layer of a unidirectional module, with real inputs. */
export interface Subject {
  model: analysis.RecurrentModule;
  layer: number;
  /** Held-out batch (T, B, I), time-major, as the module takes it. */
  batch: Tensor;
  /** One long input sequence (N, 1, I) driving the Lyapunov and DMD runs (state carried throughout). */
  drive: Tensor;
  /** Scalar loss of the top layer's output (T, B, H) for gradient flow; default: Σ of the last step's output / B. */
  loss?: (output: Tensor) => Tensor;
  /** What the loss is, in words. */
  lossLabel: string;
  /** What the model is (e.g. "forecast run wind: GRU 32, layer 1 of 2"). */
  description: string;
  /** Where the inputs came from. */
  inputsLabel: string;
  /** The layer and depth in the user's model, when `model` is a one-direction copy of one of its layers. */
  origin?: { layer: number; layers: number };
}

export interface GradientFlowSummary {
  loss: number;
  lossLabel: string;
  batch: number;
  steps: number;
  lags: number[];
  gradNorm: number[];
  cGradNorm: number[] | null;
  initialGradNorm: number;
  spans: number[];
  /** log σ_i of ∂s_{T−1}/∂s_{T−1−k} per span (natural logs; −∞ stored as null in JSON). */
  logSingularValues: number[][];
}

export interface LyapunovSummary {
  exponents: number[];
  stateSize: number;
  converged: boolean;
  /** Standard error of each exponent by batch means over the recorded windows (null with < 3 windows). */
  stdErr: number[] | null;
  warmup: number;
  steps: number;
  history: number[][];
  historySteps: number[];
}

export interface FixedPointSummary {
  input: number[];
  seeds: number;
  iterations: number;
  tolFixed: number;
  tolSlow: number;
  points: {
    kind: 'fixed' | 'slow'; q: number; stability: string; unstableDims: number; marginalDims: number; lineAttractor: boolean; count: number;
    /** Largest eigenvalue moduli of the step Jacobian there, descending. */
    moduli: number[];
    eigenvalues: { re: number; im: number }[];
    /** Distance from the mean visited state, in units of the visited states' RMS spread. */
    distance: number;
    state: number[];
  }[];
  lineAttractor: boolean | null;
}

export interface DmdMode { re: number; im: number; modulus: number; timeConstant: number | null; period: number | null }

export type DmdSummary =
  | { skipped: string }
  | {
    snapshots: number; rank: number; stateSize: number; energy: number; eigenvalues: DmdMode[]; r2Change: number; r2State: number;
    /** R² of the step-to-step change for the least-squares map of [state, input, 1] (DMD with control, Proctor et al. 2016). */
    r2WithInput: number;
  };

export interface InstrumentResults {
  gradientFlow: GradientFlowSummary;
  lyapunov: LyapunovSummary;
  fixedPoints: FixedPointSummary;
  dmd: DmdSummary;
  seconds: Record<'gradientFlow' | 'lyapunov' | 'fixedPoints' | 'dmd', number>;
}

const timed = <T>(f: () => T): [T, number] => {
  const t0 = performance.now();
  const r = f();
  return [r, (performance.now() - t0) / 1000];
};

/** The first `n` sequences of a (T, B, I) batch. */
export function firstSequences(x: Tensor, n: number): Tensor {
  const [T, B, I] = x.shape as [number, number, number];
  if (n >= B) return x;
  const out = new Float64Array(T * n * I);
  for (let t = 0; t < T; t++) out.set(x.data.subarray(t * B * I, (t * B + n) * I), t * n * I);
  return new Tensor(out, [T, n, I]);
}

function gradientFlowOf(s: Subject, b: Budget): GradientFlowSummary {
  const x = firstSequences(analysis.timeMajor(s.model, s.batch), b.batch);
  const g = analysis.gradientFlow(s.model, x, { layer: s.layer, ...(s.loss ? { loss: s.loss } : {}) });
  return {
    loss: g.loss, lossLabel: s.lossLabel, batch: x.shape[1]!, steps: x.shape[0]!, lags: g.lags, gradNorm: g.gradNorm, cGradNorm: g.cGradNorm,
    initialGradNorm: g.initialGradNorm, spans: g.jacobianProducts.map((p) => p.span), logSingularValues: g.jacobianProducts.map((p) => p.logSingularValues),
  };
}

/** The analysed layer's input along the drive, (N, 1, I_layer). */
function layerDrive(s: Subject): Tensor {
  return analysis.layerInput(s.model, analysis.timeMajor(s.model, s.drive), s.layer);
}

function lyapunovOf(s: Subject, cell: analysis.Cell, drive: Tensor, b: Budget, rng: Rng): LyapunovSummary {
  const N = drive.shape[0]!;
  const warmup = Math.min(b.warmup, Math.floor(N / 5));
  const maxSteps = Math.min(b.lyapunovSteps, N - warmup);
  const window = Math.max(10, Math.min(100, Math.floor(maxSteps / 10)));
  const k = Math.min(cell.stateSize, b.name === 'full' ? cell.stateSize : b.name === 'normal' ? 64 : 16);
  const sys = analysis.cellSystem(cell, { inputs: drive });
  const r = analysis.lyapunovExponents(sys, new Float64Array(cell.stateSize), { k, warmup, maxSteps, window, rng });
  // The QR columns settle in descending order only once converged; the spectrum is reported sorted.
  const order = r.exponents.map((_, i) => i).sort((i, j) => r.exponents[j]! - r.exponents[i]!);
  const se = batchMeansError(r.history, r.historySteps);
  return {
    exponents: order.map((i) => r.exponents[i]!), stdErr: se && order.map((i) => se[i]!), stateSize: cell.stateSize, converged: r.converged, warmup, steps: r.steps, history: r.history, historySteps: r.historySteps };
}

/**
 * Input-driven exponents fluctuate with the inputs and never settle to a tolerance; their
 * uncertainty is the spread of the per-window averages (batch means): std / √windows.
 */
function batchMeansError(history: number[][], at: number[]): number[] | null {
  const n = history.length;
  if (n < 3) return null;
  const k = history[0]!.length;
  const means = history.map((h, w) => h.map((v, i) => (w ? (v * at[w]! - history[w - 1]![i]! * at[w - 1]!) / (at[w]! - at[w - 1]!) : v)));
  return Array.from({ length: k }, (_, i) => {
    const m = means.reduce((a, r) => a + r[i]!, 0) / n;
    const v = means.reduce((a, r) => a + (r[i]! - m) ** 2, 0) / (n - 1);
    return Math.sqrt(v / n);
  });
}

function meanRows(x: Float64Array | ArrayLike<number>, width: number): number[] {
  const n = x.length / width;
  const m = new Array<number>(width).fill(0);
  for (let i = 0; i < x.length; i++) m[i % width]! += x[i]! / n;
  return m;
}

function fixedPointsOf(cell: analysis.Cell, layerBatch: Tensor, b: Budget, rng: Rng): FixedPointSummary {
  const I = cell.inputSize;
  const S = cell.stateSize;
  // x* = the mean input the layer sees on the real batch: the "typical" autonomous regime.
  const input = meanRows(layerBatch.data, I);
  const visited = analysis.trajectory(cell, layerBatch);
  const centre = meanRows(visited, S);
  let spread = 0;
  for (let i = 0; i < visited.length; i++) spread += (visited[i]! - centre[i % S]!) ** 2;
  spread = Math.sqrt(spread / (visited.length / S)) || 1;
  const seeds = analysis.sampleStates(cell, layerBatch, { count: b.seeds, noise: 0.01 * spread, rng });
  const tolFixed = 1e-12;
  const tolSlow = 1e-6;
  const r = analysis.findFixedPoints(cell, { initialStates: seeds, input, maxIters: b.iterations, tolFixed, tolSlow });
  const points = r.points.slice(0, 50).map((p) => ({
    kind: p.kind, q: p.q, stability: p.stability, unstableDims: p.unstableDims, marginalDims: p.marginalDims, lineAttractor: p.lineAttractor, count: p.count,
    moduli: p.eigenvalues.slice(0, 8).map(analysis.modulus), eigenvalues: p.eigenvalues.slice(0, 8).map((e) => ({ re: e.re, im: e.im })),
    distance: Math.hypot(...p.state.map((v, j) => v - centre[j]!)) / spread, state: p.state,
  }));
  const lineAttractor = r.points.length >= 2 ? analysis.slowManifold(r.points).isLineAttractor : null;
  return { input, seeds: b.seeds, iterations: b.iterations, tolFixed, tolSlow, points, lineAttractor };
}

/** Smallest rank whose singular values hold `share` of the snapshots' energy Σσ². */
function energyRank(s: readonly number[], share: number): number {
  const tot = s.reduce((a, v) => a + v * v, 0);
  let acc = 0;
  for (let r = 0; r < s.length; r++) {
    acc += s[r]! ** 2;
    if (acc >= share * tot) return r + 1;
  }
  return s.length;
}

const DMD_ENERGY = 0.999;

/**
 * R² of the change y − x explained by y ≈ A x + B u + c (least squares, a 1e-9 relative ridge
 * because one-hot inputs are collinear with the constant).
 */
function r2WithInput(X: number[][], Y: number[][], U: number[][]): number {
  const Z = X.map((x, t) => [...x, ...U[t]!, 1]);
  const p = Z[0]!.length;
  const S = X[0]!.length;
  const G = analysis.zerosMatrix(p, p);
  for (const z of Z) for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) G.data[i * p + j] += z[i]! * z[j]!;
  let tr = 0;
  for (let i = 0; i < p; i++) tr += G.data[i * p + i]!;
  for (let i = 0; i < p; i++) G.data[i * p + i] += 1e-9 * (tr / p);
  let res = 0;
  let tot = 0;
  for (let j = 0; j < S; j++) {
    const d = Y.map((y, t) => y[j]! - X[t]![j]!);
    const beta = analysis.solve(G, Array.from({ length: p }, (_, i) => Z.reduce((a, z, t) => a + z[i]! * Y[t]![j]!, 0)));
    const mean = d.reduce((a, v) => a + v, 0) / d.length;
    Z.forEach((z, t) => {
      const pred = z.reduce((a, v, i) => a + v * beta[i]!, 0) - X[t]![j]!;
      res += (d[t]! - pred) ** 2;
      tot += (d[t]! - mean) ** 2;
    });
  }
  return tot > 0 ? 1 - res / tot : NaN;
}

function dmdOf(cell: analysis.Cell, drive: Tensor, b: Budget): DmdSummary {
  const S = cell.stateSize;
  const traj = analysis.trajectory(cell, drive);
  const N = traj.length / S;
  const start = Math.max(Math.min(b.warmup, Math.floor(N / 5)), N - b.snapshots - 1);
  const rows = Array.from({ length: N - start }, (_, i) => Array.from(traj.subarray((start + i) * S, (start + i + 1) * S)));
  if (rows.length < 3) return { skipped: `only ${rows.length} states along the inputs (at least 3 needed)` };
  const X = rows.slice(0, -1);
  const Y = rows.slice(1);
  const I = cell.inputSize;
  const U = Y.map((_, t) => Array.from(drive.data.subarray((start + t + 1) * I, (start + t + 2) * I)));
  const sv = analysis.singularValues(X);
  if (!(sv[0]! > 1e-12)) return { skipped: 'the states do not move along these inputs (all singular values zero)' };
  const rank = energyRank(sv, DMD_ENERGY);
  const d = analysis.dmd(X, Y, { rank });
  const Ur = Array.from({ length: S }, (_, j) => d.lift(Array.from({ length: S }, (_, i) => (i === j ? 1 : 0))));
  // One-step prediction y ≈ z(x)·K̃·U_rᵀ with z(x) = x·U_r: how much of the motion a linear map captures.
  const predict = (x: readonly number[]): number[] => {
    const zk = analysis.matvec(analysis.transposeMatrix(d.matrix), d.lift(x));
    return Array.from({ length: S }, (_, j) => Ur[j]!.reduce((a, u, i) => a + u * zk[i]!, 0));
  };
  let res = 0;
  let totChange = 0;
  let totState = 0;
  const meanY = meanRows(Float64Array.from(Y.flat()), S);
  const meanDelta = meanRows(Float64Array.from(Y.flatMap((y, t) => y.map((v, j) => v - X[t]![j]!))), S);
  X.forEach((x, t) => {
    const p = predict(x);
    for (let j = 0; j < S; j++) {
      const y = Y[t]![j]!;
      res += (y - p[j]!) ** 2;
      totChange += (y - x[j]! - meanDelta[j]!) ** 2;
      totState += (y - meanY[j]!) ** 2;
    }
  });
  const eigenvalues = d.eigenvalues.map((e): DmdMode => {
    const m = analysis.modulus(e);
    return { re: e.re, im: e.im, modulus: m, timeConstant: m < 1 && m > 0 ? -1 / Math.log(m) : null, period: Math.abs(e.im) > 1e-9 ? (2 * Math.PI) / Math.abs(Math.atan2(e.im, e.re)) : null };
  });
  return {
    snapshots: X.length, rank, stateSize: S, energy: DMD_ENERGY, eigenvalues,
    r2Change: totChange > 0 ? 1 - res / totChange : NaN, r2State: totState > 0 ? 1 - res / totState : NaN, r2WithInput: r2WithInput(X, Y, U),
  };
}

/** Run every instrument on the subject within the budget. */
export function runInstruments(s: Subject, b: Budget, rng: Rng): InstrumentResults {
  const cell = analysis.cellOf(s.model, { layer: s.layer });
  const [gradientFlow, t1] = timed(() => gradientFlowOf(s, b));
  const drive = layerDrive(s);
  const [lyapunov, t2] = timed(() => lyapunovOf(s, cell, drive, b, rng));
  const layerBatch = analysis.layerInput(s.model, firstSequences(analysis.timeMajor(s.model, s.batch), b.batch), s.layer);
  const [fixedPoints, t3] = timed(() => fixedPointsOf(cell, layerBatch, b, rng));
  const [dmd, t4] = timed(() => dmdOf(cell, drive, b));
  return { gradientFlow, lyapunov, fixedPoints, dmd, seconds: { gradientFlow: t1, lyapunov: t2, fixedPoints: t3, dmd: t4 } };
}
