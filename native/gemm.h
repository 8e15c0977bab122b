/*
 * gemm.h — single-precision GEMM used by the recurrent kernels and exported to JS.
 *
 *   C = alpha · op(A) · op(B) + beta · C      (row-major, like cblas_sgemm(CblasRowMajor, ...))
 *
 * Legend
 *   M, N, K      op(A) is (M, K), op(B) is (K, N), C is (M, N)
 *   transA       0: A stored (M, K) with row stride lda;  1: A stored (K, M) (op(A) = Aᵀ)
 *   transB       0: B stored (K, N) with row stride ldb;  1: B stored (N, K) (op(B) = Bᵀ)
 *   ldc          row stride of C (>= N)
 *
 * Rules
 *   - beta == 0 ignores C's old contents completely (NaN / Inf in C are overwritten).
 *   - M, N <= 0 is a no-op. K <= 0 (or alpha == 0) scales C by beta (beta == 0 zero-fills).
 *   - Results are deterministic: the same inputs give bit-identical outputs for any thread
 *     count (every C element is computed by exactly one thread, with a fixed K order: one FMA
 *     chain per element over K blocks of 384; for M <= 2 with transB and !transA, a vector dot
 *     product per element instead — a fixed order too, but not the same rounding as M > 2).
 *   - Accumulation is float32 with FMAs (the reference sums in double): expect |error| up to
 *     ~K·6e-8·Σ|a||b|.
 *   - rc_sgemm may split the work over the thread pool (pool.h) when it is big enough;
 *     rc_sgemm_st never uses the pool (call it from inside a pool task).
 *   - Both are safe to call concurrently from different threads (no shared mutable state
 *     except the pool, which serialises its users).
 */
#ifndef RC_GEMM_H
#define RC_GEMM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void rc_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc);
/* C = alpha·op(A)·op(B) + bias on every row (bias: N floats; C is not read): a Linear layer's forward.
 * Each C block starts as the bias rows right before its products (in the task that computes it: no
 * serial fill over all of C first, and the rows are in cache when the micro-kernel adds to them), so
 * the result is bit-identical to filling C with the bias and calling rc_sgemm with beta = 1. */
void rc_sgemm_bias(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                   const float *B, int ldb, const float *bias, float *C, int ldc);

void rc_sgemm_st(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                 const float *B, int ldb, float beta, float *C, int ldc);

/*
 * Pre-packed B, for GEMMs that reuse one B many times (W_hh in every time step):
 * pack once per call of a sequence kernel, then run rc_sgemm_pb[_st] per step. Saves the
 * per-call packing (which costs ~30% of a (32 x 512 x 128) product).
 *
 *   rc_sgemm_packb_size(K, N)    floats needed for the packed copy of a (K, N) op(B)
 *                                (depends on the active CPU path; call it at run time)
 *   rc_sgemm_packb(transB, K, N, B, ldb, Bp)
 *                                Bp <- op(B) in panels of NR columns; Bp should be 64-byte
 *                                aligned (not required). B is not needed afterwards.
 *   rc_sgemm_pb(transA, M, N, K, alpha, A, lda, Bp, beta, C, ldc)
 *                                C = alpha·op(A)·Bp + beta·C, same rules as rc_sgemm.
 *
 * Layout (so callers can hand column slices to threads): panel p holds columns
 * [p·NR, p·NR + NR) of op(B), k-major: Bp[p·K·NR + k·NR + j] = op(B)[k][p·NR + j] (zero padded
 * past N). Columns [n0, n1) with n0 % NR == 0 are the packed matrix starting at
 * Bp + (n0 / NR)·K·NR, so rc_sgemm_pb_st(transA, M, n1 - n0, K, alpha, A, lda,
 * Bp + (n0 / NR)·K·NR, beta, C + n0, ldc) computes just those columns.
 */
size_t rc_sgemm_packb_size(int K, int N);
void rc_sgemm_packb(int transB, int K, int N, const float *B, int ldb, float *Bp);
void rc_sgemm_pb(int transA, int M, int N, int K, float alpha, const float *A, int lda,
                 const float *Bp, float beta, float *C, int ldc);
void rc_sgemm_pb_st(int transA, int M, int N, int K, float alpha, const float *A, int lda,
                    const float *Bp, float beta, float *C, int ldc);

/*
 * Building blocks for the fused recurrent kernels (recurrent*.c), which run their own tile loops with
 * the active path's micro-kernel (cpu.h: rc_active_path()->kern, ->packbt, ->mr, ->nr).
 *
 * rc_gemm_pa_st: C_g (+)= alpha·op(A)·B_g for every group g, op(A) pre-packed, single-threaded over
 * the A panels [p0, p1) (callers split panels over the pool: every C element is computed by one call,
 * with one fixed K order — K blocks of RC_KC — so any split gives bit-identical results).
 *   op(A) (M, K): panel q of block j holds rows [q·MR, q·MR + MR) of block j, k-major, full K:
 *     a(row, k) = A[(blk[j]·ppb + q)·apstride + k·MR + row % MR]; a block has `rows` rows (ppb =
 *     ceil(rows / MR) panels, the last one partial); panel p of the product is block p / ppb, panel p % ppb.
 *     Rows of block j land at rows [j·rows, j·rows + rows) of every group's C, or, when crow is set, at
 *     rows [crow[j·ng + g], … + rows) of group g's C, and nowhere in group g when crow[j·ng + g] < 0.
 *   op(B)_g (K, N_g): row k is read from up to 3 row segments in k order (segment s holds len[s] rows
 *     at ptr[s], row stride ld): e.g. [h0; h_0 … h_{T-2}] without a copy; times mask row k % mperiod
 *     (mask (mperiod, N_g)) when mask is set. Full NR = 32 panels without a mask are read in place,
 *     the others packed per K block.
 *   beta applies once (C = alpha·acc + beta·C over the first K block, then += per block).
 */
typedef struct {
  const float *ptr[3];
  int len[3], nseg;
  long ld;
  int N;
  float *C;
  long ldc;
  const float *mask; /* NULL or (mperiod, N): row k of op(B) is multiplied by mask row k % mperiod */
  int mperiod;
} rc_bgroup;

typedef struct {
  const float *A;
  long apstride;
  int ppb, rows, nblk;
  const int *blk;
  const int *crow; /* NULL or nblk x ng first C rows (-1: skip) */
} rc_apanels;

void rc_gemm_pa_st(const rc_apanels *a, int p0, int p1, int K, float alpha, const rc_bgroup *g, int ng, float beta);

/* NR (panel width of packed B) of the active path: 32 (avx512), 16 (avx2), 16 (portable). */
int rc_sgemm_nr(void);

/* Which micro-kernel family is in use: "avx512", "avx2" or "portable". */
const char *rc_cpu_path(void);

/*
 * Tests only: force a path ("avx512" | "avx2" | "portable"); a path the CPU lacks falls back
 * to the best one below it. Returns the path now active. Packed B made under another path
 * is invalid afterwards. The env var RECUR_CPU does the same at load.
 */
const char *rc_set_cpu_path(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* RC_GEMM_H */
