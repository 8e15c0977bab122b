/**
 * Reference Elman RNN over a whole sequence (one layer, one direction) with hand-written BPTT.
 * PyTorch nn.RNN semantics, nonlinearity φ = tanh or relu.
 *
 * Legend: T time, B batch, I input, H hidden (= Hout), G = H.
 *
 * Buffers (row-major, time-major):
 *   x (T, B, I)   h0 (B, H)   wIh (H, I)   wHh (H, H)   bIh, bHh (H) or null
 *   maskX (B, I)   maskH (B, H)   lengths (B)
 *   saved: h (T, B, H) state after step t (φ' is recovered from it)
 *   y (T, B, H)   hN (B, H)
 *
 * Forward, step t:  h_t = φ((x_t ⊙ maskX)·W_ihᵀ + b_ih + (h_{t-1} ⊙ maskH)·W_hhᵀ + b_hh)
 * Padded rows: h_t = h_{t-1}, y = 0.
 *
 * Backward, iteration order reversed, carry dh (B, H) = dL/dh_t; on real rows:
 *   da = (dh + dy_t) ⊙ φ'   with φ' = 1 − h_t² (tanh) or [h_t > 0] (relu; h_t > 0 iff pre > 0)
 *   dh ← (da·W_hh) ⊙ maskH;  dW_hh += daᵀ·(h_{t-1} ⊙ maskH);  db_hh += Σ da;  dx, dW_ih, db_ih after the loop
 */
import type { Buf, RnnForwardOut, RnnGrads, RnnInputs } from '../backend.js';
import { OptionError } from '../../util/errors.js';
import {
  addInto, backwardPlan, carve, checkLengths, copyOrZero, finishStep, forwardPlan, inputBackward,
  inputProjection, isReal, maskRows, prevOffset, recurrentBackward, recurrentProjection, stepAt, strideOf,
} from './workspace.js';
import { rnnPartial, rnnUnit } from './cell-math.js';

const dimsOf = (inp: RnnInputs) => ({ T: inp.T, B: inp.B, I: inp.I, H: inp.H, P: 0 });

function checkNonlinearity(op: string, inp: RnnInputs): boolean {
  if (inp.nonlinearity !== 'tanh' && inp.nonlinearity !== 'relu') {
    throw new OptionError(op, `nonlinearity 'tanh' or 'relu'`, `'${String(inp.nonlinearity)}'`);
  }
  return inp.nonlinearity === 'relu';
}

export function rnnForward(inp: RnnInputs, out: RnnForwardOut, ws: Buf): void {
  const op = 'rnnForward';
  const { T, B, H, h0, lengths, reverse } = inp;
  const relu = checkNonlinearity(op, inp);
  checkLengths(op, lengths, T, B);
  strideOf(op, inp, H, out.y, out.h);
  const s = carve(op, ws, forwardPlan('rnn', dimsOf(inp)));
  const { h } = out;

  inputProjection(inp, H, s.xm, s.a); // a (T, B, H) = x-part of the pre-activation, all steps

  for (let it = 0; it < T; it++) {
    const t = stepAt(it, T, reverse);
    const hPrev = it === 0 ? h0 : h;
    const hOff = prevOffset(it, T, reverse, H, B);
    maskRows(s.hm, hPrev, hOff, inp.maskH, B, H);
    recurrentProjection(inp, H, H, s.hm, s.r); // r (B, H) = hm·W_hhᵀ + b_hh
    for (let b = 0; b < B; b++) {
      if (!isReal(lengths, t, b)) continue; // h carried by finishStep
      const hr = (t * B + b) * H;
      for (let j = 0; j < H; j++) {
        h[hr + j] = rnnUnit(s.a[hr + j]! + s.r[b * H + j]!, relu);
      }
    }
    finishStep(inp, H, t, h, out.y, hPrev, hOff);
  }

  const last = stepAt(T - 1, T, reverse);
  for (let k = 0; k < B * H; k++) out.hN[k] = h[last * B * H + k]!;
}

export function rnnBackward(inp: RnnInputs, saved: RnnForwardOut, g: RnnGrads, ws: Buf): void {
  const op = 'rnnBackward';
  const { T, B, H, h0, lengths, reverse } = inp;
  const relu = checkNonlinearity(op, inp);
  checkLengths(op, lengths, T, B);
  const ldy = strideOf(op, inp, H);
  const s = carve(op, ws, backwardPlan('rnn', dimsOf(inp)));
  const { h } = saved;
  copyOrZero(s.dh, g.dhN);

  for (let it = T - 1; it >= 0; it--) {
    const t = stepAt(it, T, reverse);
    const hPrev = it === 0 ? h0 : h;
    const hOff = prevOffset(it, T, reverse, H, B);
    for (let b = 0; b < B; b++) {
      const hr = (t * B + b) * H, yr = (t * B + b) * ldy;
      if (!isReal(lengths, t, b)) {
        s.dR.fill(0, b * H, b * H + H);
        s.dA.fill(0, hr, hr + H);
        continue; // carry passes unchanged, dy ignored
      }
      for (let j = 0; j < H; j++) {
        const d = s.dh[b * H + j]! + (g.dy === null ? 0 : g.dy[yr + j]!);
        const da = d * rnnPartial(h[hr + j]!, relu);
        s.dR[b * H + j] = s.dA[hr + j] = da;
        s.dh[b * H + j] = 0; // recurrentBackward adds the W_hh path
      }
    }
    recurrentBackward(inp, H, H, s.dR, hPrev, hOff, s, g.dWHh, g.dBHh);
  }

  addInto(g.dh0, s.dh, 0, B * H);
  inputBackward(inp, H, s.dA, s.xm, g.dx, g.dWIh, g.dBIh);
}
