/*
 * recurrent_rnn.c — fused Elman RNN over a whole sequence (one layer, one direction), forward and BPTT.
 * PyTorch nn.RNN semantics, φ = tanh or relu. The spec is src/kernels/ref/rnn.ts.
 *
 * Legend: T time, B batch, I input, H hidden (= Hout), G = H.
 *
 * Buffers: x (T, B, I)  h0 (B, H)  wIh (H, I)  wHh (H, H)  bIh, bHh (H) | NULL  maskX (B, I)
 *   maskH (B, H)  lengths (B)      saved: h (T, B, H)      y (T, B, H)  hN (B, H)
 *
 * Forward
 *   phase 1 (one GEMM, all steps, straight into the saved h):  h = (x ⊙ maskX)·W_ihᵀ   (T·B, I)×(I, H)
 *   per step t (tasks split the H units):  h[t] += (h_{t-1} ⊙ maskH)·W_hhᵀ           (B, H)×(H, H)
 *     h[t] = φ(h[t] + b_ih + b_hh) in place; y, padded-row carry, next masked state in the same task
 *
 * Backward (iteration order reversed; carry dh (B, H)):
 *   gate phase:  dA[t] = (dh + dy_t) ⊙ φ'   φ' = 1 − h_t² (tanh) or [h_t > 0] (relu); 0 on padded rows
 *   GEMM phase:  dh = (dA[t]·W_hh) ⊙ maskH on real rows                                 (B, H)×(H, H)
 *   One pool hand-off per step (GEMM phase of t+1, then gate phase of t). After the loop dW_hh is one
 *   batched GEMM (see recurrent_lstm.c), db_ih, db_hh += Σ dA, dW_ih += dAᵀ·(x ⊙ maskX),
 *   dx += (dA·W_ih) ⊙ maskX.
 */
#include <string.h>

#include "gemm.h"
#include "recurrent_common.h"

RC_VEC RC_OPT static void tanh_row(int n, float *RC_RESTRICT h, const float *RC_RESTRICT b) {
  for (int j = 0; j < n; j++) h[j] = rc_tanh(h[j] + b[j]);
}

RC_VEC RC_OPT static void relu_row(int n, float *RC_RESTRICT h, const float *RC_RESTRICT b) {
  for (int j = 0; j < n; j++) {
    float v = h[j] + b[j];
    h[j] = v > 0.0f ? v : 0.0f;
  }
}

/* da = d ⊙ φ'(h_t); column sums accumulated. */
RC_VEC RC_OPT static void grad_row(int n, int relu, const float *RC_RESTRICT h, const float *RC_RESTRICT d,
                                   float *RC_RESTRICT da, float *RC_RESTRICT sum) {
  if (relu) {
    for (int j = 0; j < n; j++) {
      float v = h[j] > 0.0f ? d[j] : 0.0f;
      da[j] = v; sum[j] += v;
    }
  } else {
    for (int j = 0; j < n; j++) {
      float v = d[j] * (1.0f - h[j] * h[j]);
      da[j] = v; sum[j] += v;
    }
  }
}

/* ---- forward ---------------------------------------------------------------------------------- */

typedef struct {
  const rc_rin *in;
  const rc_rout *out;
  rc_split sp;
  int t;
  const float *A, *hPrev; /* (B, H) */
  float *hmNext;
  const rc_fws *w;        /* packed W_hh (wp); bsum (H) b_ih + b_hh */
} fstep_t;

static void fstep_task(void *ctx, int task) {
  const fstep_t *s = ctx;
  const rc_rin *in = s->in;
  const rc_rout *o = s->out;
  int j0, j1;
  if (!rc_range(s->sp, task, in->H, &j0, &j1)) return;
  int B = in->B, H = in->H, n = j1 - j0, t = s->t;
  float *ht = o->h + (size_t)t * B * H;
  rc_step_gemm(in, s->w, j0, j1, s->A, ht); /* h[t][:, j0:j1] += A·W_hh[j0:j1]ᵀ */
  for (int b = 0; b < B; b++) {
    if (!rc_real(in, t, b)) continue; /* h carried by rc_finish_rows */
    if (in->relu) relu_row(n, ht + (size_t)b * H + j0, s->w->bsum + j0);
    else tanh_row(n, ht + (size_t)b * H + j0, s->w->bsum + j0);
  }
  rc_finish_rows(in, t, s->hPrev, o->h, o->y, j0, j1);
  rc_mask_next(in, t, o->h, s->hmNext, j0, j1);
}

void rc_rnn_fwd(const rc_rin *in, const rc_rout *out) {
  int T = in->T, B = in->B, H = in->H;
  rc_fws w;
  rc_carve_fwd(in, &w);
  rc_bias_sum(in, w.bsum);
  rc_pack_weights(in, &w);
  rc_input_projection(in, w.xm, out->h); /* h (T, B, H) = x-part of the pre-activations */

  fstep_t st = { .in = in, .out = out, .sp = rc_make_split(in, H, w.NR), .w = &w };
  int cur = 0;
  if (in->maskH != NULL) rc_mask_rows(w.hm[0], in->h0, in->maskH, B, H);
  for (int s = 0; s < T; s++) {
    st.t = rc_step(in, s);
    st.hPrev = rc_prev(in, in->h0, out->h, s, H);
    st.A = in->maskH != NULL ? w.hm[cur] : st.hPrev;
    st.hmNext = in->maskH != NULL ? w.hm[cur ^ 1] : NULL;
    rc_run(st.sp.nt, fstep_task, &st);
    cur ^= 1;
  }
  memcpy(out->hN, out->h + (size_t)rc_step(in, T - 1) * B * H, sizeof(float) * B * H);
}

/* ---- backward --------------------------------------------------------------------------------- */

typedef struct {
  const rc_rin *in;
  const rc_rout *sv;
  const rc_rgrad *g;
  const rc_bws *w;
  rc_split sp;
  int gemmT, gateS; /* as in recurrent_lstm.c */
} bstep_t;

static void bstep_task(void *ctx, int task) {
  const bstep_t *s = ctx;
  const rc_rin *in = s->in;
  const rc_bws *w = s->w;
  int B = in->B, H = in->H, j0, j1;
  if (!rc_range(s->sp, task, H, &j0, &j1)) return;
  int n = j1 - j0;
  if (s->gemmT >= 0) {
    rc_sgemm_st(0, 0, B, n, H, 1.0f, w->dA + (size_t)s->gemmT * B * H, H, in->wHh + j0, H, 0.0f, w->tmp + j0, H);
    rc_carry(in, s->gemmT, w->tmp, w->dh, j0, j1, 0);
  }
  if (s->gateS < 0) return;
  int t = rc_step(in, s->gateS);
  const float *dy = s->g->dy;
  for (int b = 0; b < B; b++) {
    size_t hr = ((size_t)t * B + b) * H + j0, br = (size_t)b * H + j0;
    if (!rc_real(in, t, b)) { memset(w->dA + hr, 0, sizeof(float) * n); continue; }
    float *d = w->dm + br;
    if (dy != NULL) for (int j = 0; j < n; j++) d[j] = w->dh[br + j] + dy[hr + j];
    else memcpy(d, w->dh + br, sizeof(float) * n);
    grad_row(n, in->relu, s->sv->h + hr, d, w->dA + hr, w->dbsum + j0);
  }
}

void rc_rnn_bwd(const rc_rin *in, const rc_rout *sv, const rc_rgrad *g) {
  int T = in->T, B = in->B, H = in->H;
  rc_bws w;
  rc_carve_bwd(in, &w);
  rc_copy_or_zero(w.dh, g->dhN, (size_t)B * H);
  memset(w.dbsum, 0, sizeof(float) * H);

  bstep_t st = { .in = in, .sv = sv, .g = g, .w = &w, .sp = rc_make_split(in, H, rc_sgemm_nr()) };
  for (int s = T - 1; s >= 0; s--) {
    st.gemmT = s < T - 1 ? rc_step(in, s + 1) : -1;
    st.gateS = s;
    rc_run(st.sp.nt, bstep_task, &st);
  }
  if (g->dh0 != NULL) {
    st.gemmT = rc_step(in, 0); st.gateS = -1;
    rc_run(st.sp.nt, bstep_task, &st);
    rc_add_into(g->dh0, w.dh, (size_t)B * H);
  }
  if (g->dWHh != NULL) rc_dwhh(in, sv->h, H, w.dA, H, w.R, g->dWHh);
  rc_add_into(g->dBIh, w.dbsum, H);
  rc_add_into(g->dBHh, w.dbsum, H);
  rc_input_backward(in, w.dA, w.R, g->dx, g->dWIh);
}
