/*
 * ops_dropout.c — dropout masks sampled in the kernel from a counter-based generator: entry i of a mask
 * is a pure function of (key, i), so a mask needs no state, any slice or thread order gives the same
 * bits, and the backward regenerates the forward's mask from the key instead of storing it.
 * The spec (bit for bit) is src/kernels/ref/dropout.ts.
 *
 * Generator: u_i = mix(mix(mix(lo(i) ^ k0) ^ k1 ^ hi(i)) ^ k0) for the 64-bit index i = hi·2³² + lo and
 * the 64-bit key (k0, k1) drawn per mask from the caller's Rng; mix is the xorshift-multiply 32-bit
 * bijection "lowbias32" (C. Wellons' hash-prospector, constants 0x21f0aaad / 0x735a2d97, shifts 16 / 15 /
 * 15). For a fixed key i ↦ u_i is a permutation of the 32-bit words. Three keyed rounds, because with
 * two, keys sharing k1 give permuted copies (mask(k0 ^ d)[i ^ d] = mask(k0)[i]); the third round breaks
 * every such relation (test/dropout-mask.test.ts checks related keys and shifts).
 *
 * Mask: m_i = 0 when u_i < thr = min(⌈p·2³²⌉, 2³² − 1) (probability p, as `random() < p` with 32-bit
 * uniforms), else s = float(1 / (1 − p)); p = 1 gives s = 0 (all zeros).
 *   rc_dropout_mask_f32   out_i = m_i
 *   rc_dropout_apply_f32  y_i = x_i · m_i (one float32 product: NaN / ±Inf in a dropped x stay NaN, as x·0)
 * Above PAR elements the range is cut into one slice per pool thread (entries depend on i only: the same
 * bits on any thread count).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cpu.h"
#include "ops.h"
#include "pool.h"

#define PAR 65536L /* below this many elements one thread (a pool hand-off costs a few µs) */

#define MIX(x) (x ^= x >> 16, x *= 0x21f0aaadu, x ^= x >> 15, x *= 0x735a2d97u, x ^= x >> 15)

static uint32_t thr_of(double p) {
  const double t = ceil(p * 4294967296.0);
  return t >= 4294967295.0 ? 0xffffffffu : (uint32_t)t;
}
static float scale_of(double p) { return p >= 1 ? 0.0f : (float)(1.0 / (1.0 - p)); }

/* One block of indices hi·2³² + lo, lo = lo0 … lo0 + n − 1 (no wrap); x = NULL: the mask itself. Plain
 * loops the compiler vectorises for each target below (32-bit multiply, xor, shift, select). */
#define BLOCK_BODY                                                                            \
  const uint32_t k1h = k1 ^ hi;                                                               \
  if (x) {                                                                                    \
    for (long j = 0; j < n; j++) {                                                            \
      uint32_t u = (lo0 + (uint32_t)j) ^ k0;                                                  \
      MIX(u);                                                                                 \
      u ^= k1h;                                                                               \
      MIX(u);                                                                                 \
      u ^= k0;                                                                                \
      MIX(u);                                                                                 \
      y[j] = x[j] * (u < thr ? 0.0f : s);                                                     \
    }                                                                                         \
  } else {                                                                                    \
    for (long j = 0; j < n; j++) {                                                            \
      uint32_t u = (lo0 + (uint32_t)j) ^ k0;                                                  \
      MIX(u);                                                                                 \
      u ^= k1h;                                                                               \
      MIX(u);                                                                                 \
      u ^= k0;                                                                                \
      MIX(u);                                                                                 \
      y[j] = u < thr ? 0.0f : s;                                                              \
    }                                                                                         \
  }

#define BLOCK_ARGS uint32_t k0, uint32_t k1, uint32_t hi, uint32_t lo0, uint32_t thr, float s, const float *x, float *y, long n

static void block_plain(BLOCK_ARGS) { BLOCK_BODY }
#ifdef RC_X86
__attribute__((target("avx2"))) static void block_avx2(BLOCK_ARGS) { BLOCK_BODY }
__attribute__((target("avx512f,avx2"))) static void block_avx512(BLOCK_ARGS) { BLOCK_BODY }
#endif

typedef void (*block_fn)(BLOCK_ARGS);

static block_fn pick(void) {
#ifdef RC_X86
  const char *name = rc_active_path()->name;
  if (strcmp(name, "avx512") == 0) return block_avx512;
  if (strcmp(name, "avx2") == 0) return block_avx2;
#endif
  return block_plain;
}

typedef struct {
  block_fn f;
  uint32_t k0, k1, thr;
  float s;
  const float *x;
  float *y;
  long n, chunk;
} dctx;

/* Split [i0, i1) where hi(i) changes (every 2³² elements) and run the block kernel on each piece. */
static void run_range(const dctx *c, long i0, long i1) {
  for (long i = i0; i < i1;) {
    const uint64_t lo = (uint64_t)i & 0xffffffffu;
    const long len = (long)((uint64_t)(i1 - i) < 0x100000000ull - lo ? (uint64_t)(i1 - i) : 0x100000000ull - lo);
    c->f(c->k0, c->k1, (uint32_t)((uint64_t)i >> 32), (uint32_t)lo, c->thr, c->s, c->x ? c->x + i : NULL, c->y + i, len);
    i += len;
  }
}

static void task(void *vc, int t) {
  const dctx *c = vc;
  const long i0 = (long)t * c->chunk, i1 = i0 + c->chunk < c->n ? i0 + c->chunk : c->n;
  if (i0 < i1) run_range(c, i0, i1);
}

static void run(uint32_t k0, uint32_t k1, double p, const float *x, float *y, long n) {
  dctx c = {pick(), k0, k1, thr_of(p), scale_of(p), x, y, n, n};
  const int nth = rc_pool_threads();
  if (n < PAR || nth <= 1) {
    run_range(&c, 0, n);
    return;
  }
  c.chunk = ((n + nth - 1) / nth + 15) / 16 * 16;
  rc_pool_run((int)((n + c.chunk - 1) / c.chunk), task, &c);
}

void rc_dropout_mask_f32(uint32_t k0, uint32_t k1, double p, float *out, long n) { run(k0, k1, p, NULL, out, n); }

void rc_dropout_apply_f32(uint32_t k0, uint32_t k1, double p, const float *x, float *y, long n) { run(k0, k1, p, x, y, n); }
