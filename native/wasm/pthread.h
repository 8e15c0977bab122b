/*
 * pthread.h for the wasm32 builds only (tools/build-wasm.mjs puts native/wasm/ first on the include path;
 * wasi-libc has no threads): the once-flags and thread-local keys that cpu.c and gemm.c use, and the lock
 * around gemm.c's per-thread buffer allocation (RC_ALLOC_LOCK).
 *
 * Single-thread build: plain flags and one key table. Threaded build (-DRC_WASM_THREADS: shared memory,
 * one instance of the module per Web Worker / worker_threads Worker, native/wasm/pool_threads.c): the key
 * table is _Thread_local (each instance has its own TLS block), once-flags are atomic, and allocation
 * takes a spin lock, because wasi-libc's malloc has no lock of its own (the JavaScript side allocates
 * only between kernel calls, when the workers are idle; gemm.c allocates inside tasks, under this lock).
 */
#ifndef RC_WASM_PTHREAD_H
#define RC_WASM_PTHREAD_H

#ifdef RC_WASM_THREADS
#define RC_WASM_TLS _Thread_local
typedef int pthread_once_t;
#define PTHREAD_ONCE_INIT 0
/* 0 not run, 1 running, 2 done: a second caller waits for the first to finish fn. */
static inline int pthread_once(pthread_once_t *o, void (*fn)(void)) {
  int s = __atomic_load_n(o, __ATOMIC_ACQUIRE);
  if (s == 2) return 0;
  int zero = 0;
  if (__atomic_compare_exchange_n(o, &zero, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    fn();
    __atomic_store_n(o, 2, __ATOMIC_RELEASE);
  } else
    while (__atomic_load_n(o, __ATOMIC_ACQUIRE) != 2) {}
  return 0;
}
void rc_wasm_alloc_lock(void);
void rc_wasm_alloc_unlock(void);
#define RC_ALLOC_LOCK() rc_wasm_alloc_lock()
#define RC_ALLOC_UNLOCK() rc_wasm_alloc_unlock()
#else
#define RC_WASM_TLS
#define RC_ALLOC_LOCK()
#define RC_ALLOC_UNLOCK()
typedef int pthread_once_t;
#define PTHREAD_ONCE_INIT 0
static inline int pthread_once(pthread_once_t *o, void (*fn)(void)) {
  if (!*o) { *o = 1; fn(); }
  return 0;
}
#endif

/* Keys are created once (under pthread_once) and then read by every thread; each thread's values are its own. */
typedef int pthread_key_t;
static RC_WASM_TLS void *rc_wasm_tls[4];
static int rc_wasm_nkeys;
static inline int pthread_key_create(pthread_key_t *k, void (*dtor)(void *)) {
  (void)dtor; /* threads never exit */
  *k = rc_wasm_nkeys++;
  return 0;
}
static inline void *pthread_getspecific(pthread_key_t k) { return rc_wasm_tls[k]; }
static inline int pthread_setspecific(pthread_key_t k, const void *v) {
  rc_wasm_tls[k] = (void *)v;
  return 0;
}

#endif
