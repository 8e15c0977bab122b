/*
 * kern_avx512.h — AVX-512F vector math shared by kern_avx512.c (vmath.h entry points) and the fused
 * recurrent cells (recurrent_cells.c). Include only under RC_X86; every function is compiled for
 * AVX-512F through the T512 target attribute and inlined into its (T512) caller.
 *
 * exp16: Cody-Waite range reduction x = n·ln2 + r, degree-6 polynomial (Cephes expf), scalef for 2^n
 *   (handles overflow and denormals exactly). tanh16: odd polynomial for |x| < 0.625 (Cephes tanhf),
 *   else 1 - 2/(e^{2|x|} + 1). sigmoid16: e = e^{-|x|}, 1/(1+e) or e/(1+e). NaN propagates.
 */
#ifndef RC_KERN_AVX512_H
#define RC_KERN_AVX512_H

#include <immintrin.h>

#define T512 __attribute__((target("avx512f,fma,avx2")))
#define INL static inline __attribute__((always_inline))

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

/* tanh for |x| < 0.625: x + x^3·P(x^2) (Cephes tanhf) */
T512 INL __m512 tanh_small16(__m512 x) {
  const __m512 z = _mm512_mul_ps(x, x);
  __m512 p = _mm512_set1_ps(-5.70498872745E-3f);
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(2.06390887954E-2f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-5.37397155531E-2f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(1.33314422036E-1f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-3.33332819422E-1f));
  return _mm512_fmadd_ps(_mm512_mul_ps(p, z), x, x);
}

T512 INL __m512 tanh16(__m512 x) {
  const __m512 ax = _mm512_abs_ps(x);
  const __m512 small = tanh_small16(x);
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

#endif /* RC_KERN_AVX512_H */
