/*
 * cpu.h — the CPU paths (AVX-512 / AVX2+FMA / portable) and the active one.
 *
 * One binary holds every path: each kernel file compiles its functions with
 * __attribute__((target(...))), and cpu.c picks the best path the CPU supports at run time
 * (env RECUR_CPU=avx512|avx2|portable can force a lower one, for tests).
 *
 * A path bundles the GEMM micro-kernel (with its register-block shape MR x NR) and the
 * vectorised math used by unary.c and the recurrent kernels (vmath.h).
 */
#ifndef RC_CPU_H
#define RC_CPU_H

/* RC_X86: compile the AVX paths. -DRC_NO_X86 builds the portable path alone, as on aarch64.
 * RC_WASM (tools/build-wasm.mjs, wasm32): the SIMD128 path alone, no threads (native/wasm/). */
#if (defined(__x86_64__) || defined(__i386__)) && !defined(RC_NO_X86)
#define RC_X86 1
#endif

/*
 * Micro-kernel: C[0:mr, 0:nr] = alpha · Ap·Bp + beta · C  (beta == 0: C not read)
 *   Ap  packed A panel, k-major with stride MR: a(i, k) = Ap[k·MR + i], i < mr <= MR
 *   Bp  B panel, k-major with stride ldbp:     b(k, j) = Bp[k·ldbp + j], j < NR (all NR readable)
 *   C   row stride ldc; only the mr x nr corner is written.
 * Every C element is one sequential FMA chain over k = 0 .. kc-1, so the value does not depend
 * on mr, nr or where the tile sits (determinism across partitions).
 */
typedef void (*rc_ukernel_fn)(int mr, int nr, int kc, const float *Ap, const float *Bp, long ldbp, float *C,
                              long ldc, float alpha, float beta);
typedef void (*rc_vfn)(const float *x, float *y, long n);
/* Pack one panel of a transposed B: d[k·NR + j] = B[j·ldb + k] for j < nr, 0 for nr <= j < NR. */
typedef void (*rc_packbt_fn)(const float *B, long ldb, int kc, int nr, int ldd, float *d);

typedef struct {
  const char *name;
  int mr, nr;
  rc_ukernel_fn kern;
  rc_vfn vexp, vtanh, vsigmoid;
  rc_packbt_fn packbt;
  /* out[j] = Σ_k a1[k]·B1[j·ldb1 + k] + Σ_k a2[k]·B2[j·ldb2 + k] for j < n (K2 = 0: one source):
   * small-M GEMMs with op(B) = Bᵀ and the batch-1 recurrent step ([x | h]·[W_ih | W_hh]ᵀ without a
   * concatenation). Each column is one vector accumulator over source 1 then source 2 in k order,
   * then a fixed reduction: out[j] does not depend on n or j. */
  void (*dots)(const float *a1, const float *B1, long ldb1, long K1, const float *a2, const float *B2, long ldb2,
               long K2, int n, float *out);
  /* Benchmarks: iters x 12 independent vector FMAs; returns FLOPs done (for the peak estimate). */
  double (*fma_peak)(long iters);
} rc_path;

void rc_packbt_scalar(const float *B, long ldb, int kc, int nr, int ldd, float *d);
#ifdef RC_X86
void rc_packbt_avx2(const float *B, long ldb, int kc, int nr, int ldd, float *d);
#endif

extern const rc_path rc_path_portable;
#ifdef RC_WASM
extern const rc_path rc_path_wasm; /* native/wasm/kern_simd128.c: the only path of the wasm32 build */
#endif
#ifdef RC_X86
extern const rc_path rc_path_avx2;
extern const rc_path rc_path_avx512;
#endif

/* The active path (initialised on first use from the CPU and RECUR_CPU). */
const rc_path *rc_active_path(void);

/* CPU features (1/0), independent of the active path. */
int rc_cpu_avx512(void);
int rc_cpu_avx2(void);
int rc_cpu_fma(void);

/* Blocking shared by the paths: K block, N block (multiples of every NR). */
#ifndef RC_KC
#define RC_KC 384
#endif
#ifndef RC_NC
#define RC_NC 512
#endif

#endif /* RC_CPU_H */
