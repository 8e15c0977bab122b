/*
 * cpu.c — CPU feature detection and the choice of the active path (see cpu.h), plus the
 * vmath.h entry points, which forward to the active path.
 *
 * Order of preference: avx512 (AVX-512F + AVX2 + FMA), avx2 (AVX2 + FMA), portable.
 * RECUR_CPU=avx512|avx2|portable caps the choice (a path the CPU lacks falls back below).
 * __builtin_cpu_supports also checks that the OS saves the wide registers (XCR0).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "gemm.h"
#include "vmath.h"

static const rc_path *active;
static pthread_once_t once = PTHREAD_ONCE_INIT;

int rc_cpu_avx512(void) {
#ifdef RC_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return 0;
#endif
}

int rc_cpu_avx2(void) {
#ifdef RC_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") != 0;
#else
  return 0;
#endif
}

int rc_cpu_fma(void) {
#ifdef RC_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("fma") != 0;
#else
  return 0;
#endif
}

/* Best path not above `cap` (0 avx512, 1 avx2, 2 portable) that the CPU runs. */
static const rc_path *pick(int cap) {
#ifdef RC_X86
  if (cap <= 0 && rc_cpu_avx512()) return &rc_path_avx512;
  if (cap <= 1 && rc_cpu_avx2() && rc_cpu_fma()) return &rc_path_avx2;
#endif
  (void)cap;
#ifdef RC_WASM
  return &rc_path_wasm;
#else
  return &rc_path_portable;
#endif
}

static int cap_of(const char *name) {
  if (name && strcmp(name, "portable") == 0) return 2;
  if (name && strcmp(name, "avx2") == 0) return 1;
  return 0;
}

#ifdef RC_WASM
static void init(void) { active = pick(0); } /* no environment in wasm32 (and no getenv import) */
#else
static void init(void) { __atomic_store_n(&active, pick(cap_of(getenv("RECUR_CPU"))), __ATOMIC_RELEASE); }
#endif

const rc_path *rc_active_path(void) {
  pthread_once(&once, init);
  return __atomic_load_n(&active, __ATOMIC_ACQUIRE);
}

const char *rc_cpu_path(void) { return rc_active_path()->name; }

const char *rc_set_cpu_path(const char *name) {
  pthread_once(&once, init);
  __atomic_store_n(&active, pick(cap_of(name)), __ATOMIC_RELEASE);
  return active->name;
}

void rc_vsigmoid(const float *x, float *y, long n) { rc_active_path()->vsigmoid(x, y, n); }
void rc_vtanh(const float *x, float *y, long n) { rc_active_path()->vtanh(x, y, n); }
void rc_vexp(const float *x, float *y, long n) { rc_active_path()->vexp(x, y, n); }
