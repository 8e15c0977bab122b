/*
 * recurrent_fused.c — workspace, weight packing and the after-loop phase shared by the fused LSTM and
 * GRU kernels (batch slices; the scheme is described in recurrent_common.h).
 *
 * Legend: T time, B batch, I input, H hidden, P projection, Hout = P > 0 ? P : H, G gate width (4H LSTM,
 *   3H GRU), TB = T·B, Kt = Hout + I, MR x NR the micro-kernel tile (cpu.h), nts = min(B, RC_MAX_SLICES).
 *
 * Workspace (floats; every segment padded to 16 floats; sizes use NR = 32 and MR = 8, the largest of any
 * CPU path, so the layout size does not depend on the active path):
 *
 *   forward, packed (T > 1 or B > 2)         forward, unpacked (T = 1, B <= 2)
 *     16 + wp      ngw·Kt·roundup(H, 32)       bsum, hbuf[2], cst, mst as on the left
 *     wrp          H·roundup(P, 32) (P > 0)    scr   B·(4H + I + Hout): per row the 4H gate
 *     bsum         G + H                             pre-activations and the masked x, h
 *     hbuf[0..1]   B·Hout each (inference)
 *     cst, mst     B·H each (inference)
 *     scr          (B + nts·8)·(Kt + max(Hout, I) + 128): per slice Ap, masked rows, r tile
 *
 *   backward (Tc = steps per chunk, rc_bplan)
 *     dAp   4·(H + 7)·Tc·B   bw G·roundup(Hout, 32)   bx G·roundup(I, 32)   dh B·Hout   dc B·H
 *     dbrow B·4H   dhs TB·P
 *     scr   (B + nts·8)·(8H + Hout + I + H): per slice dA rows, packed dA, dh / dx products, dm
 */
#include <string.h>

#include "gemm.h"
#include "pool.h"
#include "recurrent_common.h"

static size_t pad16(size_t n) { return (n + 15) & ~(size_t)15; }
static size_t rup(size_t n, size_t m) { return (n + m - 1) / m * m; }
static size_t mx(size_t a, size_t b) { return a > b ? a : b; }

typedef struct { size_t T, B, I, H, P, Hout, G, Kt, TB, nts; int kind, packed; } fdims;

static fdims fdims_of(int kind, int T, int B, int I, int H, int P) {
  fdims d;
  d.kind = kind;
  d.T = (size_t)T; d.B = (size_t)B; d.I = (size_t)I; d.H = (size_t)H;
  d.P = kind == RC_LSTM && P > 0 ? (size_t)P : 0;
  d.Hout = d.P > 0 ? d.P : d.H;
  d.G = (size_t)(kind == RC_LSTM ? 4 : 3) * H;
  d.Kt = d.Hout + d.I;
  d.TB = d.T * d.B;
  d.nts = d.B < RC_MAX_SLICES ? d.B : RC_MAX_SLICES;
  d.packed = T > 1 || B > 2;
  return d;
}

static size_t fwd_scr_row(const fdims *d) { return d->packed ? d->Kt + mx(d->Hout, d->I) + 128 : 4 * d->H + d->I + d->Hout; }
static size_t fwd_scr(const fdims *d) { return d->packed ? (d->B + d->nts * 8) * fwd_scr_row(d) : d->B * fwd_scr_row(d); }
static size_t bwd_scr_row(const fdims *d) { return 8 * d->H + d->Hout + d->I + d->H; }
/* Time steps per backward chunk: dA of a chunk (Tc·B·4H floats, <= ~2 MB) is multiplied into dW_hh, dW_ih
 * right after the chunk, from L2 / L3, and the workspace holds one chunk instead of all T steps. */
#define RC_CHUNK_FLOATS (512 * 1024)
static size_t bwd_chunk(const fdims *d) {
  size_t tc = RC_CHUNK_FLOATS / (d->B * 4 * d->H);
  if (tc < 1) tc = 1;
  return tc < d->T ? tc : d->T;
}

/* Walk the forward layout: sizes when f == NULL, else carve from base. */
static size_t fwd_layout(const fdims *d, float *base, rc_fplan *f) {
  size_t o = 0;
  const size_t ngw = d->kind == RC_LSTM ? 4 : 3;
#define SEG(field, n)                                \
  do {                                               \
    if (f) f->field = base + o;                      \
    o += pad16(n);                                   \
  } while (0)
  if (d->packed) { /* wp 64-byte aligned within 16 floats of slack */
    if (f) f->wp = (float *)(((uintptr_t)(base + o) + 63) & ~(uintptr_t)63);
    o += 16 + pad16(ngw * d->Kt * rup(d->H, 32));
    SEG(wrp, d->P > 0 ? d->H * rup(d->P, 32) : 0);
  }
  SEG(bsum, d->G + d->H);
  SEG(hbuf[0], d->B * d->Hout);
  SEG(hbuf[1], d->B * d->Hout);
  SEG(cst, d->B * d->H);
  SEG(mst, d->B * d->H);
  SEG(scr, fwd_scr(d));
  return o;
}

static size_t bwd_layout(const fdims *d, float *base, rc_bplan *b) {
  size_t o = 0;
#define BSEG(field, n)                               \
  do {                                               \
    if (b) b->field = base + o;                      \
    o += pad16(n);                                   \
  } while (0)
  if (b) b->dAp = (float *)(((uintptr_t)base + 63) & ~(uintptr_t)63);
  o += 16 + pad16(4 * (d->H + 7) * bwd_chunk(d) * d->B);
  BSEG(bw, d->packed ? d->G * rup(d->Hout, 32) : 0); /* unpacked (T = 1, B <= 2): products read W as it is */
  BSEG(bx, d->packed ? d->G * rup(d->I, 32) : 0);
  BSEG(dh, d->B * d->Hout);
  BSEG(dc, d->B * d->H);
  BSEG(dbrow, d->B * 4 * d->H);
  BSEG(dhs, d->TB * d->P);
  BSEG(scr, (d->B + (d->packed ? d->nts * 8 : 0)) * bwd_scr_row(d));
  return o;
}

size_t rc_fused_workspace(int kind, int T, int B, int I, int H, int P) {
  fdims d = fdims_of(kind, T, B, I, H, P);
  return mx(fwd_layout(&d, NULL, NULL), bwd_layout(&d, NULL, NULL));
}

/* Batch slices: exactly in->tasks (tests) or, automatically, when the call is big enough to pay one
 * hand-off (~µs) and the pool has threads, slices of >= 8 rows (>= 16 when the packed weights, read by
 * every slice at every step, do not fit in half an L2), at least one per thread. More slices than
 * threads cost nothing measurable (1 thread, W1 / W3: 1, 2 or 4 slices within 1%) and let a thread
 * whose core is shared with another process hand its remaining slices to the other threads. Never
 * more than B or RC_MAX_SLICES. */
static int slices(const rc_rin *in) {
  int nt;
  if (in->tasks >= 1) nt = in->tasks;
  else {
    const double work = (double)in->T * in->B * in->G * (in->Hout + in->I);
    const int nth = rc_pool_threads();
    if (work < (double)(1 << 20) || nth <= 1) return 1;
    const double wbytes = 4.0 * in->G * (in->Hout + in->I);
    const int rows = wbytes <= 512.0 * 1024 ? 8 : 16;
    nt = in->B / rows > nth ? in->B / rows : nth;
  }
  if (nt > in->B) nt = in->B;
  if (nt > RC_MAX_SLICES) nt = RC_MAX_SLICES;
  return nt < 1 ? 1 : nt;
}

/* ---- forward setup ------------------------------------------------------------------------------ */

typedef struct { const rc_rin *in; const rc_fplan *f; int nth; } pack_ctx;

/* Chunks [c0, c1) of wp: gate panel k of chunk c = [W_hh rows; W_ih rows] of units c·NR .. (transposed). */
static void pack_task(void *vctx, int task) {
  const pack_ctx *x = vctx;
  const rc_rin *in = x->in;
  const rc_fplan *f = x->f;
  const int H = in->H, Ho = in->Hout, I = in->I, NR = f->NR, Hc = (H + NR - 1) / NR;
  const int c0 = (int)((long)task * Hc / x->nth), c1 = (int)((long)(task + 1) * Hc / x->nth);
  for (int c = c0; c < c1; c++) {
    const int u0 = c * NR, nc = H - u0 < NR ? H - u0 : NR;
    for (int k = 0; k < f->ngw; k++) {
      float *dst = f->wp + (size_t)c * f->chunk + (size_t)k * f->Kt * NR;
      f->P->packbt(in->wHh + (size_t)(k * H + u0) * Ho, Ho, Ho, nc, NR, dst);
      if (I > 0) f->P->packbt(in->wIh + (size_t)(k * H + u0) * I, I, I, nc, NR, dst + (size_t)Ho * NR);
    }
  }
  if (task == 0 && in->P > 0) rc_sgemm_packb(1, H, in->P, in->wHr, H, f->wrp);
}

void rc_fplan_init(const rc_rin *in, int infer, rc_fplan *f) {
  fdims d = fdims_of(in->kind, in->T, in->B, in->I, in->H, in->P);
  memset(f, 0, sizeof *f);
  fwd_layout(&d, in->ws, f);
  f->P = rc_active_path();
  f->cl = rc_cells_get();
  f->MR = f->P->mr;
  f->NR = f->P->nr;
  f->packed = d.packed;
  f->infer = infer;
  f->Kt = (int)d.Kt;
  f->ngw = in->kind == RC_LSTM ? 4 : 3;
  f->chunk = (long)f->ngw * f->Kt * f->NR;
  f->nt = d.packed ? slices(in) : 1;
  f->S = (long)fwd_scr_row(&d);
  rc_bias_sum(in, f->bsum);
  if (!d.packed) return;
  const int Hc = (in->H + f->NR - 1) / f->NR;
  /* over the pool only when big (W2: 393K floats, ~0.1 ms): a hand-off to a worker that the OS then
   * deschedules costs more than a small packing */
  int nth = (double)d.G * d.Kt < 262144.0 ? 1 : rc_pool_threads();
  if (nth > Hc) nth = Hc;
  pack_ctx x = {in, f, nth < 1 ? 1 : nth};
  rc_run(x.nth, pack_task, &x);
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
  const int H = in->H, I = in->I, Ho = in->Hout, G4 = 4 * H;
  const int c0 = task * x->ncol, c1 = c0 + x->ncol < G4 ? c0 + x->ncol : G4;
  if (c0 >= c1) return;
  for (int b = 0; b < in->B; b++) {
    float *pre = f->scr + (size_t)b * f->S;
    const float *xb = x->xr[b], *hb = x->hr[b];
    if (in->kind == RC_LSTM) {
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

void rc_unpacked_pre(const rc_rin *in, const rc_fplan *f, const float *const *xr, const float *const *hr) {
  const int G4 = 4 * in->H;
  /* A batch-1 LSTM step (H = 128, I = 32) reads 327 KB of weights at the L2 bandwidth (~2.9 µs); two
   * threads read half each (~1.5 µs) for a hand-off of ~0.3 µs while the worker spins between calls. */
  int nth = in->tasks >= 1 ? in->tasks : (double)in->B * G4 * (in->Hout + in->I) >= 32768.0 ? rc_pool_threads() : 1;
  if (nth > G4 / 64) nth = G4 / 64;
  if (nth < 1) nth = 1;
  const int ncol = ((G4 + nth - 1) / nth + 15) / 16 * 16;
  pre_ctx x = {in, f, xr, hr, (G4 + ncol - 1) / ncol, ncol};
  rc_run(x.nth, pre_task, &x);
}

/* ---- backward setup ----------------------------------------------------------------------------- */

void rc_bplan_init(const rc_rin *in, const rc_rgrad *g, rc_bplan *b) {
  fdims d = fdims_of(in->kind, in->T, in->B, in->I, in->H, in->P);
  memset(b, 0, sizeof *b);
  bwd_layout(&d, in->ws, b);
  b->P = rc_active_path();
  b->cl = rc_cells_get();
  b->MR = b->P->mr;
  b->NR = b->P->nr;
  b->nt = slices(in);
  b->GA = 4 * in->H;
  b->PPG = (in->H + b->MR - 1) / b->MR;
  b->S = (long)bwd_scr_row(&d);
  b->Tc = (int)bwd_chunk(&d);
  if (g->dWHh == NULL && g->dWIh == NULL) b->dAp = NULL;
  rc_copy_or_zero(b->dh, g->dhN, (size_t)in->B * in->Hout);
  if (in->kind == RC_LSTM) rc_copy_or_zero(b->dc, g->dcN, (size_t)in->B * in->H);
  memset(b->dbrow, 0, sizeof(float) * d.B * 4 * d.H);
  b->packed = d.packed;
  if (!d.packed) { b->bw = b->bx = NULL; b->nt = 1; return; }
  /* the step products dh = dA·W_hh (K = G: LSTM i,f,g,o; GRU r, z, n) and dx = dA·W_ih */
  rc_sgemm_packb(0, in->G, in->Hout, in->wHh, in->Hout, b->bw);
  if (g->dx != NULL && in->I > 0) rc_sgemm_packb(0, in->G, in->I, in->wIh, in->I, b->bx);
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
  for (int k = 0; k < 4; k++)
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
  rc_apanels a = {b->dAp, (long)b->Tc * x->in->B * b->MR, b->PPG, H, 4, blk, x->in->kind == RC_GRU ? crow : NULL};
  const int np = 4 * b->PPG;
  const int p0 = (int)((long)task * np / x->nth), p1 = (int)((long)(task + 1) * np / x->nth);
  rc_gemm_pa_st(&a, p0, p1, x->K, 1.0f, g, ng, 1.0f);
}

RC_VEC RC_OPT static void add_rows(int n, float *RC_RESTRICT dst, const float *RC_RESTRICT src) {
  for (int j = 0; j < n; j++) dst[j] += src[j];
}

void rc_bwd_chunk(const rc_rin *in, const rc_rout *sv, const rc_rgrad *g, const rc_bplan *b, int t_lo, int t_hi) {
  if (b->dAp == NULL) return;
  const int T = in->T, B = in->B, H = in->H, Ho = in->Hout, I = in->I, nt = t_hi - t_lo;
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
  int nth = (double)nt * B * 4 * H * (Ho + I) < (double)(1 << 20) ? 1 : rc_pool_threads();
  if (nth > b->PPG) nth = b->PPG;
  x.nth = nth < 1 ? 1 : nth;
  rc_run(x.nth, post_task, &x);
}

void rc_bwd_bias(const rc_rin *in, const rc_rgrad *g, const rc_bplan *b) {
  const int B = in->B, H = in->H;
  if (g->dBIh == NULL && g->dBHh == NULL) return;
  float *db = b->scr; /* Σ over rows, b = 0 .. B-1 in order */
  memset(db, 0, sizeof(float) * 4 * H);
  for (int r = 0; r < B; r++) add_rows(4 * H, db, b->dbrow + (size_t)r * 4 * H);
  if (in->kind == RC_LSTM) {
    rc_add_into(g->dBIh, db, (size_t)4 * H);
    rc_add_into(g->dBHh, db, (size_t)4 * H);
    return;
  }
  if (g->dBIh != NULL) {
    add_rows(2 * H, g->dBIh, db);
    add_rows(H, g->dBIh + 2 * H, db + 3 * H);
  }
  rc_add_into(g->dBHh, db, (size_t)3 * H);
}
