/*
 * recurrent_common.h — internals shared by the fused recurrent kernels (recurrent_{lstm,gru,rnn}.c).
 * The public surface (N-API entry points, argument order) is in recurrent.h.
 *
 * Legend: T time steps, B batch, I input features, H hidden size, P projection (LSTM only, 0 = none),
 *   Hout = P > 0 ? P : H (size of h), G gate width (LSTM 4H, GRU 3H, RNN H), TB = T·B.
 *
 * Everything is float32, row-major, time-major, exactly as src/kernels/backend.ts and the reference
 * kernels in src/kernels/ref/ (the spec). Kernels never allocate: all scratch is carved out of the
 * caller's workspace `ws` (layout in recurrent_common.c, size from rc_rec_workspace()).
 */
#ifndef RC_RECURRENT_COMMON_H
#define RC_RECURRENT_COMMON_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

enum { RC_LSTM = 0, RC_GRU = 1, RC_RNN = 2 };

/* Inputs shared by forward and backward of one layer and direction (backend.ts RecurrentInputs). */
typedef struct {
  int kind, T, B, I, H, P, Hout, G, reverse, relu;
  int tasks;                /* 0 = automatic task split per step; n >= 1 = exactly n tasks (tests) */
  const float *x;           /* (T, B, I) */
  const float *h0;          /* (B, Hout) */
  const float *c0;          /* (B, H)    LSTM only */
  const float *wIh;         /* (G, I) */
  const float *wHh;         /* (G, Hout) */
  const float *bIh, *bHh;   /* (G) or NULL */
  const float *wHr;         /* (P, H)    LSTM with P > 0 */
  const int32_t *lengths;   /* (B) in [1, T] or NULL (= all T) */
  const float *maskX;       /* (B, I) or NULL */
  const float *maskH;       /* (B, Hout) or NULL */
  float *ws;                /* workspace, >= rc_rec_workspace(kind, T, B, I, H, P) elements */
} rc_rin;

/* What a forward writes (backend.ts LstmForwardOut / GruForwardOut / RnnForwardOut). */
typedef struct {
  float *y;      /* (T, B, Hout) zero at padded steps */
  float *hN;     /* (B, Hout) */
  float *cN;     /* (B, H)      LSTM */
  float *gates;  /* (T, B, G)   LSTM i,f,g,o / GRU r,z,n, post-activation, 0 at padded steps */
  float *c;      /* (T, B, H)   LSTM cell state, carried through padded steps */
  float *h;      /* (T, B, Hout) state after step t, carried through padded steps */
  float *m;      /* (T, B, H)   LSTM with P > 0: o ⊙ tanh(c), 0 at padded steps */
  float *q;      /* (T, B, H)   GRU: h_{t-1}·W_hnᵀ + b_hn, 0 at padded steps */
} rc_rout;

/* Upstream gradients (NULL = zero) and accumulated (+=) gradients (NULL = not wanted). */
typedef struct {
  const float *dy, *dhN, *dcN;   /* (T, B, Hout), (B, Hout), (B, H) */
  float *dx, *dh0, *dc0;         /* (T, B, I), (B, Hout), (B, H) */
  float *dWIh, *dWHh;            /* (G, I), (G, Hout) */
  float *dBIh, *dBHh;            /* (G) */
  float *dWHr;                   /* (P, H) */
} rc_rgrad;

/* ---- kernels (pure C, no N-API): recurrent_{lstm,gru,rnn}.c ---------------------------------- */
void rc_lstm_fwd(const rc_rin *in, const rc_rout *out);
void rc_lstm_bwd(const rc_rin *in, const rc_rout *saved, const rc_rgrad *g);
void rc_gru_fwd(const rc_rin *in, const rc_rout *out);
void rc_gru_bwd(const rc_rin *in, const rc_rout *saved, const rc_rgrad *g);
void rc_rnn_fwd(const rc_rin *in, const rc_rout *out);
void rc_rnn_bwd(const rc_rin *in, const rc_rout *saved, const rc_rgrad *g);

/* ---- workspace (recurrent_common.c) ----------------------------------------------------------- */
/* Elements of ws the kernels of this kind and shape need (forward and backward alike); also never
 * less than the reference backend's recurrentWorkspace, so one ws serves either backend. */
size_t rc_rec_workspace(int kind, int T, int B, int I, int H, int P);

/* Forward scratch, carved from ws.
 *
 * Chunk-interleaved gate layout: the units are cut into chunks of NR (the GEMM's packed panel
 * width, gemm.h rc_sgemm_nr()); column c·gates·NR + k·NR + jj of a "gate-interleaved" matrix is
 * gate k of unit c·NR + jj. A task owning units [j0, j1) (j0 a multiple of NR) thus owns ONE
 * contiguous column range [gates·j0, gates·roundup(j1, NR)), so its whole h·W_hhᵀ share is one GEMM
 * call (one packing of h per task and step instead of one per gate: ~15% faster per step). */
typedef struct {
  float *wp;    /* W_hhᵀ pre-packed in gate-interleaved panel order: panel c·gates + k (Hout·NR floats,
                 * rc_sgemm_packb layout) holds rows [kH + c·NR, kH + c·NR + NR) of W_hh; 64-byte aligned */
  float *wrp;   /* LSTM P > 0: W_hrᵀ (H, P) pre-packed */
  int packed;   /* wp / wrp filled (see rc_pack_weights); else the steps read W_hh / W_hr as they are */
  int NR;       /* chunk width: rc_sgemm_nr() when packed, else roundup(H, 16) (one chunk) */
  float *r;     /* (B, ldr) h_{t-1}·W_hhᵀ of one step, gate-interleaved (LSTM, GRU) */
  int ldr;      /* gates · roundup(H, NR) */
  float *xm;    /* (T, B, I)  x ⊙ maskX (only when maskX) */
  float *hm[2]; /* (B, Hout)  h_{t-1} ⊙ maskH, double-buffered (step s reads one, writes the other) */
  float *bsum;  /* (G + H)    LSTM/RNN: b_ih + b_hh;  GRU: [b_ir+b_hr, b_iz+b_hz, b_in, b_hn] */
} rc_fws;

/* Backward scratch, carved from ws. R is reused: during the loop it holds DHS (LSTM P > 0); after
 * it HM for dW_hh, then xm for dW_ih / dx. */
typedef struct {
  float *dA;    /* (T, B, G)  input-side pre-activation grads of every step (0 on padded rows) */
  float *dRn;   /* (T, B, H)  GRU: recurrent-side grads of the n gate, da_n ⊙ r */
  float *dhs;   /* (T, B, P)  LSTM P > 0: dL/dh_t of every step (0 on padded rows), in R */
  float *R;     /* max(TB·I, TB·(Hout + P)) */
  float *dh;    /* (B, Hout)  carry dL/dh */
  float *tmp;   /* (B, Hout)  dR·W_hh of one step */
  float *dc;    /* (B, H)     LSTM carry dL/dc */
  float *dm;    /* (B, H)     dL/d(m_t) of one step (LSTM), or dh + dy (P = 0, GRU, RNN) */
  float *dbsum; /* (G + H)    Σ dA over all steps; GRU: then Σ dRn */
} rc_bws;

void rc_carve_fwd(const rc_rin *in, rc_fws *w);
/* Pack W_hh (gate-interleaved) and W_hr into w->wp, w->wrp once per forward call when w->packed,
 * i.e. unless the call is a single step of a small batch (T = 1, B <= 2): that would pay a packing
 * pass either way, and unpacked the GEMM can take its small-M path. */
void rc_pack_weights(const rc_rin *in, const rc_fws *w);
/* Forward, per step: the task's share of h_{t-1}·W_hhᵀ, units [j0, j1), A (B, Hout).
 * gates > 1 (LSTM, GRU): into w->r (gate-interleaved, columns [gates·j0, gates·roundup(j1, NR))).
 * gates = 1 (RNN): C[:, j0:j1] += A·W_hh[j0:j1]ᵀ (C row stride H). */
void rc_step_gemm(const rc_rin *in, const rc_fws *w, int j0, int j1, const float *A, float *C);
void rc_carve_bwd(const rc_rin *in, rc_bws *w);

/* ---- shared phases (recurrent_common.c) ------------------------------------------------------- */
/* dst (T, B, G) = (x ⊙ maskX)·W_ihᵀ, one (T·B, I)×(I, G) GEMM (biases are added in the step). */
void rc_input_projection(const rc_rin *in, float *xm, float *dst);
/* bsum as described in rc_fws. */
void rc_bias_sum(const rc_rin *in, float *bsum);
/* dst (B, n) = src ⊙ mask (mask (B, n)); a copy if mask is NULL. */
void rc_mask_rows(float *dst, const float *src, const float *mask, int B, int n);
/* dW (rows, Hout) += Σ_t dAᵀ[t]·(h_{t-1} ⊙ maskH): dA (T, B, ·) with row stride lda, restricted to
 * `rows` columns. Uses the saved h shifted by one step (two GEMMs) when unmasked, else builds
 * HM (T, B, Hout) in hmbuf. */
void rc_dwhh(const rc_rin *in, const float *h, int rows, const float *dA, int lda, float *hmbuf, float *dW);
/* After the loop: dW_ih += dAᵀ·(x ⊙ maskX), dx += (dA·W_ih) ⊙ maskX (xm: (T, B, I) scratch). */
void rc_input_backward(const rc_rin *in, const float *dA, float *xm, float *dx, float *dWIh);
/* Forward, end of step t for units [j0, j1) of h (T, B, Hout): real rows y = h; padded rows carry
 * h = h_{t-1} (hPrev (B, Hout)) and output y = 0. */
void rc_finish_rows(const rc_rin *in, int t, const float *hPrev, float *h, float *y, int j0, int j1);
/* Forward: hmNext[:, j0:j1] = h[t][:, j0:j1] ⊙ maskH (the masked state the next step multiplies;
 * no-op when hmNext is NULL). */
void rc_mask_next(const rc_rin *in, int t, const float *h, float *hmNext, int j0, int j1);
/* Backward: on rows real at step t, dh[:, j0:j1] = (accum ? dh : 0) + tmp ⊙ maskH (tmp = dR·W_hh,
 * both (B, Hout)); padded rows keep their carry. */
void rc_carry(const rc_rin *in, int t, const float *tmp, float *dh, int j0, int j1, int accum);
/* dst[k] += src[k], k < n (dst NULL: skipped). */
void rc_add_into(float *dst, const float *src, size_t n);
/* dst = src or 0 (src NULL), n elements. */
void rc_copy_or_zero(float *dst, const float *src, size_t n);

/* ---- time steps and padding ------------------------------------------------------------------- */
/* Iteration s visits t = s (forward) or T-1-s (reverse). */
static inline int rc_step(const rc_rin *in, int s) { return in->reverse ? in->T - 1 - s : s; }
/* Step t of row b is real iff t < lengths[b]. */
static inline int rc_real(const rc_rin *in, int t, int b) { return in->lengths == NULL || t < in->lengths[b]; }
/* h_{t-1} entering iteration s: h0 at s = 0, else the saved state of the step visited before. */
static inline const float *rc_prev(const rc_rin *in, const float *init, const float *saved, int s, int n) {
  return s == 0 ? init : saved + (size_t)rc_step(in, s - 1) * in->B * n;
}

/* ---- per-step parallel split ------------------------------------------------------------------ */
/* Each step's work is split over `nt` tasks by hidden unit: task k owns units [j0, j1) of H (all G
 * gate columns of those units, so the nonlinearity is fused into the same task as the GEMM). */
typedef struct { int nt, chunk; } rc_split;
/* Split n units into tasks whose boundaries are multiples of `align` (the packed-panel width NR
 * when the tasks use pre-packed B). */
rc_split rc_make_split(const rc_rin *in, int n, int align);
static inline int rc_range(rc_split sp, int task, int n, int *j0, int *j1) {
  int a = task * sp.chunk, b = a + sp.chunk;
  *j0 = a < n ? a : n;
  *j1 = b < n ? b : n;
  return *j1 > *j0;
}
/* Run fn(ctx, k) for k < nt: inline when nt == 1, else on the pool (pool.h). */
void rc_run(int nt, void (*fn)(void *ctx, int task), void *ctx);

/* ---- fast float32 math -----------------------------------------------------------------------
 * Branch-free so that loops calling them vectorise (AVX-512: 16 lanes). Accuracy, measured against
 * double-precision references over [-100, 100] (incl. subnormal results): rc_sigmoid ≤ 2.7 ulp,
 * rc_tanh ≤ 1.5 ulp, i.e. relative error < 2e-7; NaN propagates.
 *   rc_expneg(x) = e^x for x ≤ 0 (clamped at -104, where e^x is already 0 in float32): Cephes expf
 *   (round-to-nearest n = x·log2 e by the 1.5·2^23 trick, two-constant ln 2 reduction, degree-6
 *   polynomial) with 2^n applied in two halves so subnormal results are right.
 *   rc_tanh: Cephes tanhf polynomial for |x| < 0.625, else (1 − e^{−2|x|}) / (1 + e^{−2|x|}) with sign.
 *   rc_sigmoid: 1 / (1 + e^{−|x|}), mirrored for x < 0 (e / (1 + e)), as the reference does. */
static inline float rc_expneg(float x) {
  x = x < -104.0f ? -104.0f : x;
  const float magic = 12582912.0f; /* 1.5·2^23: adding it rounds to an integer in the low bits */
  float t = x * 1.44269504088896341f + magic;
  union { float f; int32_t i; } u = { t }, mg = { magic };
  int32_t n = u.i - mg.i;
  float nf = t - magic;
  float r = x - nf * 0.693359375f;
  r = r - nf * -2.12194440e-4f;
  float p = 1.9875691500E-4f;
  p = p * r + 1.3981999507E-3f;
  p = p * r + 8.3334519073E-3f;
  p = p * r + 4.1665795894E-2f;
  p = p * r + 1.6666665459E-1f;
  p = p * r + 5.0000001201E-1f;
  float y = p * (r * r) + r + 1.0f;
  int32_t n1 = n >> 1, n2 = n - n1; /* n ∈ [-150, 0]: both halves give normal 2^k */
  union { int32_t i; float f; } s1 = { (n1 + 127) << 23 }, s2 = { (n2 + 127) << 23 };
  return (y * s1.f) * s2.f;
}
static inline float rc_sigmoid(float x) {
  float e = rc_expneg(-fabsf(x));
  float d = 1.0f / (1.0f + e);
  return x >= 0.0f ? d : e * d;
}
static inline float rc_tanh(float x) {
  float a = fabsf(x), z = x * x;
  float p = -5.70498872745E-3f;
  p = p * z + 2.06390887954E-2f;
  p = p * z - 5.37397155531E-2f;
  p = p * z + 1.33314422036E-1f;
  p = p * z - 3.33332819422E-1f;
  float small = x + x * z * p;
  float e = rc_expneg(-2.0f * a);
  float big = copysignf((1.0f - e) / (1.0f + e), x);
  return a < 0.625f ? small : big;
}

/* Elementwise row kernels are compiled for AVX-512, AVX2+FMA and baseline x86-64 and picked at load
 * time (GCC/Clang target_clones), so they vectorise whatever -march the build uses. */
#if defined(__x86_64__) && defined(__linux__) && (defined(__GNUC__) || defined(__clang__)) && !defined(RC_NO_CLONES)
#define RC_VEC __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"), noinline))
#else
#define RC_VEC
#endif
#if defined(__GNUC__) && !defined(__clang__)
#define RC_OPT __attribute__((optimize("O3")))
#else
#define RC_OPT
#endif
#define RC_RESTRICT __restrict

#endif /* RC_RECURRENT_COMMON_H */
