/*
 * napi_util.h — small helpers for N-API entry points (used by addon.c and recurrent*.c).
 *
 * Errors: every helper returns 0 on success; on failure it has already thrown a JS
 * TypeError / RangeError (message "native.<where>: expected X, got Y") and returns -1, and
 * the entry point must return NULL right away.
 */
#ifndef RC_NAPI_UTIL_H
#define RC_NAPI_UTIL_H

#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <stddef.h>

/* A float32 view: data and element count (0 / NULL for a null or absent field). */
typedef struct {
  float *p;
  size_t n;
} rc_f32;

/* Throw a TypeError "native.<where>: expected <expected>, got <got>"; returns -1. */
int rc_throw(napi_env env, const char *where, const char *expected, const char *got);

/* args: fetch exactly `want` arguments (throws if fewer were passed). */
int rc_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv, const char *where);

/* Float32Array value -> view. nullable: null/undefined give {NULL, 0}. min_len: throws if shorter. */
int rc_get_f32(napi_env env, napi_value v, int nullable, size_t min_len, rc_f32 *out, const char *where);

/* Same, for the property `name` of object `obj`. */
int rc_prop_f32(napi_env env, napi_value obj, const char *name, int nullable, size_t min_len, rc_f32 *out,
                const char *where);

/* Int32Array property (nullable), e.g. lengths. */
int rc_prop_i32(napi_env env, napi_value obj, const char *name, int nullable, size_t min_len, int **out,
                const char *where);

/* Number property -> int (throws unless an integer in [lo, hi]) / -> double / boolean property. */
int rc_prop_int(napi_env env, napi_value obj, const char *name, int lo, int hi, int *out, const char *where);
int rc_get_int(napi_env env, napi_value v, int lo, int hi, int *out, const char *where);
int rc_get_double(napi_env env, napi_value v, double *out, const char *where);
int rc_prop_bool(napi_env env, napi_value obj, const char *name, int *out, const char *where);
/* String property compared against choices[0..n-1]; *out = index. */
int rc_prop_enum(napi_env env, napi_value obj, const char *name, const char *const *choices, int n, int *out,
                 const char *where);

#endif /* RC_NAPI_UTIL_H */
