/*
 * recurrent_gru.c — fused GRU over a whole sequence (one layer, one direction), forward and BPTT.
 * PyTorch nn.GRU semantics: gate order r, z, n; b_hn inside the reset product. The spec is
 * src/kernels/ref/gru.ts; every saved buffer holds exactly what the reference saves.
 *
 * Legend: T time, B batch, I input, H hidden (= Hout), G = 3H.
 *
 * Buffers: x (T, B, I)  h0 (B, H)  wIh (3H, I)  wHh (3H, H)  bIh, bHh (3H) | NULL  maskX (B, I)
 *   maskH (B, H)  lengths (B)
 *   saved: gates (T, B, 3H) post-activation r,z,n (0 at padded steps)  q (T, B, H) (0 at padded steps)
 *          h (T, B, H)      y (T, B, H)  hN (B, H)
 *
 * Forward
 *   phase 1 (one GEMM, all steps):  gates = (x ⊙ maskX)·W_ihᵀ                       (T·B, I)×(I, 3H)
 *   per step t (tasks split the H units; a task does its units' r, z, n columns):
 *     r = hm·W_hhᵀ, one GEMM per task (W_hh pre-packed gate-interleaved, recurrent_common.h)
 *                                                                     hm = h_{t-1} ⊙ maskH   (B, H)×(H, 3H)
 *     q[t] = r_n + b_hn
 *     r = σ(· + b_ir + b_hr)  z = σ(· + b_iz + b_hz)  n = tanh(x-part + b_in + r ⊙ q)
 *     h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}   (the carried h_{t-1} is NOT masked), y, padded-row carry, next hm
 *
 * Backward (iteration order reversed; carry dh (B, H)); with d = dh + dy_t on real rows:
 *   gate phase:  da_n = d (1−z)(1−n²);  da_r = da_n q r(1−r);  da_z = d (h_{t-1} − n) z(1−z);  dh ← d z
 *     input side dA[t] = [da_r, da_z, da_n];  recurrent side [da_r, da_z, dRn[t] = da_n ⊙ r]
 *   GEMM phase:  dh += ([da_r, da_z]·W_h{r,z} + dRn[t]·W_hn) ⊙ maskH on real rows   (B, 3H)×(3H, H)
 *   One pool hand-off per step runs the GEMM phase of step t+1, then the gate phase of step t.
 *   After the loop: dW_hh += [dA_rz | dRn]ᵀ·(h_{t-1} ⊙ maskH) batched over all T·B rows (see
 *   recurrent_lstm.c for why batched); db_ih += Σ dA; db_hh += [Σ da_r, Σ da_z, Σ dRn];
 *   dW_ih += dAᵀ·(x ⊙ maskX); dx += (dA·W_ih) ⊙ maskX.
 */
#include <string.h>

#include "gemm.h"
#include "recurrent_common.h"

/* One row, units [0, n): gr, gz, gn hold the x-part pre-activations (no biases); r the h-part,
 * gate-interleaved in chunks of NR (recurrent_common.h; its n gate is the raw h·W_hnᵀ);
 * b = [b_r, b_z, b_in, b_hn] pre-offset. Writes r, z, n in place, q = h·W_hnᵀ + b_hn and h_t. */
RC_VEC RC_OPT static void cell_row(int n, int NR, float *RC_RESTRICT gr, float *RC_RESTRICT gz, float *RC_RESTRICT gn,
                                   const float *RC_RESTRICT r, float *RC_RESTRICT q, const float *RC_RESTRICT br,
                                   const float *RC_RESTRICT bz, const float *RC_RESTRICT bin,
                                   const float *RC_RESTRICT bhn, const float *RC_RESTRICT hp, float *RC_RESTRICT h) {
  for (int c0 = 0; c0 < n; c0 += NR, r += 3 * NR) {
    int nc = n - c0 < NR ? n - c0 : NR;
    for (int j = 0; j < nc; j++) {
      int J = c0 + j;
      float rg = rc_sigmoid(gr[J] + r[j] + br[J]), z = rc_sigmoid(gz[J] + r[NR + j] + bz[J]);
      float qj = r[2 * NR + j] + bhn[J];
      float nn = rc_tanh(gn[J] + bin[J] + rg * qj);
      gr[J] = rg; gz[J] = z; gn[J] = nn; q[J] = qj;
      h[J] = (1.0f - z) * nn + z * hp[J];
    }
  }
}

/* One row of the gate backward, units [0, n): d = dL/dh_t (dh + dy). */
RC_VEC RC_OPT static void grad_row(int n, const float *RC_RESTRICT gr, const float *RC_RESTRICT gz,
                                   const float *RC_RESTRICT gn, const float *RC_RESTRICT q,
                                   const float *RC_RESTRICT hp, const float *RC_RESTRICT d, float *RC_RESTRICT dh,
                                   float *RC_RESTRICT ar, float *RC_RESTRICT az, float *RC_RESTRICT an,
                                   float *RC_RESTRICT rn, float *RC_RESTRICT sr, float *RC_RESTRICT sz,
                                   float *RC_RESTRICT sn, float *RC_RESTRICT srn) {
  for (int j = 0; j < n; j++) {
    float r = gr[j], z = gz[j], nn = gn[j], dj = d[j];
    float dan = dj * (1.0f - z) * (1.0f - nn * nn);
    float dar = dan * q[j] * r * (1.0f - r);
    float daz = dj * (hp[j] - nn) * z * (1.0f - z);
    float drn = dan * r;
    ar[j] = dar; az[j] = daz; an[j] = dan; rn[j] = drn;
    sr[j] += dar; sz[j] += daz; sn[j] += dan; srn[j] += drn;
    dh[j] = dj * z; /* direct path through z ⊙ h; the GEMM phase adds the W_hh path */
  }
}

/* ---- forward ---------------------------------------------------------------------------------- */

typedef struct {
  const rc_rin *in;
  const rc_rout *out;
  rc_split sp;
  int t;
  const float *A, *hPrev; /* (B, H): h_{t-1} ⊙ maskH (or h_{t-1}), h_{t-1} */
  float *hmNext;          /* (B, H) or NULL */
  const rc_fws *w;        /* packed W_hh (wp); bsum (4H) [b_ir+b_hr, b_iz+b_hz, b_in, b_hn] */
} fstep_t;

static void fstep_task(void *ctx, int task) {
  const fstep_t *s = ctx;
  const rc_rin *in = s->in;
  const rc_rout *o = s->out;
  int j0, j1;
  if (!rc_range(s->sp, task, in->H, &j0, &j1)) return;
  int B = in->B, H = in->H, G = in->G, n = j1 - j0, t = s->t;
  size_t row = (size_t)t * B;
  float *gt = o->gates + row * G;
  rc_step_gemm(in, s->w, j0, j1, s->A, NULL); /* h-part of the task's units into w->r */
  const float *bs = s->w->bsum + j0;
  for (int b = 0; b < B; b++) {
    float *g = gt + (size_t)b * G + j0;
    size_t hr = (row + b) * H + j0;
    if (!rc_real(in, t, b)) {
      for (int k = 0; k < 3; k++) memset(g + k * H, 0, sizeof(float) * n);
      memset(o->q + hr, 0, sizeof(float) * n);
      continue; /* h carried by rc_finish_rows */
    }
    cell_row(n, s->w->NR, g, g + H, g + 2 * H, s->w->r + (size_t)b * s->w->ldr + 3 * j0, o->q + hr, bs, bs + H,
             bs + 2 * H, bs + 3 * H, s->hPrev + (size_t)b * H + j0, o->h + hr);
  }
  rc_finish_rows(in, t, s->hPrev, o->h, o->y, j0, j1);
  rc_mask_next(in, t, o->h, s->hmNext, j0, j1);
}

void rc_gru_fwd(const rc_rin *in, const rc_rout *out) {
  int T = in->T, B = in->B, H = in->H;
  rc_fws w;
  rc_carve_fwd(in, &w);
  rc_bias_sum(in, w.bsum);
  rc_pack_weights(in, &w);
  rc_input_projection(in, w.xm, out->gates); /* gates (T, B, 3H) = x-part of the pre-activations */

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
  int B = in->B, H = in->H, G = in->G, j0, j1;
  if (!rc_range(s->sp, task, H, &j0, &j1)) return;
  int n = j1 - j0;
  if (s->gemmT >= 0) {
    /* tmp[:, j0:j1] = [da_r, da_z]·W_h{r,z}[:, j0:j1] + dRn·W_hn[:, j0:j1]; dh += tmp ⊙ maskH */
    size_t row = (size_t)s->gemmT * B;
    rc_sgemm_st(0, 0, B, n, 2 * H, 1.0f, w->dA + row * G, G, in->wHh + j0, H, 0.0f, w->tmp + j0, H);
    rc_sgemm_st(0, 0, B, n, H, 1.0f, w->dRn + row * H, H, in->wHh + (size_t)2 * H * H + j0, H, 1.0f, w->tmp + j0, H);
    rc_carry(in, s->gemmT, w->tmp, w->dh, j0, j1, 1);
  }
  if (s->gateS < 0) return;
  int t = rc_step(in, s->gateS);
  const float *hPrev = rc_prev(in, in->h0, s->sv->h, s->gateS, H);
  const float *gates = s->sv->gates, *q = s->sv->q, *dy = s->g->dy;
  float *sb = w->dbsum + j0;
  for (int b = 0; b < B; b++) {
    size_t row = (size_t)t * B + b, gr = row * G + j0, hr = row * H + j0, br = (size_t)b * H + j0;
    float *da = w->dA + gr;
    if (!rc_real(in, t, b)) { /* padded: no grads, the carry passes unchanged, dy ignored */
      for (int k = 0; k < 3; k++) memset(da + k * H, 0, sizeof(float) * n);
      memset(w->dRn + hr, 0, sizeof(float) * n);
      continue;
    }
    float *d = w->dm + br;
    if (dy != NULL) for (int j = 0; j < n; j++) d[j] = w->dh[br + j] + dy[hr + j];
    else memcpy(d, w->dh + br, sizeof(float) * n);
    const float *gs = gates + gr;
    grad_row(n, gs, gs + H, gs + 2 * H, q + hr, hPrev + br, d, w->dh + br, da, da + H, da + 2 * H, w->dRn + hr,
             sb, sb + H, sb + 2 * H, sb + G);
  }
}

void rc_gru_bwd(const rc_rin *in, const rc_rout *sv, const rc_rgrad *g) {
  int T = in->T, B = in->B, H = in->H, G = in->G;
  rc_bws w;
  rc_carve_bwd(in, &w);
  rc_copy_or_zero(w.dh, g->dhN, (size_t)B * H);
  memset(w.dbsum, 0, sizeof(float) * (G + H));

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
  if (g->dWHh != NULL) {
    rc_dwhh(in, sv->h, 2 * H, w.dA, G, w.R, g->dWHh);                           /* rows r, z */
    rc_dwhh(in, sv->h, H, w.dRn, H, w.R, g->dWHh + (size_t)2 * H * H);         /* rows n */
  }
  rc_add_into(g->dBIh, w.dbsum, G);
  if (g->dBHh != NULL) {
    rc_add_into(g->dBHh, w.dbsum, 2 * H);
    rc_add_into(g->dBHh + 2 * H, w.dbsum + G, H);
  }
  rc_input_backward(in, w.dA, w.R, g->dx, g->dWIh);
}
