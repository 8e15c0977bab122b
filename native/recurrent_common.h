/*
 * recurrent_common.h — internals of the fused recurrent kernels (LSTM, GRU, Elman RNN): the call's
 * inputs and outputs, the forward / backward plans and the helpers of the one driver
 * (recurrent_driver.c). The public surface (N-API entry points, argument order) is in recurrent.h.
 *
 * Legend: T time steps, B batch, I input features, H hidden size, P projection (LSTM only, 0 = none),
 *   Hout = P > 0 ? P : H (size of h), G gate width (LSTM 4H, GRU 3H, RNN H), TB = T·B, Kt = Hout + I,
 *   NA = dA blocks per row (LSTM 4: i,f,g,o; GRU 4: r, z, dRn, n; RNN 1), GA = NA·H, MR x NR the
 *   micro-kernel tile (cpu.h), rows [b0, b1) the batch slice of one task.
 *
 * Everything is float32, row-major, time-major, exactly as src/kernels/backend.ts and the reference
 * kernels in src/kernels/ref/ (the spec). Kernels never allocate: all scratch is carved out of the
 * caller's workspace `ws` (layout in recurrent_plan.c, size from rc_rec_workspace()).
 *
 * The scheme (every kind): the rows of a batch are independent through time, so a forward or backward
 * is split into nt batch slices ("tasks"), each running the WHOLE sequence for its rows on one pool
 * thread: no hand-off per step, no cross-core traffic of h, and per-row results that do not depend on
 * the split (every GEMM element is one FMA chain over k whatever the tile it sits in), so any thread or
 * task count gives the same bits. Per step a task packs A = [h_{t-1} ⊙ maskH | x_t ⊙ maskX] (its rows,
 * MR-row panels, K = Kt) and runs the micro-kernel over the pre-packed [W_hh | W_ih]ᵀ chunk by chunk
 * (NR units × the gates); the cell math of a chunk runs on the r tile right after its gate panels
 * (L1-hot). No separate input projection: x·W_ihᵀ is part of the same K loop.
 *
 * wp: chunk c (units [c·NR, c·NR + NR)) holds ngw gate panels of Kt·NR floats, rc_sgemm_packb layout:
 *   panel k rows [0, Hout) = W_hh rows k·H + c·NR + j, rows [Hout, Kt) = W_ih rows k·H + c·NR + j.
 *   LSTM: k = i, f, g, o; GRU: r, z, n (the n panel's first H rows give h·W_hnᵀ, its last I rows x·W_inᵀ:
 *   the GRU tile multiplies them separately, b_hn sits between); RNN: one panel.
 * Backward: a task runs the gate phase of its rows (dA row = NA blocks of H), then dh = dA_rec·W_hh and
 *   dx += dA_in·W_ih from one packing of dA (W_hh, W_ih pre-packed once per call); dA is also stored as
 *   the pre-packed A of the weight products (dAp: per block, panels of MR units over the rows of a chunk
 *   of Tc steps), which run after each chunk: dW_hh, dW_ih pack no A, read it from L2 / L3, and the
 *   workspace holds one chunk, not all T steps. Bias grads are summed per row (dbrow) during the loop
 *   and over rows at the end, in a fixed order.
 */
#ifndef RC_RECURRENT_COMMON_H
#define RC_RECURRENT_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "recurrent_cells.h"

enum { RC_LSTM = 0, RC_GRU = 1, RC_RNN = 2 };

/* Inputs shared by forward and backward of one layer and direction (backend.ts RecurrentInputs). */
typedef struct {
  int kind, T, B, I, H, P, Hout, G, reverse, relu;
  int ldy;                  /* row stride of y (forward) and dy (backward), >= Hout (Hout: rows packed) */
  int tasks;                /* 0 = automatic batch slices; n >= 1 = exactly min(n, B, RC_MAX_SLICES) (tests) */
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
  float *y;      /* (T, B, Hout) rows ldy apart, zero at padded steps */
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
  const float *dy, *dhN, *dcN;   /* (T, B, Hout) rows ldy apart, (B, Hout), (B, H) */
  float *dx, *dh0, *dc0;         /* (T, B, I), (B, Hout), (B, H) */
  float *dWIh, *dWHh;            /* (G, I), (G, Hout) */
  float *dBIh, *dBHh;            /* (G) */
  float *dWHr;                   /* (P, H) */
} rc_rgrad;

/* ---- the kernels (recurrent_driver.c): in->kind picks the cell ---------------------------------- */
/* Forward; inference (out->h == NULL, LSTM / GRU): no saved buffer is written, the state lives in ws. */
void rc_rec_fwd(const rc_rin *in, const rc_rout *out);
void rc_rec_bwd(const rc_rin *in, const rc_rout *saved, const rc_rgrad *g);

/* Elements of ws the kernels of this kind and shape need (forward and backward alike). */
size_t rc_rec_workspace(int kind, int T, int B, int I, int H, int P);

/* Gate panels per chunk of wp (ngw) and dA blocks per row (NA) of a kind. */
static inline int rc_ngw(int kind) { return kind == RC_LSTM ? 4 : kind == RC_GRU ? 3 : 1; }
static inline int rc_na(int kind) { return kind == RC_RNN ? 1 : 4; }

#define RC_MAX_SLICES 16 /* most batch slices per call (bounds the per-task scratch) */

typedef struct {
  const rc_path *P;
  const rc_cells *cl;
  int MR, NR, nt;      /* micro-kernel tile, batch slices */
  int packed;          /* 0: T = 1 and B <= 2, dot products on the weights as they are */
  int infer;           /* out->h == NULL (LSTM, GRU): no saved buffer is written */
  int Kt, ngw, NA;     /* Hout + I; gate panels per chunk; r tiles per chunk (= dA blocks) */
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
  int NA, GA, PPG;     /* dA blocks per row, row width NA·H; unit panels per block of dAp, ceil(H / MR) */
  int packed;          /* 0: T = 1 and B <= 2, the step products read W_hh, W_ih as they are (bw, bx NULL) */
  int Tc;              /* time steps per chunk: dW takes each chunk's dA right after it (rc_bwd_chunk) */
  float *dAp;          /* NA·PPG panels of Tc·B·MR floats, one chunk; NULL when no weight gradient is wanted */
  float *bw, *bx;      /* W_hh (K = G, N = Hout) and W_ih (K = G, N = I) packed in NR panels */
  float *dh, *dc;      /* carries (B, Hout), (B, H) */
  float *dbrow;        /* (B, GA) per-row sums of dA */
  float *dhs;          /* (T, B, P) LSTM P > 0 */
  float *scr;
  long S;
} rc_bplan;

/* ---- plans, packing, after-loop products (recurrent_plan.c) ------------------------------------- */
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
/* T = 1, B <= 2 (unpacked): the gate pre-activations of every row, pre[b] = f->scr + b·f->S, GA floats:
 * LSTM / RNN [x | h]·[W_ih | W_hh]ᵀ; GRU [r, z] of [x | h], then h·W_hnᵀ, then x·W_inᵀ. xr[b], hr[b]:
 * the (masked) rows. Dot products on the weights as they are, the columns split over the pool when it
 * has threads (each thread then keeps its share of the weights in its own L2 across streaming calls). */
/* Weights (floats, gate rows × (Hout + I)) from which the weight packing of a call is split over the pool;
 * smaller ones are packed on the calling thread (a T = 1, B <= 2 step: RC_STEP_SPLIT_FLOATS,
 * recurrent_common.c). */
#define RC_SPLIT_PACK_FLOATS 65536.0
void rc_unpacked_pre(const rc_rin *in, const rc_fplan *f, const float *const *xr, const float *const *hr);
/* Backward: store the task's dA rows (rows × GA, row stride GA) of step t = t_lo + tl of the chunk. */
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

/* bsum (G + H): LSTM / RNN b_ih + b_hh; GRU [b_ir+b_hr, b_iz+b_hz, b_in, b_hn]. */
void rc_bias_sum(const rc_rin *in, float *bsum);
/* Backward, rows [b0, b1): on rows real at step t, dh[b] = (accum ? dh[b] : 0) + tmp[b - b0] ⊙ maskH[b]
 * (tmp rows of Hout from b0); padded rows keep their carry. */
void rc_carry_rows(const rc_rin *in, int t, const float *tmp, float *dh, int b0, int b1, int accum);
/* dst[k] += src[k], k < n (dst NULL: skipped). */
void rc_add_into(float *dst, const float *src, size_t n);
/* dst = src or 0 (src NULL), n elements. */
void rc_copy_or_zero(float *dst, const float *src, size_t n);
/* Run fn(ctx, k) for k < nt: inline when nt == 1, else on the pool (pool.h). */
void rc_run(int nt, void (*fn)(void *ctx, int task), void *ctx);
/* Prefetch n floats from p into L2 (the saved buffers a backward step reads next come from memory). */
static inline void rc_prefetch(const float *p, size_t n) {
  if (p == NULL) return;
  for (size_t k = 0; k < n; k += 16) __builtin_prefetch(p + k, 0, 2);
}

/* ---- time steps and padding ------------------------------------------------------------------- */
/* Iteration s visits t = s (forward) or T-1-s (reverse). */
static inline int rc_step(const rc_rin *in, int s) { return in->reverse ? in->T - 1 - s : s; }
/* Step t of row b is real iff t < lengths[b]. */
static inline int rc_real(const rc_rin *in, int t, int b) { return in->lengths == NULL || t < in->lengths[b]; }
/* h_{t-1} entering iteration s: h0 at s = 0, else the saved state of the step visited before. */
static inline const float *rc_prev(const rc_rin *in, const float *init, const float *saved, int s, int n) {
  return s == 0 ? init : saved + (size_t)rc_step(in, s - 1) * in->B * n;
}

#endif /* RC_RECURRENT_COMMON_H */
