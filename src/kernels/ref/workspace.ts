/**
 * Workspace layout and the phases shared by the reference recurrent kernels (lstm.ts, gru.ts, rnn.ts).
 *
 * Legend: T time steps, B batch, I input features, H hidden size, P projection (LSTM only, 0 = none),
 *   Hout = P > 0 ? P : H (size of h), G gate width (LSTM 4H, GRU 3H, RNN H).
 *
 * Kernels never allocate typed arrays: every scratch buffer is a subarray carved, in this order, out
 * of the caller's workspace `ws` (same element type as the other buffers of the call):
 *
 *   forward                                    backward
 *   xm  (T, B, I)   x ⊙ maskX (when masked)    xm   (T, B, I)  x ⊙ maskX, then dA·W_ih (when masked)
 *   a   (T, B, G)   xm·W_ihᵀ + b_ih            dA   (T, B, G)  input-side pre-activation grads, all steps
 *   hm  (B, Hout)   h_{t-1} ⊙ maskH            dR   (B, G)     recurrent-side pre-activation grads, one step
 *   r   (B, G)      hm·W_hhᵀ + b_hh            dh   (B, Hout)  carry: dL/dh_{t-1} (from step t)
 *                                              dhs  (B, Hout)  dL/dh_t of this step (0 on padded rows)
 *                                              tmp  (B, Hout)  dR·W_hh
 *                                              hm   (B, Hout)  h_{t-1} ⊙ maskH
 *                                              dc   (B, H)     LSTM: carry dL/dc
 *                                              dm   (B, H)     LSTM with P > 0: dL/dm_t
 *
 * recurrentWorkspace() = max(forward, backward) so one workspace serves both passes.
 *
 * Step order: iteration index s = 0 … T-1 visits t = s (forward) or t = T-1-s (reverse). Step t of row
 * b is real iff t < lengths[b]; on padded steps the state is carried unchanged and y is 0, which makes
 * each row of a reverse pass start from h0 at its own last real step.
 */
import type { Buf, RecurrentInputs } from '../backend.js';
import { ShapeError, ValueError } from '../../util/errors.js';
import { gemm } from './gemm.js';

export type RecurrentKind = 'lstm' | 'gru' | 'rnn';
export interface RecurrentDims { T: number; B: number; I: number; H: number; P: number }

const GATES: Record<RecurrentKind, number> = { lstm: 4, gru: 3, rnn: 1 };

function sizes(kind: RecurrentKind, d: RecurrentDims) {
  const G = GATES[kind] * d.H;
  const Hout = kind === 'lstm' && d.P > 0 ? d.P : d.H;
  const TB = d.T * d.B;
  return { G, Hout, TB };
}

/** Element counts of the forward scratch buffers, in carve order. */
export function forwardPlan(kind: RecurrentKind, d: RecurrentDims) {
  const { G, Hout, TB } = sizes(kind, d);
  return { xm: TB * d.I, a: TB * G, hm: d.B * Hout, r: d.B * G };
}

/** Element counts of the backward scratch buffers, in carve order. */
export function backwardPlan(kind: RecurrentKind, d: RecurrentDims) {
  const { G, Hout, TB } = sizes(kind, d);
  const lstmH = kind === 'lstm' ? d.B * d.H : 0;
  return {
    xm: TB * d.I, dA: TB * G, dR: d.B * G, dh: d.B * Hout, dhs: d.B * Hout, tmp: d.B * Hout, hm: d.B * Hout,
    dc: lstmH, dm: kind === 'lstm' && d.P > 0 ? lstmH : 0,
  };
}

function total(plan: Record<string, number>): number {
  let n = 0;
  for (const k in plan) n += plan[k]!;
  return n;
}

/** Number of workspace elements the recurrent kernels of this kind and shape need (forward and backward). */
export function recurrentWorkspace(kind: RecurrentKind, dims: RecurrentDims): number {
  return Math.max(total(forwardPlan(kind, dims)), total(backwardPlan(kind, dims)));
}

/** Slice `ws` into consecutive named views following `plan`; throws if `ws` is too small. */
export function carve<K extends string>(op: string, ws: Buf, plan: Record<K, number>): Record<K, Buf> {
  const need = total(plan);
  if (ws.length < need) throw new ShapeError(op, `a workspace of at least ${need} elements`, `${ws.length}`);
  const out = {} as Record<K, Buf>;
  let off = 0;
  for (const k in plan) {
    out[k] = ws.subarray(off, off + plan[k]);
    off += plan[k];
  }
  return out;
}

/** Throws unless every length is an integer in [1, T]. */
export function checkLengths(op: string, lengths: Int32Array | null, T: number, B: number): void {
  if (lengths === null) return;
  if (lengths.length < B) throw new ShapeError(op, `lengths of size ${B}`, `${lengths.length}`);
  for (let b = 0; b < B; b++) {
    const L = lengths[b]!;
    if (!(L >= 1 && L <= T)) throw new ValueError(op, `lengths[${b}] in [1, ${T}]`, `${L}`);
  }
}

/** Time index visited at iteration s. */
export function stepAt(s: number, T: number, reverse: boolean): number {
  return reverse ? T - 1 - s : s;
}

/** Whether step t of row b is real (not padding). */
export function isReal(lengths: Int32Array | null, t: number, b: number): boolean {
  return lengths === null || t < lengths[b]!;
}

/** Where h_{t-1} (the state entering iteration s) lives: the initial state at s = 0, else the saved step before. */
export function prevOffset(s: number, T: number, reverse: boolean, rowSize: number, B: number): number {
  return s === 0 ? 0 : stepAt(s - 1, T, reverse) * B * rowSize;
}

/** dst[b, j] = src[srcOff + b·n + j] ⊙ mask[b, j] (a plain copy when mask is null); dst (B, n). */
export function maskRows(dst: Buf, src: Buf, srcOff: number, mask: Buf | null, B: number, n: number): void {
  for (let k = 0; k < B * n; k++) dst[k] = mask === null ? src[srcOff + k]! : src[srcOff + k]! * mask[k]!;
}

/** The x that enters W_ih: x itself, or x ⊙ maskX written into xm (T, B, I). */
function maskedInput(inp: RecurrentInputs, xm: Buf): Buf {
  const { T, B, I, x, maskX } = inp;
  if (maskX === null) return x;
  for (let tb = 0; tb < T * B; tb++) {
    const b = tb % B;
    for (let i = 0; i < I; i++) xm[tb * I + i] = x[tb * I + i]! * maskX[b * I + i]!;
  }
  return xm;
}

/** Forward phase 1, all steps at once: a = (x ⊙ maskX)·W_ihᵀ + b_ih, one (T·B, I)×(I, G) GEMM. a: (T, B, G). */
export function inputProjection(inp: RecurrentInputs, G: number, xm: Buf, a: Buf): void {
  const { T, B, I, wIh, bIh } = inp;
  const X = maskedInput(inp, xm);
  gemm({ transA: false, transB: true, M: T * B, N: G, K: I, alpha: 1, A: X, lda: I, B: wIh, ldb: I, beta: 0, C: a, ldc: G });
  if (bIh !== null) for (let tb = 0; tb < T * B; tb++) for (let j = 0; j < G; j++) a[tb * G + j] += bIh[j]!;
}

/** Forward, per step: r = hm·W_hhᵀ + b_hh, (B, Hout)×(Hout, G). */
export function recurrentProjection(inp: RecurrentInputs, G: number, Hout: number, hm: Buf, r: Buf): void {
  const { B, wHh, bHh } = inp;
  gemm({ transA: false, transB: true, M: B, N: G, K: Hout, alpha: 1, A: hm, lda: Hout, B: wHh, ldb: Hout, beta: 0, C: r, ldc: G });
  if (bHh !== null) for (let b = 0; b < B; b++) for (let j = 0; j < G; j++) r[b * G + j] += bHh[j]!;
}

/**
 * The row stride of y and dy (inp.ldy, default Hout); throws unless an integer >= Hout, and, given the
 * forward's y and saved h, unless y spans its rows and is its own buffer when the stride is not Hout
 * (y = h only packed).
 */
export function strideOf(op: string, inp: RecurrentInputs, Hout: number, y?: Buf, h?: Buf): number {
  const ldy = inp.ldy ?? Hout, n = (inp.T * inp.B - 1) * ldy + Hout;
  if (!Number.isInteger(ldy) || ldy < Hout) throw new ShapeError(`${op}.ldy`, `an integer >= Hout = ${Hout}`, String(ldy));
  if (y !== undefined && y.length < n) throw new ShapeError(`${op}.y`, `at least ${n} elements (rows ${ldy} apart)`, String(y.length));
  if (y !== undefined && y === h && ldy !== Hout) throw new ValueError(`${op}.y`, 'a buffer of its own when ldy != Hout (not the saved h)', 'the saved h');
  return ldy;
}

/**
 * Forward, end of step t: padded rows carry the state (h[t, b] = h_{t-1}[b]) and output 0; real rows
 * output y[t, b] = h[t, b]. h, y: (T, B, Hout); hPrev read at hPrevOff, (B, Hout).
 */
export function finishStep(inp: RecurrentInputs, Hout: number, t: number, h: Buf, y: Buf, hPrev: Buf, hPrevOff: number): void {
  const { B, lengths } = inp;
  const ldy = inp.ldy ?? Hout;
  for (let b = 0; b < B; b++) {
    const o = (t * B + b) * Hout, oy = (t * B + b) * ldy;
    const real = isReal(lengths, t, b);
    for (let j = 0; j < Hout; j++) {
      if (!real) h[o + j] = hPrev[hPrevOff + b * Hout + j]!;
      y[oy + j] = real ? h[o + j]! : 0;
    }
  }
}

/**
 * Backward, per step, after dR (B, G) is known (zero rows on padded steps):
 *   dh += (dR·W_hh) ⊙ maskH          carry into h_{t-1}, (B, G)×(G, Hout)
 *   dW_hh += dRᵀ·(h_{t-1} ⊙ maskH)   (G, B)×(B, Hout)
 *   db_hh += Σ_B dR
 */
export function recurrentBackward(
  inp: RecurrentInputs, G: number, Hout: number, dR: Buf, hPrev: Buf, hPrevOff: number,
  s: { dh: Buf; tmp: Buf; hm: Buf }, dWHh: Buf | null, dBHh: Buf | null,
): void {
  const { B, wHh, maskH } = inp;
  gemm({ transA: false, transB: false, M: B, N: Hout, K: G, alpha: 1, A: dR, lda: G, B: wHh, ldb: Hout, beta: 0, C: s.tmp, ldc: Hout });
  for (let k = 0; k < B * Hout; k++) s.dh[k] += maskH === null ? s.tmp[k]! : s.tmp[k]! * maskH[k]!;
  if (dWHh !== null) {
    maskRows(s.hm, hPrev, hPrevOff, maskH, B, Hout);
    gemm({ transA: true, transB: false, M: G, N: Hout, K: B, alpha: 1, A: dR, lda: G, B: s.hm, ldb: Hout, beta: 1, C: dWHh, ldc: Hout });
  }
  if (dBHh !== null) for (let b = 0; b < B; b++) for (let j = 0; j < G; j++) dBHh[j] += dR[b * G + j]!;
}

/**
 * Backward, after the loop, over all T·B rows at once (dA zero on padded steps):
 *   db_ih += Σ dA;   dW_ih += dAᵀ·(x ⊙ maskX)  (G, T·B)×(T·B, I);   dx += (dA·W_ih) ⊙ maskX  (T·B, G)×(G, I)
 */
export function inputBackward(
  inp: RecurrentInputs, G: number, dA: Buf, xm: Buf, dx: Buf | null, dWIh: Buf | null, dBIh: Buf | null,
): void {
  const { T, B, I, wIh, maskX } = inp;
  const TB = T * B;
  if (dBIh !== null) for (let tb = 0; tb < TB; tb++) for (let j = 0; j < G; j++) dBIh[j] += dA[tb * G + j]!;
  if (dWIh !== null) {
    const X = maskedInput(inp, xm);
    gemm({ transA: true, transB: false, M: G, N: I, K: TB, alpha: 1, A: dA, lda: G, B: X, ldb: I, beta: 1, C: dWIh, ldc: I });
  }
  if (dx === null) return;
  if (maskX === null) {
    gemm({ transA: false, transB: false, M: TB, N: I, K: G, alpha: 1, A: dA, lda: G, B: wIh, ldb: I, beta: 1, C: dx, ldc: I });
    return;
  }
  gemm({ transA: false, transB: false, M: TB, N: I, K: G, alpha: 1, A: dA, lda: G, B: wIh, ldb: I, beta: 0, C: xm, ldc: I });
  for (let tb = 0; tb < TB; tb++) {
    const b = tb % B;
    for (let i = 0; i < I; i++) dx[tb * I + i] += xm[tb * I + i]! * maskX[b * I + i]!;
  }
}

/** dst[k] += src[srcOff + k] for k < n (null dst: skipped). */
export function addInto(dst: Buf | null, src: Buf, srcOff: number, n: number): void {
  if (dst !== null) for (let k = 0; k < n; k++) dst[k] += src[srcOff + k]!;
}

/** dst = src, or 0 when src is null (dst and src of the same size). */
export function copyOrZero(dst: Buf, src: Buf | null): void {
  if (src === null) dst.fill(0);
  else for (let k = 0; k < dst.length; k++) dst[k] = src[k]!;
}
