/*
 * What an N-API call costs per argument (bench/napi-cost/run.mjs): no argument; numbers; typed arrays
 * read as the native entry points read them (napi_get_typedarray_info with the element type, which
 * napi_util.c checks), without the type, and by napi_get_buffer_info (rc_get_f32_fast). Not part of the build or the tests:
 *   gcc -O2 -shared -fPIC -I/usr/include/node bench/napi-cost/napi_cost.c -o /tmp/napi_cost.node
 *   node bench/napi-cost/run.mjs /tmp/napi_cost.node
 */
#include <node_api.h>

#define ARGS \
  size_t argc = 8; \
  napi_value a[8]; \
  napi_get_cb_info(env, info, &argc, a, NULL, NULL)

static napi_value none(napi_env env, napi_callback_info info) {
  (void)env, (void)info;
  return NULL;
}

static napi_value numbers(napi_env env, napi_callback_info info) {
  ARGS;
  for (size_t i = 0; i < argc; i++) {
    double d;
    napi_get_value_double(env, a[i], &d);
  }
  return NULL;
}

static napi_value typed(napi_env env, napi_callback_info info) {
  ARGS;
  for (size_t i = 0; i < argc; i++) {
    napi_typedarray_type t;
    size_t n;
    void *d;
    napi_get_typedarray_info(env, a[i], &t, &n, &d, NULL, NULL);
  }
  return NULL;
}

static napi_value untyped(napi_env env, napi_callback_info info) {
  ARGS;
  for (size_t i = 0; i < argc; i++) {
    size_t n;
    void *d;
    napi_get_typedarray_info(env, a[i], NULL, &n, &d, NULL, NULL);
  }
  return NULL;
}

/* napi_get_buffer_info: data and byte length of any typed array, no element type (rc_get_f32_fast). */
static napi_value buffer(napi_env env, napi_callback_info info) {
  ARGS;
  for (size_t i = 0; i < argc; i++) {
    size_t n;
    void *d;
    napi_get_buffer_info(env, a[i], &d, &n);
  }
  return NULL;
}

NAPI_MODULE_INIT() {
  static const struct { const char *name; napi_callback fn; } fns[] = {
      {"none", none}, {"numbers", numbers}, {"typed", typed}, {"untyped", untyped}, {"buffer", buffer}};
  for (size_t k = 0; k < sizeof fns / sizeof fns[0]; k++) {
    napi_value f;
    napi_create_function(env, fns[k].name, NAPI_AUTO_LENGTH, fns[k].fn, NULL, &f);
    napi_set_named_property(env, exports, fns[k].name, f);
  }
  return exports;
}
