/*
 * kern_avx512.c — AVX-512F path: 8 x 32 GEMM micro-kernel and vectorised exp / tanh / sigmoid.
 *
 * Legend (micro-kernel)
 *   MR = 8 rows of C (broadcast from the packed A panel), NR = 32 columns (2 zmm of B per k)
 *   registers: 16 accumulators c0[i], c1[i] + 2 B vectors + 1 broadcast = 19 of 32 zmm
 *   per k: 2 loads + 8 broadcasts feed 16 FMAs (~16 cycles on a core with one 512-bit FMA/cycle,
 *   8 on two).
 *
 * Phases: (1) zero the mr x 2 accumulators; (2) k loop, unrolled x4: load b0/b1, for each row
 * broadcast a(i, k) and FMA; (3) store: alpha·acc (+ beta·C), column tail via write masks.
 * Each mr in 1..8 is a separate specialisation (always_inline body + constant mr), so edge
 * tiles and batch-1 GEMV do no wasted FMAs.
 *
 * vmath: exp by Cody-Waite range reduction x = n·ln2 + r, degree-6 polynomial (Cephes expf),
 * scalef for 2^n (handles overflow and denormals exactly). tanh: odd polynomial for |x| < 0.625
 * (Cephes tanhf), else 1 - 2/(e^{2|x|} + 1). sigmoid: e = e^{-|x|}, 1/(1+e) or e/(1+e).
 */
#include "cpu.h"

#ifdef RC_X86
#include <immintrin.h>

#define T512 __attribute__((target("avx512f,fma,avx2")))
#define INL static inline __attribute__((always_inline))
#define MR 8
#define NR 32

T512 INL void body(const int mr, int nr, int kc, const float *restrict Ap, const float *restrict Bp, long ldbp,
                   float *restrict C, long ldc, float alpha, float beta) {
  __m512 c0[MR], c1[MR];
  _Pragma("GCC unroll 8")
  for (int i = 0; i < mr; i++) {
    c0[i] = _mm512_setzero_ps();
    c1[i] = _mm512_setzero_ps();
    _mm_prefetch((const char *)(C + i * ldc), _MM_HINT_T0);
  }
  /* (2) k loop */
#pragma GCC unroll 4
  for (int k = 0; k < kc; k++) {
    const __m512 b0 = _mm512_loadu_ps(Bp), b1 = _mm512_loadu_ps(Bp + 16);
    _Pragma("GCC unroll 8")
    for (int i = 0; i < mr; i++) {
      const __m512 a = _mm512_set1_ps(Ap[i]);
      c0[i] = _mm512_fmadd_ps(a, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(a, b1, c1[i]);
    }
    Ap += MR;
    Bp += ldbp;
  }
  /* (3) store */
  const __mmask16 m0 = nr >= 16 ? 0xFFFF : (__mmask16)((1u << nr) - 1);
  const __mmask16 m1 = nr >= 32 ? 0xFFFF : nr <= 16 ? 0 : (__mmask16)((1u << (nr - 16)) - 1);
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  _Pragma("GCC unroll 8")
  for (int i = 0; i < mr; i++) {
    float *c = C + i * ldc;
    __m512 r0 = _mm512_mul_ps(va, c0[i]), r1 = _mm512_mul_ps(va, c1[i]);
    if (beta != 0.0f) {
      r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, c), r0);
      r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, c + 16), r1);
    }
    _mm512_mask_storeu_ps(c, m0, r0);
    _mm512_mask_storeu_ps(c + 16, m1, r1);
  }
}

#define SPEC(n) \
  T512 static void k##n(int nr, int kc, const float *Ap, const float *Bp, long ldbp, float *C, long ldc, float al, \
                        float be) { body(n, nr, kc, Ap, Bp, ldbp, C, ldc, al, be); }
SPEC(1) SPEC(2) SPEC(3) SPEC(4) SPEC(5) SPEC(6) SPEC(7) SPEC(8)

T512 static void kern(int mr, int nr, int kc, const float *Ap, const float *Bp, long ldbp, float *C, long ldc,
                      float alpha, float beta) {
  switch (mr) {
    case 8: k8(nr, kc, Ap, Bp, ldbp, C, ldc, alpha, beta); break;
    case 7: k7(nr, kc, Ap, Bp, ldbp, C, ldc, alpha, beta); break;
    case 6: k6(nr, kc, Ap, Bp, ldbp, C, ldc, alpha, beta); break;
    case 5: k5(nr, kc, Ap, Bp, ldbp, C, ldc, alpha, beta); break;
    case 4: k4(nr, kc, Ap, Bp, ldbp, C, ldc, alpha, beta); break;
    case 3: k3(nr, kc, Ap, Bp, ldbp, C, ldc, alpha, beta); break;
    case 2: k2(nr, kc, Ap, Bp, ldbp, C, ldc, alpha, beta); break;
    default: k1(nr, kc, Ap, Bp, ldbp, C, ldc, alpha, beta); break;
  }
}

/* ---- vmath ---------------------------------------------------------------------------- */

/* e^x for one vector; NaN propagates (min/max keep x when x is NaN: operand order matters). */
T512 INL __m512 exp16(__m512 x) {
  x = _mm512_max_ps(_mm512_set1_ps(-104.0f), _mm512_min_ps(_mm512_set1_ps(89.0f), x));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500E-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507E-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073E-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894E-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459E-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201E-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, n);
}

T512 INL __m512 tanh16(__m512 x) {
  const __m512 ax = _mm512_abs_ps(x);
  /* small: x + x^3·P(x^2) */
  const __m512 z = _mm512_mul_ps(x, x);
  __m512 p = _mm512_set1_ps(-5.70498872745E-3f);
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(2.06390887954E-2f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-5.37397155531E-2f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(1.33314422036E-1f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-3.33332819422E-1f));
  const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(p, z), x, x);
  /* large: sign(x)·(1 - 2/(e^{2|x|} + 1)) */
  const __m512 e = exp16(_mm512_add_ps(ax, ax));
  __m512 big = _mm512_sub_ps(_mm512_set1_ps(1.0f), _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, _mm512_set1_ps(1.0f))));
  big = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(big),
                                            _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u))));
  const __mmask16 is_small = _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.625f), _CMP_LT_OQ);
  const __mmask16 is_nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
  return _mm512_mask_blend_ps(is_nan, _mm512_mask_blend_ps(is_small, big, small), x);
}

T512 INL __m512 sigmoid16(__m512 x) {
  const __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_abs_ps(x)));
  const __m512 r = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(e, _mm512_set1_ps(1.0f)));
  const __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  return _mm512_mask_mul_ps(r, neg, r, e);
}

#define VLOOP(NAME, F)                                                  \
  T512 static void NAME(const float *x, float *y, long n) {             \
    long i = 0;                                                         \
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, F(_mm512_loadu_ps(x + i))); \
    if (i < n) {                                                        \
      const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);             \
      _mm512_mask_storeu_ps(y + i, m, F(_mm512_maskz_loadu_ps(m, x + i))); \
    }                                                                   \
  }
VLOOP(vexp, exp16)
VLOOP(vtanh, tanh16)
VLOOP(vsigmoid, sigmoid16)

/* Rows of B four at a time (4 chains, A loaded once per k-chunk); the tail rows the same way. */
T512 static void dots(const float *a, const float *B, long ldb, int n, long K, float *out) {
  const long K16 = K & ~15L;
  const __mmask16 mt = (__mmask16)((1u << (K - K16)) - 1);
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    const float *b0 = B + j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
    for (long k = 0; k < K16; k += 16) {
      const __m512 va = _mm512_loadu_ps(a + k);
      s0 = _mm512_fmadd_ps(va, _mm512_loadu_ps(b0 + k), s0);
      s1 = _mm512_fmadd_ps(va, _mm512_loadu_ps(b1 + k), s1);
      s2 = _mm512_fmadd_ps(va, _mm512_loadu_ps(b2 + k), s2);
      s3 = _mm512_fmadd_ps(va, _mm512_loadu_ps(b3 + k), s3);
    }
    if (mt) {
      const __m512 va = _mm512_maskz_loadu_ps(mt, a + K16);
      s0 = _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(mt, b0 + K16), s0);
      s1 = _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(mt, b1 + K16), s1);
      s2 = _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(mt, b2 + K16), s2);
      s3 = _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(mt, b3 + K16), s3);
    }
    out[j] = _mm512_reduce_add_ps(s0);
    out[j + 1] = _mm512_reduce_add_ps(s1);
    out[j + 2] = _mm512_reduce_add_ps(s2);
    out[j + 3] = _mm512_reduce_add_ps(s3);
  }
  for (; j < n; j++) {
    const float *b0 = B + j * ldb;
    __m512 s0 = _mm512_setzero_ps();
    for (long k = 0; k < K16; k += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + k), _mm512_loadu_ps(b0 + k), s0);
    if (mt) s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mt, a + K16), _mm512_maskz_loadu_ps(mt, b0 + K16), s0);
    out[j] = _mm512_reduce_add_ps(s0);
  }
}

/* 12 independent FMA chains (enough to cover FMA latency x throughput); FLOPs done. */
T512 static double fma_peak(long iters) {
  __m512 a[12];
  const __m512 b = _mm512_set1_ps(0.999f), c = _mm512_set1_ps(1e-3f);
  for (int i = 0; i < 12; i++) a[i] = _mm512_set1_ps((float)i);
  for (long k = 0; k < iters; k++) {
    _Pragma("GCC unroll 12") for (int i = 0; i < 12; i++) a[i] = _mm512_fmadd_ps(a[i], b, c);
  }
  __m512 s = a[0];
  for (int i = 1; i < 12; i++) s = _mm512_add_ps(s, a[i]);
  volatile float sink = _mm512_reduce_add_ps(s);
  (void)sink;
  return (double)iters * 12 * 16 * 2;
}

const rc_path rc_path_avx512 = {"avx512", MR, NR, kern, vexp, vtanh, vsigmoid, rc_packbt_avx2, dots, fma_peak};

#endif /* RC_X86 */
