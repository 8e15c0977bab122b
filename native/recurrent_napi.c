/*
 * recurrent_napi.c — N-API layer of the fused recurrent kernels: positional arguments (the tables of
 * recurrent.h) → checked raw pointers → rc_rec_fwd / rc_rec_bwd (recurrent_driver.c). One parser
 * serves every entry point: the head (dims, inputs, weights, lengths, masks, ws), then the entry's
 * buffers by name (BUFS: shape and field of each name).
 *
 * Legend: T time, B batch, I input, H hidden, P projection, Hout = P > 0 ? P : H, G gate width.
 *
 * Every buffer is checked (type Float32Array, at least the elements its shape needs) before any
 * kernel runs, so a bad call throws (napi_util.h) instead of reading or writing out of bounds. Per
 * call this costs one napi_get_typedarray_info per argument (~60 ns each); stepRun, called once per
 * streamed step, reads its buffers by rc_get_f32_fast (~31 ns: bounds in bytes, element type trusted).
 */
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "napi_util.h"
#include "pool.h"
#include "recurrent.h"
#include "recurrent_common.h"

#define MAX_ARGS 32

typedef struct {
  napi_env env;
  const char *op;
  napi_value argv[MAX_ARGS];
} args_t;

/* "op.name", for messages. */
static const char *where(const args_t *a, const char *name, char *buf, size_t cap) {
  snprintf(buf, cap, "%s.%s", a->op, name);
  return buf;
}

static int fail(const args_t *a, rc_ecode code, const char *name, const char *expected, const char *got) {
  char w[64];
  return rc_throw(a->env, code, where(a, name, w, sizeof w), expected, got);
}

/* Typed array argument idx (element type `type`, at least `need` elements; NULL if nullable and null /
 * undefined). The message "op.name" is only formatted when the argument is wrong (a streaming call
 * checks ~25 arguments). */
static int typed(const args_t *a, int idx, const char *name, napi_typedarray_type type, size_t need, int nullable, void **out) {
  napi_typedarray_type t;
  size_t len;
  if (napi_get_typedarray_info(a->env, a->argv[idx], &t, &len, out, NULL, NULL) == napi_ok) {
    if (t == type && len >= need) return 0;
  } else if (nullable) {
    napi_valuetype vt = napi_undefined;
    napi_typeof(a->env, a->argv[idx], &vt);
    *out = NULL;
    if (vt == napi_null || vt == napi_undefined) return 0;
  }
  char w[64];
  return rc_get_typed(a->env, a->argv[idx], type, nullable, need, out, &len, where(a, name, w, sizeof w));
}

static int f32(const args_t *a, int idx, const char *name, size_t need, int nullable, const float **out) {
  void *data;
  if (typed(a, idx, name, napi_float32_array, need, nullable, &data)) return -1;
  *out = data;
  return 0;
}

/* ---- the head: arguments 0..12 ---------------------------------------------------------------- */

#define HEAD_ENUM(n) ARG_##n,
enum { RC_ARGS_HEAD(HEAD_ENUM) N_HEAD };

static int dims_fail(const args_t *a, const rc_rin *in, const char *expected) {
  char got[160];
  snprintf(got, sizeof got, "T=%d B=%d I=%d H=%d P=%d tasks=%d", in->T, in->B, in->I, in->H, in->P, in->tasks);
  return fail(a, RC_E_SHAPE, "dims", expected, got);
}

static int parse_dims(const args_t *a, int kind, rc_rin *in) {
  void *data;
  char got[16];
  if (typed(a, ARG_dims, "dims", napi_int32_array, 9, 0, &data)) return -1;
  const int32_t *d = data;
  memset(in, 0, sizeof *in);
  in->kind = kind;
  in->T = d[0]; in->B = d[1]; in->I = d[2]; in->H = d[3]; in->P = d[4];
  in->reverse = d[5] != 0;
  in->relu = d[6] == 1;
  in->tasks = d[7];
  in->ldy = d[8];
  const int big = 1 << 30;
  if (in->T < 1 || in->B < 1 || in->I < 0 || in->H < 1 || in->P < 0 || in->T >= big || in->B >= big ||
      in->I >= big || in->H >= big / 4 || in->P >= big || in->tasks < 0)
    return dims_fail(a, in, "T >= 1, B >= 1, I >= 0, H >= 1, P >= 0, tasks >= 0");
  if (kind != RC_LSTM && in->P != 0) return dims_fail(a, in, kind == RC_GRU ? "P = 0 for gru" : "P = 0 for rnn");
  if (kind == RC_RNN && d[6] != 0 && d[6] != 1) {
    snprintf(got, sizeof got, "%d", d[6]);
    return fail(a, RC_E_OPTION, "dims", "nonlinearity 0 (tanh) or 1 (relu)", got);
  }
  const int T = in->T, B = in->B, I = in->I, H = in->H, P = in->P;
  const int Hout = in->Hout = P > 0 ? P : H;
  const int G = in->G = rc_ngw(kind) * H;
  if (in->ldy < Hout || in->ldy >= big) {
    char exp[48];
    snprintf(exp, sizeof exp, "ldy (dims[8]) in [Hout = %d, 2^30)", Hout);
    snprintf(got, sizeof got, "%d", in->ldy);
    return fail(a, RC_E_SHAPE, "dims", exp, got);
  }
  /* GEMM dimensions and leading strides are ints: keep every matrix dimension and B·row below 2^31. */
  double TB = (double)T * B, wide = (double)(I > G ? I : G) + Hout + P;
  if (TB > INT_MAX || (double)B * wide > INT_MAX || (double)G * (I > Hout ? I : Hout) > INT_MAX)
    return dims_fail(a, in, "T·B and every matrix below 2^31 elements");
  return 0;
}

static int parse_head(const args_t *a, int kind, rc_rin *in) {
  if (parse_dims(a, kind, in)) return -1;
  const int T = in->T, B = in->B, I = in->I, H = in->H, P = in->P, Hout = in->Hout, G = in->G;
  const size_t tb = (size_t)T * B;
  if (f32(a, ARG_x, "x", tb * I, 0, &in->x) || f32(a, ARG_h0, "h0", (size_t)B * Hout, 0, &in->h0) ||
      f32(a, ARG_c0, "c0", (size_t)B * H, kind != RC_LSTM, &in->c0) || f32(a, ARG_wIh, "wIh", (size_t)G * I, 0, &in->wIh) ||
      f32(a, ARG_wHh, "wHh", (size_t)G * Hout, 0, &in->wHh) || f32(a, ARG_bIh, "bIh", (size_t)G, 1, &in->bIh) ||
      f32(a, ARG_bHh, "bHh", (size_t)G, 1, &in->bHh) || f32(a, ARG_wHr, "wHr", (size_t)P * H, P == 0, &in->wHr))
    return -1;
  if (kind != RC_LSTM) in->c0 = NULL;
  if (P == 0) in->wHr = NULL;
  void *data;
  char exp[48], got[32];
  if (typed(a, ARG_lengths, "lengths", napi_int32_array, (size_t)B, 1, &data)) return -1;
  in->lengths = data;
  for (int b = 0; in->lengths != NULL && b < B; b++)
    if (in->lengths[b] < 1 || in->lengths[b] > T) {
      char name[32];
      snprintf(name, sizeof name, "lengths[%d]", b);
      snprintf(exp, sizeof exp, "a value in [1, %d]", T);
      snprintf(got, sizeof got, "%d", in->lengths[b]);
      return fail(a, RC_E_VALUE, name, exp, got);
    }
  const float *ws;
  if (f32(a, ARG_maskX, "maskX", (size_t)B * I, 1, &in->maskX) || f32(a, ARG_maskH, "maskH", (size_t)B * Hout, 1, &in->maskH) ||
      f32(a, ARG_ws, "ws", rc_rec_workspace(kind, T, B, I, H, P), 0, &ws))
    return -1;
  in->ws = (float *)ws;
  return 0;
}

/* ---- the buffers after the head, by name --------------------------------------------------------- */

typedef struct {
  rc_rout o;   /* forward outputs, or the saved buffers of a backward */
  rc_rgrad g;  /* backward: upstream and accumulated gradients */
} bufs_t;

enum { D1, DTB, DB, DG, DH, DHO, DI, DP };
typedef struct {
  const char *name;
  int rows, cols;  /* shape, in the dims above */
  size_t off;      /* field in bufs_t */
} buf_spec;

#define O(f) offsetof(bufs_t, o.f)
#define GR(f) offsetof(bufs_t, g.f)
#define BUF_IDS(X) X(y) X(hN) X(cN) X(gates) X(c) X(h) X(m) X(q) X(dy) X(dhN) X(dcN) X(dx) X(dh0) X(dc0) X(dWIh) X(dWHh) X(dBIh) X(dBHh) X(dWHr)
#define BUF_ENUM(n) BUF_##n,
enum { BUF_IDS(BUF_ENUM) N_BUFS };
static const buf_spec BUFS[N_BUFS] = {
  {"y", DTB, DHO, O(y)},      {"hN", DB, DHO, O(hN)},     {"cN", DB, DH, O(cN)},        {"gates", DTB, DG, O(gates)},
  {"c", DTB, DH, O(c)},       {"h", DTB, DHO, O(h)},      {"m", DTB, DH, O(m)},         {"q", DTB, DH, O(q)},
  {"dy", DTB, DHO, GR(dy)},   {"dhN", DB, DHO, GR(dhN)},  {"dcN", DB, DH, GR(dcN)},     {"dx", DTB, DI, GR(dx)},
  {"dh0", DB, DHO, GR(dh0)},  {"dc0", DB, DH, GR(dc0)},   {"dWIh", DG, DI, GR(dWIh)},   {"dWHh", DG, DHO, GR(dWHh)},
  {"dBIh", DG, D1, GR(dBIh)}, {"dBHh", DG, D1, GR(dBHh)}, {"dWHr", DP, DH, GR(dWHr)},
};

static size_t dim(const rc_rin *in, int d) {
  switch (d) {
    case DTB: return (size_t)in->T * in->B;
    case DB: return (size_t)in->B;
    case DG: return (size_t)in->G;
    case DH: return (size_t)in->H;
    case DHO: return (size_t)in->Hout;
    case DI: return (size_t)in->I;
    case DP: return (size_t)in->P;
    default: return 1;
  }
}

/* Elements buffer s spans: its shape's, except y and dy, whose rows are ldy apart. */
static size_t extent(const rc_rin *in, const buf_spec *s) {
  if (s->off == O(y) || s->off == GR(dy)) return ((size_t)in->T * in->B - 1) * in->ldy + in->Hout;
  return dim(in, s->rows) * dim(in, s->cols);
}

/* Buffers ids[0..n) (BUF_*) at arguments N_HEAD.. into b. Forward: y, hN, cN required; LSTM / GRU gates null
 * = inference (the other saved buffers may then be null and are not written); backward: the saved
 * buffers required, gradients nullable. m, dWHr are ignored when P = 0. */
static int parse_bufs(const args_t *a, const rc_rin *in, int bwd, const int *ids, int n, bufs_t *b) {
  memset(b, 0, sizeof *b);
  for (int k = 0; k < n; k++) {
    const buf_spec *s = &BUFS[ids[k]];
    const float **p = (const float **)((char *)b + s->off);
    const int grad = s->off >= offsetof(bufs_t, g), saved = !grad && s->off != O(y) && s->off != O(hN) && s->off != O(cN);
    const int unused = in->P == 0 && (s->off == O(m) || s->off == GR(dWHr));
    const int infer_ok = saved && !bwd && in->kind != RC_RNN && (s->off == O(gates) || b->o.gates == NULL);
    const int nullable = unused || grad || infer_ok;
    if (f32(a, N_HEAD + k, s->name, extent(in, s), nullable, p)) return -1;
    if (unused) *p = NULL;
  }
  if (!bwd && in->kind != RC_RNN && b->o.gates == NULL) b->o.c = b->o.h = b->o.m = b->o.q = NULL;
  if (!bwd && b->o.y == b->o.h && in->ldy != in->Hout) /* the driver would write y only as the packed h */
    return fail(a, RC_E_VALUE, "y", "a buffer of its own when ldy != Hout (not the saved h)", "the saved h");
  return 0;
}

/* Both directions of a bidirectional layer in one call (the arguments of each in turn). On 2 threads and
 * when each direction is worth a hand-off, the two run at once, one whole direction per thread on all its
 * rows (one batch slice: the nested rc_run calls of a task run inline, pool.h): each core reads one
 * direction's weights per step for all 32 rows of W6 instead of both directions' for 16; one 32-row
 * slice took 0-3 % less CPU than two of 16 on W6's first layer (I = 64) and 7-13 % less on its second
 * (I = 512, 3 MB of packed weights) (`bench/pair.ts --slices`, 1 thread). With more threads the nested calls could not use them: one after the other, each
 * split over all threads as a single call splits. Each direction's arithmetic is that of a single call
 * (any slice count gives the same bits), so the results are too. */
typedef struct {
  rc_rin in[2];
  bufs_t b[2];
  int bwd;
} pair_t;

static void one_dir(void *ctx, int k) {
  const pair_t *p = ctx;
  if (p->bwd) rc_rec_bwd(&p->in[k], &p->b[k].o, &p->b[k].g);
  else rc_rec_fwd(&p->in[k], &p->b[k].o);
}

static int concurrent(const rc_rin *in) {
  const int nth = rc_pool_threads();
  const double work = (double)in->T * in->B * in->G * (in->Hout + in->I);
  return nth == 2 && work >= (double)(1 << 20) && (in->T > 1 || in->B > 2);
}

/* A written range [lo, hi) whose rows of w floats are ld apart (ld = w: contiguous). */
typedef struct {
  const float *lo, *hi;
  size_t ld, w;
} span_t;

/* Written ranges of direction k (the workspace, then each buffer it writes) into r; returns their count. */
static int written(const pair_t *p, int k, const int *ids, int n, span_t *r) {
  const rc_rin *in = &p->in[k];
  const size_t wsn = rc_rec_workspace(in->kind, in->T, in->B, in->I, in->H, in->P);
  int m = 0;
  r[m++] = (span_t){in->ws, in->ws + wsn, wsn, wsn};
  for (int j = 0; j < n; j++) {
    const buf_spec *s = &BUFS[ids[j]];
    const float *b = *(const float *const *)((const char *)&p->b[k] + s->off);
    const int upstream = s->off == GR(dy) || s->off == GR(dhN) || s->off == GR(dcN);
    if (b == NULL || (p->bwd && (s->off < offsetof(bufs_t, g) || upstream))) continue;
    const size_t e = extent(in, s), y = s->off == O(y);
    r[m++] = (span_t){b, b + e, y ? (size_t)in->ldy : e, y ? (size_t)in->Hout : e};
  }
  return m;
}

/* Two ranges meet: their addresses overlap and, for rows of the same stride, their columns do too. */
static int meet(const span_t *a, const span_t *b) {
  if (!(a->lo < b->hi && b->lo < a->hi)) return 0;
  if (a->ld != b->ld || a->ld == a->w || b->ld == b->w) return 1;
  const ptrdiff_t d = b->lo - a->lo, ld = (ptrdiff_t)a->ld;
  const size_t c = (size_t)(((d % ld) + ld) % ld); /* b's first column in a's rows */
  return !(c >= a->w && c + b->w <= a->ld);
}

/* The two directions may run at once: nothing one writes may overlap anything the other writes. */
static int check_disjoint(const args_t *a, const pair_t *p, const int *ids, int n) {
  span_t r0[N_BUFS + 1], r1[N_BUFS + 1];
  const int m0 = written(p, 0, ids, n, r0), m1 = written(p, 1, ids, n, r1);
  for (int i = 0; i < m0; i++)
    for (int j = 0; j < m1; j++)
      if (meet(&r0[i], &r1[j]))
        return fail(a, RC_E_VALUE, "pair", "the two directions writing disjoint buffers (workspace, outputs, gradients)", "overlapping ones");
  return 0;
}

static void run_pair(pair_t *p) {
  if (!concurrent(&p->in[0]) || !concurrent(&p->in[1])) {
    one_dir(p, 0);
    one_dir(p, 1);
    return;
  }
  for (int k = 0; k < 2; k++)
    if (p->in[k].tasks == 0) p->in[k].tasks = 1;
  rc_run(2, one_dir, p);
}

/* One entry point: js name, kind, direction and argument ids from RC_RECURRENT_KERNELS; called with the
 * arguments of one direction, or of two (run_pair). */
static napi_value run(napi_env env, napi_callback_info info, const char *op, int kind, int bwd, const int *ids, int n) {
  args_t a[2] = {{.env = env, .op = op}, {.env = env, .op = op}};
  pair_t p = {.bwd = bwd};
  const size_t one = (size_t)(N_HEAD + n);
  size_t argc = 0;
  napi_value all[2 * MAX_ARGS];
  napi_get_cb_info(env, info, &argc, NULL, NULL, NULL);
  const int dirs = argc >= 2 * one ? 2 : 1;
  if (rc_args(env, info, dirs * one, all, op)) return NULL;
  for (int k = 0; k < dirs; k++) {
    memcpy(a[k].argv, all + k * one, sizeof(napi_value) * one);
    if (parse_head(&a[k], kind, &p.in[k]) || parse_bufs(&a[k], &p.in[k], bwd, ids, n, &p.b[k])) return NULL;
  }
  if (dirs == 2 && check_disjoint(&a[0], &p, ids, n)) return NULL;
  if (dirs == 2) run_pair(&p);
  else one_dir(&p, 0);
  return NULL;
}

#define NAME_STR(n) #n,
#define DEFINE_KERNEL(js, kind, bwd, args)                                                  \
  static const int js##_ids[] = {args(BUF_ENUM)};                                           \
  static const char *const js##_names[] = {args(NAME_STR)};                                 \
  napi_value rc_js_##js(napi_env env, napi_callback_info info) {                            \
    return run(env, info, #js, kind, bwd, js##_ids, (int)(sizeof js##_ids / sizeof *js##_ids)); \
  }
RC_RECURRENT_KERNELS(DEFINE_KERNEL)

static const char *const head_names[] = {RC_ARGS_HEAD(NAME_STR)};

static napi_value name_list(napi_env env, const char *const *names, int n) {
  napi_value arr, s;
  napi_create_array_with_length(env, (size_t)n, &arr);
  for (int k = 0; k < n; k++) {
    napi_create_string_utf8(env, names[k], NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, arr, (uint32_t)k, s);
  }
  return arr;
}

napi_value rc_recurrent_args(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value o;
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "head", name_list(env, head_names, N_HEAD));
#define SET_NAMES(js, kind, bwd, args) \
  napi_set_named_property(env, o, #js, name_list(env, js##_names, (int)(sizeof js##_names / sizeof *js##_names)));
  RC_RECURRENT_KERNELS(SET_NAMES)
  return o;
}

napi_value rc_recurrent_workspace(napi_env env, napi_callback_info info) {
  napi_value argv[6], res;
  int v[6];
  static const char *const what[6] = {"recurrentWorkspace.kind", "recurrentWorkspace.T", "recurrentWorkspace.B",
                                      "recurrentWorkspace.I", "recurrentWorkspace.H", "recurrentWorkspace.P"};
  if (rc_args(env, info, 6, argv, "recurrentWorkspace")) return NULL;
  for (int k = 0; k < 6; k++)
    if (rc_get_int(env, argv[k], 0, k == 0 ? 2 : INT_MAX, &v[k], what[k])) return NULL;
  napi_create_double(env, (double)rc_rec_workspace(v[0], v[1], v[2], v[3], v[4], v[5]), &res);
  return res;
}

/* ---- prepared streamed steps (stepPrepare / stepRun, recurrent.h) ------------------------------- */

#define STEP_MAGIC 0x72637374 /* "rcst": a handle made by stepPrepare */
#define STEP_REFS 6           /* wIh, wHh, bIh, bHh, wHr, ws */

typedef struct {
  int magic;
  rc_rin in; /* dims, weights, biases, ws; x, h0, c0 are set by each stepRun */
  napi_ref refs[STEP_REFS];
} step_t;

static void step_free(napi_env env, void *data, void *hint) {
  (void)hint;
  step_t *p = data;
  for (int k = 0; k < STEP_REFS; k++)
    if (p->refs[k] != NULL) napi_delete_reference(env, p->refs[k]);
  free(p);
}

napi_value rc_step_prepare(napi_env env, napi_callback_info info) {
  napi_value argv[1 + N_HEAD], handle;
  args_t a = {.env = env, .op = "stepPrepare"};
  int kind;
  if (rc_args(env, info, 1 + N_HEAD, argv, a.op) || rc_get_int(env, argv[0], 0, 2, &kind, "stepPrepare.kind")) return NULL;
  memcpy(a.argv, argv + 1, sizeof(napi_value) * N_HEAD);
  step_t *p = calloc(1, sizeof *p);
  if (p == NULL) return rc_throw(env, RC_E_VALUE, a.op, "memory for a step handle", "none"), NULL;
  if (parse_head(&a, kind, &p->in) ||
      ((p->in.T != 1 || p->in.B > 2 || p->in.ldy != p->in.Hout) && dims_fail(&a, &p->in, "T = 1, B <= 2 and ldy = Hout (a streamed step)")) ||
      ((p->in.lengths || p->in.maskX || p->in.maskH) &&
       fail(&a, RC_E_OPTION, p->in.lengths ? "lengths" : p->in.maskX ? "maskX" : "maskH", "null (a streamed inference step has no lengths or masks)", "a buffer"))) {
    free(p);
    return NULL;
  }
  static const int kept[STEP_REFS] = {ARG_wIh, ARG_wHh, ARG_bIh, ARG_bHh, ARG_wHr, ARG_ws};
  const void *used[STEP_REFS] = {p->in.wIh, p->in.wHh, p->in.bIh, p->in.bHh, p->in.wHr, p->in.ws};
  p->magic = STEP_MAGIC;
  for (int k = 0; k < STEP_REFS; k++)
    if (used[k] != NULL) napi_create_reference(env, a.argv[kept[k]], 1, &p->refs[k]);
  if (napi_create_external(env, p, step_free, NULL, &handle) != napi_ok) {
    step_free(env, p, NULL);
    return rc_throw(env, RC_E_VALUE, a.op, "a step handle", "napi_create_external failed"), NULL;
  }
  return handle;
}

enum { S_HANDLE, S_X, S_H0, S_C0, S_Y, S_HN, S_CN, N_STEP };

napi_value rc_step_run(napi_env env, napi_callback_info info) {
  args_t a = {.env = env, .op = "stepRun"};
  void *data = NULL;
  if (rc_args(env, info, N_STEP, a.argv, a.op)) return NULL;
  napi_valuetype vt = napi_undefined;
  napi_typeof(env, a.argv[S_HANDLE], &vt);
  if (vt != napi_external || napi_get_value_external(env, a.argv[S_HANDLE], &data) != napi_ok || data == NULL ||
      ((step_t *)data)->magic != STEP_MAGIC)
    return fail(&a, RC_E_VALUE, "handle", "a handle from stepPrepare", "another value"), NULL;
  rc_rin in = ((step_t *)data)->in;
  const int lstm = in.kind == RC_LSTM;
  const size_t B = (size_t)in.B;
  rc_rout o;
  memset(&o, 0, sizeof o);
  rc_f32 x, h0, c0, y, hN, cN;
  if (rc_get_f32_fast(env, a.argv[S_X], 0, B * in.I, &x, "stepRun.x") || rc_get_f32_fast(env, a.argv[S_H0], 0, B * in.Hout, &h0, "stepRun.h0") ||
      rc_get_f32_fast(env, a.argv[S_C0], !lstm, B * in.H, &c0, "stepRun.c0") || rc_get_f32_fast(env, a.argv[S_Y], 1, B * in.Hout, &y, "stepRun.y") ||
      rc_get_f32_fast(env, a.argv[S_HN], 0, B * in.Hout, &hN, "stepRun.hN") || rc_get_f32_fast(env, a.argv[S_CN], !lstm, B * in.H, &cN, "stepRun.cN"))
    return NULL;
  in.x = x.p, in.h0 = h0.p, in.c0 = c0.p, o.y = y.p, o.hN = hN.p, o.cN = cN.p;
  if (!lstm) in.c0 = NULL, o.cN = NULL;
  rc_rec_fwd(&in, &o); /* o.gates == o.h == NULL: inference; o.y NULL: no y */
  return NULL;
}
