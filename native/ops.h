/*
 * ops.h — fused elementwise kernels of the op layer (not GEMM, not recurrent): optimizer steps, the
 * finiteness scan, and the loss / bias-gradient loops of a training step. Float32 buffers only (the
 * TypeScript side sends float64 to the reference backend).
 *
 * Legend: n elements; every buffer flat (n) unless said. The spec of each kernel is its reference
 * twin in src/kernels/ref/ops.ts; results are bit-identical to it (the same float32 / double
 * operations in the same order, no FMA contraction: `#pragma GCC optimize("fp-contract=off")`).
 *
 *   rc_adam_f32   one Adam / AdamW update (PyTorch's single-tensor path, float32 op by op)
 *   rc_sgd_f32    one SGD update with momentum / dampening / Nesterov / L2 decay
 *   rc_first_nonfinite_f32  index of the first NaN or ±Inf, or -1
 *   rc_col_sum_add_f32      out[j] += Σ_r g[r·cols + j]        (a linear layer's bias gradient; a gradient
 *                           sum: rows = 1) columns split over the pool above 64K elements (same bits)
 *   rc_sum_sq_diff_f32      Σ (x − t)² in double               (mseLoss forward)
 *   rc_scaled_diff_f32      out = a·float(c·(x − t))           (mseLoss backward)
 *   rc_dropout_mask_f32     out = m(k0, k1, p)                 (a dropout mask, counter-based: ops_dropout.c)
 *   rc_dropout_apply_f32    y = x ⊙ m(k0, k1, p)              (dropout forward, and its backward with dy)
 *
 * N-API entry points (positional arguments; registered by addon.c from RC_OPS(X)):
 *   adamStep(p, g, m, v, vmax|null, hyper Float64Array(9))
 *       hyper = [lr, w1 = 1−β1, β2, w2 = 1−β2, eps, weightDecay, stepSize = lr/(1−β1ᵗ),
 *                bc2Sqrt = √(1−β2ᵗ), flags (1 maximize | 2 decoupled)]; amsgrad iff vmax is given.
 *   sgdStep(p, g, buf|null, hyper Float64Array(5))
 *       hyper = [lr, momentum, dampening, weightDecay, flags (1 maximize | 2 nesterov | 4 init buf)]
 *   firstNonFinite(x) -> index (number) or -1
 *   colSumAdd(g, rows, cols, out)             g: rows·cols elements, out: cols
 *   sumSquaredDiff(x, t) -> number            t: at least x.length elements
 *   scaledDiff(x, t, c, a, out)               t, out: at least x.length elements
 *   dropoutMask(k0, k1, p, out)               k0, k1: the mask's key (integers in [0, 2³²)), p in [0, 1]
 *   dropoutApply(k0, k1, p, x, y)             y: at least x.length elements
 * Every buffer is a Float32Array long enough for its role (checked; throws otherwise).
 */
#ifndef RC_OPS_H
#define RC_OPS_H

#ifndef RC_NO_NAPI /* the wasm32 build (native/wasm/api.c) has no N-API */
#include <node_api.h>
#endif

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  float lr, w1, b2, w2, eps, wd, neg_step_size, bc2_sqrt, decay; /* decay = 1 − lr·wd (AdamW) */
  int maximize, decoupled;
} rc_adam_hyper;

typedef struct {
  float neg_lr, mu, damp1, wd; /* damp1 = 1 − dampening */
  int maximize, nesterov, init;
} rc_sgd_hyper;

/* The hyper-parameter vectors of adamStep / sgdStep (layout above) as the kernels take them (shared by the
 * N-API layer, ops_napi.c, and the wasm exports, native/wasm/api.c). */
static inline rc_adam_hyper rc_adam_hyper_of(const double *hy) {
  const int flags = (int)hy[8];
  const rc_adam_hyper h = {
    .lr = (float)hy[0], .w1 = (float)hy[1], .b2 = (float)hy[2], .w2 = (float)hy[3], .eps = (float)hy[4],
    .wd = (float)hy[5], .neg_step_size = (float)-hy[6], .bc2_sqrt = (float)hy[7], .decay = (float)(1.0 - hy[0] * hy[5]),
    .maximize = flags & 1, .decoupled = (flags & 2) != 0,
  };
  return h;
}
static inline rc_sgd_hyper rc_sgd_hyper_of(const double *hy) {
  const int flags = (int)hy[4];
  const rc_sgd_hyper h = {
    .neg_lr = (float)-hy[0], .mu = (float)hy[1], .damp1 = (float)(1.0 - hy[2]), .wd = (float)hy[3],
    .maximize = flags & 1, .nesterov = (flags & 2) != 0, .init = (flags & 4) != 0,
  };
  return h;
}

void rc_adam_f32(float *p, const float *g, float *m, float *v, float *vmax, long n, const rc_adam_hyper *h);
void rc_sgd_f32(float *p, const float *g, float *buf, long n, const rc_sgd_hyper *h);
long rc_first_nonfinite_f32(const float *x, long n);
void rc_col_sum_add_f32(const float *g, long rows, long cols, float *out);
double rc_sum_sq_diff_f32(const float *x, const float *t, long n);
void rc_scaled_diff_f32(const float *x, const float *t, double c, double a, float *out, long n);
void rc_dropout_mask_f32(uint32_t k0, uint32_t k1, double p, float *out, long n);
void rc_dropout_apply_f32(uint32_t k0, uint32_t k1, double p, const float *x, float *y, long n);

#ifndef RC_NO_NAPI
napi_value rc_js_adam_step(napi_env env, napi_callback_info info);
napi_value rc_js_sgd_step(napi_env env, napi_callback_info info);
napi_value rc_js_first_nonfinite(napi_env env, napi_callback_info info);
napi_value rc_js_col_sum_add(napi_env env, napi_callback_info info);
napi_value rc_js_sum_sq_diff(napi_env env, napi_callback_info info);
napi_value rc_js_scaled_diff(napi_env env, napi_callback_info info);
napi_value rc_js_dropout_mask(napi_env env, napi_callback_info info);
napi_value rc_js_dropout_apply(napi_env env, napi_callback_info info);
#endif

/* X(jsName, cFunction) for every entry point, as RC_RECURRENT_EXPORTS (recurrent.h). */
#define RC_OPS(X)                                                                                \
  X("adamStep", rc_js_adam_step) X("sgdStep", rc_js_sgd_step) X("firstNonFinite", rc_js_first_nonfinite) \
  X("colSumAdd", rc_js_col_sum_add) X("sumSquaredDiff", rc_js_sum_sq_diff) X("scaledDiff", rc_js_scaled_diff)    \
  X("dropoutMask", rc_js_dropout_mask) X("dropoutApply", rc_js_dropout_apply)

#ifdef __cplusplus
}
#endif

#endif /* RC_OPS_H */
