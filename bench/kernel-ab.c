/*
 * kernel-ab.c — paired A/B of the fused LSTM kernels of two builds of native/ in ONE process: each build
 * is a shared library (dlopen, RTLD_LOCAL: its own pool and packing buffers), and the two are called
 * alternately, repetition by repetition (order swapped every other repetition), on the same buffers, so
 * that load drifts on a shared machine hit both alike. Reports GFLOP per CPU-second (process CPU time:
 * less sensitive to other tenants than wall time) as median / min per build, and the median and
 * quartiles of the per-repetition CPU-time ratio A/B (> 1: B is faster). Not part of the test suite.
 *
 *   # a build of a native/ tree (the N-API files left out):
 *   so() { gcc -O3 -std=gnu11 -pthread -fPIC -shared -I$1 -o $2 $(ls $1/[a-z]*.c | grep -v -e addon.c -e napi -e ops_) -lm; }
 *   git archive main native | tar -x -C /tmp/main && so /tmp/main/native /tmp/a.so && so native /tmp/b.so
 *   gcc -O2 -Inative -o /tmp/kernel-ab bench/kernel-ab.c -ldl
 *   RECUR_NUM_THREADS=1 TASKS=4 /tmp/kernel-ab /tmp/a.so /tmp/b.so 100 32 32 128 bwd 40   # W1 shapes
 *
 * Modes: infer (forward, no saved buffer), train (forward saving gates, c, h), bwd (backward from one
 * saved forward; dx and every weight gradient wanted), step (forward + backward). FLOPs are the gate
 * products only (forward 2·T·B·4H·(I+H), backward twice that). TASKS = the batch slices (rc_rin.tasks;
 * 0 = automatic): with 1 thread, TASKS=4 runs W1 / W5 as 2 threads would slice them; TASKS_A / TASKS_B
 * set them per build. NODX=1: no dx wanted (as in the bench's single-layer training jobs, whose input
 * needs no gradient); the backward's FLOPs are then the forward's plus 2·T·B·4H·H.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recurrent_common.h"

typedef void (*fwd_fn)(const rc_rin *, const rc_rout *);
typedef void (*bwd_fn)(const rc_rin *, const rc_rout *, const rc_rgrad *);
typedef size_t (*ws_fn)(int, int, int, int, int, int);

static double now(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* n floats, uniform in [-s, s) from a fixed LCG: the same data for both builds and every run */
static float *data(size_t n, float s) {
  float *p = aligned_alloc(64, (n * sizeof(float) + 127) / 64 * 64);
  unsigned x = 12345;
  for (size_t i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    p[i] = s * (((x >> 8) & 0xffff) / 32768.0f - 1.0f);
  }
  return p;
}

static int cmp(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int env_int(const char *name, int dflt) { return getenv(name) ? atoi(getenv(name)) : dflt; }

/* GFLOP per CPU-second of the path's FMA loop on this thread: the VM's per-CPU speed drifts up to 2x within
 * minutes, so efficiencies are read against this, taken before and after the repetitions. */
static double fma_gflops(const rc_path *(*active)(void)) {
  const double c0 = now(CLOCK_THREAD_CPUTIME_ID), f = active()->fma_peak(20000000);
  return f / (now(CLOCK_THREAD_CPUTIME_ID) - c0) / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 9) {
    fprintf(stderr, "usage: kernel-ab A.so B.so T B I H infer|train|bwd|step reps\n");
    return 2;
  }
  fwd_fn F[2];
  bwd_fn Bw[2];
  ws_fn W[2];
  const rc_path *(*active)(void) = NULL;
  for (int v = 0; v < 2; v++) {
    void *L = dlopen(argv[1 + v], RTLD_NOW | RTLD_LOCAL);
    if (!L) {
      fprintf(stderr, "%s\n", dlerror());
      return 1;
    }
    F[v] = (fwd_fn)dlsym(L, "rc_rec_fwd");
    Bw[v] = (bwd_fn)dlsym(L, "rc_rec_bwd");
    W[v] = (ws_fn)dlsym(L, "rc_rec_workspace");
    if (v == 0) active = (const rc_path *(*)(void))dlsym(L, "rc_active_path");
    if (!F[v] || !Bw[v] || !W[v] || !active) {
      fprintf(stderr, "%s: rc_rec_fwd / rc_rec_bwd / rc_rec_workspace / rc_active_path not found\n", argv[1 + v]);
      return 1;
    }
  }
  const int T = atoi(argv[3]), B = atoi(argv[4]), I = atoi(argv[5]), H = atoi(argv[6]), reps = atoi(argv[8]);
  const char *mode = argv[7];
  const int infer = !strcmp(mode, "infer"), bwd = !strcmp(mode, "bwd"), step = !strcmp(mode, "step");
  if (T < 1 || B < 1 || I < 1 || H < 1 || reps < 1 || !(infer || bwd || step || !strcmp(mode, "train"))) {
    fprintf(stderr, "kernel-ab: T, B, I, H, reps >= 1 and a mode of infer|train|bwd|step\n");
    return 2;
  }
  const int G = 4 * H, tasks[2] = {env_int("TASKS_A", env_int("TASKS", 0)), env_int("TASKS_B", env_int("TASKS", 0))};
  rc_rin in = {.kind = RC_LSTM, .T = T, .B = B, .I = I, .H = H, .Hout = H, .G = G, .ldy = H};
  in.x = data((size_t)T * B * I, 1.0f);
  in.h0 = data((size_t)B * H, 0.0f);
  in.c0 = data((size_t)B * H, 0.0f);
  in.wIh = data((size_t)G * I, 0.1f);
  in.wHh = data((size_t)G * H, 0.1f);
  in.bIh = data(G, 0.1f);
  in.bHh = data(G, 0.1f);
  const size_t w0 = W[0](RC_LSTM, T, B, I, H, 0), w1 = W[1](RC_LSTM, T, B, I, H, 0);
  in.ws = data(w0 > w1 ? w0 : w1, 0.0f);
  rc_rout o = {.y = data((size_t)T * B * H, 0.0f), .hN = data((size_t)B * H, 0.0f), .cN = data((size_t)B * H, 0.0f)};
  if (!infer) {
    o.gates = data((size_t)T * B * G, 0.0f);
    o.c = data((size_t)T * B * H, 0.0f);
    o.h = o.y;
  }
  const int nodx = getenv("NODX") && atoi(getenv("NODX"));
  rc_rgrad g = {.dy = data((size_t)T * B * H, 1.0f), .dx = nodx ? NULL : data((size_t)T * B * I, 0.0f),
                .dWIh = data((size_t)G * I, 0.0f), .dWHh = data((size_t)G * H, 0.0f), .dBIh = data(G, 0.0f), .dBHh = data(G, 0.0f)};
  const double fwd = 2.0 * T * B * G * (I + H), back = nodx ? fwd + 2.0 * T * B * G * H : 2 * fwd;
  const double flop = bwd ? back : step ? fwd + back : fwd;
  if (bwd) F[0](&in, &o);
  const double peak0 = fma_gflops(active);
  double *cpu[2], *wall[2], *ratio = malloc(sizeof(double) * reps);
  for (int v = 0; v < 2; v++) {
    cpu[v] = malloc(sizeof(double) * reps);
    wall[v] = malloc(sizeof(double) * reps);
  }
  for (int r = -2; r < reps; r++) /* two warm-up rounds */
    for (int k = 0; k < 2; k++) {
      const int v = (r & 1) ? 1 - k : k;
      in.tasks = tasks[v];
      const double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
      if (bwd) Bw[v](&in, &o, &g);
      else {
        F[v](&in, &o);
        if (step) Bw[v](&in, &o, &g);
      }
      if (r >= 0) {
        wall[v][r] = now(CLOCK_MONOTONIC) - t0;
        cpu[v][r] = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
      }
    }
  for (int r = 0; r < reps; r++) ratio[r] = cpu[0][r] / cpu[1][r];
  for (int v = 0; v < 2; v++) {
    qsort(cpu[v], reps, sizeof(double), cmp);
    qsort(wall[v], reps, sizeof(double), cmp);
  }
  qsort(ratio, reps, sizeof(double), cmp);
  printf("%s T%d B%d I%d H%d tasks %d/%d: GFLOP/cpu-s A %.1f/%.1f B %.1f/%.1f (median/min); GFLOP/wall-s A %.1f B %.1f "
         "(median); CPU time A/B median %.3f, quartiles %.3f..%.3f\n",
         mode, T, B, I, H, tasks[0], tasks[1], flop / cpu[0][reps / 2] / 1e9, flop / cpu[0][0] / 1e9,
         flop / cpu[1][reps / 2] / 1e9, flop / cpu[1][0] / 1e9, flop / wall[0][reps / 2] / 1e9, flop / wall[1][reps / 2] / 1e9,
         ratio[reps / 2], ratio[reps / 4], ratio[3 * reps / 4]);
  printf("FMA-loop peak, 1 thread: %.1f GFLOP/cpu-s before, %.1f after\n", peak0, fma_gflops(active));
  return 0;
}
