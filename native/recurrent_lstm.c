/*
 * recurrent_lstm.c — fused LSTM over a whole sequence (one layer, one direction), forward and BPTT.
 * PyTorch nn.LSTM semantics, gate order i, f, g, o, optional projection (proj_size). The spec is
 * src/kernels/ref/lstm.ts; every saved buffer holds exactly what the reference saves.
 *
 * Legend: T time, B batch, I input, H hidden, P projection (0 = none), Hout = P > 0 ? P : H, G = 4H,
 *   Kt = Hout + I, MR x NR the micro-kernel tile, rows [b0, b1) the batch slice of one task.
 *
 * Buffers: x (T, B, I)  h0 (B, Hout)  c0 (B, H)  wIh (4H, I)  wHh (4H, Hout)  bIh, bHh (4H) | NULL
 *   wHr (P, H)  maskX (B, I)  maskH (B, Hout)  lengths (B)
 *   saved: gates (T, B, 4H) post-activation i,f,g,o (0 at padded steps)  c (T, B, H)  h (T, B, Hout)
 *          m (T, B, H) (P > 0; 0 at padded steps)      y (T, B, Hout)  hN (B, Hout)  cN (B, H)
 *   gates == NULL: inference, no saved buffer is written (the state lives in the workspace).
 *
 * Forward (batch slices, recurrent_common.h; each task runs every step for its rows):
 *   per step t:  A = [h_{t-1} ⊙ maskH | x_t ⊙ maskX]  (rows, Kt), packed in MR-row panels
 *     per chunk c of NR units:  r = A·[W_hh | W_ih]ᵀ for the 4 gate panels of the chunk   (rows, 4·NR)
 *       then the cell on r (L1-hot):  i,f,o = σ(r + b), g = tanh(r + b);  c_t = f c_{t-1} + i g;
 *       m_t = o tanh(c_t)  (= h_t when P = 0; y = h_t on real rows)
 *     P > 0: h_t = m_t·W_hrᵀ (rows, H)×(H, P), then y / padded carry.
 *   T = 1 with B <= 2 (streaming): no packing; per row one dot-product pass gives all 4H
 *   pre-activations from [x | h]·[W_ih | W_hh]ᵀ (cpu.h dots), then the cell.
 *
 * Backward (iteration order reversed; carries dh (B, Hout), dc (B, H); each task its rows):
 *   gate phase:  dm = dh + dy_t (P = 0) or dhs·W_hr with dhs = dh + dy_t saved in DHS (P > 0)
 *     τ = tanh(c_t);  dc += dm o (1 − τ²);  da_i = dc g i(1−i);  da_f = dc c_{t-1} f(1−f)
 *     da_g = dc i (1 − g²);  da_o = dm τ o(1−o);  dc ← dc f;  da summed per row; stored in dAp
 *   one packing of da (rows, 4H):  dh = (da·W_hh) ⊙ maskH on real rows;  dx_t += (da·W_ih) ⊙ maskX
 *   The steps run in chunks of Tc (recurrent_fused.c: Tc·B·4H floats <= ~2 MB); after each chunk, from its
 *   pre-packed dAp (still in L2 / L3): dW_hh += Σ daᵀ·(h_{t-1} ⊙ maskH), dW_ih += Σ daᵀ·(x ⊙ maskX) over
 *   the chunk's rows. At the end: biases from the per-row sums; dW_hr += DHSᵀ·m.
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

/* Where step s reads and writes its state (rows of stride Hout / H). */
typedef struct {
  const float *hp, *cp;  /* h_{t-1}, c_{t-1} */
  float *h, *c, *m, *g;  /* h_t, c_t, m_t (= h_t when P = 0), saved gates (NULL: inference) */
} state_t;

static state_t state_at(const rc_rin *in, const rc_rout *o, const rc_fplan *f, int s) {
  const int t = rc_step(in, s), B = in->B, H = in->H, Ho = in->Hout;
  state_t st;
  if (f->infer) {
    st.hp = s == 0 ? in->h0 : f->hbuf[(s - 1) & 1];
    st.cp = s == 0 ? in->c0 : f->cst;
    st.h = f->hbuf[s & 1];
    st.c = f->cst;
    st.m = in->P > 0 ? f->mst : st.h;
    st.g = NULL;
  } else {
    st.hp = rc_prev(in, in->h0, o->h, s, Ho);
    st.cp = rc_prev(in, in->c0, o->c, s, H);
    st.h = o->h + (size_t)t * B * Ho;
    st.c = o->c + (size_t)t * B * H;
    st.m = in->P > 0 ? o->m + (size_t)t * B * H : st.h;
    st.g = o->gates + (size_t)t * B * 4 * H;
  }
  return st;
}

/* Row b, units [u0, u0 + n) of a padded step: state carried, outputs 0. */
static void pad_row(const rc_rin *in, const state_t *st, float *y, int b, int u0, int n) {
  const int H = in->H, Ho = in->Hout;
  const size_t cr = (size_t)b * H + u0;
  if (st->g) rc_zero_blocks(st->g + (size_t)b * 4 * H + u0, 4, H, n);
  if (st->c + cr != st->cp + cr) memcpy(st->c + cr, st->cp + cr, sizeof(float) * n);
  if (in->P > 0) {
    memset(st->m + cr, 0, sizeof(float) * n); /* h is carried by finish_rows */
  } else {
    memcpy(st->h + (size_t)b * Ho + u0, st->hp + (size_t)b * Ho + u0, sizeof(float) * n);
    memset(y + (size_t)b * Ho + u0, 0, sizeof(float) * n);
  }
}

/* P > 0, rows [b0, b1): y = h_t on real rows; padded rows carry h_{t-1} and output 0. */
static void finish_rows(const rc_rin *in, const state_t *st, float *y, int t, int b0, int b1) {
  const int P = in->P;
  for (int b = b0; b < b1; b++) {
    float *h = st->h + (size_t)b * P, *yr = y + (size_t)b * P;
    if (rc_real(in, t, b)) memcpy(yr, h, sizeof(float) * P);
    else {
      memcpy(h, st->hp + (size_t)b * P, sizeof(float) * P);
      memset(yr, 0, sizeof(float) * P);
    }
  }
}

static void fwd_task(void *vctx, int task) {
  const fctx_t *x = vctx;
  const rc_rin *in = x->in;
  const rc_rout *o = x->out;
  const rc_fplan *f = x->f;
  int b0, b1;
  rc_task_rows(in->B, f->nt, task, &b0, &b1);
  if (b0 >= b1) return;
  const int rows = b1 - b0, B = in->B, H = in->H, Ho = in->Hout, I = in->I, MR = f->MR, NR = f->NR, Kt = f->Kt;
  const rc_path *P = f->P;
  float *Ap = rc_task_scr(f->scr, f->S, MR, task, b0);
  float *tmp = Ap + (size_t)((rows + MR - 1) / MR) * MR * Kt;
  float *rt = tmp + (size_t)rows * (Ho > I ? Ho : I);
  for (int s = 0; s < in->T; s++) {
    const int t = rc_step(in, s);
    const state_t st = state_at(in, o, f, s);
    float *y = o->y + (size_t)t * B * Ho;
    rc_pack_rows(f, st.hp + (size_t)b0 * Ho, Ho, in->maskH ? in->maskH + (size_t)b0 * Ho : NULL, Ho, rows, Ho, Kt, 0, Ap, tmp);
    rc_pack_rows(f, in->x + ((size_t)t * B + b0) * I, I, in->maskX ? in->maskX + (size_t)b0 * I : NULL, I, rows, I, Kt, Ho,
                 Ap, tmp);
    for (int u0 = 0; u0 < H; u0 += NR) {
      const int nc = H - u0 < NR ? H - u0 : NR;
      const float *w = f->wp + (size_t)(u0 / NR) * f->chunk;
      for (int q = 0; q * MR < rows; q++) {
        const int mr = rows - q * MR < MR ? rows - q * MR : MR;
        const float *ap = Ap + (size_t)q * Kt * MR;
        for (int k = 0; k < 4; k++) rc_tile(P, mr, NR, Kt, ap, w + (size_t)k * Kt * NR, rt + k * NR, 4 * NR, 0.0f);
        for (int i = 0; i < mr; i++) {
          const int b = b0 + q * MR + i;
          if (!rc_real(in, t, b)) { pad_row(in, &st, y, b, u0, nc); continue; }
          const size_t cr = (size_t)b * H + u0;
          f->cl->lstm_fwd(nc, rt + (size_t)i * 4 * NR, NR, f->bsum + u0, H, st.cp + cr, st.g ? st.g + (size_t)b * 4 * H + u0 : NULL,
                          H, st.c + cr, st.m + (in->P > 0 ? cr : (size_t)b * Ho + u0), in->P > 0 ? NULL : y + (size_t)b * Ho + u0);
        }
      }
    }
    if (in->P > 0) {
      rc_sgemm_pb_st(0, rows, Ho, H, 1.0f, st.m + (size_t)b0 * H, H, f->wrp, 0.0f, st.h + (size_t)b0 * Ho, Ho);
      finish_rows(in, &st, y, t, b0, b1);
    }
  }
  rc_store_fence(); /* streaming stores of the saved gates (recurrent_cells.c) */
  const state_t last = state_at(in, o, f, in->T - 1);
  memcpy(o->hN + (size_t)b0 * Ho, last.h + (size_t)b0 * Ho, sizeof(float) * rows * Ho);
  memcpy(o->cN + (size_t)b0 * H, last.c + (size_t)b0 * H, sizeof(float) * rows * H);
}

/* T = 1, B <= 2: per row, all 4H pre-activations by dot products on the unpacked weights. */
static void fwd_unpacked(const rc_rin *in, const rc_rout *o, const rc_fplan *f) {
  const int B = in->B, H = in->H, Ho = in->Hout, I = in->I;
  const state_t st = state_at(in, o, f, 0);
  const float *xr[2], *hr[2];
  for (int b = 0; b < B; b++) {
    float *xm = f->scr + (size_t)b * f->S + 4 * H, *hm = xm + I;
    xr[b] = in->x + (size_t)b * I;
    hr[b] = in->h0 + (size_t)b * Ho;
    if (in->maskX) { for (int k = 0; k < I; k++) xm[k] = xr[b][k] * in->maskX[(size_t)b * I + k]; xr[b] = xm; }
    if (in->maskH) { for (int k = 0; k < Ho; k++) hm[k] = hr[b][k] * in->maskH[(size_t)b * Ho + k]; hr[b] = hm; }
  }
  rc_unpacked_pre(in, f, xr, hr);
  for (int b = 0; b < B; b++) {
    const size_t cr = (size_t)b * H;
    f->cl->lstm_fwd(H, f->scr + (size_t)b * f->S, H, f->bsum, H, st.cp + cr, st.g ? st.g + (size_t)b * 4 * H : NULL, H,
                    st.c + cr, st.m + (in->P > 0 ? cr : (size_t)b * Ho), in->P > 0 ? NULL : o->y + (size_t)b * Ho);
  }
  if (in->P > 0) {
    rc_sgemm_st(0, 1, B, Ho, H, 1.0f, st.m, H, in->wHr, H, 0.0f, st.h, Ho);
    memcpy(o->y, st.h, sizeof(float) * B * Ho); /* T = 1: every row is real */
  }
  memcpy(o->hN, st.h, sizeof(float) * B * Ho);
  memcpy(o->cN, st.c, sizeof(float) * B * H);
}

void rc_lstm_fwd(const rc_rin *in, const rc_rout *out) {
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

/* dh rows = (dA·W_hh) ⊙ maskH on real rows; dx_t rows += (dA·W_ih) ⊙ maskX. dA rows (rows, 4H), Ap the
 * same packed (b->packed), else the products read W_hh, W_ih as they are. */
static void step_products(const bctx_t *x, int t, int b0, int rows, const float *dA, const float *Ap, float *tmp,
                          int want_dh) {
  const rc_rin *in = x->in;
  const rc_bplan *b = x->b;
  const rc_path *P = b->P;
  const int B = in->B, Ho = in->Hout, I = in->I, G = in->G, MR = b->MR, NR = b->NR;
  float *tx = tmp + (size_t)rows * Ho;
  if (!b->packed) {
    if (want_dh) rc_sgemm_st(0, 0, rows, Ho, G, 1.0f, dA, G, in->wHh, Ho, 0.0f, tmp, Ho);
    if (x->g->dx != NULL)
      rc_sgemm_st(0, 0, rows, I, G, 1.0f, dA, G, in->wIh, I, in->maskX ? 0.0f : 1.0f,
                  in->maskX ? tx : x->g->dx + ((size_t)t * B + b0) * I, I);
  }
  if (b->packed) {
    if (want_dh) rc_rows_gemm(P, rows, Ho, G, Ap, (long)G * MR, b->bw, (long)G * NR, tmp, Ho, 0.0f);
    if (x->g->dx != NULL)
      rc_rows_gemm(P, rows, I, G, Ap, (long)G * MR, b->bx, (long)G * NR, in->maskX ? tx : x->g->dx + ((size_t)t * B + b0) * I,
                   I, in->maskX ? 0.0f : 1.0f);
  }
  if (x->g->dx != NULL && in->maskX != NULL)
    for (int r = 0; r < rows; r++) {
      float *dx = x->g->dx + ((size_t)t * B + b0 + r) * I;
      const float *mk = in->maskX + (size_t)(b0 + r) * I, *v = tx + (size_t)r * I;
      for (int k = 0; k < I; k++) dx[k] += v[k] * mk[k];
    }
  if (want_dh) rc_carry_rows(in, t, tmp, b->dh, b0, b0 + rows, 0);
}

static void bwd_task(void *vctx, int task) {
  const bctx_t *x = vctx;
  const rc_rin *in = x->in;
  const rc_rout *sv = x->sv;
  const rc_bplan *b = x->b;
  int b0, b1;
  rc_task_rows(in->B, b->nt, task, &b0, &b1);
  if (b0 >= b1) return;
  const int rows = b1 - b0, B = in->B, H = in->H, Ho = in->Hout, P = in->P, G = in->G, MR = b->MR;
  float *dA = rc_task_scr(b->scr, b->S, MR, task, b0);
  float *Ap = dA + (size_t)rows * G;
  float *tmp = Ap + (b->packed ? (size_t)((rows + MR - 1) / MR) * MR * G : 0);
  float *dm = tmp + (size_t)rows * (Ho + in->I);
  const float *dy = x->g->dy;
  for (int s = x->s_hi - 1; s >= x->s_lo; s--) {
    const int t = rc_step(in, s);
    const float *cPrev = rc_prev(in, in->c0, sv->c, s, H);
    if (P > 0) { /* dhs = dh + dy_t on real rows (0 on padded), kept for dW_hr; dm = dhs·W_hr */
      float *dhs = b->dhs + ((size_t)t * B + b0) * P;
      for (int r = 0; r < rows; r++) {
        float *d = dhs + (size_t)r * P;
        const float *dh = b->dh + (size_t)(b0 + r) * P, *dyr = dy ? dy + ((size_t)t * B + b0 + r) * P : NULL;
        if (!rc_real(in, t, b0 + r)) memset(d, 0, sizeof(float) * P);
        else for (int j = 0; j < P; j++) d[j] = dh[j] + (dyr ? dyr[j] : 0.0f);
      }
      rc_sgemm_st(0, 0, rows, H, P, 1.0f, dhs, P, in->wHr, H, 0.0f, dm, H);
    }
    for (int r = 0; r < rows; r++) {
      const int bb = b0 + r;
      float *da = dA + (size_t)r * G;
      if (!rc_real(in, t, bb)) { memset(da, 0, sizeof(float) * G); continue; } /* carries pass through */
      const size_t row = (size_t)t * B + bb;
      const float *dmr = P > 0 ? dm + (size_t)r * H : b->dh + (size_t)bb * Ho;
      const float *dyr = P > 0 || dy == NULL ? NULL : dy + row * Ho;
      b->cl->lstm_bwd(H, H, sv->gates + row * G, sv->c + row * H, cPrev + (size_t)bb * H, dmr, dyr, b->dc + (size_t)bb * H, da,
                      b->dbrow + (size_t)bb * G);
    }
    rc_store_dap(in, b, t - x->t_lo, b0, rows, dA);
    if (s > 0) { /* the next iteration's saved rows: in L2 by the time the products below are done */
      const int tn = rc_step(in, s - 1);
      const size_t rn = (size_t)tn * B + b0;
      rc_prefetch(sv->gates + rn * G, (size_t)rows * G);
      rc_prefetch(sv->c + rn * H, (size_t)rows * H);
      rc_prefetch(rc_prev(in, in->c0, sv->c, s - 1, H) + (size_t)b0 * H, (size_t)rows * H);
      if (dy) rc_prefetch(dy + rn * Ho, (size_t)rows * Ho);
    }
    const int want_dh = s > 0 || x->g->dh0 != NULL;
    if (!want_dh && x->g->dx == NULL) continue;
    for (int q = 0; b->packed && q * MR < rows; q++)
      b->P->packbt(dA + (size_t)q * MR * G, G, G, rows - q * MR < MR ? rows - q * MR : MR, MR, Ap + (size_t)q * G * MR);
    step_products(x, t, b0, rows, dA, Ap, tmp, want_dh);
  }
  if (x->s_lo > 0) return; /* the carries go on into the next chunk */
  if (x->g->dh0) rc_add_into(x->g->dh0 + (size_t)b0 * Ho, b->dh + (size_t)b0 * Ho, (size_t)rows * Ho);
  if (x->g->dc0) rc_add_into(x->g->dc0 + (size_t)b0 * H, b->dc + (size_t)b0 * H, (size_t)rows * H);
}

void rc_lstm_bwd(const rc_rin *in, const rc_rout *sv, const rc_rgrad *g) {
  rc_bplan b;
  rc_bplan_init(in, g, &b);
  bctx_t x = {in, sv, g, &b, 0, 0, 0};
  int t_hi;
  for (int k = 0; rc_chunk(in, b.Tc, k, &x.s_lo, &x.s_hi, &x.t_lo, &t_hi); k++) {
    rc_run(b.nt, bwd_task, &x);
    rc_bwd_chunk(in, sv, g, &b, x.t_lo, t_hi);
  }
  rc_bwd_bias(in, g, &b);
  if (in->P > 0 && g->dWHr != NULL)
    rc_sgemm(1, 0, in->P, in->H, in->T * in->B, 1.0f, b.dhs, in->P, sv->m, in->H, 1.0f, g->dWHr, in->H);
}
