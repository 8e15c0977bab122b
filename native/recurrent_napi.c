/*
 * recurrent_napi.c — N-API layer of the fused recurrent kernels: positional arguments → checked
 * raw pointers → rc_rec_fwd / rc_rec_bwd (recurrent_driver.c). The argument order is documented in recurrent.h.
 *
 * Legend: T time, B batch, I input, H hidden, P projection, Hout = P > 0 ? P : H, G gate width.
 *
 * Every buffer is checked (type Float32Array, at least the elements its shape needs) before any
 * kernel runs, so a bad call throws instead of reading or writing out of bounds. Per call this
 * costs one napi_get_typedarray_info per argument (~30 ns each).
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "recurrent.h"
#include "recurrent_common.h"

typedef struct {
  napi_env env;
  const char *op;
  napi_value *argv;
} args_t;

static int fail(const args_t *a, const char *code, const char *fmt, ...) {
  char msg[320];
  int n = snprintf(msg, sizeof msg, "%s: ", a->op);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
  va_end(ap);
  napi_throw_error(a->env, code, msg);
  return -1;
}

static const char *typed_name(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    default: return "a typed array";
  }
}

static const char *value_name(napi_env env, napi_value v) {
  napi_valuetype t = napi_undefined;
  napi_typeof(env, v, &t);
  switch (t) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "a number";
    case napi_string: return "a string";
    case napi_function: return "a function";
    default: return "an object";
  }
}

/* Typed array argument `idx` of element type `want` and at least `need` elements; NULL when the
 * argument is null/undefined and `nullable`. Returns 0, or -1 with a JS exception pending. */
static int get_typed(const args_t *a, int idx, const char *name, napi_typedarray_type want, size_t need,
                     int nullable, void **out) {
  napi_typedarray_type type;
  size_t len;
  void *data;
  napi_value v = a->argv[idx];
  *out = NULL;
  if (napi_get_typedarray_info(a->env, v, &type, &len, &data, NULL, NULL) != napi_ok) {
    napi_valuetype t = napi_undefined;
    napi_typeof(a->env, v, &t);
    if (nullable && (t == napi_null || t == napi_undefined)) return 0;
    return fail(a, "E_SHAPE", "expected %s (argument %d) as a %s of %zu elements, got %s", name, idx,
                typed_name(want), need, value_name(a->env, v));
  }
  if (type != want)
    return fail(a, "E_VALUE", "expected %s (argument %d) as a %s, got a %s", name, idx, typed_name(want),
                typed_name(type));
  if (len < need)
    return fail(a, "E_SHAPE", "expected %s (argument %d) of at least %zu elements, got %zu", name, idx, need, len);
  *out = data;
  return 0;
}

static int f32(const args_t *a, int idx, const char *name, size_t need, int nullable, const float **out) {
  return get_typed(a, idx, name, napi_float32_array, need, nullable, (void **)out);
}

static int f32w(const args_t *a, int idx, const char *name, size_t need, int nullable, float **out) {
  return get_typed(a, idx, name, napi_float32_array, need, nullable, (void **)out);
}

static int get_args(napi_env env, napi_callback_info info, args_t *a, napi_value *argv, size_t want) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  a->env = env;
  a->argv = argv;
  if (argc < want) return fail(a, "E_SHAPE", "expected %zu arguments, got %zu", want, argc);
  return 0;
}

static const char *KIND_NAME[] = { "lstm", "gru", "rnn" };

/* Arguments 0..12 (recurrent.h): dims, inputs, weights, lengths, masks, workspace. */
static int parse_head(const args_t *a, int kind, rc_rin *in) {
  const int32_t *d;
  if (get_typed(a, 0, "dims", napi_int32_array, 8, 0, (void **)&d)) return -1;
  memset(in, 0, sizeof *in);
  in->kind = kind;
  in->T = d[0]; in->B = d[1]; in->I = d[2]; in->H = d[3]; in->P = d[4];
  in->reverse = d[5] != 0;
  in->relu = d[6] == 1;
  in->tasks = d[7];
  const int big = 1 << 30;
  if (in->T < 1 || in->B < 1 || in->I < 0 || in->H < 1 || in->P < 0 || in->T >= big || in->B >= big ||
      in->I >= big || in->H >= big / 4 || in->P >= big || in->tasks < 0)
    return fail(a, "E_SHAPE", "expected dims T >= 1, B >= 1, I >= 0, H >= 1, P >= 0, tasks >= 0, got T=%d B=%d I=%d H=%d P=%d tasks=%d",
                in->T, in->B, in->I, in->H, in->P, in->tasks);
  if (kind != RC_LSTM && in->P != 0) return fail(a, "E_SHAPE", "expected P = 0 for %s, got %d", KIND_NAME[kind], in->P);
  if (kind == RC_RNN && d[6] != 0 && d[6] != 1)
    return fail(a, "E_OPTION", "expected nonlinearity 0 (tanh) or 1 (relu), got %d", d[6]);
  int T = in->T, B = in->B, I = in->I, H = in->H, P = in->P;
  int Hout = in->Hout = P > 0 ? P : H;
  int G = in->G = (kind == RC_LSTM ? 4 : kind == RC_GRU ? 3 : 1) * H;
  /* GEMM dimensions and leading strides are ints: keep every matrix dimension and B·row below 2^31. */
  double TB = (double)T * B, wide = (double)(I > G ? I : G) + Hout + P;
  if (TB > INT_MAX || (double)B * wide > INT_MAX || (double)G * (I > Hout ? I : Hout) > INT_MAX)
    return fail(a, "E_SHAPE", "expected T·B and every matrix below 2^31 elements, got T=%d B=%d I=%d H=%d P=%d",
                T, B, I, H, P);
  size_t tb = (size_t)T * B;
  if (f32(a, 1, "x", tb * I, 0, &in->x) || f32(a, 2, "h0", (size_t)B * Hout, 0, &in->h0) ||
      f32(a, 3, "c0", (size_t)B * H, kind != RC_LSTM, &in->c0) || f32(a, 4, "wIh", (size_t)G * I, 0, &in->wIh) ||
      f32(a, 5, "wHh", (size_t)G * Hout, 0, &in->wHh) || f32(a, 6, "bIh", (size_t)G, 1, &in->bIh) ||
      f32(a, 7, "bHh", (size_t)G, 1, &in->bHh) || f32(a, 8, "wHr", (size_t)P * H, P == 0, &in->wHr))
    return -1;
  if (kind != RC_LSTM) in->c0 = NULL;
  if (P == 0) in->wHr = NULL;
  if (get_typed(a, 9, "lengths", napi_int32_array, (size_t)B, 1, (void **)&in->lengths)) return -1;
  if (in->lengths != NULL)
    for (int b = 0; b < B; b++)
      if (in->lengths[b] < 1 || in->lengths[b] > T)
        return fail(a, "E_VALUE", "expected lengths[%d] in [1, %d], got %d", b, T, in->lengths[b]);
  if (f32(a, 10, "maskX", (size_t)B * I, 1, &in->maskX) || f32(a, 11, "maskH", (size_t)B * Hout, 1, &in->maskH) ||
      f32w(a, 12, "ws", rc_rec_workspace(kind, T, B, I, H, P), 0, &in->ws))
    return -1;
  return 0;
}

napi_value rc_recurrent_workspace(napi_env env, napi_callback_info info) {
  napi_value argv[6], res;
  args_t a = { .op = "recurrentWorkspace" };
  if (get_args(env, info, &a, argv, 6)) return NULL;
  int32_t v[6];
  for (int k = 0; k < 6; k++)
    if (napi_get_value_int32(env, argv[k], &v[k]) != napi_ok) {
      fail(&a, "E_VALUE", "expected (kind, T, B, I, H, P) as numbers, got %s at %d", value_name(env, argv[k]), k);
      return NULL;
    }
  if (v[0] < 0 || v[0] > 2) {
    fail(&a, "E_OPTION", "expected kind 0 (lstm), 1 (gru) or 2 (rnn), got %d", v[0]);
    return NULL;
  }
  for (int k = 1; k < 6; k++)
    if (v[k] < 0) {
      fail(&a, "E_SHAPE", "expected non-negative dims, got %d at %d", v[k], k);
      return NULL;
    }
  napi_create_double(env, (double)rc_rec_workspace(v[0], v[1], v[2], v[3], v[4], v[5]), &res);
  return res;
}

napi_value rc_lstm_forward(napi_env env, napi_callback_info info) {
  napi_value argv[20];
  args_t a = { .op = "lstmForward" };
  rc_rin in;
  rc_rout o = { 0 };
  if (get_args(env, info, &a, argv, 20) || parse_head(&a, RC_LSTM, &in)) return NULL;
  size_t tb = (size_t)in.T * in.B, H = (size_t)in.H, Ho = (size_t)in.Hout, B = (size_t)in.B;
  /* gates null: inference (c, h, m may be null too and are not written) */
  if (f32w(&a, 13, "y", tb * Ho, 0, &o.y) || f32w(&a, 14, "hN", B * Ho, 0, &o.hN) ||
      f32w(&a, 15, "cN", B * H, 0, &o.cN) || f32w(&a, 16, "gates", tb * 4 * H, 1, &o.gates))
    return NULL;
  const int inf = o.gates == NULL;
  if (f32w(&a, 17, "c", tb * H, inf, &o.c) || f32w(&a, 18, "h", tb * Ho, inf, &o.h) ||
      f32w(&a, 19, "m", tb * H, inf || in.P == 0, &o.m))
    return NULL;
  if (inf) o.c = o.h = o.m = NULL;
  rc_rec_fwd(&in, &o);
  return NULL;
}

napi_value rc_lstm_backward(napi_env env, napi_callback_info info) {
  napi_value argv[28];
  args_t a = { .op = "lstmBackward" };
  rc_rin in;
  rc_rout s = { 0 };
  rc_rgrad g = { 0 };
  if (get_args(env, info, &a, argv, 28) || parse_head(&a, RC_LSTM, &in)) return NULL;
  size_t tb = (size_t)in.T * in.B, H = (size_t)in.H, Ho = (size_t)in.Hout, B = (size_t)in.B, G = (size_t)in.G;
  if (f32w(&a, 13, "gates", tb * G, 0, &s.gates) || f32w(&a, 14, "c", tb * H, 0, &s.c) ||
      f32w(&a, 15, "h", tb * Ho, 0, &s.h) || f32w(&a, 16, "m", tb * H, in.P == 0, &s.m) ||
      f32(&a, 17, "dy", tb * Ho, 1, &g.dy) || f32(&a, 18, "dhN", B * Ho, 1, &g.dhN) ||
      f32(&a, 19, "dcN", B * H, 1, &g.dcN) || f32w(&a, 20, "dx", tb * in.I, 1, &g.dx) ||
      f32w(&a, 21, "dh0", B * Ho, 1, &g.dh0) || f32w(&a, 22, "dc0", B * H, 1, &g.dc0) ||
      f32w(&a, 23, "dWIh", G * in.I, 1, &g.dWIh) || f32w(&a, 24, "dWHh", G * Ho, 1, &g.dWHh) ||
      f32w(&a, 25, "dBIh", G, 1, &g.dBIh) || f32w(&a, 26, "dBHh", G, 1, &g.dBHh) ||
      f32w(&a, 27, "dWHr", (size_t)in.P * H, 1, &g.dWHr))
    return NULL;
  if (in.P == 0) { s.m = NULL; g.dWHr = NULL; }
  rc_rec_bwd(&in, &s, &g);
  return NULL;
}

napi_value rc_gru_forward(napi_env env, napi_callback_info info) {
  napi_value argv[18];
  args_t a = { .op = "gruForward" };
  rc_rin in;
  rc_rout o = { 0 };
  if (get_args(env, info, &a, argv, 18) || parse_head(&a, RC_GRU, &in)) return NULL;
  size_t tb = (size_t)in.T * in.B, H = (size_t)in.H, B = (size_t)in.B;
  if (f32w(&a, 13, "y", tb * H, 0, &o.y) || f32w(&a, 14, "hN", B * H, 0, &o.hN) ||
      f32w(&a, 15, "gates", tb * 3 * H, 1, &o.gates))
    return NULL;
  const int inf = o.gates == NULL; /* inference: q, h may be null too and are not written */
  if (f32w(&a, 16, "q", tb * H, inf, &o.q) || f32w(&a, 17, "h", tb * H, inf, &o.h)) return NULL;
  if (inf) o.q = o.h = NULL;
  rc_rec_fwd(&in, &o);
  return NULL;
}

napi_value rc_gru_backward(napi_env env, napi_callback_info info) {
  napi_value argv[24];
  args_t a = { .op = "gruBackward" };
  rc_rin in;
  rc_rout s = { 0 };
  rc_rgrad g = { 0 };
  if (get_args(env, info, &a, argv, 24) || parse_head(&a, RC_GRU, &in)) return NULL;
  size_t tb = (size_t)in.T * in.B, H = (size_t)in.H, B = (size_t)in.B, G = (size_t)in.G;
  if (f32w(&a, 13, "gates", tb * G, 0, &s.gates) || f32w(&a, 14, "q", tb * H, 0, &s.q) ||
      f32w(&a, 15, "h", tb * H, 0, &s.h) || f32(&a, 16, "dy", tb * H, 1, &g.dy) ||
      f32(&a, 17, "dhN", B * H, 1, &g.dhN) || f32w(&a, 18, "dx", tb * in.I, 1, &g.dx) ||
      f32w(&a, 19, "dh0", B * H, 1, &g.dh0) || f32w(&a, 20, "dWIh", G * in.I, 1, &g.dWIh) ||
      f32w(&a, 21, "dWHh", G * H, 1, &g.dWHh) || f32w(&a, 22, "dBIh", G, 1, &g.dBIh) ||
      f32w(&a, 23, "dBHh", G, 1, &g.dBHh))
    return NULL;
  rc_rec_bwd(&in, &s, &g);
  return NULL;
}

napi_value rc_rnn_forward(napi_env env, napi_callback_info info) {
  napi_value argv[16];
  args_t a = { .op = "rnnForward" };
  rc_rin in;
  rc_rout o = { 0 };
  if (get_args(env, info, &a, argv, 16) || parse_head(&a, RC_RNN, &in)) return NULL;
  size_t tb = (size_t)in.T * in.B, H = (size_t)in.H, B = (size_t)in.B;
  if (f32w(&a, 13, "y", tb * H, 0, &o.y) || f32w(&a, 14, "hN", B * H, 0, &o.hN) || f32w(&a, 15, "h", tb * H, 0, &o.h))
    return NULL;
  rc_rec_fwd(&in, &o);
  return NULL;
}

napi_value rc_rnn_backward(napi_env env, napi_callback_info info) {
  napi_value argv[22];
  args_t a = { .op = "rnnBackward" };
  rc_rin in;
  rc_rout s = { 0 };
  rc_rgrad g = { 0 };
  if (get_args(env, info, &a, argv, 22) || parse_head(&a, RC_RNN, &in)) return NULL;
  size_t tb = (size_t)in.T * in.B, H = (size_t)in.H, B = (size_t)in.B, G = (size_t)in.G;
  if (f32w(&a, 13, "h", tb * H, 0, &s.h) || f32(&a, 14, "dy", tb * H, 1, &g.dy) ||
      f32(&a, 15, "dhN", B * H, 1, &g.dhN) || f32w(&a, 16, "dx", tb * in.I, 1, &g.dx) ||
      f32w(&a, 17, "dh0", B * H, 1, &g.dh0) || f32w(&a, 18, "dWIh", G * in.I, 1, &g.dWIh) ||
      f32w(&a, 19, "dWHh", G * H, 1, &g.dWHh) || f32w(&a, 20, "dBIh", G, 1, &g.dBIh) ||
      f32w(&a, 21, "dBHh", G, 1, &g.dBHh))
    return NULL;
  rc_rec_bwd(&in, &s, &g);
  return NULL;
}
