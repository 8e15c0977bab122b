/**
 * 1-D convolution (cross-correlation, as PyTorch) by im2col + backend GEMM.
 *
 * Legend: N batch, Cin / Cout channels, G groups, Cg = Cin/G, Og = Cout/G, K kernel size,
 * L input length, Lo output length, s stride, d dilation, pl / pr left / right zero padding.
 *   y[n, o, t] = b[o] + Σ_{c<Cg, k<K} w[o, c, k] · x[n, g·Cg + c, t·s + k·d − pl],  g = ⌊o/Og⌋
 * Per (n, g): cols (Cg·K, Lo) = im2col(x[n, g]);  y[n, g] (Og, Lo) = W_g (Og, Cg·K) · cols.
 * Backward:   dW_g += dY · colsᵀ;  dcols = W_gᵀ · dY;  dx[n, g] += col2im(dcols);  db[o] = Σ dY.
 */
import type { Buf } from '../kernels/backend.js';
import { getBackend } from '../kernels/index.js';
import { Tensor } from '../tensor/tensor.js';
import { allocLike } from '../tensor/create.js';
import { recordOp } from '../autograd/engine.js';
import { ShapeError, ValueError } from '../util/errors.js';
import { fmtShape } from '../util/shape.js';
import { checkOptions } from './checks.js';
import { reshape } from './shape.js';

export interface Conv1dOptions {
  stride?: number;
  /** Zeros added on both sides; `'valid'` = 0, `'same'` keeps L (stride 1 only; any odd extra goes right). */
  padding?: number | 'valid' | 'same';
  dilation?: number;
  groups?: number;
}

interface Geometry {
  N: number; Cin: number; L: number; Cout: number; K: number; G: number; Cg: number; Og: number;
  s: number; d: number; pl: number; Lo: number;
}

function posInt(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new ValueError('conv1d', `${name} an integer >= ${min}`, String(v));
  return v;
}

function geometry(x: Tensor, w: Tensor, bias: Tensor | null | undefined, o: Conv1dOptions): Geometry {
  if (x.ndim !== 3) throw new ShapeError('conv1d', 'input (N, Cin, L) or (Cin, L)', fmtShape(x.shape));
  if (w.ndim !== 3) throw new ShapeError('conv1d', 'weight (Cout, Cin/groups, K)', fmtShape(w.shape));
  if (w.dtype !== x.dtype || (bias && bias.dtype !== x.dtype)) throw new ValueError('conv1d', `operands of dtype ${x.dtype}`, `weight ${w.dtype}${bias ? `, bias ${bias.dtype}` : ''}`);
  const [N, Cin, L] = x.shape as [number, number, number];
  const [Cout, Cg, K] = w.shape as [number, number, number];
  const s = posInt('stride', o.stride ?? 1, 1);
  const d = posInt('dilation', o.dilation ?? 1, 1);
  const G = posInt('groups', o.groups ?? 1, 1);
  if (Cin % G !== 0 || Cout % G !== 0) throw new ValueError('conv1d', `Cin and Cout divisible by groups ${G}`, `Cin ${Cin}, Cout ${Cout}`);
  if (Cg !== Cin / G) throw new ShapeError('conv1d', `weight (${Cout}, ${Cin / G}, K) for Cin ${Cin} and groups ${G}`, fmtShape(w.shape));
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== Cout)) throw new ShapeError('conv1d', `bias (${Cout})`, fmtShape(bias.shape));
  const span = d * (K - 1);
  const p = o.padding ?? 0;
  let pl: number;
  let pr: number;
  if (p === 'valid') pl = pr = 0;
  else if (p === 'same') {
    if (s !== 1) throw new ValueError('conv1d', "stride 1 with padding 'same'", `stride ${s}`);
    pl = Math.floor(span / 2);
    pr = span - pl;
  } else pl = pr = posInt('padding', p, 0);
  const Lo = Math.floor((L + pl + pr - span - 1) / s) + 1;
  if (Lo < 1) throw new ShapeError('conv1d', `padded length ${L + pl + pr} >= dilated kernel ${span + 1}`, fmtShape(x.shape));
  return { N, Cin, L, Cout, K, G, Cg, Og: Cout / G, s, d, pl, Lo };
}

/** cols (Cg·K, Lo) ← x[n, g] (Cg, L); zero where the tap falls in the padding. */
function im2col(x: Buf, off: number, cols: Buf, g: Geometry): void {
  const { Cg, K, L, Lo, s, d, pl } = g;
  for (let c = 0; c < Cg; c++) {
    for (let k = 0; k < K; k++) {
      const row = (c * K + k) * Lo;
      for (let t = 0; t < Lo; t++) {
        const j = t * s + k * d - pl;
        cols[row + t] = j >= 0 && j < L ? x[off + c * L + j]! : 0;
      }
    }
  }
}

/** dx[n, g] (Cg, L) += col2im(dcols (Cg·K, Lo)). */
function col2im(dcols: Buf, dx: Buf, off: number, g: Geometry): void {
  const { Cg, K, L, Lo, s, d, pl } = g;
  for (let c = 0; c < Cg; c++) {
    for (let k = 0; k < K; k++) {
      const row = (c * K + k) * Lo;
      for (let t = 0; t < Lo; t++) {
        const j = t * s + k * d - pl;
        if (j >= 0 && j < L) dx[off + c * L + j] += dcols[row + t]!;
      }
    }
  }
}

/**
 * 1-D convolution (F.conv1d).
 * Shapes: x (N, Cin, L) or unbatched (Cin, L), weight (Cout, Cin/groups, K), bias (Cout) or null
 * → (N, Cout, Lo) (or (Cout, Lo)), Lo = ⌊(L + 2·padding − dilation·(K−1) − 1)/stride⌋ + 1.
 * @remarks Zero padding only (PyTorch's `padding_mode` other than 'zeros' is not supported).
 * @example conv1d(x, w, b, { padding: 1 })  // (N, Cout, L) for K = 3
 */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv1dOptions = {}): Tensor {
  checkOptions('conv1d', opts, ['stride', 'padding', 'dilation', 'groups']);
  if (x.ndim === 2) return reshape(conv1d(reshape(x, [1, ...x.shape]), weight, bias, opts), [weight.shape[0]!, -1]);
  const geo = geometry(x, weight, bias, opts);
  const { N, Cin, L, Cout, K, G, Cg, Og, Lo } = geo;
  const be = getBackend();
  const CK = Cg * K;
  const cols = allocLike(x.data, CK * Lo);
  const out = allocLike(x.data, N * Cout * Lo);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      im2col(x.data, (n * Cin + g * Cg) * L, cols, geo);
      be.gemm({
        transA: false, transB: false, M: Og, N: Lo, K: CK, alpha: 1,
        A: weight.data, aOff: g * Og * CK, lda: CK, B: cols, ldb: Lo,
        beta: 0, C: out, cOff: (n * Cout + g * Og) * Lo, ldc: Lo,
      });
    }
    if (bias) for (let o = 0; o < Cout; o++) for (let t = 0; t < Lo; t++) out[(n * Cout + o) * Lo + t] += bias.data[o]!;
  }
  const y = new Tensor(out, [N, Cout, Lo]);
  recordOp('conv1d', [x, weight, bias], [y], ([gy]) => conv1dBackward(gy!, x, weight, bias, geo));
  return y;
}

/** Gradients of {@link conv1d} w.r.t. x, weight and bias (null where not required). */
function conv1dBackward(gy: Buf, x: Tensor, weight: Tensor, bias: Tensor | null, geo: Geometry): (Buf | null)[] {
  const { N, Cin, L, Cout, K, G, Cg, Og, Lo } = geo;
  const be = getBackend();
  const CK = Cg * K;
  const dx = x.requiresGrad ? allocLike(gy, x.size) : null;
  const dw = weight.requiresGrad ? allocLike(gy, weight.size) : null;
  const db = bias && bias.requiresGrad ? allocLike(gy, Cout) : null;
  const cols = allocLike(gy, CK * Lo);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const yOff = (n * Cout + g * Og) * Lo;
      const xOff = (n * Cin + g * Cg) * L;
      if (dw) {
        im2col(x.data, xOff, cols, geo);
        be.gemm({
          transA: false, transB: true, M: Og, N: CK, K: Lo, alpha: 1,
          A: gy, aOff: yOff, lda: Lo, B: cols, ldb: Lo,
          beta: 1, C: dw, cOff: g * Og * CK, ldc: CK,
        });
      }
      if (dx) {
        be.gemm({
          transA: true, transB: false, M: CK, N: Lo, K: Og, alpha: 1,
          A: weight.data, aOff: g * Og * CK, lda: CK, B: gy, bOff: yOff, ldb: Lo,
          beta: 0, C: cols, ldc: Lo,
        });
        col2im(cols, dx, xOff, geo);
      }
    }
    if (db) for (let o = 0; o < Cout; o++) for (let t = 0; t < Lo; t++) db[o] += gy[(n * Cout + o) * Lo + t]!;
  }
  return [dx, dw, db];
}
