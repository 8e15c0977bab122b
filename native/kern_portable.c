/*
 * kern_portable.c — portable path (any CPU, the only path on aarch64): 4 x 16 GEMM
 * micro-kernel in plain C (the compiler vectorises the j loops: SSE2 on x86-64, NEON on
 * aarch64) and exp / tanh / sigmoid through double-precision libm (exact to float rounding).
 *
 * Legend: MR = 4 rows, NR = 16 columns; acc[i][j] accumulates a(i, k)·b(k, j) over k in order.
 * Phases: zero acc; k loop; store alpha·acc (+ beta·C) for the mr x nr corner.
 */
#include <math.h>

#include "cpu.h"

#define INL static inline __attribute__((always_inline))
#define MR 4
#define NR 16

INL void body(const int mr, int nr, int kc, const float *restrict Ap, const float *restrict Bp, long ldbp,
              float *restrict C, long ldc, float alpha, float beta) {
  float acc[MR][NR];
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < NR; j++) acc[i][j] = 0.0f;
  for (int k = 0; k < kc; k++) {
    for (int i = 0; i < mr; i++) {
      const float a = Ap[i];
      for (int j = 0; j < NR; j++) acc[i][j] += a * Bp[j];
    }
    Ap += MR;
    Bp += ldbp;
  }
  for (int i = 0; i < mr; i++) {
    float *c = C + i * ldc;
    if (beta == 0.0f)
      for (int j = 0; j < nr; j++) c[j] = alpha * acc[i][j];
    else
      for (int j = 0; j < nr; j++) c[j] = beta * c[j] + alpha * acc[i][j];
  }
}

static void k1(int nr, int kc, const float *A, const float *B, long l, float *C, long c, float al, float be) { body(1, nr, kc, A, B, l, C, c, al, be); }
static void k2(int nr, int kc, const float *A, const float *B, long l, float *C, long c, float al, float be) { body(2, nr, kc, A, B, l, C, c, al, be); }
static void k3(int nr, int kc, const float *A, const float *B, long l, float *C, long c, float al, float be) { body(3, nr, kc, A, B, l, C, c, al, be); }
static void k4(int nr, int kc, const float *A, const float *B, long l, float *C, long c, float al, float be) { body(4, nr, kc, A, B, l, C, c, al, be); }

static void kern(int mr, int nr, int kc, const float *Ap, const float *Bp, long ldbp, float *C, long ldc,
                 float alpha, float beta) {
  switch (mr) {
    case 4: k4(nr, kc, Ap, Bp, ldbp, C, ldc, alpha, beta); break;
    case 3: k3(nr, kc, Ap, Bp, ldbp, C, ldc, alpha, beta); break;
    case 2: k2(nr, kc, Ap, Bp, ldbp, C, ldc, alpha, beta); break;
    default: k1(nr, kc, Ap, Bp, ldbp, C, ldc, alpha, beta); break;
  }
}

void rc_packbt_scalar(const float *B, long ldb, int kc, int nr, int ldd, float *d) {
  for (int k = 0; k < kc; k++) {
    float *dk = d + (long)k * ldd;
    for (int j = 0; j < nr; j++) dk[j] = B[(long)j * ldb + k];
    for (int j = nr; j < ldd; j++) dk[j] = 0.0f;
  }
}

static void vexp(const float *x, float *y, long n) {
  for (long i = 0; i < n; i++) y[i] = (float)exp((double)x[i]);
}
static void vtanh(const float *x, float *y, long n) {
  for (long i = 0; i < n; i++) y[i] = (float)tanh((double)x[i]);
}
static void vsigmoid(const float *x, float *y, long n) {
  for (long i = 0; i < n; i++) {
    const double v = x[i];
    y[i] = (float)(v >= 0 ? 1.0 / (1.0 + exp(-v)) : exp(v) / (1.0 + exp(v)));
  }
}

static void dots(const float *a1, const float *B1, long ldb1, long K1, const float *a2, const float *B2, long ldb2,
                 long K2, int n, float *out) {
  for (int j = 0; j < n; j++) {
    float s[4] = {0, 0, 0, 0};
    for (int src = 0; src < 2; src++) {
      const float *a = src ? a2 : a1, *b = src ? B2 + j * ldb2 : B1 + j * ldb1;
      const long K = src ? K2 : K1;
      long k = 0;
      for (; k + 4 <= K; k += 4)
        for (int q = 0; q < 4; q++) s[q] += a[k + q] * b[k + q];
      for (; k < K; k++) s[0] += a[k] * b[k];
    }
    out[j] = (s[0] + s[1]) + (s[2] + s[3]);
  }
}

static double fma_peak(long iters) {
  float a[12][4];
  for (int i = 0; i < 12; i++)
    for (int j = 0; j < 4; j++) a[i][j] = (float)i;
  for (long k = 0; k < iters; k++)
    for (int i = 0; i < 12; i++)
      for (int j = 0; j < 4; j++) a[i][j] = a[i][j] * 0.999f + 1e-3f;
  volatile float sink = a[3][1];
  (void)sink;
  return (double)iters * 12 * 4 * 2;
}

const rc_path rc_path_portable = {"portable", MR, NR, kern, vexp, vtanh, vsigmoid, rc_packbt_scalar, dots, fma_peak};
