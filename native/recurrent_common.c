/*
 * recurrent_common.c — workspace layout and the phases shared by the fused recurrent kernels.
 *
 * Legend: T time, B batch, I input, H hidden, P projection (LSTM, 0 = none), Hout = P > 0 ? P : H,
 *   G gate width (LSTM 4H, GRU 3H, RNN H), TB = T·B. All buffers float32, row-major, time-major.
 *
 * Workspace (elements; every segment starts on a 16-float boundary relative to ws):
 *
 *   forward                                     backward
 *   wp   W_hhᵀ packed, gate-interleaved         dA    (T, B, G)   input-side pre-activation grads
 *        (+ W_hrᵀ packed)                       dRn   (T, B, H)   GRU only: da_n ⊙ r
 *   r    (B, ldr) one step's h·W_hhᵀ            R     max(TB·I, TB·(Hout + P)):
 *   xm   (T, B, I)   x ⊙ maskX (if masked)
 *   hm0  (B, Hout)   h_{t-1} ⊙ maskH                  loop: DHS (T, B, P) (LSTM P > 0)
 *   hm1  (B, Hout)   (double buffer)                  after: [DHS][HM (T, B, Hout)] for dW_hh,
 *   bsum (G + H)     summed biases                           then xm (T, B, I) for dW_ih and dx
 *                                               dh, tmp (B, Hout)   dc, dm (B, H)
 *                                               dbsum (G + H)
 *
 * rc_rec_workspace() = max(forward, backward, reference backend's size), so a ws sized by either
 * backend serves a forward or backward of either (they interoperate on the saved buffers).
 */
#include <stdint.h>
#include <string.h>

#include "gemm.h"
#include "pool.h"
#include "recurrent_common.h"

/* Per-step work (multiply-adds of h·W_hhᵀ, B·G·Hout) below which a step runs on one thread. A
 * spinning pool hands off in well under 1 µs, but a worker that the OS has descheduled (a busy
 * machine) costs far more, so only steps of >= ~3 µs (256K MACs: B = 2, H = 128 LSTM) are split. */
#define RC_PAR_MIN_WORK (1L << 18)
/* A forward of one step (T = 1) with B <= this does not pre-pack W_hh (see rc_carve_fwd). */
#define RC_UNPACKED_MAX_B 2 /* = gemm.c RC_DOT_MAX_M: the GEMM computes such products as dot products */
static size_t pad16(size_t n) { return (n + 15) & ~(size_t)15; }

static int gate_count(int kind) { return kind == RC_LSTM ? 4 : kind == RC_GRU ? 3 : 1; }

typedef struct { size_t TB, I, H, P, Hout, G, B; int kind; } dims_t;

static dims_t dims_of(int kind, int T, int B, int I, int H, int P) {
  dims_t d;
  d.kind = kind;
  d.TB = (size_t)T * B;
  d.B = (size_t)B;
  d.I = (size_t)I;
  d.H = (size_t)H;
  d.P = kind == RC_LSTM && P > 0 ? (size_t)P : 0;
  d.Hout = d.P > 0 ? d.P : d.H;
  d.G = (size_t)gate_count(kind) * H;
  return d;
}

static size_t region_R(const dims_t *d) {
  size_t a = d->TB * d->I, b = d->TB * (d->Hout + d->P);
  return a > b ? a : b;
}

/* Packed weights: (K, N) in panels of NR columns takes K·roundup(N, NR) floats (gemm.h). Sized
 * with a chunk of max(32, NR) so the layout size does not depend on which CPU path is active (NR is
 * 16 or 32), plus 16 floats to align the start to 64 bytes. */
static size_t nr_bound(void) {
  size_t nr = (size_t)rc_sgemm_nr();
  return nr < 32 ? 32 : nr;
}
static size_t round_to(size_t n, size_t m) { return (n + m - 1) / m * m; }
static size_t wp_size(const dims_t *d) { return pad16((d->G / d->H) * d->Hout * round_to(d->H, nr_bound())); }
static size_t pack_size(const dims_t *d) {
  return 16 + wp_size(d) + (d->P > 0 ? pad16(d->H * round_to(d->P, nr_bound())) : 0);
}
/* The per-step gate-interleaved h·W_hhᵀ (LSTM, GRU). */
static size_t r_size(const dims_t *d) {
  return d->kind == RC_RNN ? 0 : pad16(d->B * (d->G / d->H) * round_to(d->H, nr_bound()));
}

static size_t fwd_size(const dims_t *d) {
  return pack_size(d) + r_size(d) + pad16(d->TB * d->I) + 2 * pad16(d->B * d->Hout) + pad16(d->G + d->H);
}

static size_t bwd_size(const dims_t *d) {
  return pad16(d->TB * d->G) + (d->kind == RC_GRU ? pad16(d->TB * d->H) : 0) + pad16(region_R(d)) +
         2 * pad16(d->B * d->Hout) + 2 * pad16(d->B * d->H) + pad16(d->G + d->H);
}

/* src/kernels/ref/workspace.ts recurrentWorkspace(), mirrored. */
static size_t ref_size(const dims_t *d) {
  size_t fw = d->TB * d->I + d->TB * d->G + d->B * d->Hout + d->B * d->G;
  size_t lstmH = d->kind == RC_LSTM ? d->B * d->H : 0;
  size_t bw = d->TB * d->I + d->TB * d->G + d->B * d->G + 4 * d->B * d->Hout + lstmH + (d->P > 0 ? lstmH : 0);
  return fw > bw ? fw : bw;
}

size_t rc_rec_workspace(int kind, int T, int B, int I, int H, int P) {
  dims_t d = dims_of(kind, T, B, I, H, P);
  size_t n = kind == RC_RNN ? fwd_size(&d) : rc_fused_workspace(kind, T, B, I, H, P);
  size_t b = kind == RC_RNN ? bwd_size(&d) : 0, r = ref_size(&d);
  if (b > n) n = b;
  if (r > n) n = r;
  return n;
}

void rc_carve_fwd(const rc_rin *in, rc_fws *w) {
  dims_t d = dims_of(in->kind, in->T, in->B, in->I, in->H, in->P);
  int gates = in->G / in->H;
  float *p = in->ws;
  float *wp = (float *)(((uintptr_t)p + 63) & ~(uintptr_t)63); /* ws is at least 4-byte aligned */
  /* One step of a small batch reads W_hh as it is (the GEMM's small-M path, no packing pass); then
   * the whole of H is one chunk, so r is gate-major and one GEMM per gate fills it. */
  w->packed = in->T > 1 || in->B > RC_UNPACKED_MAX_B;
  w->NR = w->packed ? rc_sgemm_nr() : (int)round_to((size_t)in->H, 16);
  w->wp = wp;
  w->wrp = wp + wp_size(&d);
  p += pack_size(&d);
  w->r = p; p += r_size(&d);
  w->ldr = gates * (int)round_to((size_t)in->H, (size_t)w->NR);
  w->xm = p; p += pad16(d.TB * d.I);
  w->hm[0] = p; p += pad16(d.B * d.Hout);
  w->hm[1] = p; p += pad16(d.B * d.Hout);
  w->bsum = p;
}

void rc_pack_weights(const rc_rin *in, const rc_fws *w) {
  int H = in->H, K = in->Hout, NR = w->NR, gates = in->G / H;
  if (!w->packed) return;
  for (int c = 0; c * NR < H; c++) {
    int nc = H - c * NR < NR ? H - c * NR : NR;
    for (int k = 0; k < gates; k++) /* one panel: rows [kH + cNR, kH + cNR + nc) of W_hh as op(B) (K, nc) */
      rc_sgemm_packb(1, K, nc, in->wHh + (size_t)(k * H + c * NR) * K, K, w->wp + (size_t)(c * gates + k) * K * NR);
  }
  if (in->P > 0) rc_sgemm_packb(1, H, in->P, in->wHr, H, w->wrp);
}

void rc_step_gemm(const rc_rin *in, const rc_fws *w, int j0, int j1, const float *A, float *C) {
  int H = in->H, K = in->Hout, B = in->B, NR = w->NR;
  /* RNN (one gate): straight into C (rows of H), exactly the task's columns */
  if (w->packed) rc_sgemm_pb_st(0, B, j1 - j0, K, 1.0f, A, K, w->wp + (size_t)(j0 / NR) * K * NR, 1.0f, C + j0, H);
  else rc_sgemm_st(0, 1, B, j1 - j0, K, 1.0f, A, K, in->wHh + (size_t)j0 * K, K, 1.0f, C + j0, H);
}

void rc_carve_bwd(const rc_rin *in, rc_bws *w) {
  dims_t d = dims_of(in->kind, in->T, in->B, in->I, in->H, in->P);
  float *p = in->ws;
  w->dA = p; p += pad16(d.TB * d.G);
  w->dRn = NULL;
  if (d.kind == RC_GRU) { w->dRn = p; p += pad16(d.TB * d.H); }
  w->R = p; p += pad16(region_R(&d));
  w->dhs = w->R;
  w->dh = p; p += pad16(d.B * d.Hout);
  w->tmp = p; p += pad16(d.B * d.Hout);
  w->dc = p; p += pad16(d.B * d.H);
  w->dm = p; p += pad16(d.B * d.H);
  w->dbsum = p;
}

rc_split rc_make_split(const rc_rin *in, int n, int align) {
  rc_split sp;
  int nt;
  if (in->tasks >= 1) {
    nt = in->tasks < n ? in->tasks : n;
  } else {
    long work = (long)in->B * in->G * in->Hout;
    nt = work < RC_PAR_MIN_WORK ? 1 : rc_pool_threads();
    if (nt > n / align) nt = n / align;
    if (nt < 1) nt = 1;
  }
  int chunk = (n + nt - 1) / nt;
  chunk = (chunk + align - 1) / align * align;
  sp.chunk = chunk;
  sp.nt = (n + chunk - 1) / chunk;
  return sp;
}

void rc_run(int nt, void (*fn)(void *ctx, int task), void *ctx) {
  if (nt <= 1) fn(ctx, 0);
  else rc_pool_run(nt, fn, ctx);
}

RC_VEC RC_OPT static void mul_into(int n, float *RC_RESTRICT dst, const float *RC_RESTRICT a, const float *RC_RESTRICT b) {
  for (int j = 0; j < n; j++) dst[j] = a[j] * b[j];
}

RC_VEC RC_OPT static void fma_into(int n, float *RC_RESTRICT dst, const float *RC_RESTRICT a, const float *RC_RESTRICT b) {
  for (int j = 0; j < n; j++) dst[j] += a[j] * b[j];
}

RC_VEC RC_OPT static void add_into_n(int n, float *RC_RESTRICT dst, const float *RC_RESTRICT a) {
  for (int j = 0; j < n; j++) dst[j] += a[j];
}

void rc_mask_rows(float *dst, const float *src, const float *mask, int B, int n) {
  if (mask == NULL) memcpy(dst, src, sizeof(float) * (size_t)B * n);
  else mul_into(B * n, dst, src, mask);
}

/* xm (T, B, I) = x ⊙ maskX, the mask (B, I) repeated over t. */
static const float *masked_input(const rc_rin *in, float *xm) {
  if (in->maskX == NULL) return in->x;
  size_t bi = (size_t)in->B * in->I;
  for (int t = 0; t < in->T; t++) mul_into((int)bi, xm + t * bi, in->x + t * bi, in->maskX);
  return xm;
}

void rc_input_projection(const rc_rin *in, float *xm, float *dst) {
  const float *X = masked_input(in, xm);
  rc_sgemm(0, 1, in->T * in->B, in->G, in->I, 1.0f, X, in->I, in->wIh, in->I, 0.0f, dst, in->G);
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

void rc_dwhh(const rc_rin *in, const float *h, int rows, const float *dA, int lda, float *hmbuf, float *dW) {
  int T = in->T, B = in->B, Hout = in->Hout;
  size_t bh = (size_t)B * Hout;
  if (in->maskH != NULL) {
    /* HM[t] = h_{t-1} ⊙ maskH in time order (what step t multiplied W_hh by), one GEMM over T·B. */
    for (int s = 0; s < T; s++) {
      int t = rc_step(in, s);
      rc_mask_rows(hmbuf + t * bh, rc_prev(in, in->h0, h, s, Hout), in->maskH, B, Hout);
    }
    rc_sgemm(1, 0, rows, Hout, T * B, 1.0f, dA, lda, hmbuf, Hout, 1.0f, dW, Hout);
    return;
  }
  /* Unmasked: h_{t-1} of step t is the saved h one step earlier in visit order, so the saved h
   * shifted by one step is the right-hand side, plus h0 for the first visited step. */
  if (!in->reverse) {
    if (T > 1) rc_sgemm(1, 0, rows, Hout, (T - 1) * B, 1.0f, dA + (size_t)B * lda, lda, h, Hout, 1.0f, dW, Hout);
    rc_sgemm(1, 0, rows, Hout, B, 1.0f, dA, lda, in->h0, Hout, 1.0f, dW, Hout);
  } else {
    if (T > 1) rc_sgemm(1, 0, rows, Hout, (T - 1) * B, 1.0f, dA, lda, h + bh, Hout, 1.0f, dW, Hout);
    rc_sgemm(1, 0, rows, Hout, B, 1.0f, dA + (size_t)(T - 1) * B * lda, lda, in->h0, Hout, 1.0f, dW, Hout);
  }
}

void rc_input_backward(const rc_rin *in, const float *dA, float *xm, float *dx, float *dWIh) {
  int TB = in->T * in->B, I = in->I, G = in->G;
  if (dWIh != NULL) {
    const float *X = masked_input(in, xm);
    rc_sgemm(1, 0, G, I, TB, 1.0f, dA, G, X, I, 1.0f, dWIh, I);
  }
  if (dx == NULL) return;
  if (in->maskX == NULL) {
    rc_sgemm(0, 0, TB, I, G, 1.0f, dA, G, in->wIh, I, 1.0f, dx, I);
    return;
  }
  rc_sgemm(0, 0, TB, I, G, 1.0f, dA, G, in->wIh, I, 0.0f, xm, I);
  size_t bi = (size_t)in->B * I;
  for (int t = 0; t < in->T; t++) fma_into((int)bi, dx + t * bi, xm + t * bi, in->maskX);
}

void rc_add_into(float *dst, const float *src, size_t n) {
  if (dst == NULL) return;
  for (size_t k = 0; k < n; k++) dst[k] += src[k];
}

void rc_copy_or_zero(float *dst, const float *src, size_t n) {
  if (src == NULL) memset(dst, 0, sizeof(float) * n);
  else memcpy(dst, src, sizeof(float) * n);
}

void rc_carry(const rc_rin *in, int t, const float *tmp, float *dh, int j0, int j1, int accum) {
  int Hout = in->Hout, n = j1 - j0;
  for (int b = 0; b < in->B; b++) {
    if (!rc_real(in, t, b)) continue; /* padded: the carry passes through unchanged */
    size_t o = (size_t)b * Hout + j0;
    if (in->maskH != NULL) {
      if (!accum) memset(dh + o, 0, sizeof(float) * n);
      fma_into(n, dh + o, tmp + o, in->maskH + o);
    } else if (accum) {
      for (int j = 0; j < n; j++) dh[o + j] += tmp[o + j];
    } else {
      memcpy(dh + o, tmp + o, sizeof(float) * n);
    }
  }
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

void rc_finish_rows(const rc_rin *in, int t, const float *hPrev, float *h, float *y, int j0, int j1) {
  int Hout = in->Hout, n = j1 - j0;
  for (int b = 0; b < in->B; b++) {
    size_t o = ((size_t)t * in->B + b) * Hout + j0;
    if (rc_real(in, t, b)) {
      memcpy(y + o, h + o, sizeof(float) * n);
    } else {
      memcpy(h + o, hPrev + (size_t)b * Hout + j0, sizeof(float) * n);
      memset(y + o, 0, sizeof(float) * n);
    }
  }
}

void rc_mask_next(const rc_rin *in, int t, const float *h, float *hmNext, int j0, int j1) {
  if (hmNext == NULL) return;
  int Hout = in->Hout;
  for (int b = 0; b < in->B; b++) {
    size_t o = (size_t)b * Hout + j0;
    mul_into(j1 - j0, hmNext + o, h + ((size_t)t * in->B) * Hout + o, in->maskH + o);
  }
}
