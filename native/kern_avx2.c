/*
 * kern_avx2.c — AVX2 + FMA path: 6 x 16 GEMM micro-kernel and vectorised exp / tanh / sigmoid.
 *
 * Legend (micro-kernel)
 *   MR = 6 rows of C (broadcast from the packed A panel), NR = 16 columns (2 ymm of B per k)
 *   registers: 12 accumulators + 2 B vectors + 1 broadcast = 15 of 16 ymm
 *   per k: 2 loads + 6 broadcasts feed 12 FMAs.
 *
 * Phases as in kern_avx512.c: zero, k loop (x4 unrolled), store alpha·acc (+ beta·C) with
 * maskload/maskstore for the column tail; one specialisation per mr in 1..6.
 *
 * vmath: same algorithms as kern_avx512.c; 2^n is applied as two exact power-of-two factors
 * 2^(n/2)·2^(n - n/2) (each a normal float), so overflow gives inf and results in the denormal
 * range are rounded once, correctly.
 */
#include "cpu.h"

#ifdef RC_X86
#include <immintrin.h>

#define T256 __attribute__((target("avx2,fma")))
#define INL static inline __attribute__((always_inline))
#define MR 6
#define NR 16

T256 INL __m256i tail_mask(int n) { /* lanes j < n set */
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

T256 INL void body(const int mr, int nr, int kc, const float *restrict Ap, const float *restrict Bp, long ldbp,
                   float *restrict C, long ldc, float alpha, float beta) {
  __m256 c0[MR], c1[MR];
  _Pragma("GCC unroll 8")
  for (int i = 0; i < mr; i++) {
    c0[i] = _mm256_setzero_ps();
    c1[i] = _mm256_setzero_ps();
    _mm_prefetch((const char *)(C + i * ldc), _MM_HINT_T0);
  }
#pragma GCC unroll 4
  for (int k = 0; k < kc; k++) {
    const __m256 b0 = _mm256_loadu_ps(Bp), b1 = _mm256_loadu_ps(Bp + 8);
    _Pragma("GCC unroll 8")
    for (int i = 0; i < mr; i++) {
      const __m256 a = _mm256_broadcast_ss(Ap + i);
      c0[i] = _mm256_fmadd_ps(a, b0, c0[i]);
      c1[i] = _mm256_fmadd_ps(a, b1, c1[i]);
    }
    Ap += MR;
    Bp += ldbp;
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  if (nr == NR) {
    _Pragma("GCC unroll 8")
    for (int i = 0; i < mr; i++) {
      float *c = C + i * ldc;
      __m256 r0 = _mm256_mul_ps(va, c0[i]), r1 = _mm256_mul_ps(va, c1[i]);
      if (beta != 0.0f) {
        r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c), r0);
        r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + 8), r1);
      }
      _mm256_storeu_ps(c, r0);
      _mm256_storeu_ps(c + 8, r1);
    }
    return;
  }
  const __m256i m0 = tail_mask(nr), m1 = tail_mask(nr - 8);
  _Pragma("GCC unroll 8")
  for (int i = 0; i < mr; i++) {
    float *c = C + i * ldc;
    __m256 r0 = _mm256_mul_ps(va, c0[i]), r1 = _mm256_mul_ps(va, c1[i]);
    if (beta != 0.0f) {
      r0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(c, m0), r0);
      r1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(c + 8, m1), r1);
    }
    _mm256_maskstore_ps(c, m0, r0);
    _mm256_maskstore_ps(c + 8, m1, r1);
  }
}

#define SPEC(n) \
  T256 static void k##n(int nr, int kc, const float *Ap, const float *Bp, long ldbp, float *C, long ldc, float al, \
                        float be) { body(n, nr, kc, Ap, Bp, ldbp, C, ldc, al, be); }
SPEC(1) SPEC(2) SPEC(3) SPEC(4) SPEC(5) SPEC(6)

T256 static void kern(int mr, int nr, int kc, const float *Ap, const float *Bp, long ldbp, float *C, long ldc,
                      float alpha, float beta) {
  switch (mr) {
    case 6: k6(nr, kc, Ap, Bp, ldbp, C, ldc, alpha, beta); break;
    case 5: k5(nr, kc, Ap, Bp, ldbp, C, ldc, alpha, beta); break;
    case 4: k4(nr, kc, Ap, Bp, ldbp, C, ldc, alpha, beta); break;
    case 3: k3(nr, kc, Ap, Bp, ldbp, C, ldc, alpha, beta); break;
    case 2: k2(nr, kc, Ap, Bp, ldbp, C, ldc, alpha, beta); break;
    default: k1(nr, kc, Ap, Bp, ldbp, C, ldc, alpha, beta); break;
  }
}

/* ---- transposed-B packing: 8 x 8 blocks through an in-register transpose ---------------- */

T256 void rc_packbt_avx2(const float *B, long ldb, int kc, int nr, int ldd, float *d) {
  int j = 0;
  for (; j + 8 <= nr; j += 8) {
    const float *b = B + (long)j * ldb;
    int k = 0;
    for (; k + 8 <= kc; k += 8) {
      __m256 r0 = _mm256_loadu_ps(b + 0 * ldb + k), r1 = _mm256_loadu_ps(b + 1 * ldb + k);
      __m256 r2 = _mm256_loadu_ps(b + 2 * ldb + k), r3 = _mm256_loadu_ps(b + 3 * ldb + k);
      __m256 r4 = _mm256_loadu_ps(b + 4 * ldb + k), r5 = _mm256_loadu_ps(b + 5 * ldb + k);
      __m256 r6 = _mm256_loadu_ps(b + 6 * ldb + k), r7 = _mm256_loadu_ps(b + 7 * ldb + k);
      __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
      __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
      __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
      __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
      __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
      __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
      __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
      __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
      float *o = d + (long)k * ldd + j;
      _mm256_storeu_ps(o + 0 * ldd, _mm256_permute2f128_ps(u0, u4, 0x20));
      _mm256_storeu_ps(o + 1 * ldd, _mm256_permute2f128_ps(u1, u5, 0x20));
      _mm256_storeu_ps(o + 2 * ldd, _mm256_permute2f128_ps(u2, u6, 0x20));
      _mm256_storeu_ps(o + 3 * ldd, _mm256_permute2f128_ps(u3, u7, 0x20));
      _mm256_storeu_ps(o + 4 * ldd, _mm256_permute2f128_ps(u0, u4, 0x31));
      _mm256_storeu_ps(o + 5 * ldd, _mm256_permute2f128_ps(u1, u5, 0x31));
      _mm256_storeu_ps(o + 6 * ldd, _mm256_permute2f128_ps(u2, u6, 0x31));
      _mm256_storeu_ps(o + 7 * ldd, _mm256_permute2f128_ps(u3, u7, 0x31));
    }
    for (; k < kc; k++)
      for (int c = 0; c < 8; c++) d[(long)k * ldd + j + c] = b[(long)c * ldb + k];
  }
  for (int k = 0; k < kc; k++) {
    float *dk = d + (long)k * ldd;
    for (int c = j; c < nr; c++) dk[c] = B[(long)c * ldb + k];
    for (int c = nr; c < ldd; c++) dk[c] = 0.0f;
  }
}

/* ---- vmath ---------------------------------------------------------------------------- */

T256 INL __m256 pow2i(__m256i n) { /* 2^n for n in [-126, 127] */
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
}

T256 INL __m256 exp8(__m256 x) {
  x = _mm256_max_ps(_mm256_set1_ps(-104.0f), _mm256_min_ps(_mm256_set1_ps(89.0f), x));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500E-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507E-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073E-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894E-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459E-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201E-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i ni = _mm256_cvtps_epi32(n); /* NaN -> INT_MIN; p is NaN then, so is the result */
  const __m256i n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
  return _mm256_mul_ps(_mm256_mul_ps(p, pow2i(n1)), pow2i(n2));
}

T256 INL __m256 tanh8(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 ax = _mm256_andnot_ps(sign, x);
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(-5.70498872745E-3f);
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954E-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531E-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036E-1f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422E-1f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
  const __m256 e = exp8(_mm256_add_ps(ax, ax));
  __m256 big = _mm256_sub_ps(_mm256_set1_ps(1.0f), _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f))));
  big = _mm256_or_ps(big, _mm256_and_ps(x, sign));
  const __m256 is_small = _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ);
  const __m256 is_nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
  return _mm256_blendv_ps(_mm256_blendv_ps(big, small, is_small), x, is_nan);
}

T256 INL __m256 sigmoid8(__m256 x) {
  const __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
  const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), ax));
  const __m256 r = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f)));
  const __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
  return _mm256_blendv_ps(r, _mm256_mul_ps(r, e), neg);
}

#define VLOOP(NAME, F)                                                  \
  T256 static void NAME(const float *x, float *y, long n) {             \
    long i = 0;                                                         \
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, F(_mm256_loadu_ps(x + i))); \
    if (i < n) {                                                        \
      const __m256i m = tail_mask((int)(n - i));                        \
      _mm256_maskstore_ps(y + i, m, F(_mm256_maskload_ps(x + i, m)));   \
    }                                                                   \
  }
VLOOP(vexp, exp8)
VLOOP(vtanh, tanh8)
VLOOP(vsigmoid, sigmoid8)

T256 INL float hsum8(__m256 s) {
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  return _mm_cvtss_f32(h);
}

/* Σ_k a[k]·b_c[k] for 4 rows b_c = B + c·ldb, accumulated into s[0..3] (vector chains over k). */
T256 INL void dot4_acc(__m256 *s, const float *a, const float *B, long ldb, long K, int nb) {
  const long K8 = K & ~7L;
  const __m256i mt = tail_mask((int)(K - K8));
  for (long k = 0; k < K8; k += 8) {
    const __m256 va = _mm256_loadu_ps(a + k);
    for (int c = 0; c < 4; c++)
      if (c < nb) s[c] = _mm256_fmadd_ps(va, _mm256_loadu_ps(B + c * ldb + k), s[c]);
  }
  if (K > K8) {
    const __m256 va = _mm256_maskload_ps(a + K8, mt);
    for (int c = 0; c < 4; c++)
      if (c < nb) s[c] = _mm256_fmadd_ps(va, _mm256_maskload_ps(B + c * ldb + K8, mt), s[c]);
  }
}

/* Rows of B four at a time (4 chains, a loaded once per k-chunk), both sources into the same chains;
 * the tail rows the same way (out[j] does not depend on n or j). */
T256 static void dots(const float *a1, const float *B1, long ldb1, long K1, const float *a2, const float *B2, long ldb2,
                      long K2, int n, float *out) {
  for (int j = 0; j < n; j += 4) {
    const int nb = n - j < 4 ? n - j : 4;
    __m256 s[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    dot4_acc(s, a1, B1 + j * ldb1, ldb1, K1, nb);
    if (K2 > 0) dot4_acc(s, a2, B2 + j * ldb2, ldb2, K2, nb);
    for (int c = 0; c < nb; c++) out[j + c] = hsum8(s[c]);
  }
}

T256 static double fma_peak(long iters) {
  __m256 a[12];
  const __m256 b = _mm256_set1_ps(0.999f), c = _mm256_set1_ps(1e-3f);
  for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps((float)i);
  for (long k = 0; k < iters; k++) {
    _Pragma("GCC unroll 12") for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], b, c);
  }
  __m256 s = a[0];
  for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, a[i]);
  float r[8];
  _mm256_storeu_ps(r, s);
  volatile float sink = r[0];
  (void)sink;
  return (double)iters * 12 * 8 * 2;
}

const rc_path rc_path_avx2 = {"avx2", MR, NR, kern, vexp, vtanh, vsigmoid, rc_packbt_avx2, dots, fma_peak};

#endif /* RC_X86 */
