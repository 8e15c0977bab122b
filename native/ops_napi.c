/*
 * ops_napi.c — N-API layer of the fused op kernels (ops.h): positional arguments → checked raw
 * pointers → rc_adam_f32 / rc_sgd_f32 / rc_first_nonfinite_f32 / rc_dropout_*_f32 … Errors are thrown with the
 * helpers of napi_util.h (typed errors "<where>: expected X, got Y").
 */
#include <math.h>
#include <stdio.h>

#include "napi_util.h"
#include "ops.h"

/* The hyper-parameter vector: a Float64Array of at least `want` values. */
static int get_hyper(napi_env env, napi_value v, size_t want, const double **out, const char *where) {
  bool is_ta = false;
  napi_typedarray_type type;
  size_t len = 0;
  void *data = NULL;
  napi_is_typedarray(env, v, &is_ta);
  if (!is_ta || napi_get_typedarray_info(env, v, &type, &len, &data, NULL, NULL) != napi_ok ||
      type != napi_float64_array || len < want)
    return rc_throw(env, RC_E_VALUE, where, "a Float64Array of hyper-parameters", "another value");
  *out = data;
  return 0;
}

napi_value rc_js_adam_step(napi_env env, napi_callback_info info) {
  napi_value a[6];
  rc_f32 p, g, m, v, vmax;
  const double *hy = NULL;
  if (rc_args(env, info, 6, a, "adamStep") || rc_get_f32(env, a[0], 0, 0, &p, "adamStep.p") ||
      rc_get_f32(env, a[1], 0, p.n, &g, "adamStep.g") || rc_get_f32(env, a[2], 0, p.n, &m, "adamStep.m") ||
      rc_get_f32(env, a[3], 0, p.n, &v, "adamStep.v") || rc_get_f32(env, a[4], 1, p.n, &vmax, "adamStep.vmax") ||
      get_hyper(env, a[5], 9, &hy, "adamStep.hyper"))
    return NULL;
  const rc_adam_hyper h = rc_adam_hyper_of(hy);
  rc_adam_f32(p.p, g.p, m.p, v.p, vmax.p, (long)p.n, &h);
  return NULL;
}

napi_value rc_js_sgd_step(napi_env env, napi_callback_info info) {
  napi_value a[4];
  rc_f32 p, g, buf;
  const double *hy = NULL;
  if (rc_args(env, info, 4, a, "sgdStep") || rc_get_f32(env, a[0], 0, 0, &p, "sgdStep.p") ||
      rc_get_f32(env, a[1], 0, p.n, &g, "sgdStep.g") || rc_get_f32(env, a[2], 1, p.n, &buf, "sgdStep.buf") ||
      get_hyper(env, a[3], 5, &hy, "sgdStep.hyper"))
    return NULL;
  const rc_sgd_hyper h = rc_sgd_hyper_of(hy);
  rc_sgd_f32(p.p, g.p, buf.p, (long)p.n, &h);
  return NULL;
}

napi_value rc_js_first_nonfinite(napi_env env, napi_callback_info info) {
  napi_value a[1], r;
  rc_f32 x;
  if (rc_args(env, info, 1, a, "firstNonFinite") || rc_get_f32(env, a[0], 0, 0, &x, "firstNonFinite.x")) return NULL;
  napi_create_double(env, (double)rc_first_nonfinite_f32(x.p, (long)x.n), &r);
  return r;
}

napi_value rc_js_col_sum_add(napi_env env, napi_callback_info info) {
  napi_value a[4];
  rc_f32 g, out;
  int rows, cols;
  if (rc_args(env, info, 4, a, "colSumAdd") || rc_get_f32(env, a[0], 0, 0, &g, "colSumAdd.g") ||
      rc_get_int(env, a[1], 0, 0x7fffffff, &rows, "colSumAdd.rows") ||
      rc_get_int(env, a[2], 0, 0x7fffffff, &cols, "colSumAdd.cols") ||
      rc_get_f32(env, a[3], 0, (size_t)cols, &out, "colSumAdd.out"))
    return NULL;
  if ((double)rows * cols > (double)g.n) {
    rc_throw(env, RC_E_SHAPE, "colSumAdd.g", "rows·cols elements", "fewer");
    return NULL;
  }
  rc_col_sum_add_f32(g.p, rows, cols, out.p);
  return NULL;
}

napi_value rc_js_sum_sq_diff(napi_env env, napi_callback_info info) {
  napi_value a[2], r;
  rc_f32 x, t;
  if (rc_args(env, info, 2, a, "sumSquaredDiff") || rc_get_f32(env, a[0], 0, 0, &x, "sumSquaredDiff.x") ||
      rc_get_f32(env, a[1], 0, x.n, &t, "sumSquaredDiff.t"))
    return NULL;
  napi_create_double(env, rc_sum_sq_diff_f32(x.p, t.p, (long)x.n), &r);
  return r;
}

napi_value rc_js_scaled_diff(napi_env env, napi_callback_info info) {
  napi_value a[5];
  rc_f32 x, t, out;
  double c, s;
  if (rc_args(env, info, 5, a, "scaledDiff") || rc_get_f32(env, a[0], 0, 0, &x, "scaledDiff.x") ||
      rc_get_f32(env, a[1], 0, x.n, &t, "scaledDiff.t") || rc_get_double(env, a[2], &c, "scaledDiff.c") ||
      rc_get_double(env, a[3], &s, "scaledDiff.a") || rc_get_f32(env, a[4], 0, x.n, &out, "scaledDiff.out"))
    return NULL;
  rc_scaled_diff_f32(x.p, t.p, c, s, out.p, (long)x.n);
  return NULL;
}

/* The mask's key (two integers in [0, 2³²)) and p in [0, 1]. */
static int get_mask_args(napi_env env, napi_value *a, uint32_t *k0, uint32_t *k1, double *p, const char *where) {
  double k[2];
  char got[40];
  for (int j = 0; j < 2; j++) {
    if (rc_get_double(env, a[j], &k[j], where)) return -1;
    snprintf(got, sizeof got, "%.17g", k[j]);
    if (!(k[j] >= 0 && k[j] < 4294967296.0 && k[j] == floor(k[j])))
      return rc_throw(env, RC_E_VALUE, where, "a key of two integers in [0, 2^32)", got);
  }
  if (rc_get_double(env, a[2], p, where)) return -1;
  snprintf(got, sizeof got, "%.17g", *p);
  if (!(*p >= 0 && *p <= 1)) return rc_throw(env, RC_E_VALUE, where, "a dropout probability p in [0, 1]", got);
  *k0 = (uint32_t)k[0];
  *k1 = (uint32_t)k[1];
  return 0;
}

napi_value rc_js_dropout_mask(napi_env env, napi_callback_info info) {
  napi_value a[4];
  rc_f32 out;
  uint32_t k0, k1;
  double p;
  if (rc_args(env, info, 4, a, "dropoutMask") || get_mask_args(env, a, &k0, &k1, &p, "dropoutMask") ||
      rc_get_f32(env, a[3], 0, 0, &out, "dropoutMask.out"))
    return NULL;
  rc_dropout_mask_f32(k0, k1, p, out.p, (long)out.n);
  return NULL;
}

napi_value rc_js_dropout_apply(napi_env env, napi_callback_info info) {
  napi_value a[5];
  rc_f32 x, y;
  uint32_t k0, k1;
  double p;
  if (rc_args(env, info, 5, a, "dropoutApply") || get_mask_args(env, a, &k0, &k1, &p, "dropoutApply") ||
      rc_get_f32(env, a[3], 0, 0, &x, "dropoutApply.x") || rc_get_f32(env, a[4], 0, x.n, &y, "dropoutApply.y"))
    return NULL;
  rc_dropout_apply_f32(k0, k1, p, x.p, y.p, (long)x.n);
  return NULL;
}
