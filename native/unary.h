/*
 * unary.h — elementwise unary kernels of the Backend contract, float32.
 *
 *   forward   y[i] = f(x[i])
 *   backward  dx[i] += dy[i] · f'(x[i])     (y = f(x) is passed so f' can reuse it)
 *
 * kind (same order as RC_UNARY_NAMES / the JS side): 0 tanh, 1 sigmoid, 2 relu, 3 exp, 4 log,
 * 5 softplus, 6 neg, 7 abs, 8 sqrt.
 * Semantics are those of src/kernels/ref/unary.ts (which computes in double): tanh, sigmoid and
 * exp use the active path's vector math (within a few ulp), log and softplus go through double
 * libm, relu/neg/abs/sqrt are exact; every backward is computed in double and rounded once,
 * exactly like the reference.
 */
#ifndef RC_UNARY_H
#define RC_UNARY_H

#define RC_UNARY_KINDS 9
#define RC_UNARY_NAMES {"tanh", "sigmoid", "relu", "exp", "log", "softplus", "neg", "abs", "sqrt"}

void rc_unary(int kind, const float *x, float *y, long n);
void rc_unary_backward(int kind, const float *x, const float *y, const float *dy, float *dx, long n);

#endif /* RC_UNARY_H */
