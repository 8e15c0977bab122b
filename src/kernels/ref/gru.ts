/**
 * Reference GRU over a whole sequence (one layer, one direction) with hand-written BPTT.
 * PyTorch nn.GRU semantics: gate order r, z, n; b_hn inside the reset product.
 *
 * Legend: T time, B batch, I input, H hidden (= Hout), G = 3H.
 *
 * Buffers (row-major, time-major):
 *   x (T, B, I)   h0 (B, H)   wIh (3H, I)   wHh (3H, H)   bIh, bHh (3H) or null
 *   maskX (B, I)   maskH (B, H)   lengths (B)
 *   saved: gates (T, B, 3H) post-activation r,z,n   q (T, B, H)   h (T, B, H)
 *   y (T, B, H)   hN (B, H)
 *
 * Forward, step t, h = h_{t-1} (unmasked), hm = h ⊙ maskH, ax = (x_t ⊙ maskX)·W_ihᵀ + b_ih, ah = hm·W_hhᵀ + b_hh:
 *   r = σ(ax_r + ah_r)   z = σ(ax_z + ah_z)   q = ah_n   n = tanh(ax_n + r ⊙ q)
 *   h_t = (1 − z) ⊙ n + z ⊙ h                  (the carried h in z ⊙ h is NOT masked)
 * Padded rows: h_t = h_{t-1}, y = 0, saved gates and q are 0.
 *
 * Backward, iteration order reversed, carry dh (B, H) = dL/dh_t; with d = dh + dy_t on real rows:
 *   dn = d ⊙ (1 − z);  dz = d ⊙ (h − n);  da_n = dn ⊙ (1 − n²);  da_r = da_n ⊙ q ⊙ r(1 − r);  da_z = dz ⊙ z(1 − z)
 *   recurrent side dR = [da_r, da_z, da_n ⊙ r]:  dh ← d ⊙ z + (dR·W_hh) ⊙ maskH;  dW_hh += dRᵀ·hm;  db_hh += Σ dR
 *   input side     dA = [da_r, da_z, da_n]      → dx, dW_ih, db_ih after the loop (workspace.ts)
 */
import type { Buf, GruForwardOut, GruGrads, RecurrentInputs } from '../backend.js';
import { gruPartials, gruUnit } from './cell-math.js';
import {
  addInto, backwardPlan, carve, checkLengths, copyOrZero, finishStep, forwardPlan, inputBackward,
  inputProjection, isReal, maskRows, prevOffset, recurrentBackward, recurrentProjection, stepAt, strideOf,
} from './workspace.js';

const dimsOf = (inp: RecurrentInputs) => ({ T: inp.T, B: inp.B, I: inp.I, H: inp.H, P: 0 });

export function gruForward(inp: RecurrentInputs, out: GruForwardOut, ws: Buf): void {
  const op = 'gruForward';
  const { T, B, H, h0, lengths, reverse } = inp;
  const G = 3 * H;
  checkLengths(op, lengths, T, B);
  strideOf(op, inp, H, out.y, out.h);
  const s = carve(op, ws, forwardPlan('gru', dimsOf(inp)));
  const { gates, q, h } = out;
  const u = new Float64Array(4); // one unit's [r, z, n, h]

  inputProjection(inp, G, s.xm, s.a); // a (T, B, 3H) = x-part of the pre-activations, all steps

  for (let it = 0; it < T; it++) {
    const t = stepAt(it, T, reverse);
    const hPrev = it === 0 ? h0 : h;
    const hOff = prevOffset(it, T, reverse, H, B);
    maskRows(s.hm, hPrev, hOff, inp.maskH, B, H);
    recurrentProjection(inp, G, H, s.hm, s.r); // r (B, 3H) = hm·W_hhᵀ + b_hh

    for (let b = 0; b < B; b++) {
      const gr = (t * B + b) * G;
      const hr = (t * B + b) * H;
      if (!isReal(lengths, t, b)) {
        gates.fill(0, gr, gr + G);
        q.fill(0, hr, hr + H);
        continue; // h carried by finishStep
      }
      for (let j = 0; j < H; j++) {
        const qj = s.r[b * G + 2 * H + j]!;
        gruUnit(s.a[gr + j]! + s.r[b * G + j]!, s.a[gr + H + j]! + s.r[b * G + H + j]!, s.a[gr + 2 * H + j]!, qj,
          hPrev[hOff + b * H + j]!, u);
        gates[gr + j] = u[0]!; gates[gr + H + j] = u[1]!; gates[gr + 2 * H + j] = u[2]!;
        q[hr + j] = qj;
        h[hr + j] = u[3]!;
      }
    }
    finishStep(inp, H, t, h, out.y, hPrev, hOff);
  }

  const last = stepAt(T - 1, T, reverse);
  for (let k = 0; k < B * H; k++) out.hN[k] = h[last * B * H + k]!;
}

export function gruBackward(inp: RecurrentInputs, saved: GruForwardOut, g: GruGrads, ws: Buf): void {
  const op = 'gruBackward';
  const { T, B, H, h0, lengths, reverse } = inp;
  const G = 3 * H;
  checkLengths(op, lengths, T, B);
  const ldy = strideOf(op, inp, H);
  const s = carve(op, ws, backwardPlan('gru', dimsOf(inp)));
  const { gates, q, h } = saved;
  const p = new Float64Array(5); // one unit's partials (cell-math.ts gruPartials)
  copyOrZero(s.dh, g.dhN);

  for (let it = T - 1; it >= 0; it--) {
    const t = stepAt(it, T, reverse);
    const hPrev = it === 0 ? h0 : h;
    const hOff = prevOffset(it, T, reverse, H, B);

    for (let b = 0; b < B; b++) {
      const gr = (t * B + b) * G;
      const hr = (t * B + b) * H, yr = (t * B + b) * ldy;
      if (!isReal(lengths, t, b)) {
        s.dR.fill(0, b * G, b * G + G);
        s.dA.fill(0, gr, gr + G);
        continue; // carry passes unchanged, dy ignored
      }
      for (let j = 0; j < H; j++) {
        gruPartials(gates[gr + j]!, gates[gr + H + j]!, gates[gr + 2 * H + j]!, q[hr + j]!, hPrev[hOff + b * H + j]!, p);
        const d = s.dh[b * H + j]! + (g.dy === null ? 0 : g.dy[yr + j]!);
        s.dR[b * G + j] = s.dA[gr + j] = d * p[0]!;
        s.dR[b * G + H + j] = s.dA[gr + H + j] = d * p[1]!;
        s.dR[b * G + 2 * H + j] = d * p[3]!;
        s.dA[gr + 2 * H + j] = d * p[2]!;
        s.dh[b * H + j] = d * p[4]!; // direct path through z ⊙ h; recurrentBackward adds the W_hh path
      }
    }
    recurrentBackward(inp, G, H, s.dR, hPrev, hOff, s, g.dWHh, g.dBHh);
  }

  addInto(g.dh0, s.dh, 0, B * H);
  inputBackward(inp, G, s.dA, s.xm, g.dx, g.dWIh, g.dBIh);
}
