/**
 * Adapter from the Backend contract (backend.ts: LstmInputs, LstmForwardOut, LstmGrads, …) to the
 * fused native recurrent kernels (native/recurrent.h), which take positional arguments so that a
 * streaming call (B = 1, T = 1) reads no object properties on the C side.
 *
 * Legend: T time, B batch, I input, H hidden, P projection (LSTM, 0 = none), Hout = P > 0 ? P : H,
 *   G gate width (LSTM 4H, GRU 3H, RNN H).
 *
 * Argument order: RECURRENT_ARGS below mirrors native/recurrent.h RC_ARGS_* (the one definition;
 * test/native-recurrent.test.ts compares the two through the addon's recurrentArgs()). Each call
 * fills one reused argument array from the table.
 *
 * Float32Array only (the loader routes float64 calls to the reference backend). The addon throws the
 * typed errors of src/util/errors.ts itself (native/napi_util.h), so nothing is caught or re-parsed here.
 */
import type {
  Backend, Buf, GruForwardOut, GruGrads, LstmForwardOut, LstmGrads, LstmInputs, RecurrentCall, RecurrentInputs, RnnForwardOut,
  RnnGrads, RnnInputs,
} from '../backend.js';
import type { CellKind } from '../recurrent-call.js';
import { OptionError } from '../../util/errors.js';

export type RecurrentMethods = Pick<
  Backend, 'recurrentWorkspace' | 'lstmForward' | 'lstmBackward' | 'gruForward' | 'gruBackward' | 'rnnForward' | 'rnnBackward' | 'recurrentPair'
>;

type Entry = 'lstmForward' | 'lstmBackward' | 'gruForward' | 'gruBackward' | 'rnnForward' | 'rnnBackward';

/** Positional arguments of the native recurrent entry points (native/recurrent.h RC_ARGS_*, mirrored). */
export const RECURRENT_ARGS: { head: readonly string[] } & Record<Entry, readonly string[]> = {
  head: ['dims', 'x', 'h0', 'c0', 'wIh', 'wHh', 'bIh', 'bHh', 'wHr', 'lengths', 'maskX', 'maskH', 'ws'],
  lstmForward: ['y', 'hN', 'cN', 'gates', 'c', 'h', 'm'],
  gruForward: ['y', 'hN', 'gates', 'q', 'h'],
  rnnForward: ['y', 'hN', 'h'],
  lstmBackward: ['gates', 'c', 'h', 'm', 'dy', 'dhN', 'dcN', 'dx', 'dh0', 'dc0', 'dWIh', 'dWHh', 'dBIh', 'dBHh', 'dWHr'],
  gruBackward: ['gates', 'q', 'h', 'dy', 'dhN', 'dx', 'dh0', 'dWIh', 'dWHh', 'dBIh', 'dBHh'],
  rnnBackward: ['h', 'dy', 'dhN', 'dx', 'dh0', 'dWIh', 'dWHh', 'dBIh', 'dBHh'],
};

/** The native entry points this adapter calls (native/addon.c). */
export interface RecurrentAddon {
  recurrentWorkspace(kind: number, T: number, B: number, I: number, H: number, P: number): number;
  lstmForward(...args: unknown[]): void;
  lstmBackward(...args: unknown[]): void;
  gruForward(...args: unknown[]): void;
  gruBackward(...args: unknown[]): void;
  rnnForward(...args: unknown[]): void;
  rnnBackward(...args: unknown[]): void;
  /** native/recurrent.h: a streamed inference step checked once (kind, then the head's arguments). */
  stepPrepare(kind: number, ...head: unknown[]): object;
  /** y null: not written. */
  stepRun(handle: object, x: Buf, h0: Buf, c0: Buf | null, y: Buf | null, hN: Buf, cN: Buf | null): void;
}

export interface RecurrentMethodOptions {
  /**
   * Batch slices: 0 (default) lets the kernel choose from the problem size and the pool's threads;
   * n ≥ 1 forces min(n, B, 16) slices whatever the size (tests exercise the split this way).
   */
  tasks?: number;
}

const KIND = { lstm: 0, gru: 1, rnn: 2 } as const;

function nonlinearityCode(op: string, inp: RnnInputs): number {
  if (inp.nonlinearity === 'tanh') return 0;
  if (inp.nonlinearity === 'relu') return 1;
  throw new OptionError(op, `nonlinearity 'tanh' or 'relu'`, `'${String(inp.nonlinearity)}'`);
}

type Source = Record<string, unknown>;

type Call = (dims: Int32Array, inp: Source, ws: Buf, o: Source, g: Source | null) => void;
type PairCall = (...a: [...Parameters<Call>, ...Parameters<Call>]) => void;

/**
 * A caller of entry point `e`: the inputs of the head by name, then each tail name from the forward
 * outputs / saved buffers (`o`) or, for the gradients (names starting with 'd'), from `g`; absent
 * fields (c0, wHr of a GRU) as null. Generated from RECURRENT_ARGS (constant identifiers only) so
 * that every field is a plain property load and the call passes its arguments directly: a loop over
 * the table costs ~0.5 µs per call (keyed loads, an argument array), +40% on a small streamed step.
 * dirs = 2: the pair form, the arguments of two calls in a row (native/recurrent.h "pair").
 */
function caller(addon: RecurrentAddon, e: Entry, dirs: 1): Call;
function caller(addon: RecurrentAddon, e: Entry, dirs: 2): PairCall;
function caller(addon: RecurrentAddon, e: Entry, dirs: 1 | 2): Call | PairCall {
  const args = (n: string): string[] => {
    const head = RECURRENT_ARGS.head.map((k) => (k === 'dims' || k === 'ws' ? `${k}${n}` : `inp${n}.${k} ?? null`));
    const tail = RECURRENT_ARGS[e].map((k) => `${k[0] === 'd' ? 'g' : 'o'}${n}.${k} ?? null`);
    return [...head, ...tail];
  };
  const params = dirs === 1 ? 'dims, inp, ws, o, g' : 'dims, inp, ws, o, g, dims2, inp2, ws2, o2, g2';
  const list = dirs === 1 ? args('') : [...args(''), ...args('2')];
  const make = new Function('fn', `return (${params}) => fn(${list.join(', ')});`);
  return make(addon[e]) as Call | PairCall;
}

/**
 * Backend methods for the recurrent kernels on top of the native addon's positional entry points.
 * The returned functions reuse one dims array (calls are synchronous), so they allocate nothing.
 */
/** A prepared step: the handle and what it was made from (any change → a new handle). */
interface Prepared {
  handle: object;
  kind: number; B: number; I: number; H: number; P: number; relu: number;
  wIh: Buf; bIh: Buf | null; bHh: Buf | null; wHr: Buf | null; ws: Buf;
  /** Lengths at preparation: a detached buffer reads 0, so it is never used through a stale pointer. */
  n: number;
}

/** What a step reads of any cell's inputs (LSTM: c0, P, wHr). */
type StepInputs = RecurrentInputs & { P?: number; wHr?: Buf | null; c0?: Buf | null };

const total = (inp: StepInputs, ws: Buf): number =>
  inp.wIh.length + inp.wHh.length + (inp.bIh?.length ?? 0) + (inp.bHh?.length ?? 0) + (inp.wHr?.length ?? 0) + ws.length;

/**
 * Streamed inference steps (T = 1, B <= 2, no lengths or masks: a cell, or LSTM.forward on one step)
 * through native stepPrepare / stepRun: the dims, weights, biases and workspace are checked once per
 * weight set and held by a handle, so a step passes 7 arguments instead of 20. Handles are kept per
 * weight_hh array (several models streaming in turn each keep theirs) and remade when any of these
 * arrays or sizes changes; the weights' contents are read at every step (in-place updates are seen).
 */
function stepRunner(a: RecurrentAddon, tasks: number): (kind: number, inp: StepInputs, relu: number, y: Buf, hN: Buf, cN: Buf | null, ws: Buf) => void {
  const handles = new WeakMap<Buf, Prepared>();
  const prepare = (kind: number, inp: StepInputs, relu: number, ws: Buf): Prepared => {
    const P = inp.P ?? 0;
    const dims = Int32Array.of(1, inp.B, inp.I, inp.H, P, 0, relu, tasks, P || inp.H);
    const wHr = inp.wHr ?? null;
    const handle = a.stepPrepare(kind, dims, inp.x, inp.h0, inp.c0 ?? null, inp.wIh, inp.wHh, inp.bIh, inp.bHh, wHr, null, null, null, ws);
    const p: Prepared = { handle, kind, B: inp.B, I: inp.I, H: inp.H, P, relu, wIh: inp.wIh, bIh: inp.bIh, bHh: inp.bHh, wHr, ws, n: total(inp, ws) };
    handles.set(inp.wHh, p);
    return p;
  };
  return (kind, inp, relu, y, hN, cN, ws) => {
    let p = handles.get(inp.wHh);
    if (p === undefined || p.kind !== kind || p.B !== inp.B || p.I !== inp.I || p.H !== inp.H || p.P !== (inp.P ?? 0) || p.relu !== relu ||
        p.wIh !== inp.wIh || p.bIh !== inp.bIh || p.bHh !== inp.bHh || p.wHr !== (inp.wHr ?? null) || p.ws !== ws || p.n !== total(inp, ws)) {
      p = prepare(kind, inp, relu, ws);
    }
    // y given as hN (a cell's step, ops/recurrent-step.ts): the same values, written once
    a.stepRun(p.handle, inp.x, inp.h0, inp.c0 ?? null, y === hN ? null : y, hN, cN);
  };
}

/** A call the prepared step serves: inference on one step of at most 2 rows, no lengths, no masks. */
const isStep = (inp: StepInputs): boolean =>
  inp.inference === true && inp.T === 1 && inp.B <= 2 && inp.lengths === null && inp.maskX === null && inp.maskH === null &&
  (inp.ldy === undefined || inp.ldy === (inp.P || inp.H));

export function makeRecurrentMethods(addon: any, options: RecurrentMethodOptions = {}): RecurrentMethods {
  const a = addon as RecurrentAddon;
  const tasks = options.tasks ?? 0;
  if (!Number.isInteger(tasks) || tasks < 0) throw new OptionError('makeRecurrentMethods', 'tasks an integer >= 0', `${tasks}`);
  const dims = new Int32Array(9), dims2 = new Int32Array(9);
  const setDims = (inp: RecurrentInputs, P: number, nonlinearity: number, d = dims): Int32Array => {
    d[0] = inp.T; d[1] = inp.B; d[2] = inp.I; d[3] = inp.H; d[4] = P;
    d[5] = inp.reverse ? 1 : 0; d[6] = nonlinearity; d[7] = tasks; d[8] = inp.ldy ?? (P || inp.H);
    return d;
  };

  const call = {
    lstmForward: caller(a, 'lstmForward', 1), lstmBackward: caller(a, 'lstmBackward', 1), gruForward: caller(a, 'gruForward', 1),
    gruBackward: caller(a, 'gruBackward', 1), rnnForward: caller(a, 'rnnForward', 1), rnnBackward: caller(a, 'rnnBackward', 1),
  };
  const pairs = Object.fromEntries((Object.keys(call) as Entry[]).map((e) => [e, caller(a, e, 2)])) as Record<Entry, PairCall>;
  const pairDims = (kind: CellKind, inp: RecurrentCall['inp'], d: typeof dims): Int32Array =>
    setDims(inp, kind === 'lstm' ? inp.P : 0, kind === 'rnn' ? nonlinearityCode(`${kind}Pair`, inp) : 0, d);
  const src = (v: unknown): Source => v as Source;
  const step = stepRunner(a, tasks);

  return {
    recurrentWorkspace(kind, d) {
      const k = KIND[kind];
      if (k === undefined) throw new OptionError('recurrentWorkspace', `kind 'lstm', 'gru' or 'rnn'`, `'${String(kind)}'`);
      return a.recurrentWorkspace(k, d.T, d.B, d.I, d.H, kind === 'lstm' ? d.P : 0);
    },
    lstmForward: (inp: LstmInputs, out: LstmForwardOut, ws: Buf) =>
      isStep(inp) ? step(KIND.lstm, inp, 0, out.y, out.hN, out.cN, ws) : call.lstmForward(setDims(inp, inp.P, 0), src(inp), ws, src(out), null),
    lstmBackward: (inp: LstmInputs, saved: LstmForwardOut, g: LstmGrads, ws: Buf) =>
      call.lstmBackward(setDims(inp, inp.P, 0), src(inp), ws, src(saved), src(g)),
    gruForward: (inp: RecurrentInputs, out: GruForwardOut, ws: Buf) =>
      isStep(inp) ? step(KIND.gru, inp, 0, out.y, out.hN, null, ws) : call.gruForward(setDims(inp, 0, 0), src(inp), ws, src(out), null),
    gruBackward: (inp: RecurrentInputs, saved: GruForwardOut, g: GruGrads, ws: Buf) =>
      call.gruBackward(setDims(inp, 0, 0), src(inp), ws, src(saved), src(g)),
    rnnForward: (inp: RnnInputs, out: RnnForwardOut, ws: Buf) => {
      const relu = nonlinearityCode('rnnForward', inp);
      if (isStep(inp)) return step(KIND.rnn, inp, relu, out.y, out.hN, null, ws);
      call.rnnForward(setDims(inp, 0, relu), src(inp), ws, src(out), null);
    },
    rnnBackward: (inp: RnnInputs, saved: RnnForwardOut, g: RnnGrads, ws: Buf) =>
      call.rnnBackward(setDims(inp, 0, nonlinearityCode('rnnBackward', inp)), src(inp), ws, src(saved), src(g)),
    recurrentPair: (kind, x, y) => {
      if (!x.g !== !y.g) throw new OptionError('recurrentPair', 'two forwards or two backwards', 'one of each');
      const e: Entry = `${kind}${x.g ? 'Backward' : 'Forward'}`;
      pairs[e](pairDims(kind, x.inp, dims), src(x.inp), x.ws, src(x.out), x.g && src(x.g),
        pairDims(kind, y.inp, dims2), src(y.inp), y.ws, src(y.out), y.g && src(y.g));
    },
  };
}
