/**
 * The native backend's GEMM for the product of a linear layer's forward, y (M, N) = x (M, K)·Wᵀ + bias
 * (GemmArgs.weight, transB, alpha 1, beta 0, no offsets, dense strides: ops/matmul.ts `linear`), through addon
 * linearPrepare / linearRun: W and bias are checked once per weight set and held by a handle, so a call
 * passes 4 arguments instead of 17 (a streamed head's call, W4: ~0.3 µs less per step). Handles are kept
 * per W array and remade when W, bias or a size changes; the contents are read at every call (in-place
 * optimizer updates, loadStateDict, `.data` writes are seen). Same C call as gemm: the same bits.
 */
import type { Buf, GemmArgs } from '../backend.js';

export interface LinearAddon {
  linearPrepare(W: Float32Array, bias: Float32Array | null, N: number, K: number): object;
  linearRun(handle: object, M: number, x: Float32Array, y: Float32Array): void;
}

interface Prepared {
  handle: object;
  bias: Buf | null;
  N: number; K: number;
  /** Lengths at preparation: a detached buffer reads 0, so it is never used through a stale pointer. */
  n: number;
}

/** True when `a` is a linear layer's forward product on its weight (the only call linearRun serves). */
export const isLinear = (a: GemmArgs): boolean =>
  a.weight === true && !a.transA && a.transB && a.alpha === 1 && a.beta === 0 && !a.aOff && !a.bOff && !a.cOff && a.lda === a.K && a.ldb === a.K &&
  a.ldc === a.N && a.N > 0;

/** A runner of linear products (isLinear) through prepared handles. */
export function linearRunner(addon: LinearAddon): (a: GemmArgs) => void {
  const handles = new WeakMap<Buf, Prepared>();
  return (a) => {
    const W = a.B as Float32Array, bias = (a.bias ?? null) as Float32Array | null;
    const n = W.length + (bias?.length ?? 0);
    let p = handles.get(W);
    if (p === undefined || p.bias !== bias || p.N !== a.N || p.K !== a.K || p.n !== n) {
      p = { handle: addon.linearPrepare(W, bias, a.N, a.K), bias, N: a.N, K: a.K, n };
      handles.set(W, p);
    }
    addon.linearRun(p.handle, a.M, a.A as Float32Array, a.C as Float32Array);
  };
}
