/*
 * recurrent_cells.c — the elementwise cell math of the fused LSTM / GRU / RNN kernels, one row of units at
 * a time: plain C (vectorised by the compiler, target clones) and AVX-512 intrinsics (the path with
 * the 16-lane exp16 / tanh16 / sigmoid16 of kern_avx512.h and no scalar blends). rc_cells_get() picks
 * the set that matches the active CPU path. Both follow src/kernels/ref/{lstm,gru,rnn}.ts.
 *
 * Legend: n units of this call (pointers pre-offset to the first one); H hidden size; rs / bs / gs the
 * stride between the gate blocks of r (GEMM result), b (summed biases) and g (saved gates).
 *
 *   lstm_fwd  a_k = r[k·rs + j] + b[k·bs + j], k = i, f, g, o;  i,f,o = σ, g = tanh;
 *             c = f·cp + i·g;  h = o·tanh(c);  gates (post-activation) to g[k·gs + j] unless g NULL;
 *             y = h unless y NULL
 *   lstm_bwd  dm = dh (+ dy);  τ = tanh(c);  dc' = dc + dm·o·(1−τ²);  da_i = dc'·g·i(1−i);
 *             da_f = dc'·cp·f(1−f);  da_g = dc'·i·(1−g²);  da_o = dm·τ·o(1−o);  dc ← dc'·f;
 *             da to da[k·H + j], and added to sum[k·H + j]
 *   gru_fwd   r = σ(r0 + b_r), z = σ(r1 + b_z), q = r2 + b_hn, n = tanh(r3 + b_in + r·q) with
 *             r0..r3 = r[k·rs + j] = [h-part r, h-part z, h·W_hnᵀ, x·W_inᵀ] and b = [b_r, b_z, b_in, b_hn];
 *             h = (1−z)·n + z·hp;  gates [r, z, n] unless g NULL, q unless NULL, y unless NULL
 *   gru_bwd   d = dh (+ dy);  da_n = d(1−z)(1−n²);  da_r = da_n·q·r(1−r);  da_z = d(hp−n)·z(1−z);
 *             dRn = da_n·r;  dh ← d·z;  da = [da_r, da_z, dRn, da_n] at k·H, added to sum
 *   rnn_fwd   h = y = φ(r + b), φ = tanh or relu
 *   rnn_bwd   d = dh (+ dy);  da = d·φ'(h) (1 − h² or [h > 0]), added to sum
 * The forward cells run `rows` rows per call, ld apart (rc_rows_ld): the driver passes a whole tile's real
 * rows at once (one call per tile instead of per row took 1-2 % off W5's LSTM CPU time).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cpu.h"
#include "recurrent_cells.h"

/* ---- plain C ------------------------------------------------------------------------------------ */
/* Each loop is branch-free so that it vectorises; the optional outputs pick one of the variants
 * (constant flags, inlined). c / cp and h / hp may be the same array (the inference state, updated in
 * place: each element is read before it is written at the same index), so they carry no restrict.
 * RC_SAME_INDEX tells clang so: without it the vectoriser checks c against cp at run time, finds them
 * equal in inference and runs the scalar loop (wasm, W5: the cells took 29% of an LSTM forward), and
 * with one vector per iteration (no interleaving) a call of 8 units (one NR chunk) is all vector. */
#ifdef __clang__
#define RC_SAME_INDEX _Pragma("clang loop vectorize(assume_safety) interleave_count(1)")
#else
#define RC_SAME_INDEX
#endif

static inline __attribute__((always_inline)) void lstm_fwd_body(int n, const float *RC_RESTRICT r, long rs,
                                                                const float *RC_RESTRICT b, long bs, const float *cp,
                                                                float *RC_RESTRICT g, long gs, float *c,
                                                                float *RC_RESTRICT h, float *RC_RESTRICT y, int wg, int wy) {
  RC_SAME_INDEX
  for (int j = 0; j < n; j++) {
    float i = rc_sigmoid(r[j] + b[j]), f = rc_sigmoid(r[rs + j] + b[bs + j]);
    float gg = rc_tanh(r[2 * rs + j] + b[2 * bs + j]), o = rc_sigmoid(r[3 * rs + j] + b[3 * bs + j]);
    float ct = f * cp[j] + i * gg, m = o * rc_tanh(ct);
    c[j] = ct;
    h[j] = m;
    if (wg) { g[j] = i; g[gs + j] = f; g[2 * gs + j] = gg; g[3 * gs + j] = o; }
    if (wy) y[j] = m;
  }
}

RC_VEC RC_OPT static void lstm_fwd_row(int n, const float *r, long rs, const float *b, long bs, const float *cp, float *g,
                                       long gs, float *c, float *h, float *y) {
  if (g && y) lstm_fwd_body(n, r, rs, b, bs, cp, g, gs, c, h, y, 1, 1);
  else if (g) lstm_fwd_body(n, r, rs, b, bs, cp, g, gs, c, h, y, 1, 0);
  else if (y) lstm_fwd_body(n, r, rs, b, bs, cp, g, gs, c, h, y, 0, 1);
  else lstm_fwd_body(n, r, rs, b, bs, cp, g, gs, c, h, y, 0, 0);
}

static void lstm_fwd_c(int rows, const rc_rows_ld *ld, int n, const float *r, long rs, const float *b, long bs,
                       const float *cp, float *g, long gs, float *c, float *h, float *y) {
  for (int i = 0; i < rows; i++)
    lstm_fwd_row(n, r + i * ld->r, rs, b, bs, cp + i * ld->c, g ? g + i * ld->g : NULL, gs, c + i * ld->c, h + i * ld->h,
                 y ? y + i * ld->y : NULL);
}

/* D: the loss gradient at h_t of element j (with or without the dy term: two loop bodies). The gate
 * blocks come as separate restrict pointers: with one pointer and a run-time stride H the compiler
 * must assume sum[j] and sum[H + j'] may overlap and does not vectorise. */
#define LSTM_BWD(NAME, D)                                                                                        \
  RC_VEC RC_OPT static void NAME(int n, const float *RC_RESTRICT gi, const float *RC_RESTRICT gf,                \
                                 const float *RC_RESTRICT gg, const float *RC_RESTRICT go,                       \
                                 const float *RC_RESTRICT c, const float *RC_RESTRICT cp,                        \
                                 const float *RC_RESTRICT dh, const float *RC_RESTRICT dy,                       \
                                 float *RC_RESTRICT dc, float *RC_RESTRICT ai, float *RC_RESTRICT af,            \
                                 float *RC_RESTRICT ag, float *RC_RESTRICT ao, float *RC_RESTRICT si,            \
                                 float *RC_RESTRICT sf, float *RC_RESTRICT sg, float *RC_RESTRICT so) {          \
    (void)dy;                                                                                                    \
    for (int j = 0; j < n; j++) {                                                                                \
      float i = gi[j], f = gf[j], g = gg[j], o = go[j];                                                          \
      float d = D;                                                                                               \
      float tau = rc_tanh(c[j]);                                                                                 \
      float dct = dc[j] + d * o * (1.0f - tau * tau);                                                            \
      float vi = dct * g * i * (1.0f - i), vf = dct * cp[j] * f * (1.0f - f);                                    \
      float vg = dct * i * (1.0f - g * g), vo = d * tau * o * (1.0f - o);                                        \
      ai[j] = vi; af[j] = vf; ag[j] = vg; ao[j] = vo;                                                            \
      si[j] += vi; sf[j] += vf; sg[j] += vg; so[j] += vo;                                                        \
      dc[j] = dct * f;                                                                                           \
    }                                                                                                            \
  }
LSTM_BWD(lstm_bwd_dy, dh[j] + dy[j])
LSTM_BWD(lstm_bwd_nody, dh[j])

static void lstm_bwd_c(int n, long H, const float *gt, const float *c, const float *cp, const float *dh,
                       const float *dy, float *dc, float *da, float *sum) {
  (dy ? lstm_bwd_dy : lstm_bwd_nody)(n, gt, gt + H, gt + 2 * H, gt + 3 * H, c, cp, dh, dy, dc, da, da + H, da + 2 * H,
                                     da + 3 * H, sum, sum + H, sum + 2 * H, sum + 3 * H);
}

static inline __attribute__((always_inline)) void gru_fwd_body(int n, const float *RC_RESTRICT r, long rs,
                                                               const float *RC_RESTRICT b, long bs, const float *hp,
                                                               float *RC_RESTRICT g, long gs, float *RC_RESTRICT q,
                                                               float *h, int wg) {
  RC_SAME_INDEX
  for (int j = 0; j < n; j++) {
    float rg = rc_sigmoid(r[j] + b[j]), z = rc_sigmoid(r[rs + j] + b[bs + j]);
    float qj = r[2 * rs + j] + b[3 * bs + j];
    float nn = rc_tanh(r[3 * rs + j] + b[2 * bs + j] + rg * qj);
    h[j] = (1.0f - z) * nn + z * hp[j];
    if (wg) { g[j] = rg; g[gs + j] = z; g[2 * gs + j] = nn; q[j] = qj; }
  }
}

/* g and q together (training) or neither (inference); y = h unless y is NULL (the output is the saved h). */
RC_VEC RC_OPT static void gru_fwd_row(int n, const float *r, long rs, const float *b, long bs, const float *hp, float *g,
                                      long gs, float *q, float *h, float *y) {
  if (g) gru_fwd_body(n, r, rs, b, bs, hp, g, gs, q, h, 1);
  else gru_fwd_body(n, r, rs, b, bs, hp, g, gs, q, h, 0);
  if (y) memcpy(y, h, sizeof(float) * n);
}

static void gru_fwd_c(int rows, const rc_rows_ld *ld, int n, const float *r, long rs, const float *b, long bs,
                      const float *hp, float *g, long gs, float *q, float *h, float *y) {
  for (int i = 0; i < rows; i++)
    gru_fwd_row(n, r + i * ld->r, rs, b, bs, hp + i * ld->c, g ? g + i * ld->g : NULL, gs, q ? q + i * ld->c : NULL,
                h + i * ld->h, y ? y + i * ld->y : NULL);
}

#define GRU_BWD(NAME, D)                                                                                         \
  RC_VEC RC_OPT static void NAME(int n, const float *RC_RESTRICT gr, const float *RC_RESTRICT gz,                \
                                 const float *RC_RESTRICT gn, const float *RC_RESTRICT q,                        \
                                 const float *RC_RESTRICT hp, float *RC_RESTRICT dh, const float *RC_RESTRICT dy, \
                                 float *RC_RESTRICT ar, float *RC_RESTRICT az, float *RC_RESTRICT arn,           \
                                 float *RC_RESTRICT an, float *RC_RESTRICT sr, float *RC_RESTRICT sz,            \
                                 float *RC_RESTRICT srn, float *RC_RESTRICT sn) {                                \
    (void)dy;                                                                                                    \
    for (int j = 0; j < n; j++) {                                                                                \
      float r = gr[j], z = gz[j], nn = gn[j];                                                                    \
      float d = D;                                                                                               \
      float dan = d * (1.0f - z) * (1.0f - nn * nn);                                                             \
      float dar = dan * q[j] * r * (1.0f - r);                                                                   \
      float daz = d * (hp[j] - nn) * z * (1.0f - z);                                                             \
      float drn = dan * r;                                                                                       \
      ar[j] = dar; az[j] = daz; arn[j] = drn; an[j] = dan;                                                       \
      sr[j] += dar; sz[j] += daz; srn[j] += drn; sn[j] += dan;                                                   \
      dh[j] = d * z;                                                                                             \
    }                                                                                                            \
  }
GRU_BWD(gru_bwd_dy, dh[j] + dy[j])
GRU_BWD(gru_bwd_nody, dh[j])

static void gru_bwd_c(int n, long H, const float *gt, const float *q, const float *hp, float *dh, const float *dy,
                      float *da, float *sum) {
  (dy ? gru_bwd_dy : gru_bwd_nody)(n, gt, gt + H, gt + 2 * H, q, hp, dh, dy, da, da + H, da + 2 * H, da + 3 * H, sum,
                                   sum + H, sum + 2 * H, sum + 3 * H);
}

/* h = y = φ(r + b), φ = tanh or relu (relu(NaN) = 0, as before the port); y NULL: h only (the output is
 * the saved h itself). */
RC_VEC RC_OPT static void rnn_fwd_row(int n, int relu, const float *RC_RESTRICT r, const float *RC_RESTRICT b,
                                      float *RC_RESTRICT h, float *RC_RESTRICT y) {
  if (relu) {
    for (int j = 0; j < n; j++) {
      float v = r[j] + b[j];
      h[j] = v > 0.0f ? v : 0.0f;
    }
  } else {
    for (int j = 0; j < n; j++) h[j] = rc_tanh(r[j] + b[j]);
  }
  if (y) memcpy(y, h, sizeof(float) * n);
}

static void rnn_fwd_c(int rows, const rc_rows_ld *ld, int n, int relu, const float *r, const float *b, float *h, float *y) {
  for (int i = 0; i < rows; i++) rnn_fwd_row(n, relu, r + i * ld->r, b, h + i * ld->h, y ? y + i * ld->y : NULL);
}

/* d = dh (+ dy);  da = d·φ'(h), φ' = 1 − h² (tanh) or [h > 0] (relu);  sum += da. */
#define RNN_BWD(NAME, D)                                                                                         \
  RC_VEC RC_OPT static void NAME(int n, int relu, const float *RC_RESTRICT h, const float *RC_RESTRICT dh,       \
                                 const float *RC_RESTRICT dy, float *RC_RESTRICT da, float *RC_RESTRICT sum) {   \
    (void)dy;                                                                                                    \
    if (relu) {                                                                                                  \
      for (int j = 0; j < n; j++) {                                                                              \
        float d = D, v = h[j] > 0.0f ? d : 0.0f;                                                                 \
        da[j] = v; sum[j] += v;                                                                                  \
      }                                                                                                          \
    } else {                                                                                                     \
      for (int j = 0; j < n; j++) {                                                                              \
        float d = D, v = d * (1.0f - h[j] * h[j]);                                                               \
        da[j] = v; sum[j] += v;                                                                                  \
      }                                                                                                          \
    }                                                                                                            \
  }
RNN_BWD(rnn_bwd_dy, dh[j] + dy[j])
RNN_BWD(rnn_bwd_nody, dh[j])

static void rnn_bwd_c(int n, int relu, const float *h, const float *dh, const float *dy, float *da, float *sum) {
  (dy ? rnn_bwd_dy : rnn_bwd_nody)(n, relu, h, dh, dy, da, sum);
}

static const rc_cells cells_c = {lstm_fwd_c, lstm_bwd_c, gru_fwd_c, gru_bwd_c, rnn_fwd_c, rnn_bwd_c};

/* ---- AVX-512 ------------------------------------------------------------------------------------ */
#ifdef RC_X86
#include "kern_avx512.h"

/* Cell math with fewer operations than kern_avx512.h (whose tanh / sigmoid serve the vmath entry
 * points with <= 2 ulp everywhere): e^{-x} with its argument clamped to [-80, 80] (so 1 + e^{-x} is a
 * normal float and the reciprocal needs no special cases), a degree-5 polynomial for e^r, reciprocals
 * by rcp14 + one Newton step, σ(x) = 1 / (1 + e^{-x}); tanh(x) = x·P(x²) / Q(x²), the [13/6] rational
 * approximation of Eigen's fast float tanh, on x clamped to ±7.9053 (17 vector operations, no exp and
 * no blend: the cells spend ~10-25 % of a fused LSTM step on activations, two tanh per unit forward, one
 * backward). Measured: σ relative error <= 3e-7 over [-100, 100] (σ(x < -80) returns σ(-80) ≈ 1.8e-35);
 * tanh relative error <= 3.6e-7 over every float in [-12, 12], |tanh| <= 1, ±1 beyond. NaN propagates
 * (min/max keep a NaN second operand). */
T512 INL __m512 expneg_c(__m512 x) {
  x = _mm512_max_ps(_mm512_set1_ps(-80.0f), _mm512_min_ps(_mm512_set1_ps(80.0f), x));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(-1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmsub_ps(n, _mm512_set1_ps(0.693359375f), x); /* -x - n·ln2 (two parts) */
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  /* e^r, |r| <= ln2/2: degree-5 near-minimax polynomial, max relative error 1.4e-7 */
  __m512 p = _mm512_set1_ps(0.008298341184854507f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.041915424168109894f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.1666756421327591f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.49998894333839417f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.9999997019767761f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0000001192092896f));
  return _mm512_scalef_ps(p, n);
}
T512 INL __m512 sig_c(__m512 x) {
  const __m512 d = _mm512_add_ps(_mm512_set1_ps(1.0f), expneg_c(x));
  const __m512 r = _mm512_rcp14_ps(d);
  return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
}
T512 INL __m512 tanh_c(__m512 x) {
  const __m512 lim = _mm512_set1_ps(7.90531110763549805f);
  x = _mm512_max_ps(_mm512_sub_ps(_mm512_setzero_ps(), lim), _mm512_min_ps(lim, x));
  const __m512 x2 = _mm512_mul_ps(x, x);
  __m512 p = _mm512_set1_ps(-2.76076847742355e-16f);
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(2.00018790482477e-13f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-8.60467152213735e-11f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(5.12229709037114e-08f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(1.48572235717979e-05f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(6.37261928875436e-04f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(4.89352455891786e-03f));
  __m512 q = _mm512_set1_ps(1.19825839466702e-06f);
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(1.18534705686654e-04f));
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(2.26843463243900e-03f));
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(4.89352518554385e-03f));
  __m512 r = _mm512_rcp14_ps(q);
  r = _mm512_mul_ps(r, _mm512_fnmadd_ps(q, r, _mm512_set1_ps(2.0f)));
  return _mm512_mul_ps(_mm512_mul_ps(p, x), r);
}
#define sigmoid16 sig_c
#define tanh16 tanh_c

#define LD(p, m) _mm512_maskz_loadu_ps((m), (p))
#define ST(p, m, v) _mm512_mask_storeu_ps((p), (m), (v))
/* Saved gates are written once and read only by the backward, T steps later: a full, 64-byte aligned
 * vector goes out with a streaming store (no read-for-ownership of the line, no eviction of the step's
 * working set); the caller fences (rc_store_fence) before its results are used. */
#define STG(p, m, v)                                                               \
  do {                                                                             \
    if ((m) == (__mmask16)0xFFFF && ((uintptr_t)(p) & 63) == 0) _mm512_stream_ps((p), (v)); \
    else _mm512_mask_storeu_ps((p), (m), (v));                                     \
  } while (0)
T512 INL __mmask16 lanes(int left) { return left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1); }

T512 static void lstm_fwd_512(int rows, const rc_rows_ld *ld, int n, const float *r, long rs, const float *b, long bs,
                              const float *cp, float *g, long gs, float *c, float *h, float *y) {
  for (int row = 0; row < rows; row++) {
    const float *rr = r + row * ld->r, *cpr = cp + row * ld->c;
    float *cr = c + row * ld->c, *hr = h + row * ld->h, *gr = g ? g + row * ld->g : NULL, *yr = y ? y + row * ld->y : NULL;
    for (int j = 0; j < n; j += 16) {
      const __mmask16 m = lanes(n - j);
      const __m512 i = sigmoid16(_mm512_add_ps(LD(rr + j, m), LD(b + j, m)));
      const __m512 f = sigmoid16(_mm512_add_ps(LD(rr + rs + j, m), LD(b + bs + j, m)));
      const __m512 gg = tanh16(_mm512_add_ps(LD(rr + 2 * rs + j, m), LD(b + 2 * bs + j, m)));
      const __m512 o = sigmoid16(_mm512_add_ps(LD(rr + 3 * rs + j, m), LD(b + 3 * bs + j, m)));
      const __m512 ct = _mm512_fmadd_ps(f, LD(cpr + j, m), _mm512_mul_ps(i, gg));
      const __m512 hm = _mm512_mul_ps(o, tanh16(ct));
      ST(cr + j, m, ct);
      ST(hr + j, m, hm);
      if (gr) { STG(gr + j, m, i); STG(gr + gs + j, m, f); STG(gr + 2 * gs + j, m, gg); STG(gr + 3 * gs + j, m, o); }
      if (yr) ST(yr + j, m, hm);
    }
  }
}

T512 static void lstm_bwd_512(int n, long H, const float *gt, const float *c, const float *cp, const float *dh,
                              const float *dy, float *dc, float *da, float *sum) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (int j = 0; j < n; j += 16) {
    const __mmask16 m = lanes(n - j);
    const __m512 i = LD(gt + j, m), f = LD(gt + H + j, m), g = LD(gt + 2 * H + j, m), o = LD(gt + 3 * H + j, m);
    __m512 d = LD(dh + j, m);
    if (dy) d = _mm512_add_ps(d, LD(dy + j, m));
    const __m512 tau = tanh16(LD(c + j, m));
    const __m512 dct = _mm512_fmadd_ps(_mm512_mul_ps(d, o), _mm512_fnmadd_ps(tau, tau, one), LD(dc + j, m));
    const __m512 vi = _mm512_mul_ps(_mm512_mul_ps(dct, g), _mm512_mul_ps(i, _mm512_sub_ps(one, i)));
    const __m512 vf = _mm512_mul_ps(_mm512_mul_ps(dct, LD(cp + j, m)), _mm512_mul_ps(f, _mm512_sub_ps(one, f)));
    const __m512 vg = _mm512_mul_ps(_mm512_mul_ps(dct, i), _mm512_fnmadd_ps(g, g, one));
    const __m512 vo = _mm512_mul_ps(_mm512_mul_ps(d, tau), _mm512_mul_ps(o, _mm512_sub_ps(one, o)));
    ST(da + j, m, vi); ST(da + H + j, m, vf); ST(da + 2 * H + j, m, vg); ST(da + 3 * H + j, m, vo);
    ST(sum + j, m, _mm512_add_ps(LD(sum + j, m), vi));
    ST(sum + H + j, m, _mm512_add_ps(LD(sum + H + j, m), vf));
    ST(sum + 2 * H + j, m, _mm512_add_ps(LD(sum + 2 * H + j, m), vg));
    ST(sum + 3 * H + j, m, _mm512_add_ps(LD(sum + 3 * H + j, m), vo));
    ST(dc + j, m, _mm512_mul_ps(dct, f));
  }
}

T512 static void gru_fwd_512(int rows, const rc_rows_ld *ld, int n, const float *r, long rs, const float *b, long bs,
                             const float *hp, float *g, long gs, float *q, float *h, float *y) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (int row = 0; row < rows; row++) {
    const float *rr = r + row * ld->r, *hpr = hp + row * ld->c;
    float *gr = g ? g + row * ld->g : NULL, *qr = q ? q + row * ld->c : NULL, *hr = h + row * ld->h, *yr = y ? y + row * ld->y : NULL;
    for (int j = 0; j < n; j += 16) {
      const __mmask16 m = lanes(n - j);
      const __m512 rg = sigmoid16(_mm512_add_ps(LD(rr + j, m), LD(b + j, m)));
      const __m512 z = sigmoid16(_mm512_add_ps(LD(rr + rs + j, m), LD(b + bs + j, m)));
      const __m512 qj = _mm512_add_ps(LD(rr + 2 * rs + j, m), LD(b + 3 * bs + j, m));
      const __m512 nn = tanh16(_mm512_fmadd_ps(rg, qj, _mm512_add_ps(LD(rr + 3 * rs + j, m), LD(b + 2 * bs + j, m))));
      const __m512 ht = _mm512_fmadd_ps(_mm512_sub_ps(one, z), nn, _mm512_mul_ps(z, LD(hpr + j, m)));
      ST(hr + j, m, ht);
      if (gr) { STG(gr + j, m, rg); STG(gr + gs + j, m, z); STG(gr + 2 * gs + j, m, nn); ST(qr + j, m, qj); }
      if (yr) ST(yr + j, m, ht);
    }
  }
}

T512 static void gru_bwd_512(int n, long H, const float *gt, const float *q, const float *hp, float *dh, const float *dy,
                             float *da, float *sum) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (int j = 0; j < n; j += 16) {
    const __mmask16 m = lanes(n - j);
    const __m512 r = LD(gt + j, m), z = LD(gt + H + j, m), nn = LD(gt + 2 * H + j, m);
    __m512 d = LD(dh + j, m);
    if (dy) d = _mm512_add_ps(d, LD(dy + j, m));
    const __m512 dan = _mm512_mul_ps(_mm512_mul_ps(d, _mm512_sub_ps(one, z)), _mm512_fnmadd_ps(nn, nn, one));
    const __m512 dar = _mm512_mul_ps(_mm512_mul_ps(dan, LD(q + j, m)), _mm512_mul_ps(r, _mm512_sub_ps(one, r)));
    const __m512 daz = _mm512_mul_ps(_mm512_mul_ps(d, _mm512_sub_ps(LD(hp + j, m), nn)), _mm512_mul_ps(z, _mm512_sub_ps(one, z)));
    const __m512 drn = _mm512_mul_ps(dan, r);
    ST(da + j, m, dar); ST(da + H + j, m, daz); ST(da + 2 * H + j, m, drn); ST(da + 3 * H + j, m, dan);
    ST(sum + j, m, _mm512_add_ps(LD(sum + j, m), dar));
    ST(sum + H + j, m, _mm512_add_ps(LD(sum + H + j, m), daz));
    ST(sum + 2 * H + j, m, _mm512_add_ps(LD(sum + 2 * H + j, m), drn));
    ST(sum + 3 * H + j, m, _mm512_add_ps(LD(sum + 3 * H + j, m), dan));
    ST(dh + j, m, _mm512_mul_ps(d, z));
  }
}

/* The Elman cell is one activation per unit: the plain C loop (vectorised) serves every path. */
static const rc_cells cells_512 = {lstm_fwd_512, lstm_bwd_512, gru_fwd_512, gru_bwd_512, rnn_fwd_c, rnn_bwd_c};
#endif

const rc_cells *rc_cells_get(void) {
#ifdef RC_X86
  if (rc_active_path() == &rc_path_avx512) return &cells_512;
#endif
  return &cells_c;
}
