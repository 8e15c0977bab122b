/*
 * kern_simd128.c — the wasm32 path (the only one of the wasm build, cpu.c picks it under RC_WASM):
 * MR x NR GEMM micro-kernel on SIMD128 (4-lane f32 vectors), the blocked dot products of cpu.h, and the
 * vector math of vmath.h. Each C element is one chain acc = acc + a·b over k in order, which keeps the
 * value independent of mr, nr and the tile's position, as on the other paths. SIMD128 has no FMA: the
 * plain build rounds mul and add separately; the relaxed-SIMD build (-mrelaxed-simd, tools/build-wasm.mjs)
 * uses relaxed madd in the micro-kernel (not in dots: see there), which the engine may fuse or not (V8 on
 * x86 with FMA fuses), so its results differ from the plain build's in the last bits but are the same for
 * every mr, nr and thread count on one engine.
 *
 * Legend: MR = 4 rows, NR = 8 columns = NV = 2 vectors; acc[i][v] covers C(i, 4v .. 4v+3). 8 accumulators
 * + 2 B vectors + 4 broadcast A (clang loads them together) = 14 of the 16 xmm registers V8 allocates on
 * x86-64. Measured (Node 20, GEMM 256³, one run on a loaded machine): 4 x 8 25 GFLOP/s; 6 x 8, 4 x 12,
 * 3 x 16, 8 x 8, 4 x 16 (17–24 live vectors: spills) 5–7. -DRC_WASM_MR / -DRC_WASM_NV pick another.
 * Phases: zero acc; k loop (load B row, broadcast a(i, k), mul-add); store alpha·acc (+ beta·C).
 */
#include <math.h>
#include <wasm_simd128.h>

#include "../cpu.h"
#include "../recurrent_cells.h"

#define INL static inline __attribute__((always_inline))
#ifndef RC_WASM_MR
#define RC_WASM_MR 4
#endif
#ifndef RC_WASM_NV
#define RC_WASM_NV 2
#endif
#define MR RC_WASM_MR
#define NV RC_WASM_NV /* vectors per row: NR = 4·NV */
#define NR (4 * NV)
/* acc + a·b (see the header). */
#ifdef __wasm_relaxed_simd__
#define MADD(a, b, acc) __builtin_wasm_relaxed_madd_f32x4(a, b, acc)
#define PATH_NAME "wasm-relaxed-simd"
#else
#define MADD(a, b, acc) wasm_f32x4_add(acc, wasm_f32x4_mul(a, b))
#define PATH_NAME "wasm-simd128"
#endif

INL void body(const int mr, int nr, int kc, const float *restrict Ap, const float *restrict Bp, long ldbp,
              float *restrict C, long ldc, float alpha, float beta) {
  v128_t acc[MR][NV];
  for (int i = 0; i < mr; i++)
    for (int v = 0; v < NV; v++) acc[i][v] = wasm_f32x4_splat(0.0f);
  for (int k = 0; k < kc; k++) {
    v128_t b[NV];
    for (int v = 0; v < NV; v++) b[v] = wasm_v128_load(Bp + 4 * v);
    for (int i = 0; i < mr; i++) {
      const v128_t a = wasm_f32x4_splat(Ap[i]);
      for (int v = 0; v < NV; v++) acc[i][v] = MADD(a, b[v], acc[i][v]);
    }
    Ap += MR;
    Bp += ldbp;
  }
  const v128_t va = wasm_f32x4_splat(alpha), vb = wasm_f32x4_splat(beta);
  for (int i = 0; i < mr; i++) {
    float *c = C + i * ldc;
    v128_t r[NV];
    for (int v = 0; v < NV; v++) r[v] = wasm_f32x4_mul(va, acc[i][v]);
    if (nr == NR) {
      for (int v = 0; v < NV; v++) {
        if (beta != 0.0f) r[v] = wasm_f32x4_add(wasm_f32x4_mul(vb, wasm_v128_load(c + 4 * v)), r[v]);
        wasm_v128_store(c + 4 * v, r[v]);
      }
    } else { /* partial tile: the same arithmetic, element by element */
      float t[NR];
      for (int v = 0; v < NV; v++) wasm_v128_store(t + 4 * v, r[v]);
      if (beta == 0.0f)
        for (int j = 0; j < nr; j++) c[j] = t[j];
      else
        for (int j = 0; j < nr; j++) c[j] = beta * c[j] + t[j];
    }
  }
}

#define KERN(m) \
  static void k##m(int nr, int kc, const float *A, const float *B, long l, float *C, long c, float al, float be) { \
    body(m < MR ? m : MR, nr, kc, A, B, l, C, c, al, be);                                                        \
  }
KERN(1) KERN(2) KERN(3) KERN(4) KERN(5) KERN(6) KERN(7) KERN(8)

static void kern(int mr, int nr, int kc, const float *Ap, const float *Bp, long ldbp, float *C, long ldc,
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

/* Vector math: exp through double libm (exact to float rounding, any sign), tanh and sigmoid the fast
 * float32 functions of the recurrent cells (≤ 2.7 ulp, recurrent_cells.h), vectorised by the compiler. */
static void vexp(const float *x, float *y, long n) {
  for (long i = 0; i < n; i++) y[i] = (float)exp((double)x[i]);
}
static void vtanh(const float *x, float *y, long n) {
  for (long i = 0; i < n; i++) y[i] = rc_tanh(x[i]);
}
static void vsigmoid(const float *x, float *y, long n) {
  for (long i = 0; i < n; i++) y[i] = rc_sigmoid(x[i]);
}

/* out[j] = [a1 | a2]·[B1 row j | B2 row j]: one 4-lane accumulator over k in order (both sources), the
 * scalar tails (both sources, in order) added to lane 0, then (l0 + l1) + (l2 + l3). mul + add, not MADD,
 * in the relaxed build too: the one accumulator is a dependency chain, and on x86 cores whose add has a
 * shorter latency than their FMA (Golden Cove: 2 against 4 cycles) the FMA chain ran slower (W4, which
 * streams through here, 0.83–0.93× the plain build in Chromium). */
static void dots(const float *a1, const float *B1, long ldb1, long K1, const float *a2, const float *B2, long ldb2,
                 long K2, int n, float *out) {
  for (int j = 0; j < n; j++) {
    v128_t s = wasm_f32x4_splat(0.0f);
    float tail = 0.0f;
    for (int src = 0; src < 2; src++) {
      const float *a = src ? a2 : a1, *b = src ? B2 + j * ldb2 : B1 + j * ldb1;
      const long K = src ? K2 : K1;
      long k = 0;
      for (; k + 4 <= K; k += 4) s = wasm_f32x4_add(s, wasm_f32x4_mul(wasm_v128_load(a + k), wasm_v128_load(b + k)));
      for (; k < K; k++) tail += a[k] * b[k];
    }
    const float l0 = wasm_f32x4_extract_lane(s, 0) + tail;
    out[j] = (l0 + wasm_f32x4_extract_lane(s, 1)) + (wasm_f32x4_extract_lane(s, 2) + wasm_f32x4_extract_lane(s, 3));
  }
}

static double fma_peak(long iters) {
  v128_t a[12];
  const v128_t m = wasm_f32x4_splat(0.999f), c = wasm_f32x4_splat(1e-3f);
  for (int i = 0; i < 12; i++) a[i] = wasm_f32x4_splat((float)i);
  for (long k = 0; k < iters; k++)
    for (int i = 0; i < 12; i++) a[i] = MADD(a[i], m, c);
  volatile float sink = wasm_f32x4_extract_lane(a[3], 1);
  (void)sink;
  return (double)iters * 12 * 4 * 2;
}

const rc_path rc_path_wasm = {PATH_NAME, MR, NR, kern, vexp, vtanh, vsigmoid, rc_packbt_scalar, dots, fma_peak};
