/**
 * One streamed inference step of one recurrent layer — T = 1, one direction, no lengths or masks, no
 * graph recorded — doing what such a step needs and little else: the path of LSTMCell / GRUCell /
 * RNNCell.forward and of LSTM / GRU / RNN.forward on one step (nn/recurrent.ts) under noGrad. It makes
 * the same backend call as the layer op (recurrent-layer.ts) on such a step, so it gives the same bits.
 *
 * What it saves per step (W4, ~2–3 µs of a 12 µs step before): the layer op's weight checks, input
 * list, option objects and discarded output tensors. The weights are checked once per weight set, by
 * the layer op's own checks, and the backend's argument objects are kept with them (a plan per
 * weight_hh tensor): a Tensor's shape and dtype never change, so the same tensor objects need no new
 * check; a replaced tensor (toDType) gets a new plan, and in-place writes (loadStateDict, optimizers)
 * are read by the kernel at every step. Each call checks the dtypes of x, h0, c0 (the callers check
 * their shapes); anything it cannot accept returns null, and the caller runs the layer op, which
 * throws the typed error.
 *
 * Legend: B batch, I input, H hidden, P projection (LSTM, 0 = none), Hout = P || H, G = gates·H.
 */
import type { Backend, Buf, LstmInputs, RecurrentCall, RnnNonlinearity } from '../kernels/backend.js';
import { getBackend } from '../kernels/index.js';
import { Tensor } from '../tensor/tensor.js';
import { isGradEnabled } from '../autograd/engine.js';
import { CELLS, savedSizes, type CellKind } from './cells.js';
import { SLOTS, checkCommon, gateRows, outputBuffers, wsSize, type LayerWeights } from './recurrent-layer.js';
import { runCall } from '../kernels/recurrent-call.js';

/** A step's outputs: y (B, Hout) (null unless asked for), h (B, Hout), c (B, H) (LSTM; else null), fresh buffers. */
export interface StepOutputs {
  y: Buf | null;
  h: Buf;
  c: Buf | null;
}

/** A weight set checked once, and the backend's argument objects for its steps. */
interface Plan {
  be: Backend;
  kind: CellKind;
  nonlinearity: RnnNonlinearity;
  B: number;
  wIh: Tensor; bIh: Tensor | null; bHh: Tensor | null; wHr: Tensor | null;
  f64: boolean;
  /** Elements of x, h0, c0 (c0: 0 for a GRU / RNN). */
  nx: number; nh: number; nc: number;
  /** Zero initial states (never written: kernels do not write their inputs). */
  zh: Buf; zc: Buf | null;
  /**
   * The backend call of a step: x, h0, c0 and y, hN, cN filled in per step; its workspace and the saved
   * buffers the contract asks for (an inference step leaves them unwritten or as scratch) are the
   * plan's own, a few KB, so that a step looks nothing up in the ops' buffer pool.
   */
  call: RecurrentCall;
}

const plans = new WeakMap<Tensor, Plan>();

const needsNoGrad = (x: Tensor, h0: Tensor | null, c0: Tensor | null, w: LayerWeights): boolean =>
  !isGradEnabled() || !(x.requiresGrad || h0?.requiresGrad || c0?.requiresGrad || w.wIh.requiresGrad || w.wHh.requiresGrad ||
    w.bIh?.requiresGrad || w.bHh?.requiresGrad || w.wHr?.requiresGrad);

function planFor(kind: CellKind, nonlinearity: RnnNonlinearity, x: Tensor, B: number, w: LayerWeights): Plan {
  const be = getBackend();
  const p = plans.get(w.wHh);
  if (p !== undefined && p.be === be && p.kind === kind && p.nonlinearity === nonlinearity && p.B === B && p.wIh === w.wIh &&
      p.bIh === w.bIh && p.bHh === w.bHh && p.wHr === (w.wHr ?? null)) return p;
  const spec = CELLS[kind], lstm = kind === 'lstm';
  const G = gateRows(spec, w), H = G / spec.gates;
  const P = lstm && w.wHr ? w.wHr.shape[0]! : 0;
  const Hout = P > 0 ? P : H;
  const f64 = w.wHh.data instanceof Float64Array;
  const zeros = (n: number): Buf => (f64 ? new Float64Array(n) : new Float32Array(n));
  const zh = zeros(B * Hout), zc = lstm ? zeros(B * H) : null;
  // the layer op's checks on the weights (they throw its typed errors), with x and h0 as the op sees them
  checkCommon(kind, new Tensor(x.data, [1, B, x.size / B]), new Tensor(zh, [B, Hout]), w, G, Hout, {});
  const I = x.size / B;
  const like = x.data;
  const inp: LstmInputs & { nonlinearity: RnnNonlinearity } = {
    T: 1, B, I, H, P, x: like, h0: zh, c0: zc!, wIh: w.wIh.data, wHh: w.wHh.data, bIh: w.bIh ? w.bIh.data : null,
    bHh: w.bHh ? w.bHh.data : null, wHr: w.wHr && lstm ? w.wHr.data : null, lengths: null, reverse: false, maskX: null,
    maskH: null, inference: true, nonlinearity,
  };
  const sv = savedSizes(spec, 1, B, H, P).map((n) => (n > 0 ? zeros(n) : null));
  const at = SLOTS[kind], pick = (k: number): Buf | null => (k < 0 ? null : sv[k]!);
  const out: Record<string, Buf | null> = { y: null, hN: null, cN: null, gates: pick(at[0]!), c: pick(at[1]!), h: pick(at[2]!), m: pick(at[3]!), q: pick(at[4]!) };
  const plan: Plan = {
    be, kind, nonlinearity, B, wIh: w.wIh, bIh: w.bIh, bHh: w.bHh, wHr: w.wHr ?? null, f64, nx: B * I, nh: B * Hout,
    nc: lstm ? B * H : 0, zh, zc,
    call: { inp: inp as RecurrentCall['inp'], out: out as unknown as RecurrentCall['out'], g: null, ws: zeros(wsSize(be, kind, like, 1, B, I, H, P)) },
  };
  plans.set(w.wHh, plan);
  return plan;
}

/**
 * One step: x (B·I elements), h0 (B·Hout) and, for the LSTM, c0 (B·H) as (B, ·) in any shape the
 * caller checked, null = zeros. Returns fresh y (withY; a cell has no use for it), hN, cN buffers, or
 * null when the step is not one this path takes (a graph to record, another dtype, an empty batch): the
 * caller then runs the layer op. Without y the kernel writes its y (the same values as hN) into hN.
 */
export function streamStep(kind: CellKind, nonlinearity: RnnNonlinearity, x: Tensor, B: number, h0: Tensor | null, c0: Tensor | null, w: LayerWeights,
  withY: boolean): StepOutputs | null {
  if (B < 1 || !needsNoGrad(x, h0, c0, w)) return null;
  const p = planFor(kind, nonlinearity, x, B, w);
  const f64 = p.f64;
  if ((x.data instanceof Float64Array) !== f64 || x.size !== p.nx || (h0 !== null && ((h0.data instanceof Float64Array) !== f64 || h0.size !== p.nh)) ||
      (c0 !== null && (p.nc === 0 || (c0.data instanceof Float64Array) !== f64 || c0.size !== p.nc))) return null;
  const like = x.data, inp = p.call.inp, out = p.call.out as unknown as Record<string, Buf | null>;
  const [y, hN, cN] = outputBuffers(like, withY ? p.nh : 0, p.nh, p.nc);
  inp.x = like;
  // the weights' arrays as they are now (the backend notices a replaced one; its contents are read anyway)
  inp.wIh = w.wIh.data; inp.wHh = w.wHh.data; inp.bIh = w.bIh ? w.bIh.data : null; inp.bHh = w.bHh ? w.bHh.data : null;
  if (p.kind === 'lstm') inp.wHr = w.wHr ? w.wHr.data : null;
  inp.h0 = h0 === null ? p.zh : h0.data;
  if (p.zc !== null) inp.c0 = c0 === null ? p.zc : c0.data;
  out.y = withY ? y : hN; out.hN = hN; out.cN = cN;
  runCall(p.be, p.kind, p.call);
  // keep nothing of this step alive through the plan
  inp.x = inp.h0 = p.zh;
  if (p.zc !== null) inp.c0 = p.zc;
  out.y = out.hN = out.cN = null;
  return { y: withY ? y : null, h: hN, c: cN };
}
