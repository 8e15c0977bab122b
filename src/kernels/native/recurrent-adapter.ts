/**
 * Adapter from the Backend contract (backend.ts: LstmInputs, LstmForwardOut, LstmGrads, …) to the
 * fused native recurrent kernels (native/recurrent.h), which take positional arguments so that a
 * streaming call (B = 1, T = 1) reads no object properties on the C side.
 *
 * Legend: T time, B batch, I input, H hidden, P projection (LSTM, 0 = none), Hout = P > 0 ? P : H,
 *   G gate width (LSTM 4H, GRU 3H, RNN H).
 *
 * Argument order (recurrent.h is the source of truth):
 *   dims Int32Array [T, B, I, H, P, reverse, nonlinearity (0 tanh | 1 relu), tasks]
 *   head: dims, x, h0, c0, wIh, wHh, bIh, bHh, wHr, lengths, maskX, maskH, ws
 *   lstmForward:  head, y, hN, cN, gates, c, h, m
 *   gruForward:   head, y, hN, gates, q, h
 *   rnnForward:   head, y, hN, h
 *   lstmBackward: head, gates, c, h, m, dy, dhN, dcN, dx, dh0, dc0, dWIh, dWHh, dBIh, dBHh, dWHr
 *   gruBackward:  head, gates, q, h, dy, dhN, dx, dh0, dWIh, dWHh, dBIh, dBHh
 *   rnnBackward:  head, h, dy, dhN, dx, dh0, dWIh, dWHh, dBIh, dBHh
 *   recurrentWorkspace(kind 0 lstm | 1 gru | 2 rnn, T, B, I, H, P)
 *
 * Float32Array only: the C side throws E_VALUE for anything else, so the loader routes Float64Array
 * calls (gradient checks) to the reference backend. Native errors (`op: expected X, got Y` with a
 * code) are rethrown as the matching typed RecurError (ShapeError, ValueError, OptionError).
 */
import type {
  Backend, Buf, GruForwardOut, GruGrads, LstmForwardOut, LstmGrads, LstmInputs, RecurrentInputs, RnnForwardOut,
  RnnGrads, RnnInputs,
} from '../backend.js';
import { OptionError, RecurError, ShapeError, ValueError } from '../../util/errors.js';

export type RecurrentMethods = Pick<
  Backend, 'recurrentWorkspace' | 'lstmForward' | 'lstmBackward' | 'gruForward' | 'gruBackward' | 'rnnForward' | 'rnnBackward'
>;

/** The native entry points this adapter calls (registered by native/addon.c from RC_RECURRENT_EXPORTS). */
export interface RecurrentAddon {
  recurrentWorkspace(kind: number, T: number, B: number, I: number, H: number, P: number): number;
  lstmForward(...args: unknown[]): void;
  lstmBackward(...args: unknown[]): void;
  gruForward(...args: unknown[]): void;
  gruBackward(...args: unknown[]): void;
  rnnForward(...args: unknown[]): void;
  rnnBackward(...args: unknown[]): void;
}

export interface RecurrentMethodOptions {
  /**
   * Batch slices: 0 (default) lets the kernel choose from the problem size and the pool's threads;
   * n ≥ 1 forces min(n, B, 16) slices whatever the size (tests exercise the split this way).
   */
  tasks?: number;
}

const KIND = { lstm: 0, gru: 1, rnn: 2 } as const;

/** Rethrow a native error as the typed error its code names (message `op: expected X, got Y`). */
function typed(e: unknown): unknown {
  if (!(e instanceof Error) || e instanceof RecurError) return e;
  const m = /^([^:]*): expected ([\s\S]*), got ([\s\S]*)$/.exec(e.message);
  if (m === null) return e;
  const code = (e as { code?: unknown }).code;
  const Cls = code === 'E_SHAPE' ? ShapeError : code === 'E_VALUE' ? ValueError : code === 'E_OPTION' ? OptionError : null;
  return Cls === null ? e : new Cls(m[1]!, m[2]!, m[3]!);
}

function nonlinearityCode(op: string, inp: RnnInputs): number {
  if (inp.nonlinearity === 'tanh') return 0;
  if (inp.nonlinearity === 'relu') return 1;
  throw new OptionError(op, `nonlinearity 'tanh' or 'relu'`, `'${String(inp.nonlinearity)}'`);
}

/**
 * Backend methods for the recurrent kernels on top of the native addon's positional entry points.
 * The returned functions reuse one dims array (calls are synchronous), so they allocate nothing.
 */
export function makeRecurrentMethods(addon: any, options: RecurrentMethodOptions = {}): RecurrentMethods {
  const a = addon as RecurrentAddon;
  const tasks = options.tasks ?? 0;
  if (!Number.isInteger(tasks) || tasks < 0) throw new OptionError('makeRecurrentMethods', 'tasks an integer >= 0', `${tasks}`);
  const dims = new Int32Array(8);
  const setDims = (inp: RecurrentInputs, P: number, nonlinearity: number): Int32Array => {
    dims[0] = inp.T; dims[1] = inp.B; dims[2] = inp.I; dims[3] = inp.H; dims[4] = P;
    dims[5] = inp.reverse ? 1 : 0; dims[6] = nonlinearity; dims[7] = tasks;
    return dims;
  };

  return {
    recurrentWorkspace(kind, d) {
      const k = KIND[kind];
      if (k === undefined) throw new OptionError('recurrentWorkspace', `kind 'lstm', 'gru' or 'rnn'`, `'${String(kind)}'`);
      try {
        return a.recurrentWorkspace(k, d.T, d.B, d.I, d.H, kind === 'lstm' ? d.P : 0);
      } catch (e) { throw typed(e); }
    },

    lstmForward(inp: LstmInputs, out: LstmForwardOut, ws: Buf) {
      try {
        a.lstmForward(setDims(inp, inp.P, 0), inp.x, inp.h0, inp.c0, inp.wIh, inp.wHh, inp.bIh, inp.bHh, inp.wHr,
          inp.lengths, inp.maskX, inp.maskH, ws, out.y, out.hN, out.cN, out.gates, out.c, out.h, out.m);
      } catch (e) { throw typed(e); }
    },

    lstmBackward(inp: LstmInputs, saved: LstmForwardOut, g: LstmGrads, ws: Buf) {
      try {
        a.lstmBackward(setDims(inp, inp.P, 0), inp.x, inp.h0, inp.c0, inp.wIh, inp.wHh, inp.bIh, inp.bHh, inp.wHr,
          inp.lengths, inp.maskX, inp.maskH, ws, saved.gates, saved.c, saved.h, saved.m, g.dy, g.dhN, g.dcN,
          g.dx, g.dh0, g.dc0, g.dWIh, g.dWHh, g.dBIh, g.dBHh, g.dWHr);
      } catch (e) { throw typed(e); }
    },

    gruForward(inp: RecurrentInputs, out: GruForwardOut, ws: Buf) {
      try {
        a.gruForward(setDims(inp, 0, 0), inp.x, inp.h0, null, inp.wIh, inp.wHh, inp.bIh, inp.bHh, null,
          inp.lengths, inp.maskX, inp.maskH, ws, out.y, out.hN, out.gates, out.q, out.h);
      } catch (e) { throw typed(e); }
    },

    gruBackward(inp: RecurrentInputs, saved: GruForwardOut, g: GruGrads, ws: Buf) {
      try {
        a.gruBackward(setDims(inp, 0, 0), inp.x, inp.h0, null, inp.wIh, inp.wHh, inp.bIh, inp.bHh, null,
          inp.lengths, inp.maskX, inp.maskH, ws, saved.gates, saved.q, saved.h, g.dy, g.dhN,
          g.dx, g.dh0, g.dWIh, g.dWHh, g.dBIh, g.dBHh);
      } catch (e) { throw typed(e); }
    },

    rnnForward(inp: RnnInputs, out: RnnForwardOut, ws: Buf) {
      const nl = nonlinearityCode('rnnForward', inp);
      try {
        a.rnnForward(setDims(inp, 0, nl), inp.x, inp.h0, null, inp.wIh, inp.wHh, inp.bIh, inp.bHh, null,
          inp.lengths, inp.maskX, inp.maskH, ws, out.y, out.hN, out.h);
      } catch (e) { throw typed(e); }
    },

    rnnBackward(inp: RnnInputs, saved: RnnForwardOut, g: RnnGrads, ws: Buf) {
      const nl = nonlinearityCode('rnnBackward', inp);
      try {
        a.rnnBackward(setDims(inp, 0, nl), inp.x, inp.h0, null, inp.wIh, inp.wHh, inp.bIh, inp.bHh, null,
          inp.lengths, inp.maskX, inp.maskH, ws, saved.h, g.dy, g.dhN,
          g.dx, g.dh0, g.dWIh, g.dWHh, g.dBIh, g.dBHh);
      } catch (e) { throw typed(e); }
    },
  };
}
