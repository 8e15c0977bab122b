/*
 * addon.c — the N-API module `recur_native`: GEMM, unary kernels, threads, CPU path, and
 * the recurrent sequence kernels (recurrent.h) and the fused op kernels (ops.h).
 *
 * Exports (JS view; every buffer is a Float32Array, checked for type and bounds here):
 *   gemm(transA, transB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc, bias)
 *                                            bias (N) | null: C's rows start as bias, beta unused
 *   linearPrepare(W (N,K), bias (N) | null, N, K) -> handle;  linearRun(handle, M, x (M,K), y (M,N)):
 *                                            y = x·Wᵀ + bias, gemm's product on a weight checked once
 *   unary(kind, x, y)                        kind: index into RC_UNARY_NAMES (unary.h)
 *   unaryBackward(kind, x, y, dy, dx)
 *   setThreads(n) / getThreads()             pool size, counting the calling thread
 *   poolJobs()                               jobs handed to the pool's workers so far (tests)
 *   cpuFeatures() -> { avx512, avx2, fma, path }
 *   setCpuPath(name) -> path now active      tests only ("avx512" | "avx2" | "portable")
 *   peakGflops(ms) -> GFLOP/s                 FMA-loop peak of the active path on all pool threads
 *   setErrorClasses({ E_SHAPE, E_VALUE, E_OPTION })   the typed errors every entry point throws (napi_util.h)
 *   recurrentWorkspace, lstmForward, lstmBackward, gruForward, gruBackward, rnnForward, rnnBackward,
 *   recurrentArgs                            recurrent.h
 *   adamStep, sgdStep, firstNonFinite, colSumAdd, sumSquaredDiff, scaledDiff, dropoutMask, dropoutApply   ops.h
 */
#define _POSIX_C_SOURCE 200112L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemm.h"
#include "napi_util.h"
#include "pool.h"
#include "unary.h"

#include "cpu.h"
#include "ops.h"
#include "recurrent.h"

/* ---- gemm -------------------------------------------------------------------------------- */

/* Elements a row-major (rows, cols) matrix with leading dimension ld needs from offset off. */
static int64_t extent(int64_t off, int64_t rows, int64_t cols, int64_t ld) {
  return rows <= 0 || cols <= 0 ? off : off + (rows - 1) * ld + cols;
}

static int check_mat(napi_env env, const char *name, const rc_f32 *m, int off, int rows, int cols, int ld) {
  const int64_t need = extent(off, rows, cols, ld);
  if (ld >= (cols > 1 ? cols : 1) && need <= (int64_t)m->n) return 0;
  /* the messages are formatted only here: three snprintf per call were ~10 % of a head GEMM at batch 1 */
  char where[32], exp[96], got[64];
  snprintf(where, sizeof where, "gemm.%s", name);
  if (ld < (cols > 1 ? cols : 1)) {
    snprintf(exp, sizeof exp, "a leading dimension >= %d", cols);
    snprintf(got, sizeof got, "%d", ld);
  } else {
    snprintf(exp, sizeof exp, "at least %lld elements", (long long)need);
    snprintf(got, sizeof got, "%zu", m->n);
  }
  return rc_throw(env, RC_E_SHAPE, where, exp, got);
}

static napi_value js_gemm(napi_env env, napi_callback_info info) {
  napi_value a[17];
  if (rc_args(env, info, 17, a, "gemm")) return NULL;
  bool tA, tB;
  int M, N, K, aOff, lda, bOff, ldb, cOff, ldc;
  double alpha, beta;
  rc_f32 A, B, C, bias;
  const int BIG = 0x7fffffff;
  if (napi_get_value_bool(env, a[0], &tA) != napi_ok || napi_get_value_bool(env, a[1], &tB) != napi_ok) {
    rc_throw(env, RC_E_VALUE, "gemm.transA/transB", "booleans", "another value");
    return NULL;
  }
  if (rc_get_int(env, a[2], 0, BIG, &M, "gemm.M") || rc_get_int(env, a[3], 0, BIG, &N, "gemm.N") ||
      rc_get_int(env, a[4], 0, BIG, &K, "gemm.K") || rc_get_double(env, a[5], &alpha, "gemm.alpha") ||
      rc_get_f32(env, a[6], 0, 0, &A, "gemm.A") || rc_get_int(env, a[7], 0, BIG, &aOff, "gemm.aOff") ||
      rc_get_int(env, a[8], 1, BIG, &lda, "gemm.lda") || rc_get_f32(env, a[9], 0, 0, &B, "gemm.B") ||
      rc_get_int(env, a[10], 0, BIG, &bOff, "gemm.bOff") || rc_get_int(env, a[11], 1, BIG, &ldb, "gemm.ldb") ||
      rc_get_double(env, a[12], &beta, "gemm.beta") || rc_get_f32(env, a[13], 0, 0, &C, "gemm.C") ||
      rc_get_int(env, a[14], 0, BIG, &cOff, "gemm.cOff") || rc_get_int(env, a[15], 1, BIG, &ldc, "gemm.ldc") ||
      rc_get_f32(env, a[16], 1, (size_t)N, &bias, "gemm.bias"))
    return NULL;
  if (M == 0 || N == 0) return NULL;
  if (K > 0 && (check_mat(env, "A", &A, aOff, tA ? K : M, tA ? M : K, lda) ||
                check_mat(env, "B", &B, bOff, tB ? N : K, tB ? K : N, ldb)))
    return NULL;
  if (check_mat(env, "C", &C, cOff, M, N, ldc)) return NULL;
  if (bias.p) rc_sgemm_bias(tA, tB, M, N, K, (float)alpha, A.p + aOff, lda, B.p + bOff, ldb, bias.p, C.p + cOff, ldc);
  else rc_sgemm(tA, tB, M, N, K, (float)alpha, A.p + aOff, lda, B.p + bOff, ldb, (float)beta, C.p + cOff, ldc);
  return NULL;
}

/* ---- prepared linear products (linearPrepare / linearRun) ---------------------------------------- */

/* y = x·Wᵀ + bias for a weight checked once: the handle holds W (N, K) and bias (N) | null (references keep
 * them alive; their contents are read at every call, so in-place updates are seen; new arrays need a new
 * handle), and a call passes x and y only — the arguments of a streamed head (~0.45 µs of 17 arguments
 * down to 4). The same rc_sgemm(_bias) call as gemm(false, true, M, N, K, 1, x, 0, K, W, 0, K, 0, y, 0, N,
 * bias): the same bits. */
#define LINEAR_MAGIC 0x72636c6e /* "rcln" */

typedef struct {
  int magic, N, K;
  const float *W, *bias;
  napi_ref refs[2];
} linear_t;

static void linear_free(napi_env env, void *data, void *hint) {
  (void)hint;
  linear_t *p = data;
  for (int k = 0; k < 2; k++)
    if (p->refs[k] != NULL) napi_delete_reference(env, p->refs[k]);
  free(p);
}

static napi_value js_linear_prepare(napi_env env, napi_callback_info info) {
  napi_value a[4], handle;
  int N, K;
  rc_f32 W, bias;
  const int BIG = 0x7fffffff;
  if (rc_args(env, info, 4, a, "linearPrepare") || rc_get_int(env, a[2], 1, BIG, &N, "linearPrepare.N") ||
      rc_get_int(env, a[3], 0, BIG, &K, "linearPrepare.K") || rc_get_f32(env, a[0], 0, (size_t)N * K, &W, "linearPrepare.W") ||
      rc_get_f32(env, a[1], 1, (size_t)N, &bias, "linearPrepare.bias"))
    return NULL;
  linear_t *p = calloc(1, sizeof *p);
  if (p == NULL) return rc_throw(env, RC_E_VALUE, "linearPrepare", "memory for a handle", "none"), NULL;
  *p = (linear_t){.magic = LINEAR_MAGIC, .N = N, .K = K, .W = W.p, .bias = bias.p};
  napi_create_reference(env, a[0], 1, &p->refs[0]);
  if (bias.p != NULL) napi_create_reference(env, a[1], 1, &p->refs[1]);
  if (napi_create_external(env, p, linear_free, NULL, &handle) != napi_ok) {
    linear_free(env, p, NULL);
    return rc_throw(env, RC_E_VALUE, "linearPrepare", "a handle", "napi_create_external failed"), NULL;
  }
  return handle;
}

static napi_value js_linear_run(napi_env env, napi_callback_info info) {
  napi_value a[4];
  void *data = NULL;
  int M;
  rc_f32 x, y;
  napi_valuetype vt = napi_undefined;
  if (rc_args(env, info, 4, a, "linearRun")) return NULL;
  napi_typeof(env, a[0], &vt);
  if (vt != napi_external || napi_get_value_external(env, a[0], &data) != napi_ok || data == NULL || ((linear_t *)data)->magic != LINEAR_MAGIC)
    return rc_throw(env, RC_E_VALUE, "linearRun.handle", "a handle from linearPrepare", "another value"), NULL;
  const linear_t *p = data;
  if (rc_get_int(env, a[1], 0, 0x7fffffff / (p->N > p->K ? p->N : p->K > 0 ? p->K : 1), &M, "linearRun.M") ||
      rc_get_f32_fast(env, a[2], 0, (size_t)M * p->K, &x, "linearRun.x") || rc_get_f32_fast(env, a[3], 0, (size_t)M * p->N, &y, "linearRun.y"))
    return NULL;
  if (M == 0) return NULL;
  const int ld = p->K > 0 ? p->K : 1; /* gemm's leading dimensions are >= 1 */
  if (p->bias) rc_sgemm_bias(0, 1, M, p->N, p->K, 1.0f, x.p, ld, p->W, ld, p->bias, y.p, p->N);
  else rc_sgemm(0, 1, M, p->N, p->K, 1.0f, x.p, ld, p->W, ld, 0.0f, y.p, p->N);
  return NULL;
}

/* ---- parameter storage ---------------------------------------------------------------------- */

/* alignedZeros(n): a Float32Array of n zeros whose data starts on a 64-byte boundary (an ArrayBuffer 64
 * bytes longer, viewed from the first aligned byte). Parameters live in these: the batch-1 dot products
 * read aligned weight rows without split loads (kern_avx512.c; W4's step 2.5 vs 3.5 µs, bench/w4-kernel.c). */
static napi_value js_aligned_zeros(napi_env env, napi_callback_info info) {
  napi_value a[1], ab, out;
  int n;
  void *data = NULL;
  if (rc_args(env, info, 1, a, "alignedZeros") || rc_get_int(env, a[0], 0, (0x7fffffff - 64) / 4, &n, "alignedZeros.n")) return NULL;
  const size_t bytes = (size_t)n * sizeof(float) + 64;
  if (napi_create_arraybuffer(env, bytes, &data, &ab) != napi_ok || data == NULL) {
    rc_throw(env, RC_E_VALUE, "alignedZeros", "memory for the buffer", "none");
    return NULL;
  }
  memset(data, 0, bytes);
  const size_t off = (64 - ((uintptr_t)data & 63)) & 63;
  if (napi_create_typedarray(env, napi_float32_array, (size_t)n, ab, off, &out) != napi_ok) {
    rc_throw(env, RC_E_VALUE, "alignedZeros", "a Float32Array view", "napi_create_typedarray failed");
    return NULL;
  }
  return out;
}

/* ---- unary ------------------------------------------------------------------------------- */

static napi_value js_unary(napi_env env, napi_callback_info info) {
  napi_value a[3];
  int kind;
  rc_f32 x, y;
  if (rc_args(env, info, 3, a, "unary") || rc_get_int(env, a[0], 0, RC_UNARY_KINDS - 1, &kind, "unary.kind") ||
      rc_get_f32(env, a[1], 0, 0, &x, "unary.x") || rc_get_f32(env, a[2], 0, x.n, &y, "unary.y"))
    return NULL;
  rc_unary(kind, x.p, y.p, (long)x.n);
  return NULL;
}

static napi_value js_unary_backward(napi_env env, napi_callback_info info) {
  napi_value a[5];
  int kind;
  rc_f32 x, y, dy, dx;
  if (rc_args(env, info, 5, a, "unaryBackward") ||
      rc_get_int(env, a[0], 0, RC_UNARY_KINDS - 1, &kind, "unaryBackward.kind") ||
      rc_get_f32(env, a[1], 0, 0, &x, "unaryBackward.x") || rc_get_f32(env, a[2], 0, x.n, &y, "unaryBackward.y") ||
      rc_get_f32(env, a[3], 0, x.n, &dy, "unaryBackward.dy") ||
      rc_get_f32(env, a[4], 0, x.n, &dx, "unaryBackward.dx"))
    return NULL;
  rc_unary_backward(kind, x.p, y.p, dy.p, dx.p, (long)x.n);
  return NULL;
}

/* ---- threads and CPU --------------------------------------------------------------------- */

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  napi_value a[1];
  int n;
  if (rc_args(env, info, 1, a, "setThreads") || rc_get_int(env, a[0], 1, 64, &n, "setThreads.n")) return NULL;
  rc_pool_set_threads(n);
  return NULL;
}

static napi_value js_pool_jobs(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  napi_create_double(env, (double)rc_pool_jobs(), &r);
  return r;
}

static napi_value js_get_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  napi_create_int32(env, rc_pool_threads(), &r);
  return r;
}

static void set_bool(napi_env env, napi_value obj, const char *name, int v) {
  napi_value b;
  napi_get_boolean(env, v != 0, &b);
  napi_set_named_property(env, obj, name, b);
}

static napi_value js_cpu_features(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value o, s;
  napi_create_object(env, &o);
  set_bool(env, o, "avx512", rc_cpu_avx512());
  set_bool(env, o, "avx2", rc_cpu_avx2());
  set_bool(env, o, "fma", rc_cpu_fma());
  napi_create_string_utf8(env, rc_cpu_path(), NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, o, "path", s);
  return o;
}

static napi_value js_set_cpu_path(napi_env env, napi_callback_info info) {
  napi_value a[1], r;
  char name[32];
  size_t len = 0;
  if (rc_args(env, info, 1, a, "setCpuPath")) return NULL;
  if (napi_get_value_string_utf8(env, a[0], name, sizeof name, &len) != napi_ok ||
      (strcmp(name, "avx512") && strcmp(name, "avx2") && strcmp(name, "portable"))) {
    rc_throw(env, RC_E_OPTION, "setCpuPath", "\"avx512\", \"avx2\" or \"portable\"", "another value");
    return NULL;
  }
  napi_create_string_utf8(env, rc_set_cpu_path(name), NAPI_AUTO_LENGTH, &r);
  return r;
}

/* peakGflops(ms): every pool thread runs an FMA loop for about ms milliseconds; total GFLOP/s. */
typedef struct {
  long iters;
  double flops[64], secs[64];
} peak_ctx;

static double secs_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void peak_task(void *vc, int t) {
  peak_ctx *c = vc;
  const double t0 = secs_now();
  c->flops[t] = rc_active_path()->fma_peak(c->iters);
  c->secs[t] = secs_now() - t0;
}

static napi_value js_peak_gflops(napi_env env, napi_callback_info info) {
  napi_value a[1], r;
  int ms;
  if (rc_args(env, info, 1, a, "peakGflops") || rc_get_int(env, a[0], 1, 10000, &ms, "peakGflops.ms")) return NULL;
  peak_ctx c = {1000, {0}, {0}};
  const int nt = rc_pool_threads() < 64 ? rc_pool_threads() : 64;
  for (;;) { /* calibrate on one thread to ~ms / 4, then run on all */
    peak_task(&c, 0);
    if (c.secs[0] * 4000.0 >= ms || c.iters > (1L << 40)) break;
    c.iters *= 2;
  }
  c.iters *= 4;
  rc_pool_run(nt, peak_task, &c);
  double total = 0;
  for (int t = 0; t < nt; t++) total += c.flops[t] / c.secs[t];
  napi_create_double(env, total / 1e9, &r);
  return r;
}

/* ---- module ------------------------------------------------------------------------------ */

static void export_fn(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f);
  napi_set_named_property(env, exports, name, f);
}

NAPI_MODULE_INIT() {
  export_fn(env, exports, "gemm", js_gemm);
  export_fn(env, exports, "linearPrepare", js_linear_prepare);
  export_fn(env, exports, "linearRun", js_linear_run);
  export_fn(env, exports, "alignedZeros", js_aligned_zeros);
  export_fn(env, exports, "unary", js_unary);
  export_fn(env, exports, "unaryBackward", js_unary_backward);
  export_fn(env, exports, "setThreads", js_set_threads);
  export_fn(env, exports, "getThreads", js_get_threads);
  export_fn(env, exports, "poolJobs", js_pool_jobs);
  export_fn(env, exports, "cpuFeatures", js_cpu_features);
  export_fn(env, exports, "setCpuPath", js_set_cpu_path);
  export_fn(env, exports, "peakGflops", js_peak_gflops);
  export_fn(env, exports, "setErrorClasses", rc_js_set_error_classes);
#define EXPORT(name, sym) export_fn(env, exports, name, sym);
  RC_RECURRENT_EXPORTS(EXPORT)
#define EXPORT_KERNEL(js, kind, bwd, args) export_fn(env, exports, #js, rc_js_##js);
  RC_RECURRENT_KERNELS(EXPORT_KERNEL)
  RC_OPS(EXPORT)
  return exports;
}
