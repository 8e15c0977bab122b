/*
 * unary.c — elementwise unary forward / backward (see unary.h).
 *
 * Legend: n elements; x, y, dy, dx flat (n). Large arrays (>= RC_UNARY_PAR elements) are cut
 * into equal chunks (multiples of 64 elements), one pool task each; the result does not
 * depend on the cut (elementwise).
 */
#include "unary.h"

#include <math.h>
#include <stddef.h>

#include "cpu.h"
#include "pool.h"

#define RC_UNARY_PAR 32768L

static void fwd(int kind, const float *x, float *y, long n) {
  const rc_path *P = rc_active_path();
  switch (kind) {
    case 0: P->vtanh(x, y, n); break;
    case 1: P->vsigmoid(x, y, n); break;
    case 2: for (long i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f; break;
    case 3: P->vexp(x, y, n); break;
    case 4: for (long i = 0; i < n; i++) y[i] = (float)log((double)x[i]); break;
    case 5:
      for (long i = 0; i < n; i++) {
        const double v = x[i];
        y[i] = (float)(v > 20.0 ? v : log1p(exp(v))); /* PyTorch: beta 1, threshold 20 */
      }
      break;
    case 6: for (long i = 0; i < n; i++) y[i] = -x[i]; break;
    case 7: for (long i = 0; i < n; i++) y[i] = fabsf(x[i]); break;
    case 8: for (long i = 0; i < n; i++) y[i] = sqrtf(x[i]); break;
    default: break;
  }
}

static double sigmoid_d(double v) { return v >= 0 ? 1.0 / (1.0 + exp(-v)) : exp(v) / (1.0 + exp(v)); }

/* dx[i] = dx[i] + dy[i]·f'(x[i]) in double, rounded once (bit-identical to the reference). */
static void bwd(int kind, const float *x, const float *y, const float *dy, float *dx, long n) {
#define LOOP(EXPR) for (long i = 0; i < n; i++) { const double g = dy[i]; dx[i] = (float)((double)dx[i] + (EXPR)); } break
  switch (kind) {
    case 0: LOOP(g * (1.0 - (double)y[i] * y[i]));
    case 1: LOOP(g * y[i] * (1.0 - (double)y[i]));
    case 2: LOOP(x[i] > 0.0f ? g : 0.0);
    case 3: LOOP(g * y[i]);
    case 4: LOOP(g / x[i]);
    case 5: LOOP(x[i] > 20.0f ? g : g * sigmoid_d(x[i]));
    case 6: for (long i = 0; i < n; i++) dx[i] = (float)((double)dx[i] - dy[i]); break;
    case 7: LOOP(g * (x[i] > 0.0f ? 1.0 : x[i] < 0.0f ? -1.0 : (double)x[i])); /* Math.sign: ±0, NaN kept */
    case 8: LOOP(g / (2.0 * y[i]));
    default: break;
  }
#undef LOOP
}

typedef struct {
  int kind, backward;
  const float *x, *y, *dy;
  float *out; /* y (forward) or dx (backward) */
  long n, chunk;
} uctx;

static void task(void *vc, int t) {
  const uctx *c = vc;
  const long i0 = (long)t * c->chunk, len = c->n - i0 < c->chunk ? c->n - i0 : c->chunk;
  if (len <= 0) return;
  if (c->backward) bwd(c->kind, c->x + i0, c->y + i0, c->dy + i0, c->out + i0, len);
  else fwd(c->kind, c->x + i0, c->out + i0, len);
}

static void run(uctx *c) {
  const int nth = rc_pool_threads();
  if (c->n < RC_UNARY_PAR || nth <= 1) {
    task(c, 0); /* chunk == n */
    return;
  }
  c->chunk = ((c->n + nth - 1) / nth + 63) / 64 * 64;
  rc_pool_run((int)((c->n + c->chunk - 1) / c->chunk), task, c);
}

void rc_unary(int kind, const float *x, float *y, long n) {
  uctx c = {kind, 0, x, NULL, NULL, y, n, n};
  run(&c);
}

void rc_unary_backward(int kind, const float *x, const float *y, const float *dy, float *dx, long n) {
  uctx c = {kind, 1, x, y, dy, dx, n, n};
  run(&c);
}
