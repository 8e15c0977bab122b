/*
 * ops_optim.c — fused optimizer updates over flat float32 parameters (see ops.h), and the
 * finiteness scan used by the ops' input checks.
 *
 * Legend: n elements; p (n) parameters, updated in place; g (n) gradient; m, v, vmax (n) Adam
 * moments; buf (n) SGD momentum. Scalars in the hyper structs are already float32 (PyTorch casts
 * a Python scalar to the tensor's float type before a float32 op).
 *
 * Adam, per element — PyTorch's `_single_tensor_adam` on float32 tensors, one rounding per op:
 *   g  = maximize ? −g : g
 *   p  = p·(1 − lr·wd)                             AdamW (decoupled) only, wd ≠ 0
 *   g  = g + wd·p                                  Adam (L2) only, wd ≠ 0
 *   m  = w1 < ½ ? m + w1·(g − m) : g − (g − m)·(1 − w1)       lerp_(g, w1), w1 = 1 − β1
 *   v  = v·β2;  v = v + (w2·g)·g                   mul_(β2).addcmul_(g, g, w2), w2 = 1 − β2
 *   s  = amsgrad ? (vmax = max(vmax, v)) : v
 *   p  = p + ((−stepSize)·m) / (√s / bc2Sqrt + eps)            addcdiv_
 * SGD, per element — `_single_tensor_sgd`:
 *   g = ±g + wd·p;  buf = init ? g : buf·μ + (1 − dampening)·g;  g = nesterov ? g + μ·buf : buf
 *   p = p + (−lr)·g
 *
 * Phases: the AVX-512 path does 16 elements per iteration with the same operations (masked
 * tail); the scalar path is the portable one (and the spec's exact twin). Above PAR elements the
 * range is cut into chunks (multiples of 16), one pool task each: elementwise, so the result does
 * not depend on the cut or the thread count.
 */
#pragma GCC optimize("fp-contract=off") /* never fuse a·b + c: the reference rounds each op */

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cpu.h"
#include "ops.h"
#include "pool.h"

#define PAR 65536L

/* ---- scalar (portable) ------------------------------------------------------------------- */

static void adam_scalar(float *p, const float *g, float *m, float *v, float *vmax, long n, const rc_adam_hyper *h) {
  const float one_w1 = 1.0f - h->w1;
  for (long i = 0; i < n; i++) {
    float gi = h->maximize ? -g[i] : g[i];
    float pi = p[i];
    if (h->wd != 0.0f) {
      if (h->decoupled) pi = pi * h->decay;
      else gi = gi + h->wd * pi;
    }
    const float d = gi - m[i];
    const float mi = h->w1 < 0.5f ? m[i] + h->w1 * d : gi - d * one_w1;
    float vi = v[i] * h->b2;
    vi = vi + (h->w2 * gi) * gi;
    m[i] = mi;
    v[i] = vi;
    float s = vi;
    if (vmax) { /* torch.maximum: NaN where either is NaN */
      const float x = vmax[i];
      s = vmax[i] = (x != x || vi != vi) ? NAN : x > vi ? x : vi;
    }
    const float denom = sqrtf(s) / h->bc2_sqrt + h->eps;
    p[i] = pi + (h->neg_step_size * mi) / denom;
  }
}

static void sgd_scalar(float *p, const float *g, float *buf, long n, const rc_sgd_hyper *h) {
  for (long i = 0; i < n; i++) {
    float gi = h->maximize ? -g[i] : g[i];
    if (h->wd != 0.0f) gi = gi + h->wd * p[i];
    if (buf) {
      buf[i] = h->init ? gi : buf[i] * h->mu + h->damp1 * gi;
      gi = h->nesterov ? gi + h->mu * buf[i] : buf[i];
    }
    p[i] = p[i] + h->neg_lr * gi;
  }
}

static long first_nonfinite_scalar(const float *x, long n) {
  for (long i = 0; i < n; i++) {
    uint32_t u;
    memcpy(&u, &x[i], 4);
    if ((u & 0x7f800000u) == 0x7f800000u) return i; /* exponent all ones: ±Inf or NaN */
  }
  return -1;
}

/* ---- AVX-512 ----------------------------------------------------------------------------- */

#ifdef RC_X86
#include <immintrin.h>
#define T512 __attribute__((target("avx512f")))

T512 static void adam_avx512(float *p, const float *g, float *m, float *v, float *vmax, long n, const rc_adam_hyper *h) {
  const __m512 w1 = _mm512_set1_ps(h->w1), one_w1 = _mm512_set1_ps(1.0f - h->w1), b2 = _mm512_set1_ps(h->b2),
               w2 = _mm512_set1_ps(h->w2), eps = _mm512_set1_ps(h->eps), wd = _mm512_set1_ps(h->wd),
               decay = _mm512_set1_ps(h->decay), nss = _mm512_set1_ps(h->neg_step_size),
               bc2 = _mm512_set1_ps(h->bc2_sqrt);
  const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
  const int lerp_lo = h->w1 < 0.5f, wd_on = h->wd != 0.0f;
  for (long i = 0; i < n; i += 16) {
    const __mmask16 k = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
    __m512 gi = _mm512_maskz_loadu_ps(k, g + i), pi = _mm512_maskz_loadu_ps(k, p + i);
    const __m512 m0 = _mm512_maskz_loadu_ps(k, m + i), v0 = _mm512_maskz_loadu_ps(k, v + i);
    if (h->maximize) gi = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(gi), sign));
    if (wd_on) {
      if (h->decoupled) pi = _mm512_mul_ps(pi, decay);
      else gi = _mm512_add_ps(gi, _mm512_mul_ps(wd, pi));
    }
    const __m512 d = _mm512_sub_ps(gi, m0);
    const __m512 mi = lerp_lo ? _mm512_add_ps(m0, _mm512_mul_ps(w1, d)) : _mm512_sub_ps(gi, _mm512_mul_ps(d, one_w1));
    const __m512 vi = _mm512_add_ps(_mm512_mul_ps(v0, b2), _mm512_mul_ps(_mm512_mul_ps(w2, gi), gi));
    _mm512_mask_storeu_ps(m + i, k, mi);
    _mm512_mask_storeu_ps(v + i, k, vi);
    __m512 s = vi;
    if (vmax) {
      const __m512 x = _mm512_maskz_loadu_ps(k, vmax + i);
      /* max with NaN propagation (torch.maximum): NaN where either is NaN */
      const __mmask16 nan = _mm512_cmp_ps_mask(x, vi, _CMP_UNORD_Q);
      s = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, vi, _CMP_GT_OQ), vi, x);
      s = _mm512_mask_mov_ps(s, nan, _mm512_set1_ps(NAN));
      _mm512_mask_storeu_ps(vmax + i, k, s);
    }
    const __m512 denom = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(s), bc2), eps);
    _mm512_mask_storeu_ps(p + i, k, _mm512_add_ps(pi, _mm512_div_ps(_mm512_mul_ps(nss, mi), denom)));
  }
}

T512 static void sgd_avx512(float *p, const float *g, float *buf, long n, const rc_sgd_hyper *h) {
  const __m512 nlr = _mm512_set1_ps(h->neg_lr), mu = _mm512_set1_ps(h->mu), damp1 = _mm512_set1_ps(h->damp1),
               wd = _mm512_set1_ps(h->wd);
  const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
  for (long i = 0; i < n; i += 16) {
    const __mmask16 k = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
    __m512 gi = _mm512_maskz_loadu_ps(k, g + i);
    const __m512 pi = _mm512_maskz_loadu_ps(k, p + i);
    if (h->maximize) gi = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(gi), sign));
    if (h->wd != 0.0f) gi = _mm512_add_ps(gi, _mm512_mul_ps(wd, pi));
    if (buf) {
      const __m512 b = h->init ? gi : _mm512_add_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, buf + i), mu), _mm512_mul_ps(damp1, gi));
      _mm512_mask_storeu_ps(buf + i, k, b);
      gi = h->nesterov ? _mm512_add_ps(gi, _mm512_mul_ps(mu, b)) : b;
    }
    _mm512_mask_storeu_ps(p + i, k, _mm512_add_ps(pi, _mm512_mul_ps(nlr, gi)));
  }
}

T512 static long first_nonfinite_avx512(const float *x, long n) {
  const __m512i expo = _mm512_set1_epi32(0x7f800000);
  long i = 0;
  for (; i + 64 <= n; i += 64) { /* 4 vectors per test: the common case is "all finite" */
    __m512i a = _mm512_and_si512(_mm512_loadu_si512(x + i), expo);
    __m512i b = _mm512_and_si512(_mm512_loadu_si512(x + i + 16), expo);
    __m512i c = _mm512_and_si512(_mm512_loadu_si512(x + i + 32), expo);
    __m512i d = _mm512_and_si512(_mm512_loadu_si512(x + i + 48), expo);
    const __mmask16 hit = _mm512_cmpeq_epi32_mask(a, expo) | _mm512_cmpeq_epi32_mask(b, expo) |
                          _mm512_cmpeq_epi32_mask(c, expo) | _mm512_cmpeq_epi32_mask(d, expo);
    if (hit) return i + first_nonfinite_scalar(x + i, 64);
  }
  const long r = first_nonfinite_scalar(x + i, n - i);
  return r < 0 ? -1 : i + r;
}
#endif

static int use_avx512(void) {
#ifdef RC_X86
  return strcmp(rc_active_path()->name, "avx512") == 0;
#else
  return 0;
#endif
}

/* ---- dispatch and threading -------------------------------------------------------------- */

typedef struct {
  int kind; /* 0 adam, 1 sgd */
  float *p, *m, *v, *vmax, *buf;
  const float *g;
  long n, chunk;
  const rc_adam_hyper *ah;
  const rc_sgd_hyper *sh;
  int wide;
} optctx;

static void opt_range(const optctx *c, long i0, long len) {
  if (c->kind == 0) {
    float *vm = c->vmax ? c->vmax + i0 : NULL;
#ifdef RC_X86
    if (c->wide) { adam_avx512(c->p + i0, c->g + i0, c->m + i0, c->v + i0, vm, len, c->ah); return; }
#endif
    adam_scalar(c->p + i0, c->g + i0, c->m + i0, c->v + i0, vm, len, c->ah);
  } else {
    float *b = c->buf ? c->buf + i0 : NULL;
#ifdef RC_X86
    if (c->wide) { sgd_avx512(c->p + i0, c->g + i0, b, len, c->sh); return; }
#endif
    sgd_scalar(c->p + i0, c->g + i0, b, len, c->sh);
  }
}

static void opt_task(void *vc, int t) {
  const optctx *c = vc;
  const long i0 = (long)t * c->chunk, len = c->n - i0 < c->chunk ? c->n - i0 : c->chunk;
  if (len > 0) opt_range(c, i0, len);
}

static void opt_run(optctx *c) {
  const int nth = rc_pool_threads();
  c->wide = use_avx512();
  if (c->n < PAR || nth <= 1) {
    opt_range(c, 0, c->n);
    return;
  }
  c->chunk = ((c->n + nth - 1) / nth + 15) / 16 * 16;
  rc_pool_run((int)((c->n + c->chunk - 1) / c->chunk), opt_task, c);
}

void rc_adam_f32(float *p, const float *g, float *m, float *v, float *vmax, long n, const rc_adam_hyper *h) {
  optctx c = {0, p, m, v, vmax, NULL, g, n, n, h, NULL, 0};
  opt_run(&c);
}

void rc_sgd_f32(float *p, const float *g, float *buf, long n, const rc_sgd_hyper *h) {
  optctx c = {1, p, NULL, NULL, NULL, buf, g, n, n, NULL, h, 0};
  opt_run(&c);
}

long rc_first_nonfinite_f32(const float *x, long n) {
#ifdef RC_X86
  if (use_avx512()) return first_nonfinite_avx512(x, n);
#endif
  return first_nonfinite_scalar(x, n);
}
