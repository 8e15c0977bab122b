/*
 * ops_elementwise.c — the elementwise loops of a training step that JavaScript runs slowly (scalar,
 * ~2 ns per element): a linear layer's bias gradient and mseLoss's forward sum and backward. See
 * ops.h; the spec is src/kernels/ref/ops.ts, matched bit for bit.
 *
 * Legend: rows, cols of g (rows, cols) row-major; n elements of x, t, out.
 *
 *   colSumAdd      out[j] += Σ_r g[r, j], row by row in float32 (each partial sum rounded, as a JS
 *                  Float32Array accumulation does): vectorised across j, sequential over r; columns
 *                  split over the pool above PAR elements.
 *   sumSquaredDiff Σ (x_i − t_i)² in double: four partial sums s_k over i ≡ k (mod 4) for
 *                  i < n − n mod 4 (one 4-lane double vector), the tail into s_0, then
 *                  (s_0 + s_1) + (s_2 + s_3). z = x − t, z·z and each sum rounded to double.
 *   scaledDiff     out_i = float(a · float(c · (x_i − t_i))), with x − t and c·(…) in double
 *                  (mseLoss backward: c = 2, a = the float32 upstream gradient / n).
 */
#pragma GCC optimize("fp-contract=off") /* never fuse a·b + c: the reference rounds each op */

#include <string.h>

#include "cpu.h"
#include "ops.h"
#include "pool.h"

#define PAR 65536L /* below this many elements one thread (a pool hand-off costs a few µs) */

/* Row stride ld (a slice of the columns of g). */
static void col_sum_scalar(const float *g, long rows, long cols, long ld, float *out) {
  for (long r = 0; r < rows; r++)
    for (long j = 0; j < cols; j++) out[j] = out[j] + g[r * ld + j];
}

static double sum_sq_diff_scalar(const float *x, const float *t, long n) {
  double s[4] = {0, 0, 0, 0};
  const long n4 = n - n % 4;
  for (long i = 0; i < n4; i += 4)
    for (int k = 0; k < 4; k++) {
      const double z = (double)x[i + k] - (double)t[i + k];
      s[k] = s[k] + z * z;
    }
  for (long i = n4; i < n; i++) {
    const double z = (double)x[i] - (double)t[i];
    s[0] = s[0] + z * z;
  }
  return (s[0] + s[1]) + (s[2] + s[3]);
}

static void scaled_diff_scalar(const float *x, const float *t, double c, double a, float *out, long n) {
  for (long i = 0; i < n; i++) {
    const float d = (float)(c * ((double)x[i] - (double)t[i]));
    out[i] = (float)(a * (double)d);
  }
}

#ifdef RC_X86
#include <immintrin.h>
#define T512 __attribute__((target("avx512f,avx2")))

T512 static void col_sum_avx512(const float *g, long rows, long cols, long ld, float *out) {
  for (long j = 0; j < cols; j += 16) { /* one strip of 16 columns, all rows, in a register */
    const __mmask16 k = cols - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (cols - j)) - 1);
    __m512 acc = _mm512_maskz_loadu_ps(k, out + j);
    for (long r = 0; r < rows; r++) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(k, g + r * ld + j));
    _mm512_mask_storeu_ps(out + j, k, acc);
  }
}

T512 static double sum_sq_diff_avx512(const float *x, const float *t, long n) {
  __m256d s = _mm256_setzero_pd(); /* lane k = s_k */
  const long n4 = n - n % 4;
  for (long i = 0; i < n4; i += 4) {
    const __m256d z = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i)), _mm256_cvtps_pd(_mm_loadu_ps(t + i)));
    s = _mm256_add_pd(s, _mm256_mul_pd(z, z));
  }
  double l[4];
  _mm256_storeu_pd(l, s);
  for (long i = n4; i < n; i++) {
    const double z = (double)x[i] - (double)t[i];
    l[0] = l[0] + z * z;
  }
  return (l[0] + l[1]) + (l[2] + l[3]);
}

T512 static void scaled_diff_avx512(const float *x, const float *t, double c, double a, float *out, long n) {
  const __m512d vc = _mm512_set1_pd(c), va = _mm512_set1_pd(a);
  long i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512d z = _mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + i)), _mm512_cvtps_pd(_mm256_loadu_ps(t + i)));
    const __m256 d = _mm512_cvtpd_ps(_mm512_mul_pd(vc, z));
    _mm256_storeu_ps(out + i, _mm512_cvtpd_ps(_mm512_mul_pd(va, _mm512_cvtps_pd(d))));
  }
  scaled_diff_scalar(x + i, t + i, c, a, out + i, n - i);
}
#endif

static int wide(void) {
#ifdef RC_X86
  return strcmp(rc_active_path()->name, "avx512") == 0;
#else
  return 0;
#endif
}

static void col_sum(const float *g, long rows, long cols, long ld, float *out) {
#ifdef RC_X86
  if (wide()) { col_sum_avx512(g, rows, cols, ld, out); return; }
#endif
  col_sum_scalar(g, rows, cols, ld, out);
}

typedef struct { const float *g; long rows, cols, chunk; float *out; } cctx;

static void col_task(void *vc, int t) {
  const cctx *c = vc;
  const long j0 = (long)t * c->chunk, j1 = j0 + c->chunk < c->cols ? j0 + c->chunk : c->cols;
  if (j0 < j1) col_sum(c->g + j0, c->rows, j1 - j0, c->cols, c->out + j0);
}

/* Above PAR elements the columns are cut into one slice per pool thread (columns are independent: the same
 * bits on any thread count). W6: the sum of a bidirectional layer's two input gradients (1.6 M columns). */
void rc_col_sum_add_f32(const float *g, long rows, long cols, float *out) {
  const int nth = rc_pool_threads();
  if (rows * cols < PAR || cols < 2 * 16 || nth <= 1) {
    col_sum(g, rows, cols, cols, out);
    return;
  }
  cctx c = {g, rows, cols, ((cols + nth - 1) / nth + 15) / 16 * 16, out};
  rc_pool_run((int)((cols + c.chunk - 1) / c.chunk), col_task, &c);
}

double rc_sum_sq_diff_f32(const float *x, const float *t, long n) {
#ifdef RC_X86
  if (wide()) return sum_sq_diff_avx512(x, t, n);
#endif
  return sum_sq_diff_scalar(x, t, n);
}

void rc_scaled_diff_f32(const float *x, const float *t, double c, double a, float *out, long n) {
#ifdef RC_X86
  if (wide()) { scaled_diff_avx512(x, t, c, a, out, n); return; }
#endif
  scaled_diff_scalar(x, t, c, a, out, n);
}
