/*
 * gemm.c — the GEMM driver: blocking, packing, threading (see gemm.h for the contract).
 *
 *   C (M, N) = alpha · op(A) (M, K) · op(B) (K, N) + beta · C          row-major
 *
 * Legend
 *   MR x NR   register block of the active path's micro-kernel (cpu.h): 8x32 avx512, 6x16 avx2, 4x16 portable
 *   KC, NC    cache blocks: a K block of KC (384) and an N block of NC (512) columns (KC·NC floats
 *             of packed B = 768 KB stay in a 1 MB L2; the 8 x KC A micro-panel, 12 KB, in L1)
 *   MC        rows of A packed at once (MR·16)
 *   Ap        packed A block: panels of MR rows, k-major   Ap[q·kc·MR + k·MR + i]
 *   Bp        packed B block: panels of NR columns, k-major Bp[p·pstride + k·NR + j], zero padded
 *
 * Loop phases (single thread, gemm_st)
 *   for jc in N by NC                     B block columns
 *     for pc in K by KC                   K block (beta applies to the first one; then accumulate)
 *       B source: pre-packed (rc_sgemm_pb), direct rows of B (op(B) = B, small M, rows <= 640 floats apart: no packing;
 *                 a partial last panel is packed), or packed here
 *       for ic in M by MC                 pack A block
 *         for ir by MR                    the A micro-panel stays in L1 …
 *           for jr by NR                  … while B panels stream from L2
 *             micro-kernel (mr, nr, kc)
 *
 * Small M with op(B) = Bᵀ (M <= 2, GEMV-like): dot products against B's rows, nothing packed.
 *
 * Threading (rc_sgemm): the (M, N) output is cut into nt slices of whole panels along N when
 * M <= N (each task then packs all of A, the smaller operand) or along M otherwise; each pool
 * task runs gemm_st on its slice. Each C element gets the same FMA sequence whatever the
 * slicing, so results are bit-identical for any thread count.
 */
#define _POSIX_C_SOURCE 200112L
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "gemm.h"
#include "pool.h"

/* Around the allocation of a thread's buffers: a lock where malloc has none (wasm threads, native/wasm/pthread.h). */
#ifndef RC_ALLOC_LOCK
#define RC_ALLOC_LOCK()
#define RC_ALLOC_UNLOCK()
#endif

#if defined(__x86_64__) && defined(__linux__) && (defined(__GNUC__) || defined(__clang__)) && !defined(RC_NO_CLONES)
#define RC_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define RC_CLONES
#endif

#define RC_PAR_MIN_WORK (1L << 17) /* M·N·K below this runs on the calling thread */
#define RC_DOT_MAX_M 2 /* M <= this with op(B) = Bᵀ and op(A) = A: dot products (gemm_dots) */
#ifndef RC_DIRECT_MAX_M
#define RC_DIRECT_MAX_M 256 /* op(B) = B is used in place (no packing) when M <= this … */
#endif
/* … and its rows are at most this many floats apart: at 768 and more (3 KB) the kc rows of a panel fall
 * into too few L1/L2 sets and in-place B loses to packing, by 2.6x at ldb = 1024, K = 384 (M = 256,
 * one thread, CPU time); at 640 and less in place wins by 2-8 %. */
#define RC_DIRECT_MAX_LDB 640

/* ---- per-thread packing buffers (freed when the thread exits) ------------------------- */

static pthread_key_t buf_key;
static pthread_once_t buf_once = PTHREAD_ONCE_INIT;
static void buf_free(void *p) { free(p); }
static void buf_key_init(void) { pthread_key_create(&buf_key, buf_free); }

typedef struct {
  size_t cap; /* floats after the header */
  float *a, *b, *e;
} tbuf;

/* Buffers for packing A (MC·KC), B (KC·NC) and one edge panel (KC·NR), 64-byte aligned. */
static tbuf *thread_bufs(const rc_path *P) {
  pthread_once(&buf_once, buf_key_init);
  const size_t mc = (size_t)P->mr * 16, na = mc * RC_KC, nb = (size_t)RC_KC * RC_NC, ne = (size_t)RC_KC * P->nr;
  const size_t need = na + nb + ne + 64;
  tbuf *t = pthread_getspecific(buf_key);
  if (t && t->cap >= need) return t;
  RC_ALLOC_LOCK();
  free(t);
  t = NULL;
  const int bad = posix_memalign((void **)&t, 64, sizeof(tbuf) + 64 + need * sizeof(float));
  RC_ALLOC_UNLOCK();
  if (bad != 0) return NULL;
  t->cap = need;
  float *base = (float *)(((uintptr_t)(t + 1) + 63) & ~(uintptr_t)63);
  t->a = base;
  t->b = base + na;
  t->e = base + na + nb;
  pthread_setspecific(buf_key, t);
  return t;
}

/* ---- packing ---------------------------------------------------------------------------- */

/* d[k·ldd + i] = src[k·ld + i] for i < n, 0 for n <= i < ldd, k < kc: the copy behind packing a
 * transposed-stored A (rows of op(A) are columns of the source) and a plain B. Full panels of 4, 6, 8,
 * 16 and 32 floats are constant-size copies (vector moves); the target clones make them AVX-wide. */
RC_CLONES static void copy_panel(const float *restrict src, long ld, int kc, int n, int ldd, float *restrict d) {
#define RC_COPY_CASE(W)                                                                      \
  case W:                                                                                    \
    for (int k = 0; k < kc; k++) memcpy(d + (long)k * W, src + (long)k * ld, W * sizeof(float)); \
    return;
  if (n == ldd) {
    switch (n) {
      RC_COPY_CASE(4)
      RC_COPY_CASE(6)
      RC_COPY_CASE(8)
      RC_COPY_CASE(16)
      RC_COPY_CASE(32)
      default: break;
    }
  }
#undef RC_COPY_CASE
  for (int k = 0; k < kc; k++) {
    const float *a = src + (long)k * ld;
    float *dk = d + (long)k * ldd;
    for (int i = 0; i < n; i++) dk[i] = a[i];
    for (int i = n; i < ldd; i++) dk[i] = 0.0f;
  }
}

/* A block (mc x kc) at A = &op(A)[0][0] of the block -> MR-row panels (a transposing copy when A is
 * stored (M, K): the path's packbt does it in 8 x 8 register blocks; a plain panel copy when A is
 * stored (K, M)). Rows past mc in the last panel are left unset: the micro-kernel never reads them. */
static void pack_a(const rc_path *P, int transA, const float *A, long lda, int mc, int kc, int MR, float *dst) {
  for (int q = 0; q < mc; q += MR) {
    const int mr = mc - q < MR ? mc - q : MR;
    float *d = dst + (long)(q / MR) * kc * MR;
    if (!transA) P->packbt(A + (long)q * lda, lda, kc, mr, MR, d);
    else copy_panel(A + q, lda, kc, mr, MR, d);
  }
}

/* B block (kc x nc) at B = &op(B)[0][0] of the block -> NR-column panels, panel p at dst + p·pstride. */
static void pack_b(const rc_path *P, int transB, const float *B, long ldb, int kc, int nc, int NR, long pstride,
                   float *dst) {
  for (int j0 = 0; j0 < nc; j0 += NR) {
    const int nr = nc - j0 < NR ? nc - j0 : NR;
    float *d = dst + (long)(j0 / NR) * pstride;
    if (!transB) copy_panel(B + j0, ldb, kc, nr, NR, d);
    else P->packbt(B + (long)j0 * ldb, ldb, kc, nr, NR, d);
  }
}

/* ---- single-threaded driver ------------------------------------------------------------ */

typedef struct {
  int transA, transB, M, N, K;
  float alpha, beta;
  const float *A;
  long lda;
  const float *B; /* raw B (Bpre == NULL) */
  long ldb;
  const float *Bpre; /* pre-packed B, full-K panels (rc_sgemm_pb) */
  float *C;
  long ldc;
  int dots; /* dot products (gemm_dots), decided once for the whole product: a slice of a split must not
             * take the other path, whose rounding differs */
  const float *bias; /* NULL, or N floats that C's rows start as (beta is then 1: rc_sgemm_bias) */
} gemm_args;

/* Rows [i0, i1), columns [j0, j1) of C <- the bias (rc_sgemm_bias), before the products add to them. */
static void fill_bias(const gemm_args *g, int i0, int i1, int j0, int j1) {
  if (!g->bias) return;
  for (int i = i0; i < i1; i++) memcpy(g->C + (long)i * g->ldc + j0, g->bias + j0, sizeof(float) * (size_t)(j1 - j0));
}

static void scale_c(int M, int N, float beta, float *C, long ldc) {
  for (int i = 0; i < M; i++) {
    float *c = C + (long)i * ldc;
    if (beta == 0.0f) memset(c, 0, sizeof(float) * N);
    else if (beta != 1.0f)
      for (int j = 0; j < N; j++) c[j] *= beta;
  }
}

/* Small M with op(B) = Bᵀ (batch-1 inference, GEMV): dot products against the rows of B, no
 * packing (packing B would cost more than the product). */
static void gemm_dots(const rc_path *P, const gemm_args *g) {
  float buf[256];
  for (int i = 0; i < g->M; i++) {
    float *c = g->C + (long)i * g->ldc;
    for (int j0 = 0; j0 < g->N; j0 += 256) {
      const int n = g->N - j0 < 256 ? g->N - j0 : 256;
      P->dots(g->A + (long)i * g->lda, g->B + (long)j0 * g->ldb, g->ldb, g->K, NULL, NULL, 0, 0, n, buf);
      if (g->beta == 0.0f)
        for (int j = 0; j < n; j++) c[j0 + j] = g->alpha * buf[j];
      else
        for (int j = 0; j < n; j++) c[j0 + j] = g->beta * c[j0 + j] + g->alpha * buf[j];
    }
  }
}

static void gemm_st(const rc_path *P, const gemm_args *g) {
  const int M = g->M, N = g->N, K = g->K, MR = P->mr, NR = P->nr, MC = MR * 16;
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || g->dots) fill_bias(g, 0, M, 0, N);
  if (K <= 0) {
    scale_c(M, N, g->beta, g->C, g->ldc);
    return;
  }
  if (g->dots) {
    gemm_dots(P, g);
    return;
  }
  tbuf *tb = thread_bufs(P);
  if (!tb) abort(); /* out of memory for < 1 MB: nothing sensible left to do */
  /* In-place B pays with 2-line (128-byte) panel rows; 1-line rows (NR 16) lose to set conflicts. */
  const int direct = !g->Bpre && !g->transB && M <= RC_DIRECT_MAX_M && g->ldb <= RC_DIRECT_MAX_LDB && NR >= 32;
  for (int jc = 0; jc < N; jc += RC_NC) {
    const int nc = N - jc < RC_NC ? N - jc : RC_NC;
    for (int pc = 0; pc < K; pc += RC_KC) {
      const int kc = K - pc < RC_KC ? K - pc : RC_KC;
      const float beta = pc == 0 ? g->beta : 1.0f;
      /* B source for this (pc, jc) block: panel p at bsrc + p·pstride, row stride ldbp */
      const float *bsrc;
      long pstride, ldbp;
      int full_panels = (nc + NR - 1) / NR; /* panels read from bsrc; a direct edge panel comes from tb->e */
      if (g->Bpre) {
        bsrc = g->Bpre + (long)(jc / NR) * K * NR + (long)pc * NR;
        pstride = (long)K * NR;
        ldbp = NR;
      } else if (direct) {
        bsrc = g->B + (long)pc * g->ldb + jc;
        pstride = NR;
        ldbp = g->ldb;
        full_panels = nc / NR;
        if (full_panels * NR < nc)
          pack_b(P, 0, bsrc + (long)full_panels * NR, g->ldb, kc, nc - full_panels * NR, NR, 0, tb->e);
      } else {
        const float *b0 = g->transB ? g->B + (long)jc * g->ldb + pc : g->B + (long)pc * g->ldb + jc;
        pack_b(P, g->transB, b0, g->ldb, kc, nc, NR, (long)kc * NR, tb->b);
        bsrc = tb->b;
        pstride = (long)kc * NR;
        ldbp = NR;
      }
      for (int ic = 0; ic < M; ic += MC) {
        const int mc = M - ic < MC ? M - ic : MC;
        const float *a0 = g->transA ? g->A + (long)pc * g->lda + ic : g->A + (long)ic * g->lda + pc;
        if (pc == 0) fill_bias(g, ic, ic + mc, jc, jc + nc);
        pack_a(P, g->transA, a0, g->lda, mc, kc, MR, tb->a);
        for (int ir = 0; ir < mc; ir += MR) {
          const int mr = mc - ir < MR ? mc - ir : MR;
          const float *ap = tb->a + (long)(ir / MR) * kc * MR;
          float *crow = g->C + (long)(ic + ir) * g->ldc + jc;
          for (int jr = 0, p = 0; jr < nc; jr += NR, p++) {
            const int nr = nc - jr < NR ? nc - jr : NR;
            if (p < full_panels) P->kern(mr, nr, kc, ap, bsrc + p * pstride, ldbp, crow + jr, g->ldc, g->alpha, beta);
            else P->kern(mr, nr, kc, ap, tb->e, NR, crow + jr, g->ldc, g->alpha, beta);
          }
        }
      }
    }
  }
}

/* ---- threading --------------------------------------------------------------------------- */

typedef struct {
  const rc_path *P;
  const gemm_args *g;
  int nt, along_n, panels, unit;
} par_ctx;

/* Task t: panels [t·panels/nt, (t+1)·panels/nt) of the split dimension. */
static void par_task(void *vctx, int t) {
  const par_ctx *c = vctx;
  const gemm_args *g = c->g;
  const int p0 = (int)((long)t * c->panels / c->nt), p1 = (int)((long)(t + 1) * c->panels / c->nt);
  if (p0 >= p1) return;
  gemm_args s = *g;
  if (c->along_n) {
    const int n0 = p0 * c->unit, n1 = p1 * c->unit < g->N ? p1 * c->unit : g->N;
    s.N = n1 - n0;
    s.C = g->C + n0;
    if (g->Bpre) s.Bpre = g->Bpre + (long)p0 * g->K * c->unit;
    else s.B = g->transB ? g->B + (long)n0 * g->ldb : g->B + n0;
    if (g->bias) s.bias = g->bias + n0;
  } else {
    const int m0 = p0 * c->unit, m1 = p1 * c->unit < g->M ? p1 * c->unit : g->M;
    s.M = m1 - m0;
    s.C = g->C + (long)m0 * g->ldc;
    s.A = g->transA ? g->A + m0 : g->A + (long)m0 * g->lda;
  }
  gemm_st(c->P, &s);
}

static void gemm_par(const gemm_args *g) {
  const rc_path *P = rc_active_path();
  const int nth = rc_pool_threads();
  if (nth <= 1 || (long)g->M * g->N * (g->K > 0 ? g->K : 1) < RC_PAR_MIN_WORK) {
    gemm_st(P, g);
    return;
  }
  const int pn = (g->N + P->nr - 1) / P->nr, pm = (g->M + P->mr - 1) / P->mr;
  /* A split along N makes every task pack all of op(A) (M·K), one along M all of op(B) (K·N):
   * split the dimension whose other operand is smaller, if it has enough panels for the threads. */
  int along_n = g->M <= g->N ? pn >= nth : pm < nth;
  if (!along_n && pm < 2) along_n = 1;
  if (along_n && pn < 2) along_n = 0;
  const int panels = along_n ? pn : pm;
  const int nt = panels < nth ? panels : nth;
  if (nt <= 1) {
    gemm_st(P, g);
    return;
  }
  par_ctx c = {P, g, nt, along_n, panels, along_n ? P->nr : P->mr};
  rc_pool_run(nt, par_task, &c);
}

/* ---- pre-packed A, B from row segments (weight gradients of the recurrent kernels) ------------ */

/* d[k·NR + j] = src[k·ld + j] · mask[((k0 + k) % period)·ldm + j] for j < nr (0 up to NR), k < kc. */
RC_CLONES static void mask_panel(const float *restrict src, long ld, const float *restrict mask, long ldm, int period,
                                 int k0, int kc, int nr, int NR, float *restrict d) {
  int r = k0 % period;
  for (int k = 0; k < kc; k++) {
    const float *a = src + (long)k * ld, *m = mask + (long)r * ldm;
    float *dk = d + (long)k * NR;
    for (int j = 0; j < nr; j++) dk[j] = a[j] * m[j];
    for (int j = nr; j < NR; j++) dk[j] = 0.0f;
    if (++r == period) r = 0;
  }
}

/* Rows [pc, pc + kc) of group g's op(B), columns [j0, j0 + nr) -> one NR-wide panel (zero padded). */
static void pack_rows(const rc_bgroup *g, int pc, int kc, int j0, int nr, int NR, float *dst) {
  int start = 0;
  for (int s = 0; s < g->nseg && kc > 0; s++) {
    const int end = start + g->len[s];
    if (pc < end) {
      const int run = end - pc < kc ? end - pc : kc;
      const float *src = g->ptr[s] + (long)(pc - start) * g->ld + j0;
      if (g->mask) mask_panel(src, g->ld, g->mask + j0, g->N, g->mperiod, pc, run, nr, NR, dst);
      else copy_panel(src, g->ld, run, nr, NR, dst);
      dst += (long)run * NR;
      pc += run;
      kc -= run;
    }
    start = end;
  }
}

/* Rows [pc, pc + kc) of g as runs inside its segments: run r covers rows [ka[r], kb[r]) of op(B) and
 * starts at src[r] (row stride g->ld). Returns the number of runs (<= 3). */
static int seg_runs(const rc_bgroup *g, int pc, int kc, int *ka, int *kb, const float **src) {
  int n = 0, start = 0;
  for (int s = 0; s < g->nseg; s++) {
    const int end = start + g->len[s], lo = pc > start ? pc : start, hi = pc + kc < end ? pc + kc : end;
    if (lo < hi) {
      ka[n] = lo;
      kb[n] = hi;
      src[n] = g->ptr[s] + (long)(lo - start) * g->ld;
      n++;
    }
    start = end;
  }
  return n;
}

void rc_gemm_pa_st(const rc_apanels *a, int p0, int p1, int K, float alpha, const rc_bgroup *g, int ng, float beta) {
  const rc_path *P = rc_active_path();
  const int MR = P->mr, NR = P->nr, NCP = RC_NC / NR;
  if (p0 >= p1) return;
  if (K <= 0) {
    for (int p = p0; p < p1; p++) {
      const int j = p / a->ppb, q = p % a->ppb, mr = a->rows - q * MR < MR ? a->rows - q * MR : MR;
      for (int c = 0; c < ng; c++) {
        const long row0 = a->crow ? a->crow[j * ng + c] : (long)j * a->rows;
        if (row0 >= 0) scale_c(mr, g[c].N, beta, g[c].C + (row0 + (long)q * MR) * g[c].ldc, g[c].ldc);
      }
    }
    return;
  }
  tbuf *tb = thread_bufs(P);
  if (!tb) abort();
  int gi = 0, j0 = 0;
  while (gi < ng) {
    /* next block of at most NCP column panels, possibly spanning groups */
    int cg[64], cj[64], np = 0;
    while (gi < ng && np < NCP && np < 64) {
      if (j0 >= g[gi].N) { gi++; j0 = 0; continue; }
      cg[np] = gi; cj[np] = j0; np++;
      j0 += NR;
    }
    if (np == 0) break;
    for (int pc = 0; pc < K; pc += RC_KC) {
      const int kc = K - pc < RC_KC ? K - pc : RC_KC;
      const float bet = pc == 0 ? beta : 1.0f;
      /* Full panels with 2-line rows (NR >= 32) are read in place, run by run (the rows of one segment have
       * one stride): no copy of op(B), which every task of a split would otherwise make in full. The edge
       * panel of a group is packed. */
      int direct[64], nrun[64], ka[64][3], kb[64][3];
      const float *src[64][3];
      for (int c = 0; c < np; c++) {
        const int nr = g[cg[c]].N - cj[c] < NR ? g[cg[c]].N - cj[c] : NR;
        direct[c] = NR >= 32 && nr == NR && g[cg[c]].mask == NULL;
        if (direct[c]) nrun[c] = seg_runs(&g[cg[c]], pc, kc, ka[c], kb[c], src[c]);
        else pack_rows(&g[cg[c]], pc, kc, cj[c], nr, NR, tb->b + (long)c * kc * NR);
      }
      for (int p = p0; p < p1; p++) {
        const int j = p / a->ppb, q = p % a->ppb, mr = a->rows - q * MR < MR ? a->rows - q * MR : MR;
        const float *ap = a->A + ((long)a->blk[j] * a->ppb + q) * a->apstride + (long)pc * MR;
        if (p + 1 < p1) { /* the next A micro-panel (streamed once from memory) into L2 meanwhile */
          const int jn = (p + 1) / a->ppb, qn = (p + 1) % a->ppb;
          const float *an = a->A + ((long)a->blk[jn] * a->ppb + qn) * a->apstride + (long)pc * MR;
          for (long k = 0; k < (long)kc * MR; k += 16) __builtin_prefetch(an + k, 0, 2);
        }
        for (int c = 0; c < np; c++) {
          const rc_bgroup *gc = &g[cg[c]];
          const long row0 = a->crow ? a->crow[j * ng + cg[c]] : (long)j * a->rows;
          if (row0 < 0) continue; /* block j is not part of this group's product */
          float *cc = gc->C + (row0 + (long)q * MR) * gc->ldc + cj[c];
          if (!direct[c]) {
            const int nr = gc->N - cj[c] < NR ? gc->N - cj[c] : NR;
            P->kern(mr, nr, kc, ap, tb->b + (long)c * kc * NR, NR, cc, gc->ldc, alpha, bet);
            continue;
          }
          for (int r = 0; r < nrun[c]; r++)
            P->kern(mr, NR, kb[c][r] - ka[c][r], ap + (long)(ka[c][r] - pc) * MR, src[c][r] + cj[c], gc->ld,
                    cc, gc->ldc, alpha, r == 0 ? bet : 1.0f);
        }
      }
    }
  }
}

/* ---- public API -------------------------------------------------------------------------- */

#define ARGS(Bp_)                                                                                                 \
  gemm_args g = {transA != 0, transB != 0, M, N, K, alpha, beta, A, lda, B, ldb, (Bp_), C, ldc,                \
                 transB && !transA && !(Bp_) && M <= RC_DOT_MAX_M}

void rc_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
              int ldb, float beta, float *C, int ldc) {
  ARGS(NULL);
  gemm_par(&g);
}

void rc_sgemm_bias(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                   int ldb, const float *bias, float *C, int ldc) {
  const float beta = 1.0f;
  ARGS(NULL);
  g.bias = bias;
  gemm_par(&g);
}

void rc_sgemm_st(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                 int ldb, float beta, float *C, int ldc) {
  ARGS(NULL);
  gemm_st(rc_active_path(), &g);
}

size_t rc_sgemm_packb_size(int K, int N) {
  const int NR = rc_active_path()->nr;
  if (K <= 0 || N <= 0) return 0;
  return (size_t)K * (size_t)((N + NR - 1) / NR) * NR;
}

void rc_sgemm_packb(int transB, int K, int N, const float *B, int ldb, float *Bp) {
  if (K <= 0 || N <= 0) return;
  const rc_path *P = rc_active_path();
  pack_b(P, transB != 0, B, ldb, K, N, P->nr, (long)K * P->nr, Bp);
}

void rc_sgemm_pb(int transA, int M, int N, int K, float alpha, const float *A, int lda, const float *Bp, float beta,
                 float *C, int ldc) {
  const int transB = 0, ldb = 0;
  const float *B = NULL;
  ARGS(Bp);
  gemm_par(&g);
}

void rc_sgemm_pb_st(int transA, int M, int N, int K, float alpha, const float *A, int lda, const float *Bp,
                    float beta, float *C, int ldc) {
  const int transB = 0, ldb = 0;
  const float *B = NULL;
  ARGS(Bp);
  gemm_st(rc_active_path(), &g);
}

int rc_sgemm_nr(void) { return rc_active_path()->nr; }
