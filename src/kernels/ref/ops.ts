/**
 * Reference fused elementwise kernels of the op layer (the spec of native/ops_optim.c and
 * native/ops_elementwise.c): optimizer updates, the finiteness scan, a bias gradient's column
 * sums and mseLoss's forward sum and backward.
 *
 * Legend: n elements; p (n) parameters (updated in place), g (n) gradient, m, v, vmax (n) Adam
 * moments, buf (n) SGD momentum.
 *
 * Precision: float64 buffers are updated in double (the formulas below, as written). Float32
 * buffers follow PyTorch's float32 tensor ops one by one — each `+ − · / √` rounded to float32
 * (Math.fround; scalars too, as PyTorch casts a Python scalar to the tensor's type) — so the native
 * kernel, doing the same float32 operations, matches this bit for bit.
 *
 * Adam (PyTorch `_single_tensor_adam`), per element:
 *   g = ±g;  AdamW: p = p·(1 − lr·wd)  |  Adam: g = g + wd·p
 *   m = lerp(m, g, w1), w1 = 1 − β1;  v = v·β2 + (w2·g)·g, w2 = 1 − β2;  s = amsgrad ? vmax = max(vmax, v) : v
 *   p = p − stepSize·m / (√s / bc2Sqrt + eps)      (float64: p + (−stepSize)·(m / denom), as before)
 * SGD (`_single_tensor_sgd`): g = ±g + wd·p;  buf = init ? g : buf·μ + (1 − dampening)·g;
 *   g = nesterov ? g + μ·buf : buf;  p = p + (−lr)·g
 */
import type { AdamStepArgs, Buf, SgdStepArgs } from '../backend.js';

const f = Math.fround;

export function firstNonFinite(x: Buf): number {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i]!)) return i;
  return -1;
}

/** PyTorch's CPU `lerp_`: a + w·(b − a) for w < ½, else b − (b − a)·(1 − w). */
function lerp(a: number, b: number, w: number): number {
  return w < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w);
}

/** max with NaN propagation (torch.maximum). */
const maxNaN = (a: number, b: number): number => (a !== a || b !== b ? NaN : a > b ? a : b);

export function adamStep(a: AdamStepArgs): void {
  if (a.p instanceof Float64Array) adam64(a);
  else adam32(a);
}

function adam64(a: AdamStepArgs): void {
  const { p, g: grad, m, v, vmax, lr, eps, weightDecay: wd, stepSize, bc2Sqrt, decoupled, maximize } = a;
  if (decoupled && wd !== 0) {
    const k = 1 - lr * wd;
    for (let j = 0; j < p.length; j++) p[j] = p[j]! * k;
  }
  const w1 = 1 - a.beta1;
  const b2 = a.beta2;
  const w2 = 1 - b2;
  for (let j = 0; j < p.length; j++) {
    let g = maximize ? -grad[j]! : grad[j]!;
    if (!decoupled && wd !== 0) g = g + wd * p[j]!;
    m[j] = lerp(m[j]!, g, w1);
    v[j] = v[j]! * b2 + w2 * g * g;
    let s = v[j]!;
    if (vmax) s = vmax[j] = maxNaN(vmax[j]!, s);
    p[j] = p[j]! + -stepSize * (m[j]! / (Math.sqrt(s) / bc2Sqrt + eps));
  }
}

function adam32(a: AdamStepArgs): void {
  const { p, g: grad, m, v, vmax, maximize } = a;
  const w1 = f(1 - a.beta1);
  const oneW1 = f(1 - w1);
  const b2 = f(a.beta2);
  const w2 = f(1 - a.beta2);
  const eps = f(a.eps);
  const wd = f(a.weightDecay);
  const decay = f(1 - a.lr * a.weightDecay);
  const nss = f(-a.stepSize);
  const bc2 = f(a.bc2Sqrt);
  const l2 = !a.decoupled && wd !== 0;
  const dec = a.decoupled && wd !== 0;
  for (let j = 0; j < p.length; j++) {
    let g = maximize ? -grad[j]! : grad[j]!;
    let pj = p[j]!;
    if (dec) pj = f(pj * decay);
    if (l2) g = f(g + f(wd * pj));
    const d = f(g - m[j]!);
    const mj = w1 < 0.5 ? f(m[j]! + f(w1 * d)) : f(g - f(d * oneW1));
    const vj = f(f(v[j]! * b2) + f(f(w2 * g) * g));
    m[j] = mj;
    v[j] = vj;
    let s = vj;
    if (vmax) s = vmax[j] = maxNaN(vmax[j]!, vj);
    const denom = f(f(f(Math.sqrt(s)) / bc2) + eps);
    p[j] = f(pj + f(f(nss * mj) / denom));
  }
}

export function sgdStep(a: SgdStepArgs): void {
  const { p, g: grad, buf, nesterov, maximize, init } = a;
  const n = p.length;
  if (p instanceof Float64Array) {
    const { lr, momentum: mu, dampening, weightDecay: wd } = a;
    for (let j = 0; j < n; j++) {
      let g = maximize ? -grad[j]! : grad[j]!;
      if (wd !== 0) g = g + wd * p[j]!;
      if (buf) {
        buf[j] = init ? g : buf[j]! * mu + (1 - dampening) * g;
        g = nesterov ? g + mu * buf[j]! : buf[j]!;
      }
      p[j] = p[j]! + -lr * g;
    }
    return;
  }
  const nlr = f(-a.lr);
  const mu = f(a.momentum);
  const damp1 = f(1 - a.dampening);
  const wd = f(a.weightDecay);
  for (let j = 0; j < n; j++) {
    let g = maximize ? -grad[j]! : grad[j]!;
    if (wd !== 0) g = f(g + f(wd * p[j]!));
    if (buf) {
      buf[j] = init ? g : f(f(buf[j]! * mu) + f(damp1 * g));
      g = nesterov ? f(g + f(mu * buf[j]!)) : buf[j]!;
    }
    p[j] = f(p[j]! + f(nlr * g));
  }
}

/** out[j] += Σ_r g[r·cols + j], row by row; a Float32Array out rounds every partial sum (as stored). */
export function colSumAdd(g: Buf, rows: number, cols: number, out: Buf): void {
  for (let r = 0, k = 0; r < rows; r++) for (let j = 0; j < cols; j++, k++) out[j] += g[k]!;
}

/** Σ (x − t)² in double: partial sums s_(i mod 4), the tail into s_0, (s0 + s1) + (s2 + s3). */
export function sumSquaredDiff(x: Buf, t: Buf): number {
  const n = x.length;
  const n4 = n - (n % 4);
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (let i = 0; i < n4; i += 4) {
    const z0 = x[i]! - t[i]!, z1 = x[i + 1]! - t[i + 1]!, z2 = x[i + 2]! - t[i + 2]!, z3 = x[i + 3]! - t[i + 3]!;
    s0 += z0 * z0; s1 += z1 * z1; s2 += z2 * z2; s3 += z3 * z3;
  }
  for (let i = n4; i < n; i++) {
    const z = x[i]! - t[i]!;
    s0 += z * z;
  }
  return (s0 + s1) + (s2 + s3);
}

/** out_i = a · ρ(c · (x_i − t_i)), ρ rounding to out's precision (the product is rounded on store). */
export function scaledDiff(x: Buf, t: Buf, c: number, a: number, out: Buf): void {
  const n = x.length;
  if (out instanceof Float32Array) for (let i = 0; i < n; i++) out[i] = a * f(c * (x[i]! - t[i]!));
  else for (let i = 0; i < n; i++) out[i] = a * (c * (x[i]! - t[i]!));
}
