/*
 * recurrent_common.c — phases of the fused recurrent kernels shared by every cell (recurrent_common.h):
 * packing the rows of A, row-panel GEMMs, the unpacked streaming pre-activations, the store of dA as
 * packed panels and the after-chunk weight products, bias sums, carries.
 *
 * Legend: T time, B batch, I input, H hidden, P projection, Hout = P > 0 ? P : H, G gate width (4H LSTM,
 *   3H GRU, H RNN), NA dA blocks per row, GA = NA·H, Kt = Hout + I, MR x NR the micro-kernel tile.
 */
#include <string.h>

#include "gemm.h"
#include "pool.h"
#include "recurrent_common.h"

void rc_run(int nt, void (*fn)(void *ctx, int task), void *ctx) {
  if (nt <= 1) fn(ctx, 0);
  else rc_pool_run(nt, fn, ctx);
}

RC_VEC RC_OPT static void fma_into(int n, float *RC_RESTRICT dst, const float *RC_RESTRICT a, const float *RC_RESTRICT b) {
  for (int j = 0; j < n; j++) dst[j] += a[j] * b[j];
}

RC_VEC RC_OPT static void add_into_n(int n, float *RC_RESTRICT dst, const float *RC_RESTRICT a) {
  for (int j = 0; j < n; j++) dst[j] += a[j];
}

RC_VEC RC_OPT static void add_n(int n, float *RC_RESTRICT dst, const float *RC_RESTRICT a, const float *RC_RESTRICT b) {
  for (int j = 0; j < n; j++) dst[j] = a[j] + b[j];
}

void rc_bias_sum(const rc_rin *in, float *bsum) {
  const int G = in->G, H = in->H;
  const float *a = in->bIh, *b = in->bHh;
  /* GRU keeps b_hn apart (it sits inside the reset product): [b_ir+b_hr, b_iz+b_hz, b_in, b_hn]. */
  const int merged = in->kind == RC_GRU ? 2 * H : G;
  if (a && b) add_n(merged, bsum, a, b);
  else rc_copy_or_zero(bsum, a ? a : b, (size_t)merged);
  if (merged < G) rc_copy_or_zero(bsum + merged, a ? a + merged : NULL, (size_t)(G - merged));
  if (in->kind == RC_GRU) rc_copy_or_zero(bsum + G, b ? b + 2 * H : NULL, (size_t)H);
}

void rc_add_into(float *dst, const float *src, size_t n) {
  if (dst == NULL) return;
  for (size_t k = 0; k < n; k++) dst[k] += src[k];
}

void rc_copy_or_zero(float *dst, const float *src, size_t n) {
  if (src == NULL) memset(dst, 0, sizeof(float) * n);
  else memcpy(dst, src, sizeof(float) * n);
}

void rc_carry_rows(const rc_rin *in, int t, const float *tmp, float *dh, int b0, int b1, int accum) {
  const int Ho = in->Hout;
  for (int b = b0; b < b1; b++) {
    if (!rc_real(in, t, b)) continue;
    float *d = dh + (size_t)b * Ho;
    const float *v = tmp + (size_t)(b - b0) * Ho;
    if (in->maskH != NULL) {
      if (!accum) memset(d, 0, sizeof(float) * Ho);
      fma_into(Ho, d, v, in->maskH + (size_t)b * Ho);
    } else if (accum) {
      add_into_n(Ho, d, v);
    } else {
      memcpy(d, v, sizeof(float) * Ho);
    }
  }
}

RC_VEC RC_OPT static void mul_rows(int n, float *RC_RESTRICT dst, const float *RC_RESTRICT a, const float *RC_RESTRICT b) {
  for (int j = 0; j < n; j++) dst[j] = a[j] * b[j];
}

void rc_pack_rows(const rc_fplan *f, const float *A, long lda, const float *mask, long ldm, int rows, int K, int Kt,
                  int koff, float *Ap, float *tmp) {
  const int MR = f->MR;
  if (K <= 0) return;
  if (mask != NULL) {
    for (int r = 0; r < rows; r++) mul_rows(K, tmp + (size_t)r * K, A + (size_t)r * lda, mask + (size_t)r * ldm);
    A = tmp;
    lda = K;
  }
  for (int q = 0; q * MR < rows; q++) {
    const int mr = rows - q * MR < MR ? rows - q * MR : MR;
    f->P->packbt(A + (size_t)q * MR * lda, lda, K, mr, MR, Ap + (size_t)q * Kt * MR + (size_t)koff * MR);
  }
}

void rc_rows_gemm(const rc_path *P, int rows, int N, int K, const float *Ap, long apstride, const float *Bp,
                  long bpstride, float *C, long ldc, float beta) {
  const int MR = P->mr, NR = P->nr;
  for (int pc = 0; pc < K || (pc == 0 && K <= 0); pc += RC_KC) {
    const int kc = K - pc < RC_KC ? K - pc : RC_KC;
    for (int j = 0; j < N; j += NR)
      for (int q = 0; q * MR < rows; q++)
        P->kern(rows - q * MR < MR ? rows - q * MR : MR, N - j < NR ? N - j : NR, kc > 0 ? kc : 0,
                Ap + (size_t)q * apstride + (size_t)pc * MR, Bp + (size_t)(j / NR) * bpstride + (size_t)pc * NR, NR,
                C + (size_t)q * MR * ldc + j, ldc, 1.0f, pc ? 1.0f : beta);
    if (K <= 0) break;
  }
}

/* ---- unpacked steps (T = 1, B <= 2) ------------------------------------------------------------- */

typedef struct {
  const rc_rin *in;
  const rc_fplan *f;
  const float *const *xr, *const *hr;
  int nth, ncol; /* tasks; columns per task (a multiple of 16) */
} pre_ctx;

/* Columns [c0, c1) of the 4H pre-activations of every row. */
static void pre_task(void *vctx, int task) {
  const pre_ctx *x = vctx;
  const rc_rin *in = x->in;
  const rc_fplan *f = x->f;
  const int H = in->H, I = in->I, Ho = in->Hout, GA = rc_na(in->kind) * H;
  const int c0 = task * x->ncol, c1 = c0 + x->ncol < GA ? c0 + x->ncol : GA;
  if (c0 >= c1) return;
  for (int b = 0; b < in->B; b++) {
    float *pre = f->scr + (size_t)b * f->S;
    const float *xb = x->xr[b], *hb = x->hr[b];
    if (in->kind != RC_GRU) { /* LSTM, RNN: all G columns from both sources */
      f->P->dots(xb, in->wIh + (size_t)c0 * I, I, I, hb, in->wHh + (size_t)c0 * Ho, Ho, Ho, c1 - c0, pre + c0);
      continue;
    }
    /* GRU: [0, 2H) r, z from both sources; [2H, 3H) h·W_hnᵀ; [3H, 4H) x·W_inᵀ */
    for (int seg = 0; seg < 3; seg++) {
      const int s0 = seg == 0 ? 0 : (seg + 1) * H, s1 = seg == 0 ? 2 * H : s0 + H;
      const int lo = c0 > s0 ? c0 : s0, hi = c1 < s1 ? c1 : s1;
      if (lo >= hi) continue;
      if (seg == 0) f->P->dots(xb, in->wIh + (size_t)lo * I, I, I, hb, in->wHh + (size_t)lo * H, H, H, hi - lo, pre + lo);
      else if (seg == 1) f->P->dots(hb, in->wHh + (size_t)lo * H, H, H, NULL, NULL, 0, 0, hi - lo, pre + lo); /* W_hn: rows 2H.. */
      else f->P->dots(xb, in->wIh + (size_t)(lo - H) * I, I, I, NULL, NULL, 0, 0, hi - lo, pre + lo); /* W_in: rows 2H.. */
    }
  }
}

/* Weights (floats, gate rows × (Hout + I)) from which a step's columns are split over the pool; smaller
 * steps run on the calling thread. A split pays only when the dot products take much longer than the
 * hand-off, which costs ~1.5–2 µs per step (the pool's ~0.5 µs plus the lines of x, h, the biases and the
 * call's structs that the worker reads from the caller's core). Measured at real-time priority on 2 cores
 * (one process, forced 1 vs 2 tasks): LSTM I = 32, H = 128 (W4, 82K floats) 4.16 vs 4.03 µs per step,
 * H = 192 (172K) 8.07 vs 7.13; the whole W4 job unsplit vs split 1.11x / 0.99x (cell), 1.02x / 1.02x
 * (LSTM.forward) in wall time at half the CPU (bench/w4-ab.ts, two runs). */
#define RC_STEP_SPLIT_FLOATS 131072.0

void rc_unpacked_pre(const rc_rin *in, const rc_fplan *f, const float *const *xr, const float *const *hr) {
  const int GA = rc_na(in->kind) * in->H;
  int nth = in->tasks >= 1 ? in->tasks : (double)GA * (in->Hout + in->I) >= RC_STEP_SPLIT_FLOATS ? rc_pool_threads() : 1;
  if (nth > GA / 64) nth = GA / 64;
  if (nth < 1) nth = 1;
  const int ncol = ((GA + nth - 1) / nth + 15) / 16 * 16;
  pre_ctx x = {in, f, xr, hr, (GA + ncol - 1) / ncol, ncol};
  rc_run(x.nth, pre_task, &x);
}

/* dst[r·ldd + i] = src[r·lds + i], i < n (n <= 8), r < rows: constant-size moves for full panels. */
static void copy_rows(float *dst, long ldd, const float *src, long lds, int rows, int n) {
  if (n == 8) {
    for (int r = 0; r < rows; r++) memcpy(dst + r * ldd, src + r * lds, 8 * sizeof(float));
  } else if (n == 6) {
    for (int r = 0; r < rows; r++) memcpy(dst + r * ldd, src + r * lds, 6 * sizeof(float));
  } else if (n == 4) {
    for (int r = 0; r < rows; r++) memcpy(dst + r * ldd, src + r * lds, 4 * sizeof(float));
  } else {
    for (int r = 0; r < rows; r++)
      for (int i = 0; i < n; i++) dst[r * ldd + i] = src[r * lds + i];
  }
}

void rc_store_dap(const rc_rin *in, const rc_bplan *b, int tl, int b0, int rows, const float *dA) {
  if (b->dAp == NULL) return;
  const int MR = b->MR, H = in->H;
  const size_t RB = (size_t)b->Tc * in->B, row0 = (size_t)tl * in->B + b0;
  for (int k = 0; k < b->NA; k++)
    for (int q = 0; q < b->PPG; q++) {
      const int u0 = q * MR, n = H - u0 < MR ? H - u0 : MR;
      copy_rows(b->dAp + (((size_t)k * b->PPG + q) * RB + row0) * MR, MR, dA + (size_t)k * H + u0, b->GA, rows, n);
    }
}

void rc_store_fence(void) {
#ifdef RC_X86
  __builtin_ia32_sfence();
#endif
}

/* ---- after each chunk, after the loop -------------------------------------------------------------- */

typedef struct {
  const rc_rin *in;
  const rc_bplan *b;
  rc_bgroup gh, gx;  /* op(B) = h_{t-1} (⊙ maskH) -> dW_hh, x (⊙ maskX) -> dW_ih, the chunk's rows */
  int want_h, want_x, nth, K;
} post_ctx;

/* Task `task` of nth: its share of the A panels of every gate block, against both groups at once (B is
 * packed once per K block). GRU: blocks r, z feed both; dRn (block 2) only dW_hh's n rows; da_n (block 3)
 * only dW_ih's n rows. */
static void post_task(void *vctx, int task) {
  const post_ctx *x = vctx;
  const rc_bplan *b = x->b;
  const int H = x->in->H;
  static const int blk[4] = {0, 1, 2, 3};
  rc_bgroup g[2];
  int ng = 0, col[2] = {-1, -1};
  if (x->want_h) { col[0] = ng; g[ng++] = x->gh; }
  if (x->want_x) { col[1] = ng; g[ng++] = x->gx; }
  int crow[8];
  if (x->in->kind == RC_GRU) {
    const int rh[4] = {0, H, 2 * H, -1}, rx[4] = {0, H, -1, 2 * H};
    for (int j = 0; j < 4; j++) {
      if (col[0] >= 0) crow[j * ng + col[0]] = rh[j];
      if (col[1] >= 0) crow[j * ng + col[1]] = rx[j];
    }
  }
  rc_apanels a = {b->dAp, (long)b->Tc * x->in->B * b->MR, b->PPG, H, b->NA, blk, x->in->kind == RC_GRU ? crow : NULL};
  const int np = b->NA * b->PPG;
  const int p0 = (int)((long)task * np / x->nth), p1 = (int)((long)(task + 1) * np / x->nth);
  rc_gemm_pa_st(&a, p0, p1, x->K, 1.0f, g, ng, 1.0f);
}

RC_VEC RC_OPT static void add_rows(int n, float *RC_RESTRICT dst, const float *RC_RESTRICT src) {
  for (int j = 0; j < n; j++) dst[j] += src[j];
}

void rc_bwd_chunk(const rc_rin *in, const rc_rout *sv, const rc_rgrad *g, const rc_bplan *b, int t_lo, int t_hi) {
  if (b->dAp == NULL) return;
  const int T = in->T, B = in->B, Ho = in->Hout, I = in->I, nt = t_hi - t_lo;
  const size_t bh = (size_t)B * Ho;
  post_ctx x = {.in = in, .b = b, .want_h = g->dWHh != NULL, .want_x = g->dWIh != NULL && I > 0, .K = nt * B};
  /* op(B) of dW_hh: row (t - t_lo)·B + r = h_{t-1}[r] (⊙ maskH): h0 for the first visited step, else the
   * saved h of the step visited before (time order t-1 forward, t+1 reverse) — at most two segments. */
  rc_bgroup gh = {.ld = Ho, .N = Ho, .C = g->dWHh, .ldc = Ho, .mask = in->maskH, .mperiod = B};
  if (!in->reverse) {
    if (t_lo == 0) {
      gh.ptr[gh.nseg] = in->h0; gh.len[gh.nseg++] = B;
      if (nt > 1) { gh.ptr[gh.nseg] = sv->h; gh.len[gh.nseg++] = (nt - 1) * B; }
    } else {
      gh.ptr[gh.nseg] = sv->h + (size_t)(t_lo - 1) * bh; gh.len[gh.nseg++] = nt * B;
    }
  } else {
    const int last = t_hi == T; /* the chunk holds t = T-1, whose h_{t-1} is h0 */
    if (nt - last > 0) { gh.ptr[gh.nseg] = sv->h + (size_t)(t_lo + 1) * bh; gh.len[gh.nseg++] = (nt - last) * B; }
    if (last) { gh.ptr[gh.nseg] = in->h0; gh.len[gh.nseg++] = B; }
  }
  rc_bgroup gx = {.nseg = 1, .ld = I, .N = I, .C = g->dWIh, .ldc = I, .mask = in->maskX, .mperiod = B};
  gx.ptr[0] = in->x + (size_t)t_lo * B * I;
  gx.len[0] = nt * B;
  x.gh = gh;
  x.gx = gx;
  int nth = (double)nt * B * b->GA * (Ho + I) < (double)(1 << 20) ? 1 : rc_pool_threads();
  if (nth > b->PPG) nth = b->PPG;
  x.nth = nth < 1 ? 1 : nth;
  rc_run(x.nth, post_task, &x);
}

void rc_bwd_bias(const rc_rin *in, const rc_rgrad *g, const rc_bplan *b) {
  const int B = in->B, H = in->H;
  if (g->dBIh == NULL && g->dBHh == NULL) return;
  float *db = b->scr; /* Σ over rows, b = 0 .. B-1 in order */
  memset(db, 0, sizeof(float) * b->GA);
  for (int r = 0; r < B; r++) add_rows(b->GA, db, b->dbrow + (size_t)r * b->GA);
  if (in->kind != RC_GRU) { /* LSTM, RNN: both bias gradients are Σ dA */
    rc_add_into(g->dBIh, db, (size_t)in->G);
    rc_add_into(g->dBHh, db, (size_t)in->G);
    return;
  }
  if (g->dBIh != NULL) {
    add_rows(2 * H, g->dBIh, db);
    add_rows(H, g->dBIh + 2 * H, db + 3 * H);
  }
  rc_add_into(g->dBHh, db, (size_t)3 * H);
}
