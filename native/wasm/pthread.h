/*
 * pthread.h for the single-threaded wasm32 build only (tools/build-wasm.mjs puts native/wasm/ first on
 * the include path; wasi-libc has no threads): the once-flags and thread-local keys that cpu.c and
 * gemm.c use, for exactly one thread. Each key lives in the translation unit that creates it.
 */
#ifndef RC_WASM_PTHREAD_H
#define RC_WASM_PTHREAD_H

typedef int pthread_once_t;
#define PTHREAD_ONCE_INIT 0
static inline int pthread_once(pthread_once_t *o, void (*fn)(void)) {
  if (!*o) { *o = 1; fn(); }
  return 0;
}

typedef int pthread_key_t;
static void *rc_wasm_tls[4];
static int rc_wasm_nkeys;
static inline int pthread_key_create(pthread_key_t *k, void (*dtor)(void *)) {
  (void)dtor; /* the one thread never exits */
  *k = rc_wasm_nkeys++;
  return 0;
}
static inline void *pthread_getspecific(pthread_key_t k) { return rc_wasm_tls[k]; }
static inline int pthread_setspecific(pthread_key_t k, const void *v) {
  rc_wasm_tls[k] = (void *)v;
  return 0;
}

#endif
