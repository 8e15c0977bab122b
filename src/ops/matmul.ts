/** Matrix products on the backend GEMM. */
import type { Buf, GemmArgs } from '../kernels/backend.js';
import { getBackend } from '../kernels/index.js';
import { Tensor } from '../tensor/tensor.js';
import { allocLike, allocOverwritten } from '../tensor/create.js';
import { isGradEnabled, needsGrad, recordOp } from '../autograd/engine.js';
import { colSumAdd } from './fused.js';
import { carve, SMALL_OUT, takeBuf } from './scratch.js';
import { ShapeError, ValueError } from '../util/errors.js';
import { fmtShape, shapeSlice } from '../util/shape.js';

/** C(M,N) (+)= op(A)·op(B) on flat buffers, batch `nb` with strides (0 stride = shared). */
function gemmBatched(
  nb: number, transA: boolean, transB: boolean, M: number, N: number, K: number,
  A: Buf, sA: number, B: Buf, sB: number, C: Buf, beta: number,
): void {
  const be = getBackend();
  for (let b = 0; b < nb; b++) {
    be.gemm({
      transA, transB, M, N, K, alpha: 1,
      A, aOff: b * sA, lda: transA ? M : K,
      B, bOff: b * sB, ldb: transB ? K : N,
      beta, C, cOff: b * M * N, ldc: N,
    });
  }
}

/**
 * Matrix product. Shapes: (M,K)·(K,N) → (M,N); (…,M,K)·(K,N) → (…,M,N);
 * (Bt,M,K)·(Bt,K,N) → (Bt,M,N). A 1-D right operand (K) is treated as (K,1) and squeezed.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== b.dtype) throw new ValueError('matmul', 'operands of one dtype', `${a.dtype} and ${b.dtype}`);
  if (a.ndim < 2) throw new ShapeError('matmul', 'a left operand of rank >= 2', fmtShape(a.shape));
  const vec = b.ndim === 1;
  const bShape = vec ? [b.shape[0]!, 1] : b.shape;
  const K = a.shape[a.ndim - 1]!;
  const M = a.shape[a.ndim - 2]!;
  const N = bShape[bShape.length - 1]!;
  const Kb = bShape[bShape.length - 2]!;
  let batched: boolean;
  if (bShape.length === 2) batched = false;
  else if (bShape.length === 3 && a.ndim === 3 && bShape[0] === a.shape[0]) batched = true;
  else throw new ShapeError('matmul', '(…,M,K)·(K,N) or (B,M,K)·(B,K,N)', `${fmtShape(a.shape)}·${fmtShape(b.shape)}`);
  if (K !== Kb) throw new ShapeError('matmul', `inner sizes to agree (${K})`, `${fmtShape(a.shape)}·${fmtShape(b.shape)}`);
  // Without a batch, fold all leading dims of a into M.
  const rows = batched ? M : a.size / K;
  const nb = batched ? a.shape[0]! : 1;
  const out = allocLike(a.data, nb * rows * N);
  gemmBatched(nb, false, false, rows, N, K, a.data, rows * K, b.data, batched ? K * N : 0, out, 0);
  const outShape = vec ? shapeSlice(a.shape, 0, -1) : [...shapeSlice(a.shape, 0, -1), N];
  const y = new Tensor(out, outShape);
  recordOp('matmul', [a, b], [y], ([g]) => {
    let da: Buf | null = null;
    let db: Buf | null = null;
    if (a.requiresGrad) {
      da = allocLike(g!, a.size); // dA = G·Bᵀ
      gemmBatched(nb, false, true, rows, K, N, g!, rows * N, b.data, batched ? K * N : 0, da, 0);
    }
    if (b.requiresGrad) {
      db = allocLike(g!, b.size); // dB = Aᵀ·G (summed over the folded rows)
      if (batched) gemmBatched(nb, true, false, K, N, rows, a.data, rows * K, g!, rows * N, db, 0);
      else getBackend().gemm({ transA: true, transB: false, M: K, N, K: rows, alpha: 1, A: a.data, lda: K, B: g!, ldb: N, beta: 0, C: db, ldc: N });
    }
    return [da, db];
  });
  return y;
}

/** Σ over rows of g (rows, O), accumulated row by row in g's precision (each partial sum stored). */
function columnSums(g: Buf, rows: number, O: number): Buf {
  const db = allocLike(g, O);
  colSumAdd(g, rows, O, db);
  return db;
}

/** The forward GEMM's arguments, one reused object (calls are synchronous): a streamed step's head allocates less. */
const EMPTY = new Float32Array(0);
const FWD: GemmArgs = { transA: false, transB: true, M: 0, N: 0, K: 0, alpha: 1, A: EMPTY, lda: 1, B: EMPTY, ldb: 1, beta: 0, C: EMPTY, ldc: 1, bias: null, weight: true };

/** The shape (rows, O), frozen, remembered for the last pair (a streamed head asks for the same one at every step). */
let lastRowShape: readonly number[] = Object.freeze([0, 0]);
function rowShape(rows: number, O: number): readonly number[] {
  if (lastRowShape[0] !== rows || lastRowShape[1] !== O) lastRowShape = Object.freeze([rows, O]);
  return lastRowShape;
}

/**
 * y = x·Wᵀ + b, with x (…, in), W (out, in), b (out). PyTorch's `F.linear`.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.ndim !== 2) throw new ShapeError('linear', 'a weight of shape (out, in)', fmtShape(weight.shape));
  const I = weight.shape[1]!;
  const O = weight.shape[0]!;
  if (x.shape[x.ndim - 1] !== I) throw new ShapeError('linear', `input (…, ${I})`, fmtShape(x.shape));
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== O)) throw new ShapeError('linear', `bias (${O})`, fmtShape(bias.shape));
  const rows = x.size / I;
  const be = getBackend();
  // the GEMM writes every element (rows start as the bias, in the tasks that compute them): no zero fill
  const out = rows * O <= SMALL_OUT ? carve(x.data, rows * O) : allocOverwritten(x.data, rows * O);
  const g = FWD;
  g.M = rows; g.N = O; g.K = I; g.A = x.data; g.lda = I; g.B = weight.data; g.ldb = I; g.beta = 0; g.C = out; g.ldc = O;
  g.bias = bias ? bias.data : null;
  be.gemm(g);
  g.A = g.B = g.C = EMPTY; // keep nothing alive
  g.bias = null;
  const y = new Tensor(out, x.ndim === 2 ? rowShape(rows, O) : [...shapeSlice(x.shape, 0, -1), O]);
  if (!isGradEnabled() || !needsGrad([x, weight, bias])) return y;
  recordOp('linear', [x, weight, bias], [y], ([g]) => {
    let dx: Buf | null = null;
    let dw: Buf | null = null;
    let db: Buf | null = null;
    if (x.requiresGrad) {
      dx = takeBuf(g!, x.size); // all written (beta 0); recycled when a consumesGrads op has used it
      be.gemm({ transA: false, transB: false, M: rows, N: I, K: O, alpha: 1, A: g!, lda: O, B: weight.data, ldb: I, beta: 0, C: dx, ldc: I });
    }
    if (weight.requiresGrad) {
      dw = allocLike(g!, weight.size);
      be.gemm({ transA: true, transB: false, M: O, N: I, K: rows, alpha: 1, A: g!, lda: O, B: x.data, ldb: I, beta: 0, C: dw, ldc: I });
    }
    if (bias && bias.requiresGrad) db = columnSums(g!, rows, O);
    return [dx, dw, db];
  }, { freshGrads: true });
  return y;
}
