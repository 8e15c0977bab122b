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
 * vmath (exp16 / tanh16 / sigmoid16 in kern_avx512.h): exp by Cody-Waite range reduction
 * x = n·ln2 + r, degree-6 polynomial (Cephes expf), scalef for 2^n (handles overflow and denormals
 * exactly). tanh: odd polynomial for |x| < 0.625 (Cephes tanhf), else 1 - 2/(e^{2|x|} + 1). sigmoid:
 * e = e^{-|x|}, 1/(1+e) or e/(1+e).
 *
 * dots (small-M GEMM with op(B) = Bᵀ, batch-1 recurrent steps): 16 columns per pass, each a vector
 * chain over k; the 16 chains reduced at once by a transposing tree. Measured on the batch-1 LSTM step
 * (512 columns, K = 32 + 128): 2.9 µs, the L2 bandwidth of reading the 327 KB of weights (~30 B/cycle).
 */
#include <stdint.h>

#include "cpu.h"

#ifdef RC_X86
#include "kern_avx512.h"
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

/* ---- vmath: exp16 / tanh16 / sigmoid16 live in kern_avx512.h (shared with recurrent_cells.c) ---- */

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

/* ---- dot products (small-M GEMM with op(B) = Bᵀ, batch-1 steps) -------------------------------
 * out[j] = Σ_k a1[k]·B1[j·ldb1 + k] + Σ_k a2[k]·B2[j·ldb2 + k]: one vector chain per column over
 * the two sources in order, 16 columns per pass, and the 16 chains reduced together by a
 * transposing tree (~45 shuffles/adds for 16 columns instead of 16 horizontal reductions). The
 * tree is the same for every column, and a partial last block runs the same code with masked-off
 * columns, so out[j] does not depend on n or on j's place in its block. */
T512 INL void dot_acc(__m512 *s, const float *a, const float *B, long ldb, long K, int nb) {
  /* Whole 64-float chunks first: the chunk of a stays in 4 registers while the nb rows are read one
   * after the other (a near-sequential walk through B, which the prefetchers follow); then 16-float
   * chunks and a masked tail. */
  long k = 0;
  for (; k + 64 <= K; k += 64) {
    const __m512 a0 = _mm512_loadu_ps(a + k), a1 = _mm512_loadu_ps(a + k + 16);
    const __m512 a2 = _mm512_loadu_ps(a + k + 32), a3 = _mm512_loadu_ps(a + k + 48);
    _Pragma("GCC unroll 16")
    for (int c = 0; c < 16; c++) {
      if (c >= nb) break;
      const float *b = B + c * ldb + k;
      __m512 v = _mm512_fmadd_ps(a0, _mm512_loadu_ps(b), s[c]);
      v = _mm512_fmadd_ps(a1, _mm512_loadu_ps(b + 16), v);
      v = _mm512_fmadd_ps(a2, _mm512_loadu_ps(b + 32), v);
      s[c] = _mm512_fmadd_ps(a3, _mm512_loadu_ps(b + 48), v);
    }
  }
  for (; k < K; k += 16) {
    const __mmask16 m = K - k >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (K - k)) - 1);
    const __m512 va = _mm512_maskz_loadu_ps(m, a + k);
    _Pragma("GCC unroll 16")
    for (int c = 0; c < 16; c++) {
      if (c >= nb) break;
      s[c] = _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(m, B + c * ldb + k), s[c]);
    }
  }
}

/* r[c] = Σ lanes of s[c], c < 16, as one vector (the transposing reduction tree). */
T512 INL __m512 reduce16(const __m512 *s) {
  __m512 x[8], y[4];
  for (int p = 0; p < 8; p++)
    x[p] = _mm512_add_ps(_mm512_unpacklo_ps(s[2 * p], s[2 * p + 1]), _mm512_unpackhi_ps(s[2 * p], s[2 * p + 1]));
  for (int p = 0; p < 4; p++)
    y[p] = _mm512_add_ps(_mm512_shuffle_ps(x[2 * p], x[2 * p + 1], 0x44), _mm512_shuffle_ps(x[2 * p], x[2 * p + 1], 0xEE));
  const __m512 w0 = _mm512_add_ps(_mm512_shuffle_f32x4(y[0], y[1], 0x88), _mm512_shuffle_f32x4(y[0], y[1], 0xDD));
  const __m512 w1 = _mm512_add_ps(_mm512_shuffle_f32x4(y[2], y[3], 0x88), _mm512_shuffle_f32x4(y[2], y[3], 0xDD));
  return _mm512_add_ps(_mm512_shuffle_f32x4(w0, w1, 0x88), _mm512_shuffle_f32x4(w0, w1, 0xDD));
}

/* A source of dots whose rows all start at the same offset d (floats) past a 64-byte boundary (row stride a
 * multiple of 16 floats): read in aligned chunks from base = B - d, so that no load splits a cache line (a
 * split load costs a second L1 access: the batch-1 LSTM step of W4 took 5.3 µs instead of 2.7 from L2
 * with the weights 16 bytes off, as Float32Arrays of that size are). Lane l of chunk q holds
 * k = 16q + l - d: as is a shifted into that frame (zeros outside [0, K)), m the chunk masks (lanes
 * outside the row read nothing), so each lane adds the same products in the same order as the
 * unaligned loop and only sits d lanes off: rot() puts it back before the reduction. */
#define RC_FRAME_MAXQ 129 /* K + 15 <= 16·129: longer rows take the unaligned loop */
typedef struct {
  const float *base;
  long ldb;
  int nq, d;
  __mmask16 m[RC_FRAME_MAXQ];
  const float *as;
} frame_t;

static int framed(long ldb, long K) { return (ldb & 15) == 0 && K + 15 <= 16L * RC_FRAME_MAXQ; }

T512 INL void frame(frame_t *f, const float *a, const float *B, long ldb, long K, float *buf) {
  const int d = (int)(((uintptr_t)B >> 2) & 15);
  const uintptr_t src = (uintptr_t)a - 4 * (uintptr_t)d; /* a shifted by d: lane l of chunk q is a[16q + l - d] */
  f->d = d;
  f->base = B - d;
  f->ldb = ldb;
  f->nq = (int)((d + K + 15) / 16);
  f->as = buf;
  for (int q = 0; q < f->nq; q++) {
    const long lo = d - 16L * q, hi = d + K - 16L * q; /* valid lanes [lo, hi) */
    unsigned m = 0xFFFFu;
    if (lo > 0) m &= ~((1u << lo) - 1);
    if (hi < 16) m &= (1u << hi) - 1;
    f->m[q] = (__mmask16)m;
    _mm512_store_ps(buf + 16 * q, _mm512_maskz_loadu_ps((__mmask16)m, (const float *)(src + 64 * (uintptr_t)q)));
  }
}

/* out[l] = s[(l + r) mod 16] */
T512 INL __m512 rot(__m512 s, int r) {
  const __m512i idx = _mm512_and_si512(_mm512_add_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                                        _mm512_set1_epi32(r)), _mm512_set1_epi32(15));
  return _mm512_permutexvar_ps(idx, s);
}

/* dot_acc in the frame of f: 4 chunks of a in registers while the nb rows are read in turn. */
T512 INL void frame_acc(__m512 *s, const frame_t *f, long j, int nb) {
  int q = 0;
  for (; q + 4 <= f->nq; q += 4) {
    const float *a = f->as + 16 * q;
    const __m512 a0 = _mm512_load_ps(a), a1 = _mm512_load_ps(a + 16), a2 = _mm512_load_ps(a + 32), a3 = _mm512_load_ps(a + 48);
    const __mmask16 m0 = f->m[q], m1 = f->m[q + 1], m2 = f->m[q + 2], m3 = f->m[q + 3];
    _Pragma("GCC unroll 16")
    for (int c = 0; c < 16; c++) {
      if (c >= nb) break;
      const float *b = f->base + (j + c) * f->ldb + 16 * q;
      __m512 v = _mm512_fmadd_ps(a0, _mm512_maskz_loadu_ps(m0, b), s[c]);
      v = _mm512_fmadd_ps(a1, _mm512_maskz_loadu_ps(m1, b + 16), v);
      v = _mm512_fmadd_ps(a2, _mm512_maskz_loadu_ps(m2, b + 32), v);
      s[c] = _mm512_fmadd_ps(a3, _mm512_maskz_loadu_ps(m3, b + 48), v);
    }
  }
  for (; q < f->nq; q++) {
    const __m512 a0 = _mm512_load_ps(f->as + 16 * q);
    const __mmask16 m0 = f->m[q];
    _Pragma("GCC unroll 16")
    for (int c = 0; c < 16; c++) {
      if (c >= nb) break;
      s[c] = _mm512_fmadd_ps(a0, _mm512_maskz_loadu_ps(m0, f->base + (j + c) * f->ldb + 16 * q), s[c]);
    }
  }
}

/* Both sources framed (K2 = 0: frame 2 empty, d = 0); the bits of dots_unaligned. */
T512 static void dots_framed(const float *a1, const float *B1, long ldb1, long K1, const float *a2, const float *B2, long ldb2,
                             long K2, int n, float *out) {
  float b1[16 * RC_FRAME_MAXQ] __attribute__((aligned(64))), b2[16 * RC_FRAME_MAXQ] __attribute__((aligned(64)));
  frame_t f1, f2;
  frame(&f1, a1, B1, ldb1, K1, b1);
  if (K2 > 0) frame(&f2, a2, B2, ldb2, K2, b2);
  else f2 = (frame_t){.base = NULL, .nq = 0, .d = 0};
  const int r12 = (f1.d - f2.d) & 15, r2 = f2.d;
  for (int j = 0; j < n; j += 16) {
    const int nb = n - j < 16 ? n - j : 16;
    __m512 s[16];
    for (int c = 0; c < 16; c++) s[c] = _mm512_setzero_ps();
    frame_acc(s, &f1, j, nb);
    if (r12) for (int c = 0; c < 16; c++) s[c] = rot(s[c], r12);
    if (K2 > 0) frame_acc(s, &f2, j, nb);
    if (r2) for (int c = 0; c < 16; c++) s[c] = rot(s[c], r2);
    const __m512 r = reduce16(s);
    if (nb == 16) _mm512_storeu_ps(out + j, r);
    else _mm512_mask_storeu_ps(out + j, (__mmask16)((1u << nb) - 1), r);
  }
}

T512 static void dots_unaligned(const float *a1, const float *B1, long ldb1, long K1, const float *a2, const float *B2,
                                long ldb2, long K2, int n, float *out) {
  int j = 0;
  for (; j + 16 <= n; j += 16) {
    __m512 s[16];
    for (int c = 0; c < 16; c++) s[c] = _mm512_setzero_ps();
    dot_acc(s, a1, B1 + j * ldb1, ldb1, K1, 16);
    if (K2 > 0) dot_acc(s, a2, B2 + j * ldb2, ldb2, K2, 16);
    _mm512_storeu_ps(out + j, reduce16(s));
  }
  if (j < n) {
    const int nb = n - j;
    __m512 s[16];
    for (int c = 0; c < 16; c++) s[c] = _mm512_setzero_ps();
    dot_acc(s, a1, B1 + j * ldb1, ldb1, K1, nb);
    if (K2 > 0) dot_acc(s, a2, B2 + j * ldb2, ldb2, K2, nb);
    _mm512_mask_storeu_ps(out + j, (__mmask16)((1u << nb) - 1), reduce16(s));
  }
}

/* Rows off 64-byte boundaries by a fixed offset take the framed loop (same bits) when the rows read exceed
 * the L1d (48 KB): from L1 a split load costs little and the frame's setup (~0.03 µs) more (a 32 x 128 head:
 * 0.13 µs plain, 0.16 framed; 128 x 128: 1.07 vs 0.66; W4's 512 x 160: 4.8 vs 3.2, one thread). Aligned
 * rows, rows of other strides and very long rows take the plain loop. */
#define RC_FRAME_MIN_FLOATS 12288
T512 static void dots(const float *a1, const float *B1, long ldb1, long K1, const float *a2, const float *B2, long ldb2,
                      long K2, int n, float *out) {
  const int off1 = (int)(((uintptr_t)B1 >> 2) & 15), off2 = K2 > 0 ? (int)(((uintptr_t)B2 >> 2) & 15) : 0;
  const long floats = (long)n * (K1 + (K2 > 0 ? K2 : 0));
  if ((off1 | off2) != 0 && floats >= RC_FRAME_MIN_FLOATS && framed(ldb1, K1) && (K2 <= 0 || framed(ldb2, K2)))
    dots_framed(a1, B1, ldb1, K1, a2, B2, ldb2, K2, n, out);
  else
    dots_unaligned(a1, B1, ldb1, K1, a2, B2, ldb2, K2, n, out);
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

/* ---- packing: d[k·ldd + j] = B[j·ldb + k] (cpu.h rc_packbt_fn) --------------------------------------
 * 8 rows x 16 k per block in zmm registers: unpack / shuffle as the AVX2 8 x 8 transpose within each
 * 128-bit lane, then two cross-lane passes, 32 shuffles per 128 floats instead of 48 (every shuffle
 * runs on one port: the A packing of each step of the fused kernels and of the GEMM). The k tail,
 * row counts that are not a multiple of 8 and the zero padding go to the AVX2 packer. */
T512 static void packbt(const float *B, long ldb, int kc, int nr, int ldd, float *d) {
  const int k16 = kc & ~15;
  if ((nr & 7) != 0 || k16 == 0) {
    rc_packbt_avx2(B, ldb, kc, nr, ldd, d);
    return;
  }
  const __m512i lo = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
  const __m512i hi = _mm512_setr_epi32(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
  for (int j = 0; j < nr; j += 8) {
    const float *b = B + (long)j * ldb;
    for (int k = 0; k < k16; k += 16) {
      __m512 r[8], t[8], u[8];
      for (int i = 0; i < 8; i++) r[i] = _mm512_loadu_ps(b + i * ldb + k);
      for (int i = 0; i < 8; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
      }
      /* u[q] (rows 0-3) and u[4 + q] (rows 4-7): lane l holds k = 4l + q */
      for (int h = 0; h < 8; h += 4) {
        u[h] = _mm512_shuffle_ps(t[h], t[h + 2], 0x44);
        u[h + 1] = _mm512_shuffle_ps(t[h], t[h + 2], 0xEE);
        u[h + 2] = _mm512_shuffle_ps(t[h + 1], t[h + 3], 0x44);
        u[h + 3] = _mm512_shuffle_ps(t[h + 1], t[h + 3], 0xEE);
      }
      for (int q = 0; q < 4; q += 2) {
        /* p: k = q (lanes 0-1), q + 4 (2-3); p2: k = q + 8, q + 12; the same for q + 1 in n, n2 */
        const __m512 p = _mm512_permutex2var_ps(u[q], lo, u[q + 4]), p2 = _mm512_permutex2var_ps(u[q], hi, u[q + 4]);
        const __m512 n = _mm512_permutex2var_ps(u[q + 1], lo, u[q + 5]), n2 = _mm512_permutex2var_ps(u[q + 1], hi, u[q + 5]);
        const __m512 o[4] = {_mm512_shuffle_f32x4(p, n, 0x44), _mm512_shuffle_f32x4(p, n, 0xEE),
                             _mm512_shuffle_f32x4(p2, n2, 0x44), _mm512_shuffle_f32x4(p2, n2, 0xEE)};
        const int kk[4] = {k + q, k + q + 4, k + q + 8, k + q + 12}; /* o[m] holds k-rows kk[m], kk[m] + 1 */
        for (int m = 0; m < 4; m++) {
          float *dst = d + (long)kk[m] * ldd + j;
          if (ldd == 8) {
            _mm512_storeu_ps(dst, o[m]);
          } else {
            _mm256_storeu_ps(dst, _mm512_castps512_ps256(o[m]));
            _mm256_storeu_ps(dst + ldd, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(o[m]), 1)));
          }
        }
      }
    }
  }
  for (int k = 0; k < k16; k++)
    for (int c = nr; c < ldd; c++) d[(long)k * ldd + c] = 0.0f;
  rc_packbt_avx2(B + k16, ldb, kc - k16, nr, ldd, d + (long)k16 * ldd);
}

const rc_path rc_path_avx512 = {"avx512", MR, NR, kern, vexp, vtanh, vsigmoid, packbt, dots, fma_peak};

#endif /* RC_X86 */
