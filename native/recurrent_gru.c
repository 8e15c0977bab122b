/*
 * recurrent_gru.c — fused GRU over a whole sequence (one layer, one direction), forward and BPTT.
 * PyTorch nn.GRU semantics: gate order r, z, n; b_hn inside the reset product. The spec is
 * src/kernels/ref/gru.ts; every saved buffer holds exactly what the reference saves.
 *
 * Legend: T time, B batch, I input, H hidden (= Hout), G = 3H, Kt = H + I, MR x NR the micro-kernel
 *   tile, rows [b0, b1) the batch slice of one task (recurrent_common.h).
 *
 * Buffers: x (T, B, I)  h0 (B, H)  wIh (3H, I)  wHh (3H, H)  bIh, bHh (3H) | NULL  maskX (B, I)
 *   maskH (B, H)  lengths (B)
 *   saved: gates (T, B, 3H) post-activation r,z,n (0 at padded steps)  q (T, B, H) (0 at padded steps)
 *          h (T, B, H)      y (T, B, H)  hN (B, H)
 *   gates == NULL: inference, no saved buffer is written.
 *
 * Forward, per step t and task rows:  A = [h_{t-1} ⊙ maskH | x_t ⊙ maskX]  (rows, Kt), packed once;
 *   per chunk of NR units, 4 micro-kernel runs into the r tile:  r, z over K = Kt (h and x parts
 *   summed), h·W_hnᵀ over the first H rows of the n panel, x·W_inᵀ over its last I rows; then
 *     r = σ(· + b_ir + b_hr)  z = σ(· + b_iz + b_hz)  q = h·W_hnᵀ + b_hn  n = tanh(x·W_inᵀ + b_in + r ⊙ q)
 *     h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}   (the carried h_{t-1} is NOT masked), y = h_t on real rows.
 *   T = 1 with B <= 2: dot products on the unpacked weights (cpu.h dots), then the same cell.
 *
 * Backward (iteration order reversed; carry dh (B, H)); with d = dh + dy_t on real rows:
 *   gate phase:  da_n = d (1−z)(1−n²);  da_r = da_n q r(1−r);  da_z = d (h_{t-1} − n) z(1−z);  dh ← d z
 *     dA row = [da_r, da_z, dRn = da_n ⊙ r, da_n] (4H), summed per row, stored in dAp
 *   one packing of dA:  dh += ([da_r, da_z, dRn]·W_hh) ⊙ maskH on real rows   (rows, 3H)×(3H, H)
 *                       dx_t += ([da_r, da_z]·W_i{r,z} + da_n·W_in) ⊙ maskX
 *   The steps run in chunks (as in recurrent_lstm.c); after each chunk: dW_hh += [da_r, da_z, dRn]ᵀ·
 *   (h_{t-1} ⊙ maskH), dW_ih += [da_r, da_z, da_n]ᵀ·(x ⊙ maskX) over the chunk's rows. At the end:
 *   db_ih += Σ [da_r, da_z, da_n]; db_hh += Σ [da_r, da_z, dRn] (per-row sums, rows in order).
 */
#include <string.h>

#include "gemm.h"
#include "recurrent_common.h"

/* ---- forward ---------------------------------------------------------------------------------- */

typedef struct {
  const rc_rin *in;
  const rc_rout *out;
  const rc_fplan *f;
} fctx_t;

typedef struct {
  const float *hp;   /* h_{t-1} */
  float *h, *g, *q;  /* h_t; saved gates and q (NULL: inference) */
} state_t;

static state_t state_at(const rc_rin *in, const rc_rout *o, const rc_fplan *f, int s) {
  const int t = rc_step(in, s), B = in->B, H = in->H;
  state_t st;
  if (f->infer) {
    st.hp = s == 0 ? in->h0 : f->hbuf[(s - 1) & 1];
    st.h = f->hbuf[s & 1];
    st.g = st.q = NULL;
  } else {
    st.hp = rc_prev(in, in->h0, o->h, s, H);
    st.h = o->h + (size_t)t * B * H;
    st.g = o->gates + (size_t)t * B * 3 * H;
    st.q = o->q + (size_t)t * B * H;
  }
  return st;
}

static void pad_row(const rc_rin *in, const state_t *st, float *y, int b, int u0, int n) {
  const int H = in->H;
  const size_t hr = (size_t)b * H + u0;
  if (st->g) rc_zero_blocks(st->g + (size_t)b * 3 * H + u0, 3, H, n);
  if (st->q) memset(st->q + hr, 0, sizeof(float) * n);
  memcpy(st->h + hr, st->hp + hr, sizeof(float) * n);
  memset(y + hr, 0, sizeof(float) * n);
}

static void fwd_task(void *vctx, int task) {
  const fctx_t *x = vctx;
  const rc_rin *in = x->in;
  const rc_rout *o = x->out;
  const rc_fplan *f = x->f;
  int b0, b1;
  rc_task_rows(in->B, f->nt, task, &b0, &b1);
  if (b0 >= b1) return;
  const int rows = b1 - b0, B = in->B, H = in->H, I = in->I, MR = f->MR, NR = f->NR, Kt = f->Kt;
  const rc_path *P = f->P;
  float *Ap = rc_task_scr(f->scr, f->S, MR, task, b0);
  float *tmp = Ap + (size_t)((rows + MR - 1) / MR) * MR * Kt;
  float *rt = tmp + (size_t)rows * (H > I ? H : I);
  for (int s = 0; s < in->T; s++) {
    const int t = rc_step(in, s);
    const state_t st = state_at(in, o, f, s);
    float *y = o->y + (size_t)t * B * H;
    rc_pack_rows(f, st.hp + (size_t)b0 * H, H, in->maskH ? in->maskH + (size_t)b0 * H : NULL, H, rows, H, Kt, 0, Ap, tmp);
    rc_pack_rows(f, in->x + ((size_t)t * B + b0) * I, I, in->maskX ? in->maskX + (size_t)b0 * I : NULL, I, rows, I, Kt, H,
                 Ap, tmp);
    for (int u0 = 0; u0 < H; u0 += NR) {
      const int nc = H - u0 < NR ? H - u0 : NR;
      const float *w = f->wp + (size_t)(u0 / NR) * f->chunk, *wn = w + (size_t)2 * Kt * NR;
      for (int q = 0; q * MR < rows; q++) {
        const int mr = rows - q * MR < MR ? rows - q * MR : MR;
        const float *ap = Ap + (size_t)q * Kt * MR;
        rc_tile(P, mr, NR, Kt, ap, w, rt, 4 * NR, 0.0f);
        rc_tile(P, mr, NR, Kt, ap, w + (size_t)Kt * NR, rt + NR, 4 * NR, 0.0f);
        rc_tile(P, mr, NR, H, ap, wn, rt + 2 * NR, 4 * NR, 0.0f);
        rc_tile(P, mr, NR, I, ap + (size_t)H * MR, wn + (size_t)H * NR, rt + 3 * NR, 4 * NR, 0.0f);
        for (int i = 0; i < mr; i++) {
          const int b = b0 + q * MR + i;
          if (!rc_real(in, t, b)) { pad_row(in, &st, y, b, u0, nc); continue; }
          const size_t hr = (size_t)b * H + u0;
          f->cl->gru_fwd(nc, rt + (size_t)i * 4 * NR, NR, f->bsum + u0, H, st.hp + hr, st.g ? st.g + (size_t)b * 3 * H + u0 : NULL, H,
                         st.q ? st.q + hr : NULL, st.h + hr, y + hr);
        }
      }
    }
  }
  rc_store_fence(); /* streaming stores of the saved gates (recurrent_cells.c) */
  memcpy(o->hN + (size_t)b0 * H, state_at(in, o, f, in->T - 1).h + (size_t)b0 * H, sizeof(float) * rows * H);
}

/* T = 1, B <= 2: per row, [r, z] from one dot pass over [x | h], then h·W_hnᵀ and x·W_inᵀ apart. */
static void fwd_unpacked(const rc_rin *in, const rc_rout *o, const rc_fplan *f) {
  const int B = in->B, H = in->H, I = in->I;
  const state_t st = state_at(in, o, f, 0);
  const float *xr[2], *hr[2];
  for (int b = 0; b < B; b++) {
    float *xm = f->scr + (size_t)b * f->S + 4 * H, *hm = xm + I;
    xr[b] = in->x + (size_t)b * I;
    hr[b] = in->h0 + (size_t)b * H;
    if (in->maskX) { for (int k = 0; k < I; k++) xm[k] = xr[b][k] * in->maskX[(size_t)b * I + k]; xr[b] = xm; }
    if (in->maskH) { for (int k = 0; k < H; k++) hm[k] = hr[b][k] * in->maskH[(size_t)b * H + k]; hr[b] = hm; }
  }
  rc_unpacked_pre(in, f, xr, hr);
  for (int b = 0; b < B; b++) {
    const size_t r = (size_t)b * H;
    f->cl->gru_fwd(H, f->scr + (size_t)b * f->S, H, f->bsum, H, st.hp + r, st.g ? st.g + (size_t)b * 3 * H : NULL, H,
                   st.q ? st.q + r : NULL, st.h + r, o->y + r);
  }
  memcpy(o->hN, st.h, sizeof(float) * B * H);
}

void rc_gru_fwd(const rc_rin *in, const rc_rout *out) {
  rc_fplan f;
  rc_fplan_init(in, out->gates == NULL, &f);
  if (!f.packed) {
    fwd_unpacked(in, out, &f);
    return;
  }
  fctx_t x = {in, out, &f};
  rc_run(f.nt, fwd_task, &x);
}

/* ---- backward --------------------------------------------------------------------------------- */

typedef struct {
  const rc_rin *in;
  const rc_rout *sv;
  const rc_rgrad *g;
  const rc_bplan *b;
  int s_lo, s_hi, t_lo; /* the chunk: iterations [s_lo, s_hi), first time step t_lo */
} bctx_t;

/* dh rows += ([da_r, da_z, dRn]·W_hh) ⊙ maskH on real rows; dx_t rows += ([da_r, da_z]·W_i{r,z} +
 * da_n·W_in) ⊙ maskX. Ap: packed dA rows (K = 4H: r, z, dRn, n). */
static void step_products(const bctx_t *x, int t, int b0, int rows, const float *dA, const float *Ap, float *tmp,
                          int want_dh) {
  const rc_rin *in = x->in;
  const rc_bplan *b = x->b;
  const rc_path *P = b->P;
  const int B = in->B, H = in->H, I = in->I, G = in->G, GA = b->GA, MR = b->MR, NR = b->NR;
  float *tx = tmp + (size_t)rows * H;
  if (!b->packed) { /* T = 1, B <= 2: the weights as they are */
    if (want_dh) rc_sgemm_st(0, 0, rows, H, G, 1.0f, dA, GA, in->wHh, H, 0.0f, tmp, H);
    if (x->g->dx != NULL) {
      float *dst = in->maskX ? tx : x->g->dx + ((size_t)t * B + b0) * I;
      rc_sgemm_st(0, 0, rows, I, 2 * H, 1.0f, dA, GA, in->wIh, I, in->maskX ? 0.0f : 1.0f, dst, I);
      rc_sgemm_st(0, 0, rows, I, H, 1.0f, dA + (size_t)3 * H, GA, in->wIh + (size_t)2 * H * I, I, 1.0f, dst, I);
    }
  }
  if (b->packed) {
    if (want_dh) rc_rows_gemm(P, rows, H, G, Ap, (long)GA * MR, b->bw, (long)G * NR, tmp, H, 0.0f);
    if (x->g->dx != NULL) { /* K ranges [0, 2H) (r, z) and [3H, 4H) (n) of the dA rows against W_ih's r, z | n rows */
      float *dst = in->maskX ? tx : x->g->dx + ((size_t)t * B + b0) * I;
      rc_rows_gemm(P, rows, I, 2 * H, Ap, (long)GA * MR, b->bx, (long)G * NR, dst, I, in->maskX ? 0.0f : 1.0f);
      rc_rows_gemm(P, rows, I, H, Ap + (size_t)3 * H * MR, (long)GA * MR, b->bx + (size_t)2 * H * NR, (long)G * NR, dst, I, 1.0f);
    }
  }
  if (x->g->dx != NULL && in->maskX != NULL)
    for (int r = 0; r < rows; r++) {
      float *dx = x->g->dx + ((size_t)t * B + b0 + r) * I;
      const float *mk = in->maskX + (size_t)(b0 + r) * I, *v = tx + (size_t)r * I;
      for (int k = 0; k < I; k++) dx[k] += v[k] * mk[k];
    }
  if (want_dh) rc_carry_rows(in, t, tmp, b->dh, b0, b0 + rows, 1);
}

static void bwd_task(void *vctx, int task) {
  const bctx_t *x = vctx;
  const rc_rin *in = x->in;
  const rc_rout *sv = x->sv;
  const rc_bplan *b = x->b;
  int b0, b1;
  rc_task_rows(in->B, b->nt, task, &b0, &b1);
  if (b0 >= b1) return;
  const int rows = b1 - b0, B = in->B, H = in->H, G = in->G, GA = b->GA, MR = b->MR;
  float *dA = rc_task_scr(b->scr, b->S, MR, task, b0);
  float *Ap = dA + (size_t)rows * GA;
  float *tmp = Ap + (b->packed ? (size_t)((rows + MR - 1) / MR) * MR * GA : 0);
  const float *dy = x->g->dy;
  for (int s = x->s_hi - 1; s >= x->s_lo; s--) {
    const int t = rc_step(in, s);
    const float *hPrev = rc_prev(in, in->h0, sv->h, s, H);
    for (int r = 0; r < rows; r++) {
      const int bb = b0 + r;
      float *da = dA + (size_t)r * GA;
      if (!rc_real(in, t, bb)) { memset(da, 0, sizeof(float) * GA); continue; } /* carry passes, dy ignored */
      const size_t row = (size_t)t * B + bb;
      b->cl->gru_bwd(H, H, sv->gates + row * G, sv->q + row * H, hPrev + (size_t)bb * H, b->dh + (size_t)bb * H,
                     dy ? dy + row * H : NULL, da, b->dbrow + (size_t)bb * GA);
    }
    rc_store_dap(in, b, t - x->t_lo, b0, rows, dA);
    if (s > 0) { /* the next iteration's saved rows: in L2 by the time the products below are done */
      const int tn = rc_step(in, s - 1);
      const size_t rn = (size_t)tn * B + b0;
      rc_prefetch(sv->gates + rn * G, (size_t)rows * G);
      rc_prefetch(sv->q + rn * H, (size_t)rows * H);
      rc_prefetch(rc_prev(in, in->h0, sv->h, s - 1, H) + (size_t)b0 * H, (size_t)rows * H);
      if (dy) rc_prefetch(dy + rn * H, (size_t)rows * H);
    }
    const int want_dh = s > 0 || x->g->dh0 != NULL;
    if (!want_dh && x->g->dx == NULL) continue;
    for (int q = 0; b->packed && q * MR < rows; q++)
      b->P->packbt(dA + (size_t)q * MR * GA, GA, GA, rows - q * MR < MR ? rows - q * MR : MR, MR, Ap + (size_t)q * GA * MR);
    step_products(x, t, b0, rows, dA, Ap, tmp, want_dh);
  }
  if (x->s_lo > 0) return; /* the carries go on into the next chunk */
  if (x->g->dh0) rc_add_into(x->g->dh0 + (size_t)b0 * H, b->dh + (size_t)b0 * H, (size_t)rows * H);
}

void rc_gru_bwd(const rc_rin *in, const rc_rout *sv, const rc_rgrad *g) {
  rc_bplan b;
  rc_bplan_init(in, g, &b);
  bctx_t x = {in, sv, g, &b, 0, 0, 0};
  int t_hi;
  for (int k = 0; rc_chunk(in, b.Tc, k, &x.s_lo, &x.s_hi, &x.t_lo, &t_hi); k++) {
    rc_run(b.nt, bwd_task, &x);
    rc_bwd_chunk(in, sv, g, &b, x.t_lo, t_hi);
  }
  rc_bwd_bias(in, g, &b);
}
