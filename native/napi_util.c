/*
 * napi_util.c — argument helpers and the one error convention of the N-API entry points
 * (napi_util.h).
 */
#include <stdint.h>

#include "napi_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const CODE_NAME[RC_E_COUNT] = {"E_SHAPE", "E_VALUE", "E_OPTION"};

/* Per env: the registered error constructors (napi_set_instance_data). */
typedef struct {
  napi_ref cls[RC_E_COUNT];
} err_classes;

static void free_classes(napi_env env, void *data, void *hint) {
  (void)hint;
  err_classes *c = data;
  for (int k = 0; k < RC_E_COUNT; k++)
    if (c->cls[k]) napi_delete_reference(env, c->cls[k]);
  free(c);
}

napi_value rc_js_set_error_classes(napi_env env, napi_callback_info info) {
  napi_value a[1];
  if (rc_args(env, info, 1, a, "setErrorClasses")) return NULL;
  err_classes *c = calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  for (int k = 0; k < RC_E_COUNT; k++) {
    napi_value f;
    napi_valuetype t = napi_undefined;
    if (napi_get_named_property(env, a[0], CODE_NAME[k], &f) == napi_ok) napi_typeof(env, f, &t);
    if (t != napi_function) {
      free_classes(env, c, NULL);
      rc_throw(env, RC_E_VALUE, "setErrorClasses", "a constructor for each of E_SHAPE, E_VALUE, E_OPTION", CODE_NAME[k]);
      return NULL;
    }
    napi_create_reference(env, f, 1, &c->cls[k]);
  }
  void *old = NULL;
  napi_get_instance_data(env, &old);
  if (old) free_classes(env, old, NULL);
  napi_set_instance_data(env, c, free_classes, NULL);
  return NULL;
}

int rc_throw(napi_env env, rc_ecode code, const char *where, const char *expected, const char *got) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return -1;
  err_classes *c = NULL;
  napi_value cls, err, argv[3];
  napi_get_instance_data(env, (void **)&c);
  if (c != NULL && napi_get_reference_value(env, c->cls[code], &cls) == napi_ok &&
      napi_create_string_utf8(env, where, NAPI_AUTO_LENGTH, &argv[0]) == napi_ok &&
      napi_create_string_utf8(env, expected, NAPI_AUTO_LENGTH, &argv[1]) == napi_ok &&
      napi_create_string_utf8(env, got, NAPI_AUTO_LENGTH, &argv[2]) == napi_ok &&
      napi_new_instance(env, cls, 3, argv, &err) == napi_ok) {
    napi_throw(env, err);
    return -1;
  }
  char msg[640];
  snprintf(msg, sizeof msg, "%s: expected %s, got %s", where, expected, got);
  napi_throw_error(env, CODE_NAME[code], msg);
  return -1;
}

int rc_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv, const char *where) {
  size_t argc = want;
  char exp[32], got[32];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return rc_throw(env, RC_E_SHAPE, where, "arguments", "none");
  if (argc >= want) return 0;
  snprintf(exp, sizeof exp, "%zu arguments", want);
  snprintf(got, sizeof got, "%zu", argc);
  return rc_throw(env, RC_E_SHAPE, where, exp, got);
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

int rc_get_typed(napi_env env, napi_value v, napi_typedarray_type type, int nullable, size_t min_len, void **data,
                 size_t *len, const char *where) {
  napi_typedarray_type t;
  char exp[96], got[64];
  *data = NULL;
  *len = 0;
  if (napi_get_typedarray_info(env, v, &t, len, data, NULL, NULL) != napi_ok) {
    *len = 0;
    *data = NULL;
    napi_valuetype vt = napi_undefined;
    napi_typeof(env, v, &vt);
    if (nullable && (vt == napi_null || vt == napi_undefined)) return 0;
    snprintf(exp, sizeof exp, "a %s of %zu elements", typed_name(type), min_len);
    return rc_throw(env, RC_E_SHAPE, where, exp, value_name(env, v));
  }
  if (t != type) {
    snprintf(exp, sizeof exp, "a %s", typed_name(type));
    snprintf(got, sizeof got, "a %s", typed_name(t));
    return rc_throw(env, RC_E_VALUE, where, exp, got);
  }
  if (*len < min_len) {
    snprintf(exp, sizeof exp, "at least %zu elements", min_len);
    snprintf(got, sizeof got, "%zu", *len);
    return rc_throw(env, RC_E_SHAPE, where, exp, got);
  }
  return 0;
}

int rc_get_f32(napi_env env, napi_value v, int nullable, size_t min_len, rc_f32 *out, const char *where) {
  void *data;
  if (rc_get_typed(env, v, napi_float32_array, nullable, min_len, &data, &out->n, where)) return -1;
  out->p = data;
  return 0;
}

int rc_get_f32_fast(napi_env env, napi_value v, int nullable, size_t min_len, rc_f32 *out, const char *where) {
  void *data;
  size_t bytes;
  if (napi_get_buffer_info(env, v, &data, &bytes) == napi_ok && bytes / sizeof(float) >= min_len && ((uintptr_t)data & 3) == 0) {
    out->p = data;
    out->n = bytes / sizeof(float);
    return 0;
  }
  napi_valuetype vt = napi_undefined;
  if (nullable && napi_typeof(env, v, &vt) == napi_ok && (vt == napi_null || vt == napi_undefined)) {
    out->p = NULL;
    out->n = 0;
    return 0;
  }
  return rc_get_f32(env, v, nullable, min_len, out, where);
}

int rc_get_double(napi_env env, napi_value v, double *out, const char *where) {
  if (napi_get_value_double(env, v, out) != napi_ok) return rc_throw(env, RC_E_VALUE, where, "a number", value_name(env, v));
  return 0;
}

int rc_get_int(napi_env env, napi_value v, int lo, int hi, int *out, const char *where) {
  double d;
  if (rc_get_double(env, v, &d, where)) return -1;
  if (!(d >= lo && d <= hi) || d != (double)(long long)d) {
    char exp[96], got[48];
    snprintf(exp, sizeof exp, "an integer in [%d, %d]", lo, hi);
    snprintf(got, sizeof got, "%g", d);
    return rc_throw(env, RC_E_VALUE, where, exp, got);
  }
  *out = (int)d;
  return 0;
}
