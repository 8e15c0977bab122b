/**
 * Lyapunov exponents by the QR method (Benettin et al. 1980; Shimada & Nagashima 1979) for any
 * discrete-time map given as a step function and its Jacobian: Q_{n+1} R_n = J(s_n) Q_n,
 * λ_i ≈ (1/N) Σ_n log R_n[i, i], in nats per step. Works for autonomous dynamics (a constant
 * input x*) and input-driven dynamics (a given input sequence), for RNN/LSTM/GRU cells through
 * {@link cellSystem} or any hand-written map (e.g. {@link linearSystem}).
 */
import type { Tensor } from '../tensor/tensor.js';
import { Rng } from '../util/rng.js';
import { checkOptions } from '../ops/checks.js';
import { ShapeError, ValueError } from '../util/errors.js';
import { fmtShape } from '../util/shape.js';
import { stepValues, type Cell } from './cell.js';
import { jacobian } from './jacobian.js';
import { matmulMatrix, matvec, qr, zerosMatrix, type Matrix } from './linalg.js';

/** A discrete-time dynamical system s_{t+1} = step(s_t, t) on R^dim. */
export interface StepSystem {
  readonly dim: number;
  step(s: Float64Array, t: number): Float64Array;
  /** ∂step/∂s at (s, t): a dim×dim matrix. */
  jacobian(s: Float64Array, t: number): Matrix;
  /** Number of steps available (input-driven systems); undefined = unbounded. */
  readonly length?: number;
}

/** The linear map s' = W s (exponents = log |eigenvalues of W| ). */
export function linearSystem(W: Matrix): StepSystem {
  if (W.rows !== W.cols) throw new ShapeError('linearSystem', 'a square matrix', `${W.rows}×${W.cols}`);
  return { dim: W.rows, step: (s) => matvec(W, s), jacobian: () => W };
}

export interface CellSystemOptions {
  /** Constant input x* (size I; default zeros): autonomous dynamics. */
  input?: ArrayLike<number>;
  /** Input sequence (T, I), or (T, B, I) with `sample`: input-driven dynamics over T steps. */
  inputs?: Tensor;
  /** Batch row of a (T, B, I) sequence (default 0). */
  sample?: number;
}

/** A Cell's step map as a {@link StepSystem}, autonomous (constant input) or input-driven. */
export function cellSystem(cell: Cell, opts: CellSystemOptions = {}): StepSystem {
  checkOptions('cellSystem', opts, ['input', 'inputs', 'sample']);
  const I = cell.inputSize;
  if (opts.input && opts.inputs) throw new ValueError('cellSystem', 'input or inputs, not both', 'both');
  if (opts.inputs) {
    const xs = opts.inputs;
    const ok = (xs.ndim === 2 || xs.ndim === 3) && xs.shape[xs.ndim - 1] === I;
    if (!ok) throw new ShapeError('cellSystem: inputs', `(T, ${I}) or (T, B, ${I})`, fmtShape(xs.shape));
    const T = xs.shape[0]!;
    const B = xs.ndim === 3 ? xs.shape[1]! : 1;
    const b = opts.sample ?? 0;
    if (!(Number.isInteger(b) && b >= 0 && b < B)) throw new ValueError('cellSystem: sample', `a batch row in [0, ${B})`, String(b));
    const x = (t: number): ArrayLike<number> => {
      if (t >= T) throw new ValueError('cellSystem', `a step < ${T} (the input length)`, String(t));
      return xs.data.subarray((t * B + b) * I, (t * B + b + 1) * I);
    };
    return { dim: cell.stateSize, length: T, step: (s, t) => stepValues(cell, s, x(t)), jacobian: (s, t) => jacobian(cell, s, x(t)) };
  }
  const x = Float64Array.from(opts.input ?? new Float64Array(I));
  if (x.length !== I) throw new ShapeError('cellSystem: input', `an input of size ${I}`, String(x.length));
  return { dim: cell.stateSize, step: (s) => stepValues(cell, s, x), jacobian: (s) => jacobian(cell, s, x) };
}

export interface LyapunovOptions {
  /** Number of leading exponents (default: all, dim). */
  k?: number;
  /** Steps run before accumulating (state and tangent frame both evolve), default 100. */
  warmup?: number;
  /** Maximum accumulation steps (default 10000, or what the input sequence leaves). */
  maxSteps?: number;
  /** Minimum accumulation steps before convergence may stop the run (default 2·window). */
  minSteps?: number;
  /** Converged when every running exponent changed by less than tol over the last window (default 1e-5). */
  tol?: number;
  /** Window of the convergence test and spacing of the recorded history (default 100). */
  window?: number;
  /** Draws the random initial tangent frame (default: Rng(0)). */
  rng?: Rng;
}

export interface LyapunovResult {
  /** Leading exponents, descending, in nats per step. */
  exponents: number[];
  converged: boolean;
  /** Accumulation steps used (after warmup). */
  steps: number;
  /** Running estimates every `window` steps: history[i] after historySteps[i] steps. */
  history: number[][];
  historySteps: number[];
  /** State at the end of the run. */
  state: Float64Array;
}

/**
 * The k leading Lyapunov exponents of `sys` from `s0` by repeated QR re-orthonormalisation.
 * @example
 * const sys = cellSystem(cellOf(rnn), { input: [0] });
 * const { exponents, converged } = lyapunovExponents(sys, h0, { k: 3, warmup: 500 });
 */
export function lyapunovExponents(sys: StepSystem, s0: ArrayLike<number>, opts: LyapunovOptions = {}): LyapunovResult {
  checkOptions('lyapunovExponents', opts, ['k', 'warmup', 'maxSteps', 'minSteps', 'tol', 'window', 'rng']);
  const n = sys.dim;
  const k = opts.k ?? n;
  const warmup = opts.warmup ?? 100;
  const window = opts.window ?? 100;
  const tol = opts.tol ?? 1e-5;
  const avail = sys.length === undefined ? Infinity : sys.length - warmup;
  const maxSteps = Math.min(opts.maxSteps ?? 10000, avail);
  const minSteps = opts.minSteps ?? 2 * window;
  if (!(Number.isInteger(k) && k >= 1 && k <= n)) throw new ValueError('lyapunovExponents: k', `an integer in [1, ${n}]`, String(k));
  if (s0.length !== n) throw new ShapeError('lyapunovExponents', `an initial state of size ${n}`, String(s0.length));
  if (!(maxSteps >= 1)) throw new ValueError('lyapunovExponents', 'at least one step after warmup', `${sys.length} steps and warmup ${warmup}`);
  if (!(Number.isInteger(window) && window >= 1)) throw new ValueError('lyapunovExponents: window', 'a positive integer', String(window));
  const rng = opts.rng ?? new Rng(0);
  const init = zerosMatrix(n, k);
  for (let i = 0; i < init.data.length; i++) init.data[i] = rng.normal();
  let Q = qr(init).Q;
  let s: Float64Array = Float64Array.from(s0);
  let t = 0;
  const advance = (acc: Float64Array | null): void => {
    const J = sys.jacobian(s, t);
    s = sys.step(s, t);
    t++;
    const f = qr(matmulMatrix(J, Q));
    Q = f.Q;
    if (acc) for (let i = 0; i < k; i++) acc[i] += Math.log(f.R.data[i * k + i]!);
  };
  for (let i = 0; i < warmup; i++) advance(null);
  const sums = new Float64Array(k);
  const history: number[][] = [];
  const historySteps: number[] = [];
  let steps = 0;
  let converged = false;
  while (steps < maxSteps) {
    advance(sums);
    steps++;
    if (steps % window !== 0) continue;
    const est = Array.from(sums, (v) => v / steps);
    const prev = history[history.length - 1];
    history.push(est);
    historySteps.push(steps);
    if (prev && steps >= minSteps && est.every((v, i) => Math.abs(v - prev[i]!) < tol)) {
      converged = true;
      break;
    }
  }
  return { exponents: Array.from(sums, (v) => v / steps), converged, steps, history, historySteps, state: s };
}
