/*
 * napi_util.h — the one N-API argument layer of the addon (addon.c, ops_napi.c, recurrent_napi.c).
 *
 * Errors (one convention): every helper returns 0 on success; on failure it has thrown and returns -1,
 * and the entry point returns NULL right away. rc_throw(code, where, expected, got) throws the typed
 * error the TypeScript side registered for the code (setErrorClasses: E_SHAPE → ShapeError, E_VALUE →
 * ValueError, E_OPTION → OptionError of src/util/errors.ts), constructed as new Cls(where, expected,
 * got): message "where: expected X, got Y". Before registration: an Error with .code and that message.
 *   E_SHAPE   a missing argument, a buffer too short, dims out of range
 *   E_VALUE   a wrong element type or value kind, a value out of range
 *   E_OPTION  an unknown name (CPU path, nonlinearity, kind)
 */
#ifndef RC_NAPI_UTIL_H
#define RC_NAPI_UTIL_H

#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <stddef.h>

typedef enum { RC_E_SHAPE = 0, RC_E_VALUE = 1, RC_E_OPTION = 2, RC_E_COUNT = 3 } rc_ecode;

/* Throw the typed error of `code` (above); returns -1. Nothing is thrown over a pending exception. */
int rc_throw(napi_env env, rc_ecode code, const char *where, const char *expected, const char *got);
/* setErrorClasses({ E_SHAPE, E_VALUE, E_OPTION }): the constructors rc_throw uses (per env). */
napi_value rc_js_set_error_classes(napi_env env, napi_callback_info info);

/* A float32 view: data and element count (0 / NULL for a null or absent argument). */
typedef struct {
  float *p;
  size_t n;
} rc_f32;

/* Fetch exactly `want` arguments (E_SHAPE if fewer were passed). */
int rc_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv, const char *where);
/* Typed array of element type `type` with at least min_len elements -> data, length. nullable: null /
 * undefined give NULL, 0. Wrong type: E_VALUE; missing or short: E_SHAPE. */
int rc_get_typed(napi_env env, napi_value v, napi_typedarray_type type, int nullable, size_t min_len, void **data,
                 size_t *len, const char *where);
/* Float32Array -> view (rc_get_typed). */
int rc_get_f32(napi_env env, napi_value v, int nullable, size_t min_len, rc_f32 *out, const char *where);
/* Float32Array -> view, read by napi_get_buffer_info (any typed array: its data and byte length, ~31 ns)
 * instead of napi_get_typedarray_info (~60 ns, half of it the element-type query; bench/napi-cost):
 * for the per-call buffers of hot entry points (stepRun, linearRun) whose TypeScript callers pass only
 * Float32Arrays. Bounds are checked in bytes (at least min_len floats, 4-byte aligned), so no argument can
 * make a kernel read or write outside its buffer; the element type is not checked (another typed array
 * of enough bytes is read as floats). Anything that fails goes through rc_get_f32 for its typed error. */
int rc_get_f32_fast(napi_env env, napi_value v, int nullable, size_t min_len, rc_f32 *out, const char *where);
/* Number -> int (E_VALUE unless an integer in [lo, hi]) / -> double. */
int rc_get_int(napi_env env, napi_value v, int lo, int hi, int *out, const char *where);
int rc_get_double(napi_env env, napi_value v, double *out, const char *where);

#endif /* RC_NAPI_UTIL_H */
