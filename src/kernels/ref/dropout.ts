/**
 * Reference dropout masks (the spec of native/ops_dropout.c, matched bit for bit): a counter-based
 * generator, so entry i of a mask is a pure function of the mask's key (k0, k1) and i — no state, any
 * order or thread count gives the same bits, and a backward regenerates its forward's mask from the key.
 *
 *   u_i = mix(mix(mix(lo(i) ^ k0) ^ k1 ^ hi(i)) ^ k0)   i = hi·2³² + lo; mix = "lowbias32" (C. Wellons)
 *   m_i = u_i < thr ? 0 : s            thr = min(⌈p·2³²⌉, 2³² − 1), s = 1/(1 − p) (0 when p = 1)
 *
 * so P(m_i = 0) = p as for `random() < p` with 32-bit uniforms (why three keyed rounds: native/ops_dropout.c).
 * Float32 buffers get s rounded to float32 and y_i = x_i·m_i rounded once (the product of two floats is
 * exact in double), as C's float multiply.
 */
import type { Buf } from '../backend.js';

/** The xorshift-multiply 32-bit bijection (hash-prospector's lowbias32, constants 0x21f0aaad, 0x735a2d97). */
function mix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x21f0aaad);
  x ^= x >>> 15;
  x = Math.imul(x, 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

function scaleOf(p: number, out: Buf): number {
  const s = p >= 1 ? 0 : 1 / (1 - p);
  return out instanceof Float32Array ? Math.fround(s) : s;
}

/** out_i = m_i (see the file comment). */
export function dropoutMask(k0: number, k1: number, p: number, out: Buf): void {
  fill(k0, k1, p, null, out, out.length);
}

/** y_i = x_i · m_i; x may be y. */
export function dropoutApply(k0: number, k1: number, p: number, x: Buf, y: Buf): void {
  fill(k0, k1, p, x, y, x.length);
}

function fill(k0: number, k1: number, p: number, x: Buf | null, y: Buf, n: number): void {
  const thr = Math.min(Math.ceil(p * 4294967296), 4294967295);
  const s = scaleOf(p, y);
  for (let i = 0; i < n; i += 4294967296) {
    const end = Math.min(n, i + 4294967296);
    const k1h = (k1 ^ Math.floor(i / 4294967296)) >>> 0;
    for (let j = i, lo = 0; j < end; j++, lo++) {
      const m = mix(mix(mix(lo ^ k0) ^ k1h) ^ k0) < thr ? 0 : s;
      y[j] = x ? x[j]! * m : m;
    }
  }
}
