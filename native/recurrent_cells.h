/*
 * recurrent_cells.h — the elementwise cell math of the fused recurrent kernels: scalar fast float32
 * sigmoid / tanh (used by the plain C cells, vectorised by the compiler) and the table of cell
 * functions of the active CPU path (recurrent_cells.c; formulas there). Included by the driver
 * (recurrent_common.h) and by recurrent_cells.c; includes nothing of the driver.
 */
#ifndef RC_RECURRENT_CELLS_H
#define RC_RECURRENT_CELLS_H

#include <math.h>
#include <stdint.h>

/* ---- fast float32 math -----------------------------------------------------------------------
 * Branch-free so that loops calling them vectorise (AVX-512: 16 lanes). Accuracy, measured against
 * double-precision references over [-100, 100] (incl. subnormal results): rc_sigmoid ≤ 2.7 ulp,
 * rc_tanh ≤ 1.5 ulp, i.e. relative error < 2e-7; NaN propagates.
 *   rc_expneg(x) = e^x for x ≤ 0 (clamped at -104, where e^x is already 0 in float32): Cephes expf
 *   (round-to-nearest n = x·log2 e by the 1.5·2^23 trick, two-constant ln 2 reduction, degree-6
 *   polynomial) with 2^n applied in two halves so subnormal results are right.
 *   rc_tanh: Cephes tanhf polynomial for |x| < 0.625, else (1 − e^{−2|x|}) / (1 + e^{−2|x|}) with sign.
 *   rc_sigmoid: 1 / (1 + e^{−|x|}), mirrored for x < 0 (e / (1 + e)), as the reference does. */
static inline float rc_expneg(float x) {
  x = x < -104.0f ? -104.0f : x;
  const float magic = 12582912.0f; /* 1.5·2^23: adding it rounds to an integer in the low bits */
  float t = x * 1.44269504088896341f + magic;
  union { float f; int32_t i; } u = { t }, mg = { magic };
  int32_t n = u.i - mg.i;
  float nf = t - magic;
  float r = x - nf * 0.693359375f;
  r = r - nf * -2.12194440e-4f;
  float p = 1.9875691500E-4f;
  p = p * r + 1.3981999507E-3f;
  p = p * r + 8.3334519073E-3f;
  p = p * r + 4.1665795894E-2f;
  p = p * r + 1.6666665459E-1f;
  p = p * r + 5.0000001201E-1f;
  float y = p * (r * r) + r + 1.0f;
  int32_t n1 = n >> 1, n2 = n - n1; /* n ∈ [-150, 0]: both halves give normal 2^k */
  union { int32_t i; float f; } s1 = { (n1 + 127) << 23 }, s2 = { (n2 + 127) << 23 };
  return (y * s1.f) * s2.f;
}
static inline float rc_sigmoid(float x) {
  float e = rc_expneg(-fabsf(x));
  float d = 1.0f / (1.0f + e);
  return x >= 0.0f ? d : e * d;
}
static inline float rc_tanh(float x) {
  float a = fabsf(x), z = x * x;
  float p = -5.70498872745E-3f;
  p = p * z + 2.06390887954E-2f;
  p = p * z - 5.37397155531E-2f;
  p = p * z + 1.33314422036E-1f;
  p = p * z - 3.33332819422E-1f;
  float small = x + x * z * p;
  float e = rc_expneg(-2.0f * a);
  /* copysignf by bits: the same value, but wasm SIMD128 has no copysign, and clang then takes a vector
   * loop's lanes apart to call it one by one (four extracts, four inserts per call). */
  union { float f; uint32_t u; } v = {(1.0f - e) / (1.0f + e)}, sx = {x};
  v.u = (v.u & 0x7fffffffu) | (sx.u & 0x80000000u);
  float big = v.f;
  return a < 0.625f ? small : big;
}

/* Elementwise row kernels are compiled for AVX-512, AVX2+FMA and baseline x86-64 and picked at load
 * time (GCC/Clang target_clones), so they vectorise whatever -march the build uses. */
#if defined(__x86_64__) && defined(__linux__) && (defined(__GNUC__) || defined(__clang__)) && !defined(RC_NO_CLONES)
#define RC_VEC __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"), noinline))
#else
#define RC_VEC
#endif
#if defined(__GNUC__) && !defined(__clang__)
#define RC_OPT __attribute__((optimize("O3")))
#else
#define RC_OPT
#endif
#define RC_RESTRICT __restrict

/* Row strides of a forward cell's operands: r tile, saved gates, c and cp (LSTM) or hp and q (GRU), h, y. */
typedef struct {
  long r, g, c, h, y;
} rc_rows_ld;

/* Forward cells: `rows` rows per call, ld apart; backward cells: one row per call. Pointers pre-offset
 * to the first unit (recurrent_cells.c). */
typedef struct {
  void (*lstm_fwd)(int rows, const rc_rows_ld *ld, int n, const float *r, long rs, const float *b, long bs, const float *cp,
                   float *g, long gs, float *c, float *h, float *y);
  void (*lstm_bwd)(int n, long H, const float *gt, const float *c, const float *cp, const float *dh, const float *dy,
                   float *dc, float *da, float *sum);
  void (*gru_fwd)(int rows, const rc_rows_ld *ld, int n, const float *r, long rs, const float *b, long bs, const float *hp,
                  float *g, long gs, float *q, float *h, float *y);
  void (*gru_bwd)(int n, long H, const float *gt, const float *q, const float *hp, float *dh, const float *dy, float *da,
                  float *sum);
  void (*rnn_fwd)(int rows, const rc_rows_ld *ld, int n, int relu, const float *r, const float *b, float *h, float *y);
  void (*rnn_bwd)(int n, int relu, const float *h, const float *dh, const float *dy, float *da, float *sum);
} rc_cells;
/* The cell functions of the active CPU path. */
const rc_cells *rc_cells_get(void);

#endif /* RC_RECURRENT_CELLS_H */
