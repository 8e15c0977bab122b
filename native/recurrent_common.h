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

#include "cpu.h"

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

/* ---- RNN: per-step unit split over the pool (recurrent_common.c, recurrent_rnn.c) ----------------
 * The LSTM and GRU kernels use the batch-slice scheme further down ("fused LSTM / GRU"); the Elman RNN
 * still runs the earlier scheme: one input-projection GEMM, then per step the units split over tasks
 * (one pool hand-off per step), dW_hh batched after the loop. */

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
/* Forward, per step (RNN): the task's share of h_{t-1}·W_hhᵀ, units [j0, j1), A (B, Hout):
 * C[:, j0:j1] += A·W_hh[j0:j1]ᵀ (C row stride H). */
void rc_step_gemm(const rc_rin *in, const rc_fws *w, int j0, int j1, const float *A, float *C);
void rc_carve_bwd(const rc_rin *in, rc_bws *w);

/* ---- fused LSTM / GRU: batch slices, one tile loop per step (recurrent_fused.c) --------------------
 *
 * The rows of a batch are independent through time, so a forward or backward is split into nt batch
 * slices ("tasks"), each running the WHOLE sequence for its rows on one thread: no hand-off per step,
 * no cross-core traffic of h, and per-row results that do not depend on the split (every GEMM element
 * is one FMA chain over k whatever the tile it sits in), so any thread or task count gives the same
 * bits. Per step a task packs A = [h_{t-1} ⊙ maskH | x_t ⊙ maskX] (its rows, MR-row panels, K = Kt =
 * Hout + I) and runs the micro-kernel over the pre-packed [W_hh | W_ih]ᵀ chunk by chunk; the cell math
 * of a chunk runs on the r tile right after its 4 gate panels (L1-hot). No separate input projection:
 * x·W_ihᵀ is part of the same K loop.
 *
 * wp: chunk c (units [c·NR, c·NR + NR)) holds ngw gate panels of Kt·NR floats, rc_sgemm_packb layout:
 *   panel k rows [0, Hout) = W_hh rows k·H + c·NR + j, rows [Hout, Kt) = W_ih rows k·H + c·NR + j.
 *   LSTM: k = i, f, g, o; GRU: r, z, n (the n panel's first H rows give h·W_hnᵀ, its last I rows x·W_inᵀ:
 *   the GRU tile multiplies them separately, b_hn sits between).
 * Backward: a task runs the gate phase of its rows (dA row = [4 gate blocks of H]: LSTM i,f,g,o; GRU
 *   r, z, dRn = da_n ⊙ r, n), then dh = dA_rec·W_hh and dx += dA_in·W_ih from one packing of dA (W_hh,
 *   W_ih pre-packed once per call); dA is also stored as the pre-packed A of the weight products (dAp: per
 *   gate block, panels of MR units over the rows of a chunk of Tc steps), which run after each chunk:
 *   dW_hh, dW_ih pack no A, read it from L2 / L3, and the workspace holds one chunk, not all T steps.
 *   Bias grads are summed per row (dbrow) during the loop and over rows at the end, in a fixed order.
 */
typedef struct {
  void (*lstm_fwd)(int n, const float *r, long rs, const float *b, long bs, const float *cp, float *g, long gs, float *c,
                   float *h, float *y);
  void (*lstm_bwd)(int n, long H, const float *gt, const float *c, const float *cp, const float *dh, const float *dy,
                   float *dc, float *da, float *sum);
  void (*gru_fwd)(int n, const float *r, long rs, const float *b, long bs, const float *hp, float *g, long gs, float *q,
                  float *h, float *y);
  void (*gru_bwd)(int n, long H, const float *gt, const float *q, const float *hp, float *dh, const float *dy, float *da,
                  float *sum);
} rc_cells;
/* The cell functions of the active CPU path (recurrent_cells.c; formulas there). */
const rc_cells *rc_cells_get(void);

#define RC_MAX_SLICES 16 /* most batch slices per call (bounds the per-task scratch) */

typedef struct {
  const rc_path *P;
  const rc_cells *cl;
  int MR, NR, nt;      /* micro-kernel tile, batch slices */
  int packed;          /* 0: T = 1 and B <= 2, dot products on the weights as they are */
  int infer;           /* out->gates == NULL: no saved buffer is written */
  int Kt, ngw;         /* Hout + I; gate panels per chunk (4 LSTM, 3 GRU) */
  long chunk;          /* floats per chunk of wp (ngw·Kt·NR) */
  float *wp, *wrp;     /* packed weights (see above); W_hrᵀ packed (LSTM P > 0) */
  float *bsum;         /* (G + H) summed biases (rc_bias_sum) */
  float *hbuf[2];      /* inference: h state, double-buffered (B, Hout) */
  float *cst, *mst;    /* inference: c state (B, H); m of one step (B, H), P > 0 */
  float *scr;          /* per-task scratch, see rc_task_scr */
  long S;
} rc_fplan;

typedef struct {
  const rc_path *P;
  const rc_cells *cl;
  int MR, NR, nt;
  int GA, PPG;         /* dA row width 4H; unit panels per gate block of dAp, ceil(H / MR) */
  int packed;          /* 0: T = 1 and B <= 2, the step products read W_hh, W_ih as they are (bw, bx NULL) */
  int Tc;              /* time steps per chunk: dW takes each chunk's dA right after it (rc_bwd_chunk) */
  float *dAp;          /* 4·PPG panels of Tc·B·MR floats, one chunk; NULL when no weight gradient is wanted */
  float *bw, *bx;      /* W_hh (K = G, N = Hout) and W_ih (K = G, N = I) packed in NR panels */
  float *dh, *dc;      /* carries (B, Hout), (B, H) */
  float *dbrow;        /* (B, 4H) per-row sums of dA */
  float *dhs;          /* (T, B, P) LSTM P > 0 */
  float *scr;
  long S;
} rc_bplan;

size_t rc_fused_workspace(int kind, int T, int B, int I, int H, int P);
/* Carve ws, sum the biases, pack the weights (over the pool). infer: no saved buffer will be written. */
void rc_fplan_init(const rc_rin *in, int infer, rc_fplan *f);
void rc_bplan_init(const rc_rin *in, const rc_rgrad *g, rc_bplan *b);
/* Rows [b0, b1) of slice `task` of nt (even split of B). */
static inline void rc_task_rows(int B, int nt, int task, int *b0, int *b1) {
  *b0 = (int)((long)task * B / nt);
  *b1 = (int)((long)(task + 1) * B / nt);
}
/* Scratch of slice `task` (rows from b0): (b1 - b0 + MR)·S floats, disjoint from every other slice's. */
static inline float *rc_task_scr(float *scr, long S, int MR, int task, int b0) { return scr + ((size_t)b0 + (size_t)task * MR) * S; }
/* Pack rows × K of A (row stride lda; ⊙ mask rows (stride ldm) when mask) into MR-row panels of Ap
 * (panel stride Kt·MR) at k offset koff; tmp (rows × K) holds the masked rows. */
void rc_pack_rows(const rc_fplan *f, const float *A, long lda, const float *mask, long ldm, int rows, int K, int Kt,
                  int koff, float *Ap, float *tmp);
/* One micro-kernel tile, C (mr × nr) = A·B (+ beta·C) over K in blocks of RC_KC (the A micro-panel of
 * a block stays in L1 however long K is): A a packed panel (k-major, stride MR), B a packed panel
 * (k-major, stride NR). K = 0 writes beta·C. */
static inline void rc_tile(const rc_path *P, int mr, int nr, int K, const float *ap, const float *bp, float *C, long ldc,
                           float beta) {
  int pc = 0;
  do {
    const int kc = K - pc < RC_KC ? K - pc : RC_KC;
    P->kern(mr, nr, kc > 0 ? kc : 0, ap + (size_t)pc * P->mr, bp + (size_t)pc * P->nr, P->nr, C, ldc, 1.0f, pc ? 1.0f : beta);
    pc += RC_KC;
  } while (pc < K);
}
/* C (rows × N) = A·B (+ beta·C): A rows in MR-row packed panels (panel stride apstride), B in NR-column
 * packed panels (panel stride bpstride), K in RC_KC blocks; loop order K block, B panel, A panel, so each
 * B panel block is read once per call (a W_hh of 1 MB is not re-streamed from L3 per row panel). */
void rc_rows_gemm(const rc_path *P, int rows, int N, int K, const float *Ap, long apstride, const float *Bp,
                  long bpstride, float *C, long ldc, float beta);
/* T = 1, B <= 2 (unpacked): the gate pre-activations of every row, pre[b] = f->scr + b·f->S, 4H floats:
 * LSTM [x | h]·[W_ih | W_hh]ᵀ (i, f, g, o); GRU [r, z] of [x | h], then h·W_hnᵀ, then x·W_inᵀ. xr[b], hr[b]:
 * the (masked) rows. Dot products on the weights as they are, the columns split over the pool when it
 * has threads (each thread then keeps its share of the weights in its own L2 across streaming calls). */
void rc_unpacked_pre(const rc_rin *in, const rc_fplan *f, const float *const *xr, const float *const *hr);
/* Backward: store the task's dA rows (rows × 4H, row stride 4H) of step t = t_lo + tl of the chunk. */
void rc_store_dap(const rc_rin *in, const rc_bplan *b, int tl, int b0, int rows, const float *dA);
/* Order streaming stores (the forward's saved gates, recurrent_cells.c) before the task reports completion. */
void rc_store_fence(void);
/* Backward, after the slices ran the steps of times [t_lo, t_hi): dW_hh += dAᵀ·(h_{t-1} ⊙ maskH) and
 * dW_ih += dAᵀ·(x ⊙ maskX) over the chunk's rows (A panels over the pool). Chunks come in iteration order,
 * so the sums have one fixed order. */
void rc_bwd_chunk(const rc_rin *in, const rc_rout *sv, const rc_rgrad *g, const rc_bplan *b, int t_lo, int t_hi);
/* Backward, at the end: db_ih, db_hh from the per-row sums (rows in order). */
void rc_bwd_bias(const rc_rin *in, const rc_rgrad *g, const rc_bplan *b);
/* Iterations [s_lo, s_hi) of chunk k (counted from the first backward iteration s = T-1) and their
 * time range [t_lo, t_hi). */
static inline int rc_chunk(const rc_rin *in, int Tc, int k, int *s_lo, int *s_hi, int *t_lo, int *t_hi) {
  *s_hi = in->T - k * Tc;
  if (*s_hi <= 0) return 0;
  *s_lo = *s_hi - Tc > 0 ? *s_hi - Tc : 0;
  *t_lo = in->reverse ? in->T - *s_hi : *s_lo;
  *t_hi = *t_lo + (*s_hi - *s_lo);
  return 1;
}
/* nblk blocks of n floats, block k at p + k·stride, set to 0 (saved gates of a padded row). */
static inline void rc_zero_blocks(float *p, int nblk, long stride, int n) {
  for (int k = 0; k < nblk; k++)
    for (int j = 0; j < n; j++) p[k * stride + j] = 0.0f;
}

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
/* Backward, rows [b0, b1): on rows real at step t, dh[b] = (accum ? dh[b] : 0) + tmp[b - b0] ⊙ maskH[b]
 * (tmp rows of Hout from b0); padded rows keep their carry. */
void rc_carry_rows(const rc_rin *in, int t, const float *tmp, float *dh, int b0, int b1, int accum);
/* dst[k] += src[k], k < n (dst NULL: skipped). */
void rc_add_into(float *dst, const float *src, size_t n);
/* Prefetch n floats from p into L2 (the saved buffers a backward step reads next come from memory). */
static inline void rc_prefetch(const float *p, size_t n) {
  if (p == NULL) return;
  for (size_t k = 0; k < n; k += 16) __builtin_prefetch(p + k, 0, 2);
}
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
