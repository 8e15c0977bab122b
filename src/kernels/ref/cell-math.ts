/**
 * The pointwise maths of each recurrent cell, one hidden unit j at a time: the forward map from
 * pre-activations to gates and state, and the local partial derivatives of the unit's outputs.
 * The reference kernels' BPTT (lstm.ts, gru.ts, rnn.ts) and the analysis Jacobians
 * (analysis/jacobian.ts, through ops/cells.ts) both chain these partials, so the cell equations
 * of RECURRENT-MATH.md are written once in TypeScript (the C cells are native/recurrent_cells.c).
 *
 * Results go into a caller-owned `out` (no allocation in the kernels' inner loops).
 */
import { sigmoid } from './unary.js';

export type Out = { [k: number]: number };

/**
 * LSTM unit, gate order i, f, g, o. a_* = full pre-activations (x-part + h-part + biases).
 *   i = σ(a_i)  f = σ(a_f)  g = tanh(a_g)  o = σ(a_o)  c = f·c_{t-1} + i·g  m = o·tanh(c)
 * out ← [i, f, g, o, c, m]
 */
export function lstmUnit(ai: number, af: number, ag: number, ao: number, cPrev: number, out: Out): void {
  const i = sigmoid(ai), f = sigmoid(af), g = Math.tanh(ag), o = sigmoid(ao);
  const c = f * cPrev + i * g;
  out[0] = i; out[1] = f; out[2] = g; out[3] = o; out[4] = c; out[5] = o * Math.tanh(c);
}

/**
 * LSTM unit partials from the saved gates and cell states (τ = tanh c):
 * out ← [∂c/∂a_i, ∂c/∂a_f, ∂c/∂a_g, ∂c/∂c_{t-1}, ∂m/∂a_o, ∂m/∂c]
 *     = [g·i(1−i), c_{t-1}·f(1−f), i(1−g²), f, τ·o(1−o), o(1−τ²)]
 */
export function lstmPartials(i: number, f: number, g: number, o: number, cPrev: number, c: number, out: Out): void {
  const tau = Math.tanh(c);
  out[0] = g * i * (1 - i); out[1] = cPrev * f * (1 - f); out[2] = i * (1 - g * g); out[3] = f;
  out[4] = tau * o * (1 - o); out[5] = o * (1 - tau * tau);
}

/**
 * GRU unit, gate order r, z, n; b_hn inside the reset product. ar, az = full pre-activations;
 * axn = x-part of n (with b_in); q = h_{t-1}·W_hnᵀ + b_hn.
 *   r = σ(ar)  z = σ(az)  n = tanh(axn + r·q)  h = (1 − z)·n + z·h_{t-1}
 * out ← [r, z, n, h]
 */
export function gruUnit(ar: number, az: number, axn: number, q: number, hPrev: number, out: Out): void {
  const r = sigmoid(ar), z = sigmoid(az);
  const n = Math.tanh(axn + r * q);
  out[0] = r; out[1] = z; out[2] = n; out[3] = (1 - z) * n + z * hPrev;
}

/**
 * GRU unit partials of h from the saved gates:
 * out ← [∂h/∂a_r, ∂h/∂a_z, ∂h/∂(axn) (input side of n), ∂h/∂q (recurrent side of n), ∂h/∂h_{t-1} direct]
 *     = [q·r(1−r)·ν, (h_{t-1} − n)·z(1−z), ν, ν·r, z]   with ν = (1 − z)(1 − n²)
 */
export function gruPartials(r: number, z: number, n: number, q: number, hPrev: number, out: Out): void {
  const nu = (1 - z) * (1 - n * n);
  out[0] = nu * q * r * (1 - r); out[1] = (hPrev - n) * z * (1 - z); out[2] = nu; out[3] = nu * r; out[4] = z;
}

/** Elman unit: h = φ(a), φ = tanh or relu. */
export function rnnUnit(a: number, relu: boolean): number {
  return relu ? (a > 0 ? a : 0) : Math.tanh(a);
}

/** Elman unit partial ∂h/∂a from h itself: 1 − h² (tanh) or [h > 0] (relu; h > 0 iff a > 0). */
export function rnnPartial(h: number, relu: boolean): number {
  return relu ? (h > 0 ? 1 : 0) : 1 - h * h;
}
