/**
 * Broadcasting helpers shared by the elementwise ops and the reductions: nested-loop strides for the
 * common cases (no per-element index map) and the general index map.
 */
import type { Buf } from '../kernels/backend.js';
import { allocLike } from '../tensor/create.js';
import { numel, shapesEqual, stridesOf } from '../util/shape.js';

/** For each flat index of `outShape`, the flat index into a tensor of `inShape` broadcast to it. */
export function broadcastIndex(outShape: readonly number[], inShape: readonly number[]): Int32Array {
  const n = numel(outShape);
  const idx = new Int32Array(n);
  const nd = outShape.length;
  const inStr = stridesOf(inShape);
  const eff = outShape.map((_, i) => {
    const j = i - (nd - inShape.length);
    return j < 0 || inShape[j] === 1 ? 0 : inStr[j]!;
  });
  const counter = new Array<number>(nd).fill(0);
  let off = 0;
  for (let k = 0; k < n; k++) {
    idx[k] = off;
    for (let d = nd - 1; d >= 0; d--) {
      counter[d]!++;
      off += eff[d]!;
      if (counter[d]! < outShape[d]!) break;
      off -= eff[d]! * outShape[d]!;
      counter[d] = 0;
    }
  }
  return idx;
}

/**
 * Broadcasting as two nested loops: output element k = o·inner + i (o < outer, i < inner) reads
 * operand element o·so + i·si. One split of the output's axes serves both operands when each is,
 * on either side of the split, either complete or all ones: same shape (so = inner, si = 1), a bias
 * row over leading axes (0, 1), a column over trailing axes (1, 0), a scalar (0, 0). Anything else
 * (e.g. (3, 1) against (1, 4)) is gathered to full size through an index map first.
 */
export interface Split {
  outer: number;
  inner: number;
  aO: number;
  aI: number;
  bO: number;
  bI: number;
}

/** Strides (so, si) of an operand for a split at axis p of `out`, or null if it does not fit. */
function stridesAt(out: readonly number[], sh: readonly number[], p: number, inner: number): [number, number] | null {
  const lead = out.length - sh.length;
  let fullO = true, onesO = true, fullI = true, onesI = true;
  for (let d = 0; d < out.length; d++) {
    const v = d < lead ? 1 : sh[d - lead]!;
    const full = v === out[d], ones = v === 1;
    if (d < p) { fullO &&= full; onesO &&= ones; } else { fullI &&= full; onesI &&= ones; }
  }
  if (!(fullO || onesO) || !(fullI || onesI)) return null;
  // A size-1 output axis is both complete and ones: prefer "complete" so that strides stay exact.
  const si = fullI ? 1 : 0;
  const so = fullO ? (si === 1 ? inner : 1) : 0;
  return [so, si];
}

export function splitOf(out: readonly number[], as: readonly number[], bs: readonly number[]): Split | null {
  let inner = numel(out);
  for (let p = 0; p <= out.length; p++) {
    if (p > 0) inner = out[p - 1] === 0 ? 0 : inner / out[p - 1]!;
    const a = stridesAt(out, as, p, inner);
    const b = a && stridesAt(out, bs, p, inner);
    if (a && b) return { outer: inner === 0 ? 0 : numel(out) / inner, inner, aO: a[0], aI: a[1], bO: b[0], bI: b[1] };
  }
  return null;
}

/** Sum a full-size gradient g down to an operand read with strides (so, si) (undoing broadcasting). */
export function reduceStrided(g: Buf, s: Split, so: number, si: number, size: number): Buf {
  if (so === s.inner && si === 1) return g; // the operand has the output's shape
  const r = allocLike(g, size);
  for (let o = 0, k = 0; o < s.outer; o++) {
    let j = o * so;
    for (let i = 0; i < s.inner; i++, k++, j += si) r[j] += g[k]!;
  }
  return r;
}

/** Sum a gradient of `outShape` down to `inShape` through an index map (the general case). */
export function reduceTo(g: Buf, outShape: readonly number[], inShape: readonly number[]): Buf {
  if (shapesEqual(outShape, inShape)) return g;
  const r = allocLike(g, numel(inShape));
  const idx = broadcastIndex(outShape, inShape);
  for (let k = 0; k < g.length; k++) r[idx[k]!] += g[k]!;
  return r;
}

