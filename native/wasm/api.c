/*
 * api.c — the exports of the wasm32 build (tools/build-wasm.mjs → wasm/recur.wasm), the counterpart of
 * the N-API layer (addon.c, recurrent_napi.c, ops_napi.c) for src/kernels/wasm/. Raw pointers into the
 * module's memory and plain numbers; the JavaScript side checks every shape and buffer length before a
 * call (it copies the buffers in), so nothing here validates.
 *
 * Legend: T time, B batch, I input, H hidden, P projection, n elements; pointers are byte offsets into
 * the module's memory, float32 unless said, 0 = null.
 *
 *   rc_malloc(bytes) → 64-byte aligned block (0 when out of memory), rc_free(p)
 *   rc_set_threads(n), rc_threads(): the pool's size (1 + workers; the single-thread build stays at 1)
 *   rc_wasm_worker(): a worker's loop, threaded build only (pool_threads.c)
 *   rc_sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias|0) gemm.h (rc_sgemm_bias)
 *   rc_unary(kind, x, y, n), rc_unary_backward(kind, x, y, dy, dx, n)              unary.h
 *   rc_rec_workspace(kind, T, B, I, H, P) → floats                                  recurrent_common.h
 *   rc_wasm_rec(bwd, dims, ptrs): one fused sequence kernel. dims int32[10] = [kind (0 lstm | 1 gru | 2 rnn),
 *     T, B, I, H, P, reverse, relu, tasks, ldy (row stride of y and dy)]; ptrs uint32[RC_WASM_NPTRS] in the order of RC_WASM_PTRS
 *     (mirrored by WASM_PTRS in src/kernels/wasm/backend.ts; rc_wasm_ptr_names() gives the list for the
 *     test that compares them). lengths is int32. Forward with gates = 0 (LSTM / GRU) = inference.
 *   rc_adam(p, g, m, v, vmax, n, hyper f64[9]), rc_sgd(p, g, buf, n, hyper f64[5])    ops.h layout
 *   rc_first_nonfinite(x, n), rc_col_sum_add(g, rows, cols, out), rc_sum_sq_diff(x, t, n),
 *   rc_scaled_diff(x, t, c, a, out, n), rc_dropout_mask(k0, k1, p, out, n),
 *   rc_dropout_apply(k0, k1, p, x, y, n)                                            ops.h
 */
#include <pthread.h> /* native/wasm/pthread.h: RC_ALLOC_LOCK */
#include <stdint.h>
#include <stdlib.h>

#include "../gemm.h"
#include "../ops.h"
#include "../pool.h"
#include "../recurrent_common.h"
#include "../unary.h"

#define EXPORT(name) __attribute__((export_name(#name)))

EXPORT(rc_malloc) void *rcw_malloc(size_t bytes) {
  RC_ALLOC_LOCK();
  void *p = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
  RC_ALLOC_UNLOCK();
  return p;
}
EXPORT(rc_free) void rcw_free(void *p) {
  RC_ALLOC_LOCK();
  free(p);
  RC_ALLOC_UNLOCK();
}
EXPORT(rc_set_threads) void rcw_set_threads(int n) { rc_pool_set_threads(n); }
EXPORT(rc_threads) int rcw_threads(void) { return rc_pool_threads(); }

EXPORT(rc_sgemm) void rcw_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                                const float *B, int ldb, float beta, float *C, int ldc, const float *bias) {
  if (bias) rc_sgemm_bias(transA, transB, M, N, K, alpha, A, lda, B, ldb, bias, C, ldc);
  else rc_sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
EXPORT(rc_unary) void rcw_unary(int kind, const float *x, float *y, long n) { rc_unary(kind, x, y, n); }
EXPORT(rc_unary_backward) void rcw_unary_backward(int kind, const float *x, const float *y, const float *dy, float *dx, long n) {
  rc_unary_backward(kind, x, y, dy, dx, n);
}

/* ---- fused recurrent kernels ------------------------------------------------------------------ */

#define RC_WASM_PTRS(X)                                                                                    \
  X(x) X(h0) X(c0) X(wIh) X(wHh) X(bIh) X(bHh) X(wHr) X(lengths) X(maskX) X(maskH) X(ws) X(y) X(hN) X(cN) \
  X(gates) X(c) X(h) X(m) X(q) X(dy) X(dhN) X(dcN) X(dx) X(dh0) X(dc0) X(dWIh) X(dWHh) X(dBIh) X(dBHh) X(dWHr)
#define PTR_ENUM(n) PTR_##n,
enum { RC_WASM_PTRS(PTR_ENUM) RC_WASM_NPTRS };
#define PTR_NAME(n) #n ","
static const char ptr_names[] = RC_WASM_PTRS(PTR_NAME);

EXPORT(rc_wasm_ptr_names) const char *rcw_ptr_names(void) { return ptr_names; }
/* "wasm-simd128" or "wasm-relaxed-simd" (kern_simd128.c): which build this is. */
EXPORT(rc_cpu_path) const char *rcw_cpu_path(void) { return rc_cpu_path(); }
EXPORT(rc_rec_workspace) double rcw_rec_workspace(int kind, int T, int B, int I, int H, int P) {
  return (double)rc_rec_workspace(kind, T, B, I, H, P);
}

EXPORT(rc_wasm_rec) void rcw_rec(int bwd, const int32_t *d, float *const *p) {
  const rc_rin in = {
    .kind = d[0], .T = d[1], .B = d[2], .I = d[3], .H = d[4], .P = d[5], .Hout = d[5] > 0 ? d[5] : d[4],
    .G = rc_ngw(d[0]) * d[4], .reverse = d[6] != 0, .relu = d[7] == 1, .tasks = d[8], .ldy = d[9],
    .x = p[PTR_x], .h0 = p[PTR_h0], .c0 = p[PTR_c0], .wIh = p[PTR_wIh], .wHh = p[PTR_wHh], .bIh = p[PTR_bIh],
    .bHh = p[PTR_bHh], .wHr = p[PTR_wHr], .lengths = (const int32_t *)p[PTR_lengths], .maskX = p[PTR_maskX],
    .maskH = p[PTR_maskH], .ws = p[PTR_ws],
  };
  const rc_rout o = {.y = p[PTR_y], .hN = p[PTR_hN], .cN = p[PTR_cN], .gates = p[PTR_gates], .c = p[PTR_c],
                     .h = p[PTR_h], .m = p[PTR_m], .q = p[PTR_q]};
  if (!bwd) {
    rc_rec_fwd(&in, &o);
    return;
  }
  const rc_rgrad g = {.dy = p[PTR_dy], .dhN = p[PTR_dhN], .dcN = p[PTR_dcN], .dx = p[PTR_dx], .dh0 = p[PTR_dh0],
                      .dc0 = p[PTR_dc0], .dWIh = p[PTR_dWIh], .dWHh = p[PTR_dWHh], .dBIh = p[PTR_dBIh],
                      .dBHh = p[PTR_dBHh], .dWHr = p[PTR_dWHr]};
  rc_rec_bwd(&in, &o, &g);
}

/* ---- op-layer kernels --------------------------------------------------------------------------- */

EXPORT(rc_adam) void rcw_adam(float *p, const float *g, float *m, float *v, float *vmax, long n, const double *hy) {
  const rc_adam_hyper h = rc_adam_hyper_of(hy);
  rc_adam_f32(p, g, m, v, vmax, n, &h);
}
EXPORT(rc_sgd) void rcw_sgd(float *p, const float *g, float *buf, long n, const double *hy) {
  const rc_sgd_hyper h = rc_sgd_hyper_of(hy);
  rc_sgd_f32(p, g, buf, n, &h);
}
EXPORT(rc_first_nonfinite) long rcw_first_nonfinite(const float *x, long n) { return rc_first_nonfinite_f32(x, n); }
EXPORT(rc_col_sum_add) void rcw_col_sum_add(const float *g, long rows, long cols, float *out) {
  rc_col_sum_add_f32(g, rows, cols, out);
}
EXPORT(rc_sum_sq_diff) double rcw_sum_sq_diff(const float *x, const float *t, long n) { return rc_sum_sq_diff_f32(x, t, n); }
EXPORT(rc_scaled_diff) void rcw_scaled_diff(const float *x, const float *t, double c, double a, float *out, long n) {
  rc_scaled_diff_f32(x, t, c, a, out, n);
}
EXPORT(rc_dropout_mask) void rcw_dropout_mask(uint32_t k0, uint32_t k1, double p, float *out, long n) {
  rc_dropout_mask_f32(k0, k1, p, out, n);
}
EXPORT(rc_dropout_apply) void rcw_dropout_apply(uint32_t k0, uint32_t k1, double p, const float *x, float *y, long n) {
  rc_dropout_apply_f32(k0, k1, p, x, y, n);
}
