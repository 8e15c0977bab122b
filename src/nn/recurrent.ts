/**
 * nn.RNN / nn.LSTM / nn.GRU (their single-step cells: cells.ts), weight-compatible with PyTorch:
 * the same state-dict keys (weight_ih_l0, bias_hh_l1_reverse, weight_hr_l0, ...), gate order,
 * initialisation U(−1/√H, 1/√H) and output/state conventions. Thin wrappers around the
 * functional `recurrent` op.
 */
import { Tensor } from '../tensor/tensor.js';
import { assertFiniteInput, recurrent, type RecurrentMode, type RecurrentState, type VariationalDropout } from '../ops/recurrent.js';
import type { LayerWeights } from '../ops/recurrent-layer.js';
import { cellSpec } from '../ops/cells.js';
import { streamStep } from '../ops/recurrent-step.js';
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

export function checkKeys(where: string, opts: object, allowed: readonly string[]): void {
  for (const k of Object.keys(opts)) {
    if (!allowed.includes(k)) throw new OptionError(where, `one of ${allowed.join(', ')}`, `unknown option "${k}"`);
  }
}

export function checkNonlinearity(where: string, v: unknown): void {
  if (v !== undefined && v !== 'tanh' && v !== 'relu') throw new ValueError(where, 'nonlinearity "tanh" or "relu"', JSON.stringify(v));
}

function checkRate(where: string, name: string, p: number | undefined): void {
  if (p !== undefined && !(p >= 0 && p < 1)) throw new ValueError(where, `${name} a rate in [0, 1)`, String(p));
}

export function checkSizes(where: string, sizes: [string, number][]): void {
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
    const s = streamStep(cellSpec(this.mode).kind, this.mode === 'rnn_relu' ? 'relu' : 'tanh', x, B, h, c, w, true);
    if (s === null) return null;
    const st = unbatched ? [1, Hout] : [1, B, Hout];
    const output = new Tensor(s.y!, this.batchFirst && !unbatched ? [B, 1, Hout] : st);
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
