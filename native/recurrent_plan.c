/*
 * recurrent_plan.c — workspace layout, batch slices and weight packing of the fused recurrent kernels
 * (the scheme is described in recurrent_common.h; the driver is recurrent_driver.c).
 *
 * Legend: T time, B batch, I input, H hidden, P projection, Hout = P > 0 ? P : H, G gate width (4H LSTM,
 *   3H GRU, H RNN), NA dA blocks per row (4 LSTM / GRU, 1 RNN), GA = NA·H, ngw gate panels per chunk
 *   (4 LSTM, 3 GRU, 1 RNN), TB = T·B, Kt = Hout + I, MR x NR the micro-kernel tile (cpu.h),
 *   nts = min(B, RC_MAX_SLICES).
 *
 * Workspace (floats; every segment padded to 16 floats; sizes use NR = 32 and MR = 8, the largest of any
 * CPU path, so the layout size does not depend on the active path):
 *
 *   forward, packed (T > 1 or B > 2)         forward, unpacked (T = 1, B <= 2)
 *     16 + wp      ngw·Kt·roundup(H, 32)       bsum, hbuf[2], cst, mst as on the left
 *     wrp          H·roundup(P, 32) (P > 0)    scr   B·(GA + I + Hout): per row the GA gate
 *     bsum         G + H                             pre-activations and the masked x, h
 *     hbuf[0..1]   B·Hout each (inference)
 *     cst, mst     B·H each (inference)
 *     scr          (B + nts·8)·(Kt + max(Hout, I) + 128): per slice Ap, masked rows, r tile
 *
 *   backward (Tc = steps per chunk, rc_bplan)
 *     dAp   NA·(H + 7)·Tc·B   bw G·roundup(Hout, 32)   bx G·roundup(I, 32)   dh B·Hout   dc B·H
 *     dbrow B·GA   dhs TB·P
 *     scr   (B + nts·8)·(2·GA + Hout + I + H): per slice dA rows, packed dA, dh / dx products, dm
 */
#include <string.h>

#include "gemm.h"
#include "pool.h"
#include "recurrent_common.h"

static size_t pad16(size_t n) { return (n + 15) & ~(size_t)15; }
static size_t rup(size_t n, size_t m) { return (n + m - 1) / m * m; }
static size_t mx(size_t a, size_t b) { return a > b ? a : b; }

typedef struct { size_t T, B, I, H, P, Hout, G, GA, Kt, TB, nts; int kind, packed; } fdims;

static fdims fdims_of(int kind, int T, int B, int I, int H, int P) {
  fdims d;
  d.kind = kind;
  d.T = (size_t)T; d.B = (size_t)B; d.I = (size_t)I; d.H = (size_t)H;
  d.P = kind == RC_LSTM && P > 0 ? (size_t)P : 0;
  d.Hout = d.P > 0 ? d.P : d.H;
  d.G = (size_t)rc_ngw(kind) * H;
  d.GA = (size_t)rc_na(kind) * H;
  d.Kt = d.Hout + d.I;
  d.TB = d.T * d.B;
  d.nts = d.B < RC_MAX_SLICES ? d.B : RC_MAX_SLICES;
  d.packed = T > 1 || B > 2;
  return d;
}

static size_t fwd_scr_row(const fdims *d) { return d->packed ? d->Kt + mx(d->Hout, d->I) + 128 : d->GA + d->I + d->Hout; }
static size_t fwd_scr(const fdims *d) { return d->packed ? (d->B + d->nts * 8) * fwd_scr_row(d) : d->B * fwd_scr_row(d); }
static size_t bwd_scr_row(const fdims *d) { return 2 * d->GA + d->Hout + d->I + d->H; }
/* Time steps per backward chunk: dA of a chunk (Tc·B·GA floats, <= ~512 KB) is multiplied into dW_hh, dW_ih
 * right after the chunk, and the workspace holds one chunk instead of all T steps. 512 KB stays in a 2 MB
 * L2 beside the packed weights while it is written and read back: W1's backward ran 1.07-1.14x faster (CPU
 * time, paired A/B) than with 2 MB chunks, W2 and B=8 T=10,000 H=64 unchanged (within 2-4 %). */
#define RC_CHUNK_FLOATS (128 * 1024)
static size_t bwd_chunk(const fdims *d) {
  size_t tc = RC_CHUNK_FLOATS / (d->B * d->GA);
  if (tc < 1) tc = 1;
  return tc < d->T ? tc : d->T;
}

/* Walk the forward layout: sizes when f == NULL, else carve from base. */
static size_t fwd_layout(const fdims *d, float *base, rc_fplan *f) {
  size_t o = 0;
  const size_t ngw = (size_t)rc_ngw(d->kind);
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
  o += 16 + pad16(d->GA / d->H * (d->H + 7) * bwd_chunk(d) * d->B);
  BSEG(bw, d->packed ? d->G * rup(d->Hout, 32) : 0); /* unpacked (T = 1, B <= 2): products read W as it is */
  BSEG(bx, d->packed ? d->G * rup(d->I, 32) : 0);
  BSEG(dh, d->B * d->Hout);
  BSEG(dc, d->B * d->H);
  BSEG(dbrow, d->B * d->GA);
  BSEG(dhs, d->TB * d->P);
  BSEG(scr, (d->B + (d->packed ? d->nts * 8 : 0)) * bwd_scr_row(d));
  return o;
}

size_t rc_rec_workspace(int kind, int T, int B, int I, int H, int P) {
  fdims d = fdims_of(kind, T, B, I, H, P);
  return mx(fwd_layout(&d, NULL, NULL), bwd_layout(&d, NULL, NULL));
}

/* Batch slices: exactly in->tasks (tests) or, automatically, when the call is big enough to pay one
 * hand-off (~µs) and the pool has threads: with packed weights that fit in half an L2, slices of >= 8
 * rows, at least one per thread (more slices than threads cost nothing measurable there — 1 thread,
 * W1 / W3: 1, 2 or 4 slices within 1% — and let a thread whose core is shared with another process
 * hand its remaining slices to the other threads); with bigger weights, which every slice reads in
 * full at every step, one slice per thread (W2 shapes, 2 threads, CPU time, bench/kernel-ab.c
 * TASKS 2 vs 4 slices of 16 rows, both orders: forward with saved buffers 4.0-4.6 % less,
 * backward 1.0-3.4 %, inference 1.7-1.9 %; W5 inference, 1 thread, 2 vs 4 slices: 2.6-4.0 % less).
 * Never more than B or RC_MAX_SLICES. */
static int slices(const rc_rin *in) {
  int nt;
  if (in->tasks >= 1) nt = in->tasks;
  else {
    const double work = (double)in->T * in->B * in->G * (in->Hout + in->I);
    const int nth = rc_pool_threads();
    if (work < (double)(1 << 20) || nth <= 1) return 1;
    const double wbytes = 4.0 * in->G * (in->Hout + in->I);
    nt = wbytes > 512.0 * 1024 || in->B / 8 <= nth ? nth : in->B / 8;
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
  f->ngw = rc_ngw(in->kind);
  f->NA = rc_na(in->kind);
  f->chunk = (long)f->ngw * f->Kt * f->NR;
  f->nt = d.packed ? slices(in) : 1;
  f->S = (long)fwd_scr_row(&d);
  rc_bias_sum(in, f->bsum);
  if (!d.packed) return;
  const int Hc = (in->H + f->NR - 1) / f->NR;
  /* over the pool only when big (W2: 393K floats, ~0.1 ms): a hand-off to a worker that the OS then
   * deschedules costs more than a small packing */
  int nth = (double)d.G * d.Kt < RC_SPLIT_PACK_FLOATS ? 1 : rc_pool_threads();
  if (nth > Hc) nth = Hc;
  pack_ctx x = {in, f, nth < 1 ? 1 : nth};
  rc_run(x.nth, pack_task, &x);
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
  b->NA = rc_na(in->kind);
  b->GA = b->NA * in->H;
  b->PPG = (in->H + b->MR - 1) / b->MR;
  b->S = (long)bwd_scr_row(&d);
  b->Tc = (int)bwd_chunk(&d);
  if (g->dWHh == NULL && g->dWIh == NULL) b->dAp = NULL;
  rc_copy_or_zero(b->dh, g->dhN, (size_t)in->B * in->Hout);
  if (in->kind == RC_LSTM) rc_copy_or_zero(b->dc, g->dcN, (size_t)in->B * in->H);
  memset(b->dbrow, 0, sizeof(float) * d.B * d.GA);
  b->packed = d.packed;
  if (!d.packed) { b->bw = b->bx = NULL; b->nt = 1; return; }
  /* the step products dh = dA·W_hh (K = G: LSTM i,f,g,o; GRU r, z, n) and dx = dA·W_ih */
  rc_sgemm_packb(0, in->G, in->Hout, in->wHh, in->Hout, b->bw);
  if (g->dx != NULL && in->I > 0) rc_sgemm_packb(0, in->G, in->I, in->wIh, in->I, b->bx);
}

