/**
 * Reference LSTM over a whole sequence (one layer, one direction) with hand-written BPTT.
 * PyTorch nn.LSTM semantics, gate order i, f, g, o, optional projection (proj_size).
 *
 * Legend: T time, B batch, I input, H hidden, P projection (0 = none), Hout = P > 0 ? P : H, G = 4H.
 *
 * Buffers (row-major, time-major):
 *   x (T, B, I)   h0 (B, Hout)   c0 (B, H)   wIh (4H, I)   wHh (4H, Hout)   bIh, bHh (4H) or null
 *   wHr (P, H)    maskX (B, I)   maskH (B, Hout)   lengths (B)
 *   saved: gates (T, B, 4H) post-activation i,f,g,o   c (T, B, H)   h (T, B, Hout)   m (T, B, H) if P > 0
 *   y (T, B, Hout)   hN (B, Hout)   cN (B, H)
 *
 * Forward, step t (s-th in iteration order), h_{t-1}, c_{t-1} = state entering the step:
 *   a   = (x_t ⊙ maskX)·W_ihᵀ + b_ih + (h_{t-1} ⊙ maskH)·W_hhᵀ + b_hh      (B, 4H)
 *   i = σ(a_i)  f = σ(a_f)  g = tanh(a_g)  o = σ(a_o)
 *   c_t = f ⊙ c_{t-1} + i ⊙ g;   m_t = o ⊙ tanh(c_t);   h_t = m_t·W_hrᵀ (P > 0) or m_t
 * Padded rows: c_t = c_{t-1}, h_t = h_{t-1}, y = 0, saved gates and m are 0.
 *
 * Backward, iteration order reversed, carries dh (B, Hout) = dL/dh_t and dc (B, H) = dL/dc_t:
 *   dhs = dh + dy_t (real rows; padded rows 0, their carry passes unchanged)
 *   projection: dW_hr += dhsᵀ·m_t;  dm = dhs·W_hr          (else dm = dhs)
 *   τ = tanh(c_t);  do = dm ⊙ τ;  dc += dm ⊙ o ⊙ (1 − τ²)
 *   da_i = dc ⊙ g ⊙ i(1−i);  da_f = dc ⊙ c_{t-1} ⊙ f(1−f);  da_g = dc ⊙ i ⊙ (1−g²);  da_o = do ⊙ o(1−o)
 *   dc ← dc ⊙ f;   dh ← (da·W_hh) ⊙ maskH;   dW_hh += daᵀ·(h_{t-1} ⊙ maskH);   db_hh += Σ da
 * after the loop: dh0 += dh, dc0 += dc, and dx, dW_ih, db_ih from all da at once (workspace.ts).
 */
import type { Buf, LstmForwardOut, LstmGrads, LstmInputs } from '../backend.js';
import { ShapeError } from '../../util/errors.js';
import { gemm } from './gemm.js';
import { lstmPartials, lstmUnit } from './cell-math.js';
import {
  addInto, backwardPlan, carve, checkLengths, copyOrZero, finishStep, forwardPlan, inputBackward, inputProjection,
  isReal, maskRows, prevOffset, recurrentBackward, recurrentProjection, stepAt, strideOf,
} from './workspace.js';

function checkProjection(op: string, inp: LstmInputs): void {
  if (inp.P > 0 && inp.wHr === null) throw new ShapeError(op, `wHr of shape (${inp.P}, ${inp.H}) when P > 0`, 'null');
}

export function lstmForward(inp: LstmInputs, out: LstmForwardOut, ws: Buf): void {
  const op = 'lstmForward';
  const { T, B, H, P, c0, h0, lengths, reverse } = inp;
  const G = 4 * H;
  const Hout = P > 0 ? P : H;
  strideOf(op, inp, Hout, out.y, out.h);
  checkLengths(op, lengths, T, B);
  checkProjection(op, inp);
  if (P > 0 && out.m === null) throw new ShapeError(op, `out.m of shape (${T}, ${B}, ${H}) when P > 0`, 'null');
  const s = carve(op, ws, forwardPlan('lstm', inp));
  const { gates, c, h } = out;
  // m_t goes to the saved m when projecting, else straight into h (m_t = h_t).
  const mBuf = P > 0 ? out.m! : h;
  const u = new Float64Array(6); // one unit's [i, f, g, o, c, m]

  inputProjection(inp, G, s.xm, s.a); // a (T, B, 4H) = x-part of the pre-activations, all steps

  for (let it = 0; it < T; it++) {
    const t = stepAt(it, T, reverse);
    const hPrev = it === 0 ? h0 : h;
    const cPrev = it === 0 ? c0 : c;
    const hOff = prevOffset(it, T, reverse, Hout, B);
    const cOff = prevOffset(it, T, reverse, H, B);
    maskRows(s.hm, hPrev, hOff, inp.maskH, B, Hout);
    recurrentProjection(inp, G, Hout, s.hm, s.r); // r (B, 4H) = h-part of the pre-activations

    for (let b = 0; b < B; b++) {
      const gr = (t * B + b) * G; // row of a and gates
      const cr = (t * B + b) * H; // row of c and m
      const cp = cOff + b * H;
      if (!isReal(lengths, t, b)) {
        for (let j = 0; j < H; j++) { c[cr + j] = cPrev[cp + j]!; mBuf[cr + j] = 0; }
        gates.fill(0, gr, gr + G);
        continue;
      }
      for (let j = 0; j < H; j++) {
        const ra = gr + j, rr = b * G + j;
        lstmUnit(s.a[ra]! + s.r[rr]!, s.a[ra + H]! + s.r[rr + H]!, s.a[ra + 2 * H]! + s.r[rr + 2 * H]!,
          s.a[ra + 3 * H]! + s.r[rr + 3 * H]!, cPrev[cp + j]!, u);
        gates[ra] = u[0]!; gates[ra + H] = u[1]!; gates[ra + 2 * H] = u[2]!; gates[ra + 3 * H] = u[3]!;
        c[cr + j] = u[4]!;
        mBuf[cr + j] = u[5]!;
      }
    }
    if (P > 0) {
      // h_t = m_t·W_hrᵀ: (B, H)×(H, P); padded rows are overwritten with h_{t-1} by finishStep.
      gemm({ transA: false, transB: true, M: B, N: P, K: H, alpha: 1, A: mBuf, aOff: t * B * H, lda: H,
        B: inp.wHr!, ldb: H, beta: 0, C: h, cOff: t * B * P, ldc: P });
    }
    finishStep(inp, Hout, t, h, out.y, hPrev, hOff);
  }

  const last = stepAt(T - 1, T, reverse);
  for (let k = 0; k < B * Hout; k++) out.hN[k] = h[last * B * Hout + k]!;
  for (let k = 0; k < B * H; k++) out.cN[k] = c[last * B * H + k]!;
}

export function lstmBackward(inp: LstmInputs, saved: LstmForwardOut, g: LstmGrads, ws: Buf): void {
  const op = 'lstmBackward';
  const { T, B, H, P, c0, h0, lengths, reverse } = inp;
  const G = 4 * H;
  const Hout = P > 0 ? P : H;
  const ldy = strideOf(op, inp, Hout);
  checkLengths(op, lengths, T, B);
  checkProjection(op, inp);
  const s = carve(op, ws, backwardPlan('lstm', inp));
  const { gates, c, h } = saved;
  copyOrZero(s.dh, g.dhN); // carries start at the upstream grads of the final state
  copyOrZero(s.dc, g.dcN);
  const dm = P > 0 ? s.dm : s.dhs; // dL/dm_t (B, H)

  for (let it = T - 1; it >= 0; it--) {
    const t = stepAt(it, T, reverse);
    const hPrev = it === 0 ? h0 : h;
    const cPrev = it === 0 ? c0 : c;
    const hOff = prevOffset(it, T, reverse, Hout, B);
    const cOff = prevOffset(it, T, reverse, H, B);

    // dhs = dL/dh_t of this step: carry + dy on real rows, 0 on padded rows.
    for (let b = 0; b < B; b++) {
      const real = isReal(lengths, t, b);
      for (let j = 0; j < Hout; j++) {
        const k = b * Hout + j;
        s.dhs[k] = real ? s.dh[k]! + (g.dy === null ? 0 : g.dy[(t * B + b) * ldy + j]!) : 0;
      }
    }
    if (P > 0) {
      // dm = dhs·W_hr (B, P)×(P, H);  dW_hr += dhsᵀ·m_t (P, B)×(B, H)
      gemm({ transA: false, transB: false, M: B, N: H, K: P, alpha: 1, A: s.dhs, lda: P, B: inp.wHr!, ldb: H, beta: 0, C: dm, ldc: H });
      if (g.dWHr !== null) {
        gemm({ transA: true, transB: false, M: P, N: H, K: B, alpha: 1, A: s.dhs, lda: P,
          B: saved.m!, bOff: t * B * H, ldb: H, beta: 1, C: g.dWHr, ldc: H });
      }
    }
    gateBackward(inp, t, gates, c, cPrev, cOff, dm, s);
    recurrentBackward(inp, G, Hout, s.dR, hPrev, hOff, s, g.dWHh, g.dBHh);
  }

  addInto(g.dh0, s.dh, 0, B * Hout);
  addInto(g.dc0, s.dc, 0, B * H);
  inputBackward(inp, G, s.dA, s.xm, g.dx, g.dWIh, g.dBIh);
}

/**
 * Per-row gate math of one backward step: from dm (B, H) and the carried dc (B, H), writes the
 * pre-activation grads da into dR (B, 4H) and dA[t] (T, B, 4H), updates dc ← dc ⊙ f and zeroes the
 * h carry of real rows (recurrentBackward adds da·W_hh). Padded rows: da = 0, carries unchanged.
 */
function gateBackward(
  inp: LstmInputs, t: number, gates: Buf, c: Buf, cPrev: Buf, cOff: number, dm: Buf,
  s: { dR: Buf; dA: Buf; dc: Buf; dh: Buf },
): void {
  const { B, H, lengths } = inp;
  const G = 4 * H;
  const Hout = inp.P > 0 ? inp.P : H;
  const p = new Float64Array(6); // one unit's partials (cell-math.ts lstmPartials)
  for (let b = 0; b < B; b++) {
    const gr = (t * B + b) * G;
    const cr = (t * B + b) * H;
    if (!isReal(lengths, t, b)) {
      s.dR.fill(0, b * G, b * G + G);
      s.dA.fill(0, gr, gr + G);
      continue;
    }
    for (let j = 0; j < H; j++) {
      lstmPartials(gates[gr + j]!, gates[gr + H + j]!, gates[gr + 2 * H + j]!, gates[gr + 3 * H + j]!,
        cPrev[cOff + b * H + j]!, c[cr + j]!, p);
      const dmj = dm[b * H + j]!;
      const dct = s.dc[b * H + j]! + dmj * p[5]!;
      s.dR[b * G + j] = s.dA[gr + j] = dct * p[0]!;
      s.dR[b * G + H + j] = s.dA[gr + H + j] = dct * p[1]!;
      s.dR[b * G + 2 * H + j] = s.dA[gr + 2 * H + j] = dct * p[2]!;
      s.dR[b * G + 3 * H + j] = s.dA[gr + 3 * H + j] = dmj * p[4]!;
      s.dc[b * H + j] = dct * p[3]!;
    }
    s.dh.fill(0, b * Hout, b * Hout + Hout);
  }
}
