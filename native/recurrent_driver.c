/*
 * recurrent_driver.c — the fused recurrent kernels: one forward and one backward (BPTT) over a whole
 * sequence of one layer and direction, for every cell (LSTM, GRU, Elman RNN; in->kind picks the cell
 * at the few places where they differ). PyTorch nn.LSTM / nn.GRU / nn.RNN semantics; the spec is
 * src/kernels/ref/{lstm,gru,rnn}.ts and every saved buffer holds exactly what the reference saves.
 *
 * Legend: T time, B batch, I input, H hidden, P projection (LSTM, 0 = none), Hout = P > 0 ? P : H,
 *   G gate width (LSTM 4H, GRU 3H, RNN H), NA dA blocks per row (4, 4, 1), GA = NA·H, Kt = Hout + I,
 *   MR x NR the micro-kernel tile, rows [b0, b1) the batch slice of one task (recurrent_common.h).
 *
 * Buffers: x (T, B, I)  h0 (B, Hout)  c0 (B, H) (LSTM)  wIh (G, I)  wHh (G, Hout)  bIh, bHh (G) | NULL
 *   wHr (P, H)  maskX (B, I)  maskH (B, Hout)  lengths (B)
 *   saved: LSTM gates (T, B, 4H) i,f,g,o  c (T, B, H)  h (T, B, Hout)  m (T, B, H) (P > 0)
 *          GRU  gates (T, B, 3H) r,z,n  q (T, B, H)  h (T, B, H)          RNN  h (T, B, H)
 *          (gates, q, m are 0 at padded steps; c, h carry the state through them)
 *   out: y (T, B, Hout) rows ldy apart (0 at padded steps)  hN (B, Hout)  cN (B, H) (LSTM)
 *   gates == NULL (LSTM, GRU): inference, no saved buffer is written (the state lives in the workspace).
 *
 * Forward, per step t and task rows:  A = [h_{t-1} ⊙ maskH | x_t ⊙ maskX]  (rows, Kt), packed once;
 *   per chunk of NR units, the r tile (mr, NA·NR) from the chunk's gate panels, then the cell on it:
 *   LSTM  r = A·[W_hh | W_ih]ᵀ (i, f, g, o);  i,f,o = σ(r + b), g = tanh(r + b);  c_t = f c_{t-1} + i g;
 *         m_t = o tanh(c_t) (= h_t when P = 0);  P > 0: h_t = m_t·W_hrᵀ (rows, H)×(H, P) after the chunks
 *   GRU   r, z over K = Kt; h·W_hnᵀ over the n panel's first H rows, x·W_inᵀ over its last I rows;
 *         r = σ(·), z = σ(·), q = h·W_hnᵀ + b_hn, n = tanh(x·W_inᵀ + b_in + r ⊙ q),
 *         h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}  (the carried h_{t-1} is NOT masked)
 *   RNN   h_t = φ(A·[W_hh | W_ih]ᵀ + b_ih + b_hh), φ = tanh or relu
 *   y = h_t on real rows (y may be the saved h itself when no step is padded and ldy = Hout: then it is
 *   written once). y and dy rows are ldy floats apart (ldy = 2·Hout: one direction's half of a bidirectional
 *   layer's (T, B, 2·Hout) output; ldy = Hout: rows packed).
 *   T = 1 with B <= 2 (streaming): no packing; per row one dot-product pass gives
 *   the GA pre-activations (cpu.h dots, rc_unpacked_pre), then the same cell.
 *
 * Backward (iteration order reversed; carries dh (B, Hout), dc (B, H) LSTM), per task rows and step:
 *   gate phase, d = dh + dy_t on real rows (dA row 0 on padded rows; the carries pass through):
 *   LSTM  dm = d (P = 0) or dhs·W_hr with dhs = d saved in DHS (P > 0);  τ = tanh(c_t);
 *         dc += dm o (1 − τ²);  da_i = dc g i(1−i);  da_f = dc c_{t-1} f(1−f);  da_g = dc i (1 − g²);
 *         da_o = dm τ o(1−o);  dc ← dc f;  dA row = [da_i, da_f, da_g, da_o]
 *   GRU   da_n = d (1−z)(1−n²);  da_r = da_n q r(1−r);  da_z = d (h_{t-1} − n) z(1−z);  dh ← d z;
 *         dA row = [da_r, da_z, dRn = da_n ⊙ r, da_n]
 *   RNN   dA row = d ⊙ φ'(h_t), φ' = 1 − h_t² (tanh) or [h_t > 0] (relu)
 *   then one packing of dA:  dh = (accumulated for GRU) + (dA[:, 0:G]·W_hh) ⊙ maskH on real rows;
 *   dx_t += (dA_in·W_ih) ⊙ maskX with dA_in = dA[:, 0:G] (GRU: [da_r, da_z] and da_n against W_in).
 *   The steps run in chunks of Tc (recurrent_plan.c: Tc·B·GA floats <= ~512 KB); after each chunk, from its
 *   pre-packed dAp (still in L2 / L3): dW_hh += Σ dA_recᵀ·(h_{t-1} ⊙ maskH), dW_ih += Σ dA_inᵀ·(x ⊙ maskX).
 *   At the end: biases from the per-row sums (GRU: db_hh from [da_r, da_z, dRn], db_ih from
 *   [da_r, da_z, da_n]); LSTM P > 0: dW_hr += DHSᵀ·m.
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

/* Where iteration s reads and writes its state (rows of stride Hout / H); NULL where the cell has none. */
typedef struct {
  const float *hp, *cp;      /* h_{t-1}, c_{t-1} (LSTM) */
  float *h, *c, *m, *g, *q;  /* h_t, c_t (LSTM), m_t (= h_t unless LSTM P > 0), saved gates, q (GRU) */
} state_t;

static state_t state_at(const rc_rin *in, const rc_rout *o, const rc_fplan *f, int s) {
  const int t = rc_step(in, s), B = in->B, H = in->H, Ho = in->Hout, lstm = in->kind == RC_LSTM;
  state_t st = {0};
  if (f->infer) {
    st.hp = s == 0 ? in->h0 : f->hbuf[(s - 1) & 1];
    st.h = f->hbuf[s & 1];
    if (lstm) { st.cp = s == 0 ? in->c0 : f->cst; st.c = f->cst; }
    st.m = in->P > 0 ? f->mst : st.h;
    return st;
  }
  st.hp = rc_prev(in, in->h0, o->h, s, Ho);
  st.h = o->h + (size_t)t * B * Ho;
  if (lstm) { st.cp = rc_prev(in, in->c0, o->c, s, H); st.c = o->c + (size_t)t * B * H; }
  st.m = in->P > 0 ? o->m + (size_t)t * B * H : st.h;
  if (o->gates) st.g = o->gates + (size_t)t * B * in->G;
  if (o->q) st.q = o->q + (size_t)t * B * H;
  return st;
}

/* Row b, units [u0, u0 + n) of a padded step: state carried, outputs 0. */
static void pad_row(const rc_rin *in, const state_t *st, float *y, int b, int u0, int n) {
  const int H = in->H, Ho = in->Hout;
  const size_t hr = (size_t)b * H + u0;
  if (st->g) rc_zero_blocks(st->g + (size_t)b * in->G + u0, in->G / H, H, n);
  if (st->q) memset(st->q + hr, 0, sizeof(float) * n);
  if (st->c && st->c != st->cp) memcpy(st->c + hr, st->cp + hr, sizeof(float) * n);
  if (in->P > 0) {
    memset(st->m + hr, 0, sizeof(float) * n); /* h is carried by finish_rows */
    return;
  }
  memcpy(st->h + (size_t)b * Ho + u0, st->hp + (size_t)b * Ho + u0, sizeof(float) * n);
  if (y) memset(y + (size_t)b * in->ldy + u0, 0, sizeof(float) * n);
}

/* Rows [b, b + rows), units [u0, u0 + n) of a real step: the cell on their pre-activations r (gate blocks rs
 * apart, rows rr apart), in one call. */
static void cell_rows(const rc_rin *in, const rc_fplan *f, const state_t *st, float *y, const float *r, long rs, long rr,
                      int b, int rows, int u0, int n) {
  const int H = in->H, Ho = in->Hout;
  const size_t hr = (size_t)b * H + u0;
  float *g = st->g ? st->g + (size_t)b * in->G + u0 : NULL, *yr = y ? y + (size_t)b * in->ldy + u0 : NULL;
  const rc_rows_ld ld = {rr, in->G, H, in->P > 0 ? H : Ho, in->ldy};
  if (in->kind == RC_LSTM)
    f->cl->lstm_fwd(rows, &ld, n, r, rs, f->bsum + u0, H, st->cp + hr, g, H, st->c + hr,
                    st->m + (in->P > 0 ? hr : (size_t)b * Ho + u0), in->P > 0 ? NULL : yr);
  else if (in->kind == RC_GRU)
    f->cl->gru_fwd(rows, &ld, n, r, rs, f->bsum + u0, H, st->hp + hr, g, H, st->q ? st->q + hr : NULL, st->h + hr, yr);
  else
    f->cl->rnn_fwd(rows, &ld, n, in->relu, r, f->bsum + u0, st->h + hr, yr);
}

/* r tile (mr, NA·NR; row stride NA·NR) of one A panel against chunk w of wp. */
static void chunk_tile(const rc_rin *in, const rc_fplan *f, int mr, const float *ap, const float *w, float *rt) {
  const int NR = f->NR, Kt = f->Kt, H = in->H, ld = f->NA * NR;
  if (in->kind != RC_GRU) {
    for (int k = 0; k < f->ngw; k++) rc_tile(f->P, mr, NR, Kt, ap, w + (size_t)k * Kt * NR, rt + k * NR, ld, 0.0f);
    return;
  }
  const float *wn = w + (size_t)2 * Kt * NR; /* GRU: r, z over Kt; the n panel's h rows and x rows apart */
  rc_tile(f->P, mr, NR, Kt, ap, w, rt, ld, 0.0f);
  rc_tile(f->P, mr, NR, Kt, ap, w + (size_t)Kt * NR, rt + NR, ld, 0.0f);
  rc_tile(f->P, mr, NR, H, ap, wn, rt + 2 * NR, ld, 0.0f);
  rc_tile(f->P, mr, NR, in->I, ap + (size_t)H * f->MR, wn + (size_t)H * NR, rt + 3 * NR, ld, 0.0f);
}

/* LSTM P > 0, rows [b0, b1): y = h_t on real rows; padded rows carry h_{t-1} and output 0. */
static void finish_rows(const rc_rin *in, const state_t *st, float *y, int t, int b0, int b1) {
  const int P = in->P;
  for (int b = b0; b < b1; b++) {
    float *h = st->h + (size_t)b * P, *yr = y ? y + (size_t)b * in->ldy : NULL;
    if (rc_real(in, t, b)) {
      if (y) memcpy(yr, h, sizeof(float) * P);
    } else {
      memcpy(h, st->hp + (size_t)b * P, sizeof(float) * P);
      if (y) memset(yr, 0, sizeof(float) * P);
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
  float *Ap = rc_task_scr(f->scr, f->S, MR, task, b0);
  float *tmp = Ap + (size_t)((rows + MR - 1) / MR) * MR * Kt;
  float *rt = tmp + (size_t)rows * (Ho > I ? Ho : I);
  for (int s = 0; s < in->T; s++) {
    const int t = rc_step(in, s);
    const state_t st = state_at(in, o, f, s);
    float *y = o->y == o->h ? NULL : o->y + (size_t)t * B * in->ldy; /* NULL: y is the saved h (no padded steps) */
    rc_pack_rows(f, st.hp + (size_t)b0 * Ho, Ho, in->maskH ? in->maskH + (size_t)b0 * Ho : NULL, Ho, rows, Ho, Kt, 0, Ap, tmp);
    rc_pack_rows(f, in->x + ((size_t)t * B + b0) * I, I, in->maskX ? in->maskX + (size_t)b0 * I : NULL, I, rows, I, Kt, Ho,
                 Ap, tmp);
    for (int u0 = 0; u0 < H; u0 += NR) {
      const int nc = H - u0 < NR ? H - u0 : NR;
      const float *w = f->wp + (size_t)(u0 / NR) * f->chunk;
      for (int q = 0; q * MR < rows; q++) {
        const int mr = rows - q * MR < MR ? rows - q * MR : MR;
        chunk_tile(in, f, mr, Ap + (size_t)q * Kt * MR, w, rt);
        for (int i = 0, j; i < mr; i = j) { /* runs of real rows, then a padded row */
          const int b = b0 + q * MR + i;
          for (j = i; j < mr && rc_real(in, t, b0 + q * MR + j); j++) {}
          if (j == i) pad_row(in, &st, y, b, u0, nc), j++;
          else cell_rows(in, f, &st, y, rt + (size_t)i * f->NA * NR, NR, f->NA * NR, b, j - i, u0, nc);
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
  if (in->kind == RC_LSTM) memcpy(o->cN + (size_t)b0 * H, last.c + (size_t)b0 * H, sizeof(float) * rows * H);
}

/* T = 1, B <= 2: per row, all GA pre-activations by dot products on the unpacked weights. */
static void fwd_unpacked(const rc_rin *in, const rc_rout *o, const rc_fplan *f) {
  const int B = in->B, H = in->H, Ho = in->Hout, I = in->I;
  const state_t st = state_at(in, o, f, 0);
  const float *xr[2], *hr[2];
  for (int b = 0; b < B; b++) {
    float *xm = f->scr + (size_t)b * f->S + f->NA * H, *hm = xm + I;
    xr[b] = in->x + (size_t)b * I;
    hr[b] = in->h0 + (size_t)b * Ho;
    if (in->maskX) { for (int k = 0; k < I; k++) xm[k] = xr[b][k] * in->maskX[(size_t)b * I + k]; xr[b] = xm; }
    if (in->maskH) { for (int k = 0; k < Ho; k++) hm[k] = hr[b][k] * in->maskH[(size_t)b * Ho + k]; hr[b] = hm; }
  }
  rc_unpacked_pre(in, f, xr, hr);
  float *y = o->y == o->h ? NULL : o->y; /* NULL: y is the saved h */
  cell_rows(in, f, &st, y, f->scr, H, f->S, 0, B, 0, H);
  if (in->P > 0) {
    rc_sgemm_st(0, 1, B, Ho, H, 1.0f, st.m, H, in->wHr, H, 0.0f, st.h, Ho);
    for (int b = 0; y && b < B; b++) memcpy(y + (size_t)b * in->ldy, st.h + (size_t)b * Ho, sizeof(float) * Ho); /* T = 1: every row is real */
  }
  memcpy(o->hN, st.h, sizeof(float) * B * Ho);
  if (in->kind == RC_LSTM) memcpy(o->cN, st.c, sizeof(float) * B * H);
}

void rc_rec_fwd(const rc_rin *in, const rc_rout *out) {
  rc_fplan f;
  rc_fplan_init(in, out->h == NULL, &f);
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

/* The saved (T, B, H) buffer the cell reads at step t besides the gates: LSTM c, GRU q, RNN h. */
static const float *saved_h(const rc_rin *in, const rc_rout *sv) {
  return in->kind == RC_LSTM ? sv->c : in->kind == RC_GRU ? sv->q : sv->h;
}

/* LSTM P > 0: dhs = dh + dy_t on real rows (0 on padded), kept for dW_hr; dm (rows, H) = dhs·W_hr. */
static void proj_grad(const bctx_t *x, int t, int b0, int rows, float *dm) {
  const rc_rin *in = x->in;
  const int P = in->P;
  const float *dy = x->g->dy;
  float *dhs = x->b->dhs + ((size_t)t * in->B + b0) * P;
  for (int r = 0; r < rows; r++) {
    float *d = dhs + (size_t)r * P;
    const float *dh = x->b->dh + (size_t)(b0 + r) * P, *dyr = dy ? dy + ((size_t)t * in->B + b0 + r) * in->ldy : NULL;
    if (!rc_real(in, t, b0 + r)) memset(d, 0, sizeof(float) * P);
    else for (int j = 0; j < P; j++) d[j] = dh[j] + (dyr ? dyr[j] : 0.0f);
  }
  rc_sgemm_st(0, 0, rows, in->H, P, 1.0f, dhs, P, in->wHr, in->H, 0.0f, dm, in->H);
}

/* Gate phase of iteration s (step t), rows [b0, b0 + rows): dA rows (GA each), dbrow += dA, carries. */
static void gate_rows(const bctx_t *x, int s, int t, int b0, int rows, const float *dm, float *dA) {
  const rc_rin *in = x->in;
  const rc_rout *sv = x->sv;
  const rc_bplan *b = x->b;
  const int B = in->B, H = in->H, Ho = in->Hout, G = in->G, GA = b->GA;
  const float *dy = x->g->dy, *aux = saved_h(in, sv);
  const float *prev = in->kind == RC_LSTM ? rc_prev(in, in->c0, sv->c, s, H) : rc_prev(in, in->h0, sv->h, s, H);
  for (int r = 0; r < rows; r++) {
    const int bb = b0 + r;
    float *da = dA + (size_t)r * GA, *sum = b->dbrow + (size_t)bb * GA;
    if (!rc_real(in, t, bb)) { memset(da, 0, sizeof(float) * GA); continue; } /* carries pass through, dy ignored */
    const size_t row = (size_t)t * B + bb;
    const float *dyr = dy && in->P == 0 ? dy + row * in->ldy : NULL; /* P > 0: dy is in dm */
    if (in->kind == RC_LSTM)
      b->cl->lstm_bwd(H, H, sv->gates + row * G, aux + row * H, prev + (size_t)bb * H,
                      in->P > 0 ? dm + (size_t)r * H : b->dh + (size_t)bb * Ho, dyr, b->dc + (size_t)bb * H, da, sum);
    else if (in->kind == RC_GRU)
      b->cl->gru_bwd(H, H, sv->gates + row * G, aux + row * H, prev + (size_t)bb * H, b->dh + (size_t)bb * H, dyr, da, sum);
    else
      b->cl->rnn_bwd(H, in->relu, aux + row * H, b->dh + (size_t)bb * H, dyr, da, sum);
  }
}

/* The saved rows iteration s reads: in L2 by the time the step products of iteration s + 1 are done. */
static void prefetch_step(const bctx_t *x, int s, int b0, int rows) {
  const rc_rin *in = x->in;
  const int H = in->H, t = rc_step(in, s);
  const size_t rn = (size_t)t * in->B + b0;
  if (in->kind != RC_RNN) {
    rc_prefetch(x->sv->gates + rn * in->G, (size_t)rows * in->G);
    const float *prev = in->kind == RC_LSTM ? rc_prev(in, in->c0, x->sv->c, s, H) : rc_prev(in, in->h0, x->sv->h, s, H);
    rc_prefetch(prev + (size_t)b0 * H, (size_t)rows * H);
  }
  rc_prefetch(saved_h(in, x->sv) + rn * H, (size_t)rows * H);
  for (int r = 0; x->g->dy && r < rows; r++) rc_prefetch(x->g->dy + (rn + r) * in->ldy, (size_t)in->Hout);
}

/* dst (rows, N) = beta·dst + dA[:, k0:k0+K]·W[w0:w0+K, :] with W (G, N): over the packed dA rows (Ap)
 * and W packed in NR panels (Wp) when b->packed, else over dA and W as they are. */
static void da_product(const rc_rin *in, const rc_bplan *b, int rows, int N, int K, const float *dA, const float *Ap,
                       int k0, const float *Wp, const float *W, int w0, float *dst, float beta) {
  if (b->packed)
    rc_rows_gemm(b->P, rows, N, K, Ap + (size_t)k0 * b->MR, (long)b->GA * b->MR, Wp + (size_t)w0 * b->NR,
                 (long)in->G * b->NR, dst, N, beta);
  else
    rc_sgemm_st(0, 0, rows, N, K, 1.0f, dA + k0, b->GA, W + (size_t)w0 * N, N, beta, dst, N);
}

/* dh rows = (GRU: dh +) (dA[:, 0:G]·W_hh) ⊙ maskH on real rows; dx_t rows += (dA_in·W_ih) ⊙ maskX with
 * dA_in = dA[:, 0:G] (GRU: [da_r, da_z] against W_i{r,z} and da_n against W_in). */
static void step_products(const bctx_t *x, int t, int b0, int rows, const float *dA, const float *Ap, float *tmp,
                          int want_dh) {
  const rc_rin *in = x->in;
  const rc_bplan *b = x->b;
  const int B = in->B, H = in->H, Ho = in->Hout, I = in->I, G = in->G, gru = in->kind == RC_GRU;
  float *dx = x->g->dx, *tx = tmp + (size_t)rows * Ho;
  if (want_dh) da_product(in, b, rows, Ho, G, dA, Ap, 0, b->bw, in->wHh, 0, tmp, 0.0f);
  if (dx != NULL) {
    float *dst = in->maskX ? tx : dx + ((size_t)t * B + b0) * I;
    da_product(in, b, rows, I, gru ? 2 * H : G, dA, Ap, 0, b->bx, in->wIh, 0, dst, in->maskX ? 0.0f : 1.0f);
    if (gru) da_product(in, b, rows, I, H, dA, Ap, 3 * H, b->bx, in->wIh, 2 * H, dst, 1.0f);
    if (in->maskX != NULL)
      for (int r = 0; r < rows; r++) {
        float *d = dx + ((size_t)t * B + b0 + r) * I;
        const float *mk = in->maskX + (size_t)(b0 + r) * I, *v = tx + (size_t)r * I;
        for (int k = 0; k < I; k++) d[k] += v[k] * mk[k];
      }
  }
  if (want_dh) rc_carry_rows(in, t, tmp, b->dh, b0, b0 + rows, gru);
}

static void bwd_task(void *vctx, int task) {
  const bctx_t *x = vctx;
  const rc_rin *in = x->in;
  const rc_bplan *b = x->b;
  int b0, b1;
  rc_task_rows(in->B, b->nt, task, &b0, &b1);
  if (b0 >= b1) return;
  const int rows = b1 - b0, H = in->H, Ho = in->Hout, GA = b->GA, MR = b->MR;
  float *dA = rc_task_scr(b->scr, b->S, MR, task, b0);
  float *Ap = dA + (size_t)rows * GA;
  float *tmp = Ap + (b->packed ? (size_t)((rows + MR - 1) / MR) * MR * GA : 0);
  float *dm = tmp + (size_t)rows * (Ho + in->I);
  for (int s = x->s_hi - 1; s >= x->s_lo; s--) {
    const int t = rc_step(in, s);
    if (in->P > 0) proj_grad(x, t, b0, rows, dm);
    gate_rows(x, s, t, b0, rows, dm, dA);
    rc_store_dap(in, b, t - x->t_lo, b0, rows, dA);
    if (s > 0) prefetch_step(x, s - 1, b0, rows);
    const int want_dh = s > 0 || x->g->dh0 != NULL;
    if (!want_dh && x->g->dx == NULL) continue;
    for (int q = 0; b->packed && q * MR < rows; q++)
      b->P->packbt(dA + (size_t)q * MR * GA, GA, GA, rows - q * MR < MR ? rows - q * MR : MR, MR, Ap + (size_t)q * GA * MR);
    step_products(x, t, b0, rows, dA, Ap, tmp, want_dh);
  }
  if (x->s_lo > 0) return; /* the carries go on into the next chunk */
  if (x->g->dh0) rc_add_into(x->g->dh0 + (size_t)b0 * Ho, b->dh + (size_t)b0 * Ho, (size_t)rows * Ho);
  if (x->g->dc0) rc_add_into(x->g->dc0 + (size_t)b0 * H, b->dc + (size_t)b0 * H, (size_t)rows * H);
}

void rc_rec_bwd(const rc_rin *in, const rc_rout *sv, const rc_rgrad *g) {
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
