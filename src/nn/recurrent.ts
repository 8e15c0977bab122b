/**
 * nn.RNN / nn.LSTM / nn.GRU and their single-step cells, weight-compatible with PyTorch:
 * the same state-dict keys (weight_ih_l0, bias_hh_l1_reverse, weight_hr_l0, ...), gate order,
 * initialisation U(−1/√H, 1/√H) and output/state conventions. Thin wrappers around the
 * functional `recurrent` op.
 */
import { Tensor } from '../tensor/tensor.js';
import { assertFiniteInput, recurrent, type RecurrentMode, type RecurrentState, type VariationalDropout } from '../ops/recurrent.js';
import { gruLayer, lstmLayer, rnnLayer, type LayerOptions, type LayerResult, type LayerWeights } from '../ops/recurrent-layer.js';
import { cellSpec } from '../ops/cells.js';
import { streamStep } from '../ops/recurrent-step.js';
import { reshape } from '../ops/shape.js';
import { Module } from './module.js';
import { uniformParam } from './init.js';
import { globalRng, type Rng } from '../util/rng.js';
import { OptionError, ShapeError, ValueError } from '../util/errors.js';
import { fmtShape } from '../util/shape.js';

export interface RecurrentModuleOptions {
  numLayers?: number;
  /** Use bias_ih / bias_hh (default true). */
  bias?: boolean;
  batchFirst?: boolean;
  /** Ordinary dropout between layers (training only), as PyTorch; a rate in [0, 1) (PyTorch also accepts 1). */
  dropout?: number;
  bidirectional?: boolean;
  /** LSTM only: project h to this size (PyTorch proj_size). */
  projSize?: number;
  /**
   * LSTM only: start the forget gate's bias at this value (Keras unit_forget_bias uses 1;
   * Jozefowicz et al. 2015; PyTorch has no such option). bias_ih's forget slice is set to the value
   * and bias_hh's to 0, so their sum, the gate's effective bias, equals it; needs bias.
   */
  forgetBias?: number;
  /** RNN only. */
  nonlinearity?: 'tanh' | 'relu';
  /** Time-locked dropout masks (Gal & Ghahramani), one per sequence; training only. */
  variational?: VariationalDropout;
  /** Initialisation and dropout masks (default: the global generator). */
  rng?: Rng;
}

export interface ForwardOptions {
  /**
   * Initial state (zeros when omitted): h (L·D, B, Hout), c (L·D, B, H). An LSTM given h without c
   * starts c at zeros (PyTorch requires both); c given to a GRU/RNN throws.
   */
  state?: RecurrentState | null;
  /** Per-sequence lengths in [1, T]. */
  lengths?: ArrayLike<number> | null;
  /** 0/1 mask (B, T) if batchFirst else (T, B), each row 1s then 0s; converted to lengths. */
  mask?: Tensor | null;
}

const FORWARD_KEYS = ['state', 'lengths', 'mask'];
const MODULE_KEYS = ['numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional', 'projSize', 'forgetBias', 'nonlinearity', 'variational', 'rng'];

function checkKeys(where: string, opts: object, allowed: readonly string[]): void {
  for (const k of Object.keys(opts)) {
    if (!allowed.includes(k)) throw new OptionError(where, `one of ${allowed.join(', ')}`, `unknown option "${k}"`);
  }
}

function checkNonlinearity(where: string, v: unknown): void {
  if (v !== undefined && v !== 'tanh' && v !== 'relu') throw new ValueError(where, 'nonlinearity "tanh" or "relu"', JSON.stringify(v));
}

function checkRate(where: string, name: string, p: number | undefined): void {
  if (p !== undefined && !(p >= 0 && p < 1)) throw new ValueError(where, `${name} a rate in [0, 1)`, String(p));
}

function checkSizes(where: string, sizes: [string, number][]): void {
  for (const [k, v] of sizes) if (!Number.isInteger(v) || v < 1) throw new ValueError(where, `${k} a positive integer`, String(v));
}

/** Is t an initial state of one layer and direction: (1, B, size), or (1, size) unbatched? */
function isState(t: Tensor, unbatched: boolean, B: number, size: number): boolean {
  return unbatched ? t.ndim === 2 && t.shape[0] === 1 && t.shape[1] === size : t.ndim === 3 && t.shape[0] === 1 && t.shape[1] === B && t.shape[2] === size;
}

/** Convert a prefix mask to lengths (throws if a row is not 1…1 0…0 or is empty). */
export function maskToLengths(mask: Tensor, batchFirst: boolean): Int32Array {
  if (mask.ndim !== 2) throw new ShapeError('mask', batchFirst ? '(B, T)' : '(T, B)', fmtShape(mask.shape));
  const [d0, d1] = mask.shape as [number, number];
  const [B, T] = batchFirst ? [d0, d1] : [d1, d0];
  const out = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    let L = 0;
    for (let t = 0; t < T; t++) {
      const v = mask.data[batchFirst ? b * T + t : t * B + b]!;
      if (v !== 0 && v !== 1) throw new ValueError('mask', 'values 0 or 1', `${v} at row ${b}, step ${t}`);
      if (v === 1) {
        if (L !== t) throw new ValueError('mask', `row ${b} to be 1s followed by 0s (a padded suffix)`, `a 1 at step ${t} after a 0`);
        L = t + 1;
      }
    }
    if (L === 0) throw new ValueError('mask', 'at least one real step per row', `an empty row ${b}`);
    out[b] = L;
  }
  return out;
}

abstract class RecurrentBase extends Module {
  readonly mode: RecurrentMode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly projSize: number;
  readonly bias: boolean;
  readonly variational: VariationalDropout | undefined;
  private readonly rng: Rng;

  constructor(mode: RecurrentMode, inputSize: number, hiddenSize: number, opts: RecurrentModuleOptions) {
    super();
    const name = mode === 'lstm' ? 'LSTM' : mode === 'gru' ? 'GRU' : 'RNN';
    checkKeys(name, opts, MODULE_KEYS.filter((k) => ((k !== 'projSize' && k !== 'forgetBias') || mode === 'lstm') && (k !== 'nonlinearity' || mode.startsWith('rnn'))));
    checkSizes(name, [['inputSize', inputSize], ['hiddenSize', hiddenSize], ['numLayers', opts.numLayers ?? 1]]);
    checkNonlinearity(name, opts.nonlinearity);
    checkRate(name, 'dropout', opts.dropout);
    if (opts.variational != null) {
      checkKeys(`${name}: variational`, opts.variational, ['input', 'hidden', 'output']);
      for (const [k, p] of Object.entries(opts.variational)) checkRate(name, `variational.${k}`, p as number | undefined);
    }
    const P = opts.projSize ?? 0;
    if (!Number.isInteger(P) || P < 0 || (P > 0 && P >= hiddenSize)) throw new ValueError(name, `projSize an integer in [0, hiddenSize)`, String(P));
    this.mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = opts.numLayers ?? 1;
    this.bidirectional = opts.bidirectional ?? false;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = opts.dropout ?? 0;
    this.projSize = P;
    this.bias = opts.bias ?? true;
    this.variational = opts.variational;
    this.rng = opts.rng ?? globalRng();
    this.initParameters();
    if (opts.forgetBias !== undefined) this.setForgetBias(opts.forgetBias);
  }

  /** Forget-gate slice [H, 2H) of every layer's bias_ih set to v, of bias_hh to 0. */
  private setForgetBias(v: number): void {
    if (!Number.isFinite(v)) throw new ValueError('LSTM', 'forgetBias a finite number', String(v));
    if (!this.bias) throw new OptionError('LSTM', 'forgetBias only with bias: true', 'bias: false');
    const H = this.hiddenSize;
    for (const w of this.layerWeights()) {
      w.bIh!.data.fill(v, H, 2 * H);
      w.bHh!.data.fill(0, H, 2 * H);
    }
  }

  private get gates(): number {
    return cellSpec(this.mode).gates;
  }

  /** Names of the parameters of layer l, direction d (PyTorch's scheme). */
  private names(l: number, d: number): { wIh: string; wHh: string; bIh: string; bHh: string; wHr: string } {
    const s = `_l${l}${d === 1 ? '_reverse' : ''}`;
    return { wIh: `weight_ih${s}`, wHh: `weight_hh${s}`, bIh: `bias_ih${s}`, bHh: `bias_hh${s}`, wHr: `weight_hr${s}` };
  }

  private initParameters(): void {
    const H = this.hiddenSize;
    const G = this.gates * H;
    const Hout = this.projSize || H;
    const D = this.bidirectional ? 2 : 1;
    const k = 1 / Math.sqrt(H);
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < D; d++) {
        const n = this.names(l, d);
        const I = l === 0 ? this.inputSize : D * Hout;
        this.registerParameter(n.wIh, uniformParam([G, I], k, this.rng));
        this.registerParameter(n.wHh, uniformParam([G, Hout], k, this.rng));
        if (this.bias) {
          this.registerParameter(n.bIh, uniformParam([G], k, this.rng));
          this.registerParameter(n.bHh, uniformParam([G], k, this.rng));
        }
        if (this.projSize > 0) this.registerParameter(n.wHr, uniformParam([this.projSize, H], k, this.rng));
      }
    }
  }

  /** Parameter names per layer and direction (index layer·D + direction), computed once. */
  private nameTable: ReturnType<RecurrentBase['names']>[] | null = null;

  /** Weights for the functional op, index layer·D + direction. */
  layerWeights(): LayerWeights[] {
    const D = this.bidirectional ? 2 : 1;
    if (this.nameTable === null) {
      this.nameTable = [];
      for (let l = 0; l < this.numLayers; l++) for (let d = 0; d < D; d++) this.nameTable.push(this.names(l, d));
    }
    const out: LayerWeights[] = [];
    for (const n of this.nameTable) {
      out.push({
        wIh: this.param(n.wIh), wHh: this.param(n.wHh),
        bIh: this.paramOrNull(n.bIh), bHh: this.paramOrNull(n.bHh), wHr: this.paramOrNull(n.wHr),
      });
    }
    return out;
  }

  /**
   * Run the network over whole sequences.
   * @param x (T, B, I), or (B, T, I) when batchFirst, or unbatched (T, I)
   * @returns output (T, B, D·Hout) (batch-first when batchFirst) and the final state
   */
  forward(x: Tensor, opts: ForwardOptions = {}): { output: Tensor; state: RecurrentState } {
    for (const k in opts) if (k !== 'state' && k !== 'lengths' && k !== 'mask') checkKeys(`${this.constructor.name}.forward`, opts, FORWARD_KEYS);
    if (opts.lengths || opts.mask || x.shape[x.ndim - 1] !== this.inputSize || x.dtype !== this.param('weight_ih_l0').dtype) this.checkForward(x, opts);
    if (!opts.lengths && !opts.mask) {
      const r = this.streamed(x, opts.state ?? null);
      if (r !== null) return r;
    }
    const lengths = opts.mask ? maskToLengths(opts.mask, this.batchFirst) : opts.lengths ?? null;
    return recurrent(this.mode, x, opts.state ?? null, this.layerWeights(), {
      numLayers: this.numLayers, bidirectional: this.bidirectional, batchFirst: this.batchFirst,
      lengths, dropout: this.dropout, variational: this.variational, training: this.training, rng: this.rng,
    });
  }

  /**
   * One step of one layer and direction without a graph to record or dropout to draw (streaming
   * inference): ops/recurrent-step.ts instead of `recurrent`, whose stacking, layout and option
   * handling such a step does not need. Null when it is not such a step, or the state is not one it
   * takes as given (then `recurrent` checks it and throws).
   */
  private streamed(x: Tensor, state: RecurrentState | null): { output: Tensor; state: RecurrentState } | null {
    const unbatched = x.ndim === 2;
    if (this.numLayers !== 1 || this.bidirectional || (this.training && this.variational != null) || (x.ndim !== 3 && !unbatched)) return null;
    const T = unbatched || !this.batchFirst ? x.shape[0]! : x.shape[1]!;
    const B = unbatched ? 1 : this.batchFirst ? x.shape[0]! : x.shape[1]!;
    if (T !== 1) return null;
    const lstm = this.mode === 'lstm';
    const H = this.hiddenSize, Hout = this.projSize || H;
    const h = state?.h ?? null, c = state?.c ?? null;
    if ((h !== null && !isState(h, unbatched, B, Hout)) || (c !== null && (!lstm || !isState(c, unbatched, B, H)))) return null;
    assertFiniteInput(x);
    const n = this.nameTable0;
    const w: LayerWeights = { wIh: this.param(n.wIh), wHh: this.param(n.wHh), bIh: this.paramOrNull(n.bIh), bHh: this.paramOrNull(n.bHh), wHr: this.paramOrNull(n.wHr) };
    const s = streamStep(cellSpec(this.mode).kind, this.mode === 'rnn_relu' ? 'relu' : 'tanh', x, B, h, c, w);
    if (s === null) return null;
    const st = unbatched ? [1, Hout] : [1, B, Hout];
    const output = new Tensor(s.y, this.batchFirst && !unbatched ? [B, 1, Hout] : st);
    if (s.c === null) return { output, state: { h: new Tensor(s.h, st) } };
    return { output, state: { h: new Tensor(s.h, st), c: new Tensor(s.c, unbatched ? [1, H] : [1, B, H]) } };
  }

  /** Parameter names of layer 0, direction 0. */
  private readonly nameTable0 = this.names(0, 0);

  /** The argument checks of forward (only run when something may be wrong or a mask is given). */
  private checkForward(x: Tensor, opts: ForwardOptions): void {
    const where = `${this.constructor.name}.forward`;
    if (opts.lengths && opts.mask) throw new OptionError(where, 'lengths or mask, not both', 'both');
    const I = x.shape[x.ndim - 1];
    if (I !== this.inputSize) throw new ShapeError(where, `input with last size ${this.inputSize}`, fmtShape(x.shape));
    const dtype = this.param('weight_ih_l0').dtype;
    if (x.dtype !== dtype) throw new ValueError(where, `input of the parameters' dtype ${dtype} (convert the module with toDType)`, x.dtype);
    if (opts.mask && (x.ndim === 2 || x.ndim === 3)) {
      // Unbatched (T, I) input takes a mask for one sequence: (1, T) or (T, 1).
      const [T, B] = x.ndim === 2 ? [x.shape[0]!, 1] : this.batchFirst ? [x.shape[1]!, x.shape[0]!] : [x.shape[0]!, x.shape[1]!];
      const want = this.batchFirst ? [B, T] : [T, B];
      if (opts.mask.ndim !== 2 || opts.mask.shape[0] !== want[0] || opts.mask.shape[1] !== want[1]) {
        throw new ShapeError(`${where}: mask`, `shape ${fmtShape(want)} (${this.batchFirst ? 'B, T' : 'T, B'}) matching the input`, fmtShape(opts.mask.shape));
      }
    }
  }
}

/**
 * Elman RNN, h' = tanh|relu(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh).
 * @example
 * const rnn = new RNN(8, 16, { numLayers: 2, nonlinearity: 'relu' });
 * const { output, state } = rnn.forward(x); // x (T, B, 8)
 */
export class RNN extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, opts: RecurrentModuleOptions = {}) {
    super(opts.nonlinearity === 'relu' ? 'rnn_relu' : 'rnn_tanh', inputSize, hiddenSize, opts);
  }
}

/**
 * LSTM with PyTorch's gate order (i, f, g, o) and optional projection (projSize).
 * @example
 * const lstm = new LSTM(32, 128, { numLayers: 2, bidirectional: true, batchFirst: true });
 * const { output, state } = lstm.forward(x, { lengths: [10, 7, 3] }); // state.h, state.c
 */
export class LSTM extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, opts: RecurrentModuleOptions = {}) {
    super('lstm', inputSize, hiddenSize, opts);
  }
}

/**
 * GRU as PyTorch (r, z, n; b_hn inside the reset product; Keras reset_after=True).
 * @example
 * const gru = new GRU(4, 20);
 * const { output, state } = gru.forward(x);
 */
export class GRU extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, opts: RecurrentModuleOptions = {}) {
    super('gru', inputSize, hiddenSize, opts);
  }
}

export interface CellOptions {
  bias?: boolean;
  nonlinearity?: 'tanh' | 'relu';
  rng?: Rng;
}

/** Shared single-step cell: PyTorch names weight_ih, weight_hh, bias_ih, bias_hh. */
abstract class CellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** Which recurrence this cell runs (rnn_tanh, rnn_relu, lstm, gru). */
  readonly mode: RecurrentMode;

  constructor(mode: RecurrentMode, inputSize: number, hiddenSize: number, opts: CellOptions) {
    super();
    checkKeys(this.constructor.name, opts, mode.startsWith('rnn') ? ['bias', 'nonlinearity', 'rng'] : ['bias', 'rng']);
    checkNonlinearity(this.constructor.name, opts.nonlinearity);
    checkSizes(this.constructor.name, [['inputSize', inputSize], ['hiddenSize', hiddenSize]]);
    this.mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.layerOpts = { nonlinearity: mode === 'rnn_relu' ? 'relu' : 'tanh' };
    const G = cellSpec(mode).gates * hiddenSize;
    const k = 1 / Math.sqrt(hiddenSize);
    const rng = opts.rng ?? globalRng();
    this.registerParameter('weight_ih', uniformParam([G, inputSize], k, rng));
    this.registerParameter('weight_hh', uniformParam([G, hiddenSize], k, rng));
    if (opts.bias ?? true) {
      this.registerParameter('bias_ih', uniformParam([G], k, rng));
      this.registerParameter('bias_hh', uniformParam([G], k, rng));
    }
  }

  /** Options of the layer op for this cell (the nonlinearity of an Elman cell), built once. */
  private readonly layerOpts: LayerOptions & { nonlinearity: 'tanh' | 'relu' };

  /**
   * One step: x (B, I) or (I); state h (B, H) [c (B, H)] or unbatched; zeros when omitted. Without a
   * graph to record it is one streamed step (ops/recurrent-step.ts); else the layer op on T = 1 (not
   * `recurrent`: a single layer and direction needs none of its stacking, layout and option handling).
   */
  protected stepCell(x: Tensor, h?: Tensor | null, c?: Tensor | null): { h: Tensor; c?: Tensor } {
    const unbatched = x.ndim === 1;
    const I = this.inputSize;
    if ((x.ndim !== 1 && x.ndim !== 2) || x.shape[x.ndim - 1] !== I) throw new ShapeError(this.constructor.name, `input (B, ${I}) or (${I})`, fmtShape(x.shape));
    const wIh = this.param('weight_ih');
    if (x.dtype !== wIh.dtype) throw new ValueError(this.constructor.name, `input of the parameters' dtype ${wIh.dtype} (convert the cell with toDType)`, x.dtype);
    const B = unbatched ? 1 : x.shape[0]!;
    const lstm = this.mode === 'lstm';
    if (h) this.checkState(h, 'h', unbatched, B, x);
    if (c && lstm) this.checkState(c, 'c', unbatched, B, x);
    assertFiniteInput(x);
    const w: LayerWeights = { wIh, wHh: this.param('weight_hh'), bIh: this.paramOrNull('bias_ih'), bHh: this.paramOrNull('bias_hh') };
    const s = streamStep(cellSpec(this.mode).kind, this.layerOpts.nonlinearity, x, B, h ?? null, lstm ? c ?? null : null, w);
    if (s !== null) {
      const shape = unbatched ? [this.hiddenSize] : [B, this.hiddenSize];
      return { h: new Tensor(s.h, shape), c: s.c ? new Tensor(s.c, shape) : undefined };
    }
    const H = this.hiddenSize;
    const x3 = reshape(x, [1, B, I]);
    const h0 = this.stateIn(h, unbatched, B, x);
    let r: LayerResult;
    if (lstm) r = lstmLayer(x3, h0, this.stateIn(c, unbatched, B, x), w, this.layerOpts);
    else if (this.mode === 'gru') r = gruLayer(x3, h0, w, this.layerOpts);
    else r = rnnLayer(x3, h0, w, this.layerOpts);
    if (!unbatched) return { h: r.h, c: r.c };
    return { h: reshape(r.h, [H]), c: r.c ? reshape(r.c, [H]) : undefined };
  }

  /** Throws unless a given state h or c is (B, H), or (H) unbatched, of x's dtype. */
  private checkState(t: Tensor, n: string, unbatched: boolean, B: number, x: Tensor): void {
    const H = this.hiddenSize;
    const ok = unbatched ? t.ndim === 1 && t.shape[0] === H : t.ndim === 2 && t.shape[0] === B && t.shape[1] === H;
    if (!ok) throw new ShapeError(`${this.constructor.name}: ${n}`, fmtShape(unbatched ? [H] : [B, H]), fmtShape(t.shape));
    if (t.dtype !== x.dtype) throw new ValueError(`${this.constructor.name}: ${n}`, `dtype ${x.dtype}`, t.dtype);
  }

  /** A (checked) state as (B, H) for the layer op (a view when unbatched); zeros when absent. */
  private stateIn(t: Tensor | null | undefined, unbatched: boolean, B: number, x: Tensor): Tensor {
    if (!t) return zerosLike(x, [B, this.hiddenSize]);
    return unbatched ? reshape(t, [1, this.hiddenSize]) : t;
  }
}

function zerosLike(x: Tensor, shape: number[]): Tensor {
  return new Tensor(x.dtype === 'float64' ? new Float64Array(shape.reduce((a, b) => a * b, 1)) : new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
}

/** One Elman RNN step, for streaming inference with a carried state. */
export class RNNCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, opts: CellOptions = {}) {
    super(opts.nonlinearity === 'relu' ? 'rnn_relu' : 'rnn_tanh', inputSize, hiddenSize, opts);
  }
  forward(x: Tensor, h?: Tensor | null): { h: Tensor } {
    return { h: this.stepCell(x, h).h };
  }
}

/** One LSTM step (i, f, g, o), for streaming inference with a carried state. */
export class LSTMCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, opts: CellOptions = {}) {
    super('lstm', inputSize, hiddenSize, opts);
  }
  forward(x: Tensor, state?: { h: Tensor; c: Tensor } | null): { h: Tensor; c: Tensor } {
    const r = this.stepCell(x, state?.h, state?.c);
    return { h: r.h, c: r.c! };
  }
}

/** One GRU step (r, z, n), for streaming inference with a carried state. */
export class GRUCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, opts: CellOptions = {}) {
    super('gru', inputSize, hiddenSize, opts);
  }
  forward(x: Tensor, h?: Tensor | null): { h: Tensor } {
    return { h: this.stepCell(x, h).h };
  }
}
