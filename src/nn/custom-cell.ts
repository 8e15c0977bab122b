/**
 * User-defined recurrent cells: write one time step from differentiable ops (`F.*`), and
 * `scan` / `Recurrent` unroll it over a sequence. Backpropagation through time comes from
 * autograd recording every step's ops (as a Python loop over a cell in PyTorch), so any
 * cell built from ops is trainable and gradcheckable without a hand-written backward.
 *
 * This path runs a JavaScript loop of small ops per step: flexible but slower than the
 * built-in `GRU`/`LSTM`, whose whole recurrence runs inside the backend. Use it for cells the
 * built-ins do not cover (GRU-D, peepholes, custom gating).
 */
import { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/tensor.js';
import { allocBuf } from '../tensor/create.js';
import { recordOp, needsGrad } from '../autograd/engine.js';
import { add, mul, sub } from '../ops/elementwise.js';
import { concat, reshape } from '../ops/shape.js';
import { Module } from './module.js';
import { ShapeError, ValueError } from '../util/errors.js';
import { fmtShape } from '../util/shape.js';

/** A cell's state: named tensors, each (B, ·) — `{ h }` for GRU-like cells, `{ h, c }` for LSTM-like. */
export type CellState = Record<string, Tensor>;

/** What a cell sees besides x_t and the state at one step. */
export interface CellStepContext {
  /** The step index t in [0, T). */
  t: number;
  /** Step t of each side-input sequence given to `scan` (e.g. mask, Δt), each (B, ·). */
  inputs: Record<string, Tensor>;
  /** The module's training flag (for dropout inside a cell). */
  training: boolean;
}

/**
 * Base class for a user-defined recurrent cell. Implement `forward(x_t, state, ctx) → state`
 * with ops from `F`; register parameters in the constructor as in any `Module`. Override
 * `initialState` when the state is not one `h` of size `hiddenSize`, and `output` when the
 * per-step output is not `state.h`.
 *
 * @example
 * class MinimalRNNCell extends RecurrentCell {
 *   constructor(readonly inputSize: number, readonly hiddenSize: number) {
 *     super();
 *     this.registerModule('ih', new Linear(inputSize, hiddenSize));
 *     this.registerModule('hh', new Linear(hiddenSize, hiddenSize, { bias: false }));
 *   }
 *   forward(x: Tensor, s: { h: Tensor }): { h: Tensor } {
 *     const [ih, hh] = [this.child('ih') as Linear, this.child('hh') as Linear];
 *     return { h: F.tanh(F.add(ih.forward(x), hh.forward(s.h))) };
 *   }
 * }
 * const rnn = new Recurrent(new MinimalRNNCell(3, 8));
 * const { output, state } = rnn.forward(x, { lengths: [5, 3] }); // x (T, B, 3) → output (T, B, 8)
 */
export abstract class RecurrentCell<S extends CellState = { h: Tensor }> extends Module {
  /** Size of the per-step output (and of `h` for the default state). */
  abstract readonly hiddenSize: number;

  /** One step: x_t (B, I), the state after step t−1 → the state after step t. */
  abstract forward(x: Tensor, state: S, ctx: CellStepContext): S;

  /** The state before step 0 (default: `{ h }` of zeros (B, hiddenSize)). */
  initialState(batch: number, dtype: DType): S {
    return { h: new Tensor(allocBuf(dtype, batch * this.hiddenSize), [batch, this.hiddenSize]) } as unknown as S;
  }

  /**
   * Optional: compute everything that does not depend on the state for all steps at once,
   * before the loop (e.g. the input projection as one (T·B, I)×(I, G) product instead of T
   * small ones). Receives the whole x (T, B, I) and side inputs (T, B, ·); returns the
   * sequences `forward` then sees step by step. Gradients flow through it like any op.
   */
  precompute?(x: Tensor, inputs: Record<string, Tensor>): { x: Tensor; inputs: Record<string, Tensor> };

  /** The per-step output, (B, hiddenSize) (default `state.h`). */
  output(state: S): Tensor {
    const h = state['h'];
    if (!h) throw new ValueError(`${this.constructor.name}.output`, 'a state with h (or an output() override)', Object.keys(state).join(', '));
    return h;
  }

  /** A registered child module by name (for cells that compose Linear layers). */
  child(name: string): Module {
    const m = this.namedModules().find(([n]) => n === name);
    if (!m) throw new ValueError(`${this.constructor.name}.child`, 'a registered submodule', `"${name}"`);
    return m[1];
  }
}

export interface ScanOptions<S extends CellState> {
  /** Initial state (the cell's `initialState` when omitted). */
  state?: S | null;
  /** Per-sequence lengths in [1, T]: past its length a sequence's state is frozen and its output is 0. */
  lengths?: ArrayLike<number> | null;
  /** Side-input sequences, each (T, B, ·), handed to the cell step by step as `ctx.inputs`. */
  inputs?: Record<string, Tensor>;
  /** Training flag passed to the cell (default: the cell's `training`). */
  training?: boolean;
}

/**
 * Split (T, B, ·) into T tensors (B, ·) with one graph node, so backward writes one gradient
 * buffer instead of T full-size ones.
 */
export function unbindTime(x: Tensor): Tensor[] {
  if (x.ndim < 2) throw new ShapeError('unbindTime', 'a sequence (T, B, ...)', fmtShape(x.shape));
  const T = x.shape[0]!;
  const rest = x.shape.slice(1);
  const w = x.size / T;
  const outs: Tensor[] = [];
  for (let t = 0; t < T; t++) outs.push(new Tensor(x.data.subarray(t * w, (t + 1) * w), rest));
  if (needsGrad([x])) {
    recordOp('unbindTime', [x], outs, (gs) => {
      const dx = allocBuf(x.dtype, x.size);
      gs.forEach((g, t) => { if (g) dx.set(g, t * w); });
      return [dx];
    });
  }
  return outs;
}

function checkScan(where: string, x: Tensor, opts: ScanOptions<CellState>): void {
  if (x.ndim !== 3) throw new ShapeError(where, 'x (T, B, I)', fmtShape(x.shape));
  const [T, B] = x.shape as [number, number];
  for (const [k, s] of Object.entries(opts.inputs ?? {})) {
    if (s.ndim < 2 || s.shape[0] !== T || s.shape[1] !== B) throw new ShapeError(`${where}: inputs.${k}`, `(${T}, ${B}, ...)`, fmtShape(s.shape));
  }
  if (opts.lengths) {
    if (opts.lengths.length !== B) throw new ShapeError(`${where}: lengths`, `${B} lengths`, String(opts.lengths.length));
    for (let b = 0; b < B; b++) {
      const L = opts.lengths[b]!;
      if (!Number.isInteger(L) || L < 1 || L > T) throw new ValueError(`${where}: lengths`, `integers in [1, ${T}]`, `${L} at ${b}`);
    }
  }
}

/** Keep `prev` where the (B, 1) 0/1 column `m` is 0: prev + m·(next − prev). */
function freeze<S extends CellState>(prev: S, next: S, m: Tensor): S {
  const out: CellState = {};
  for (const k of Object.keys(next)) out[k] = add(prev[k]!, mul(m, sub(next[k]!, prev[k]!)));
  return out as S;
}

/**
 * Unroll `cell` over x (T, B, I), time-major. Returns the stacked per-step outputs
 * (T, B, H) and the final state (each sequence's state at its last real step).
 * Gradients flow through every step (BPTT by autograd).
 * @example
 * const { output, state } = scan(cell, x, { lengths: [48, 30], inputs: { mask, delta } });
 */
export function scan<S extends CellState>(cell: RecurrentCell<S>, x: Tensor, opts: ScanOptions<S> = {}): { output: Tensor; state: S } {
  const where = `scan(${cell.constructor.name})`;
  checkScan(where, x, opts as ScanOptions<CellState>);
  const [T, B] = x.shape as [number, number];
  const pre = cell.precompute ? cell.precompute(x, opts.inputs ?? {}) : { x, inputs: opts.inputs ?? {} };
  const xs = unbindTime(pre.x);
  const side = Object.entries(pre.inputs).map(([k, s]) => [k, unbindTime(s)] as const);
  const training = opts.training ?? cell.training;
  let state = opts.state ?? cell.initialState(B, x.dtype);
  const outs: Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const inputs: Record<string, Tensor> = {};
    for (const [k, s] of side) inputs[k] = s[t]!;
    let next = cell.forward(xs[t]!, state, { t, inputs, training });
    const active = opts.lengths ? activeColumn(opts.lengths, t, x.dtype) : null;
    if (active) next = freeze(state, next, active);
    state = next;
    const o = cell.output(state);
    outs.push(active ? mul(o, active) : o);
  }
  const H = outs[0]!.shape[1]!;
  const output = reshape(concat(outs, 0), [T, B, H]);
  return { output, state };
}

/** The (B, 1) column of 1 where step t is inside the sequence, or null if all are. */
function activeColumn(lengths: ArrayLike<number>, t: number, dtype: DType): Tensor | null {
  const B = lengths.length;
  let all = true;
  for (let b = 0; b < B; b++) if (t >= lengths[b]!) all = false;
  if (all) return null;
  const m = allocBuf(dtype, B);
  for (let b = 0; b < B; b++) m[b] = t < lengths[b]! ? 1 : 0;
  return new Tensor(m, [B, 1]);
}

/**
 * A layer that unrolls a user-defined cell over time: `nn.Recurrent(cell)` is to a custom
 * cell what `nn.GRU` is to the built-in GRU. Parameters are the cell's, named `cell.*`.
 * @example
 * const layer = new Recurrent(new GRUDCell(33, 49));
 * const { output, state } = layer.forward(x, { inputs: { mask, delta, xLast } });
 */
export class Recurrent<S extends CellState = { h: Tensor }> extends Module {
  readonly cell: RecurrentCell<S>;
  constructor(cell: RecurrentCell<S>) {
    super();
    this.cell = this.registerModule('cell', cell);
  }
  /** x (T, B, I) → output (T, B, H) and the final state. */
  forward(x: Tensor, opts: ScanOptions<S> = {}): { output: Tensor; state: S } {
    return scan(this.cell, x, { training: this.training, ...opts });
  }
}
