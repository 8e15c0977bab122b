/*
 * napi_util.c — argument helpers for the N-API entry points (see napi_util.h).
 * Every failure throws a JS error "native.<where>: expected X, got Y" and returns -1.
 */
#include "napi_util.h"

#include <stdio.h>
#include <string.h>

int rc_throw(napi_env env, const char *where, const char *expected, const char *got) {
  char msg[512];
  snprintf(msg, sizeof msg, "native.%s: expected %s, got %s", where, expected, got);
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_type_error(env, "E_NATIVE_ARGS", msg);
  return -1;
}

int rc_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv, const char *where) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return rc_throw(env, where, "arguments", "none");
  if (argc < want) {
    char got[32];
    snprintf(got, sizeof got, "%zu arguments", argc);
    char exp[32];
    snprintf(exp, sizeof exp, "%zu arguments", want);
    return rc_throw(env, where, exp, got);
  }
  return 0;
}

static int is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  return t == napi_null || t == napi_undefined;
}

int rc_get_f32(napi_env env, napi_value v, int nullable, size_t min_len, rc_f32 *out, const char *where) {
  out->p = NULL;
  out->n = 0;
  if (nullable && is_nullish(env, v)) return 0;
  bool is_ta = false;
  napi_is_typedarray(env, v, &is_ta);
  napi_typedarray_type type;
  size_t len = 0;
  void *data = NULL;
  if (!is_ta || napi_get_typedarray_info(env, v, &type, &len, &data, NULL, NULL) != napi_ok ||
      type != napi_float32_array)
    return rc_throw(env, where, nullable ? "a Float32Array or null" : "a Float32Array", "another value");
  if (len < min_len) {
    char exp[64], got[64];
    snprintf(exp, sizeof exp, "at least %zu elements", min_len);
    snprintf(got, sizeof got, "%zu", len);
    return rc_throw(env, where, exp, got);
  }
  out->p = (float *)data;
  out->n = len;
  return 0;
}

static int prop(napi_env env, napi_value obj, const char *name, napi_value *v, const char *where) {
  if (napi_get_named_property(env, obj, name, v) != napi_ok) return rc_throw(env, where, "an object", "another value");
  return 0;
}

/* where.name, for messages */
static const char *field(char *buf, size_t cap, const char *where, const char *name) {
  snprintf(buf, cap, "%s.%s", where, name);
  return buf;
}

int rc_prop_f32(napi_env env, napi_value obj, const char *name, int nullable, size_t min_len, rc_f32 *out,
                const char *where) {
  napi_value v;
  char w[160];
  if (prop(env, obj, name, &v, where)) return -1;
  return rc_get_f32(env, v, nullable, min_len, out, field(w, sizeof w, where, name));
}

int rc_prop_i32(napi_env env, napi_value obj, const char *name, int nullable, size_t min_len, int **out,
                const char *where) {
  napi_value v;
  char w[160];
  *out = NULL;
  if (prop(env, obj, name, &v, where)) return -1;
  field(w, sizeof w, where, name);
  if (nullable && is_nullish(env, v)) return 0;
  bool is_ta = false;
  napi_is_typedarray(env, v, &is_ta);
  napi_typedarray_type type;
  size_t len = 0;
  void *data = NULL;
  if (!is_ta || napi_get_typedarray_info(env, v, &type, &len, &data, NULL, NULL) != napi_ok ||
      type != napi_int32_array)
    return rc_throw(env, w, nullable ? "an Int32Array or null" : "an Int32Array", "another value");
  if (len < min_len) {
    char exp[64], got[64];
    snprintf(exp, sizeof exp, "at least %zu elements", min_len);
    snprintf(got, sizeof got, "%zu", len);
    return rc_throw(env, w, exp, got);
  }
  *out = (int *)data;
  return 0;
}

int rc_get_double(napi_env env, napi_value v, double *out, const char *where) {
  if (napi_get_value_double(env, v, out) != napi_ok) return rc_throw(env, where, "a number", "another value");
  return 0;
}

int rc_get_int(napi_env env, napi_value v, int lo, int hi, int *out, const char *where) {
  double d;
  if (rc_get_double(env, v, &d, where)) return -1;
  if (!(d >= lo && d <= hi) || d != (double)(long long)d) {
    char exp[96], got[48];
    snprintf(exp, sizeof exp, "an integer in [%d, %d]", lo, hi);
    snprintf(got, sizeof got, "%g", d);
    return rc_throw(env, where, exp, got);
  }
  *out = (int)d;
  return 0;
}

int rc_prop_int(napi_env env, napi_value obj, const char *name, int lo, int hi, int *out, const char *where) {
  napi_value v;
  char w[160];
  if (prop(env, obj, name, &v, where)) return -1;
  return rc_get_int(env, v, lo, hi, out, field(w, sizeof w, where, name));
}

int rc_prop_bool(napi_env env, napi_value obj, const char *name, int *out, const char *where) {
  napi_value v;
  char w[160];
  bool b = false;
  if (prop(env, obj, name, &v, where)) return -1;
  if (napi_get_value_bool(env, v, &b) != napi_ok) return rc_throw(env, field(w, sizeof w, where, name), "a boolean", "another value");
  *out = b;
  return 0;
}

int rc_prop_enum(napi_env env, napi_value obj, const char *name, const char *const *choices, int n, int *out,
                 const char *where) {
  napi_value v;
  char w[160], s[64];
  size_t len = 0;
  if (prop(env, obj, name, &v, where)) return -1;
  field(w, sizeof w, where, name);
  if (napi_get_value_string_utf8(env, v, s, sizeof s, &len) != napi_ok) return rc_throw(env, w, "a string", "another value");
  for (int i = 0; i < n; i++)
    if (strcmp(s, choices[i]) == 0) {
      *out = i;
      return 0;
    }
  return rc_throw(env, w, "one of the allowed names", s);
}
