/**
 * Fused elementwise kernels on the current backend: optimizer updates, the finiteness scan, dropout masks, and loops of
 * the ops' forward / backward that JS runs slowly. Internal: used by optim/ (which may import ops/, not kernels/) and
 * by the ops; not part of `F`. Small inputs stay in JS (a native call costs ~0.1–0.3 µs).
 */
import type { AdamStepArgs, Buf, SgdStepArgs } from '../kernels/backend.js';
import { getBackend, refBackend } from '../kernels/index.js';
import { setGradAdder } from '../autograd/engine.js';

/** Below this many elements a JS loop beats the native call. */
const SMALL = 256;

/** Flat index of the first NaN or ±Inf in x, or -1. */
export function firstNonFinite(x: Buf): number {
  if (x.length < SMALL) {
    for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i]!)) return i;
    return -1;
  }
  return getBackend().firstNonFinite(x);
}

/** One Adam / AdamW update in place (see AdamStepArgs). */
export function adamStep(a: AdamStepArgs): void {
  getBackend().adamStep(a);
}

/** One SGD update in place (see SgdStepArgs). */
export function sgdStep(a: SgdStepArgs): void {
  getBackend().sgdStep(a);
}

/** out[j] += Σ_r g[r·cols + j] (see Backend.colSumAdd). */
export function colSumAdd(g: Buf, rows: number, cols: number, out: Buf): void {
  if (rows * cols >= SMALL) getBackend().colSumAdd(g, rows, cols, out);
  else refBackend.colSumAdd(g, rows, cols, out);
}

// Backward's gradient sums (dst += g) as a one-row colSumAdd: the same float additions as the JS loop.
setGradAdder((dst, g) => colSumAdd(g, 1, dst.length, dst));

/** Σ (x − t)² in double (see Backend.sumSquaredDiff). */
export function sumSquaredDiff(x: Buf, t: Buf): number {
  return x.length >= SMALL ? getBackend().sumSquaredDiff(x, t) : refBackend.sumSquaredDiff(x, t);
}

/** out_i = a · ρ(c · (x_i − t_i)) (see Backend.scaledDiff). */
export function scaledDiff(x: Buf, t: Buf, c: number, a: number, out: Buf): void {
  if (x.length >= SMALL) getBackend().scaledDiff(x, t, c, a, out);
  else refBackend.scaledDiff(x, t, c, a, out);
}

/** A dropout mask of key (k0, k1) (see Backend.dropoutMask): the same bits on every backend. */
export function dropoutMask(k0: number, k1: number, p: number, out: Buf): void {
  if (out.length >= SMALL) getBackend().dropoutMask(k0, k1, p, out);
  else refBackend.dropoutMask(k0, k1, p, out);
}

/** y = x ⊙ the dropout mask of key (k0, k1) (see Backend.dropoutApply). */
export function dropoutApply(k0: number, k1: number, p: number, x: Buf, y: Buf): void {
  if (x.length >= SMALL) getBackend().dropoutApply(k0, k1, p, x, y);
  else refBackend.dropoutApply(k0, k1, p, x, y);
}
