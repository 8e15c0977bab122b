/*
 * vmath.h — vectorised float32 math over arrays, dispatched to the active CPU path
 * (AVX-512 / AVX2+FMA / portable). For gate nonlinearities in the recurrent kernels.
 *
 * Accuracy (AVX paths; the portable path rounds double libm results): <= 2 ulp for normal
 * results (measured max relative error: tanh 1.4e-7, exp 1.2e-7, sigmoid 2 ulp), denormal
 * results rounded once; tanh/sigmoid saturate to ±1 / 0 / 1, ±inf give the limits, NaN stays NaN. Out-of-place or in-place
 * (y == x) both fine. n may be any size (tails handled with masks).
 *
 *   rc_vsigmoid  y = 1 / (1 + e^-x)
 *   rc_vtanh     y = tanh x
 *   rc_vexp      y = e^x (underflows through denormals to 0, overflows to +inf)
 */
#ifndef RC_VMATH_H
#define RC_VMATH_H

#ifdef __cplusplus
extern "C" {
#endif

void rc_vsigmoid(const float *x, float *y, long n);
void rc_vtanh(const float *x, float *y, long n);
void rc_vexp(const float *x, float *y, long n);

#ifdef __cplusplus
}
#endif

#endif /* RC_VMATH_H */
