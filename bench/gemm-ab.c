/*
 * gemm-ab.c — paired A/B of rc_sgemm from two builds of native/ in ONE process (dlopen, RTLD_LOCAL: each
 * build has its own pool and packing buffers), called alternately on the same buffers (order swapped every
 * other repetition) so that load drifts on a shared machine hit both alike. For each shape and thread count
 * it prints wall-time GFLOP/s of A and B (median, min–max over reps) and the median of the per-repetition
 * wall-time ratio A/B (> 1: B is faster), and GFLOP per process-CPU-second (median; all threads, spin included:
 * less sensitive to other tenants than wall time; 175 per core is the FMA peak measured here), and the run-queue
 * delay of its threads as a fraction of the wall time (median; > 0: other tenants took our cores), and the idle
 * share of the threads' wall time: 1 - (CPU + run delay) / (threads · wall), the time a thread slept (waiting
 * for a slower one, or for its wake-up) — what the partition loses on its own, whatever the load. NICE_WORKERS=19
 * runs the pools' worker threads at that nice level (a thread that keeps losing its core). Also checks that B's C is bit-identical to A's and, per build,
 * that 1 and 2 threads give the same bits. Not part of the test suite.
 *
 *   so() { gcc -O3 -std=gnu11 -pthread -fPIC -shared -I$1 -o $2 $(ls $1/[a-z]*.c | grep -v -e addon.c -e napi -e ops_) -lm; }
 *   git archive main native | tar -x -C /tmp/main && so /tmp/main/native /tmp/a.so && so native /tmp/b.so
 *   gcc -O2 -o /tmp/gemm-ab bench/gemm-ab.c -ldl -lm
 *   /tmp/gemm-ab /tmp/a.so /tmp/b.so 15 [THREADS=1,2] [SHAPES]
 *
 * SHAPES: comma-separated M:N:K:tA:tB (default: 2048², the W1 head GEMMs and their backward products, W5-like).
 * Each repetition runs the product enough times to last ~40 ms.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef void (*gemm_fn)(int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
typedef void (*setth_fn)(int);

static double clk(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Run-queue delay (ns, summed over this process's threads: time they were runnable but another task had
 * the CPU — other tenants on this shared machine) from /proc/self/task/<tid>/schedstat. */
static double run_delay(void) {
  DIR *d = opendir("/proc/self/task");
  double sum = 0;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[300];
    snprintf(path, sizeof path, "/proc/self/task/%s/schedstat", e->d_name);
    FILE *f = fopen(path, "r");
    unsigned long long run, wait;
    if (f && fscanf(f, "%llu %llu", &run, &wait) == 2) sum += wait * 1e-9;
    if (f) fclose(f);
  }
  if (d) closedir(d);
  return sum;
}

/* NICE_WORKERS=n: every thread but the caller (the pools' workers) at nice n — a thread that loses its core,
 * as under another tenant's load, but reproducibly. */
static void nice_workers(void) {
  const char *e = getenv("NICE_WORKERS");
  if (!e) return;
  DIR *d = opendir("/proc/self/task");
  struct dirent *t;
  const long self = syscall(SYS_gettid);
  while (d && (t = readdir(d)))
    if (t->d_name[0] != '.' && atol(t->d_name) != self) setpriority(PRIO_PROCESS, (id_t)atol(t->d_name), atoi(e));
  if (d) closedir(d);
}

static float *data(size_t n, unsigned seed) {
  float *p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1103515245u + 12345u;
    p[i] = ((seed >> 8) & 0xffff) / 32768.0f - 1.0f;
  }
  return p;
}

static int cmp(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static const char *DEFAULT_SHAPES =
    "2048:2048:2048:0:0,"
    "3200:32:128:0:1,3200:128:32:0:0,32:128:3200:1:0," /* W1 head: y = x·Wᵀ, dx = dy·W, dW = dyᵀ·x */
    "6400:128:256:0:1,6400:256:128:0:0,128:256:6400:1:0,"
    "6400:1024:128:0:1,6400:1024:128:0:0"; /* W5-like input projection */

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: gemm-ab A.so B.so reps [threads,...] [M:N:K:tA:tB,...]\n");
    return 2;
  }
  gemm_fn G[2];
  setth_fn S[2];
  for (int v = 0; v < 2; v++) {
    void *L = dlopen(argv[1 + v], RTLD_NOW | RTLD_LOCAL);
    if (!L) {
      fprintf(stderr, "%s\n", dlerror());
      return 1;
    }
    G[v] = (gemm_fn)dlsym(L, "rc_sgemm");
    S[v] = (setth_fn)dlsym(L, "rc_pool_set_threads");
    if (!G[v] || !S[v]) {
      fprintf(stderr, "%s: rc_sgemm / rc_pool_set_threads not found\n", argv[1 + v]);
      return 1;
    }
  }
  const int reps = atoi(argv[3]);
  char ths[64], shapes[1024];
  snprintf(ths, sizeof ths, "%s", argc > 4 ? argv[4] : "1,2");
  snprintf(shapes, sizeof shapes, "%s", argc > 5 ? argv[5] : DEFAULT_SHAPES);
  FILE *la = fopen("/proc/loadavg", "r");
  char load[128] = "?";
  if (la && fgets(load, sizeof load, la)) load[strcspn(load, "\n")] = 0;
  if (la) fclose(la);
  printf("# loadavg at start: %s\n", load);
  printf("%-22s th  A GF/s med (min-max)      B GF/s med (min-max)      A/B time  bits  GF/CPU-s A  B   delay A B   idle A  B\n", "M:N:K:tA:tB");
  for (char *sp = strtok(shapes, ","); sp; sp = strtok(NULL, ",")) {
    int M, N, K, tA, tB;
    if (sscanf(sp, "%d:%d:%d:%d:%d", &M, &N, &K, &tA, &tB) != 5) return 2;
    const int lda = tA ? M : K, ldb = tB ? K : N;
    float *A = data((size_t)M * K, 1), *B = data((size_t)K * N, 2);
    float *C[2] = {data((size_t)M * N, 3), data((size_t)M * N, 3)};
    float *C1 = data((size_t)M * N, 3);
    const double flop = 2.0 * M * N * K;
    int iters = (int)(0.04 * 100e9 / flop);
    if (iters < 1) iters = 1;
    int ident_threads = 1, have1 = 0;
    char thc[64];
    snprintf(thc, sizeof thc, "%s", ths);
    char *save = NULL;
    for (char *tp = strtok_r(thc, ",", &save); tp; tp = strtok_r(NULL, ",", &save)) {
      const int nth = atoi(tp);
      S[0](nth);
      S[1](nth);
      nice_workers();
      double *t[2], *cpu[2], *dl[2], *idle[2], *ratio = malloc(sizeof(double) * reps);
      for (int v = 0; v < 2; v++) {
        t[v] = malloc(sizeof(double) * reps);
        cpu[v] = malloc(sizeof(double) * reps);
        dl[v] = malloc(sizeof(double) * reps);
        idle[v] = malloc(sizeof(double) * reps);
      }
      for (int v = 0; v < 2; v++) G[v](tA, tB, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C[v], N); /* warm-up */
      for (int r = 0; r < reps; r++) {
        for (int o = 0; o < 2; o++) {
          const int v = (r & 1) ? 1 - o : o;
          const double t0 = clk(CLOCK_MONOTONIC), c0 = clk(CLOCK_PROCESS_CPUTIME_ID), d0 = run_delay();
          for (int i = 0; i < iters; i++) G[v](tA, tB, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C[v], N);
          t[v][r] = (clk(CLOCK_MONOTONIC) - t0) / iters;
          cpu[v][r] = (clk(CLOCK_PROCESS_CPUTIME_ID) - c0) / iters;
          dl[v][r] = (run_delay() - d0) / iters / t[v][r];
          idle[v][r] = 1.0 - (cpu[v][r] / t[v][r] + dl[v][r]) / nth;
        }
        ratio[r] = t[0][r] / t[1][r];
      }
      const int same = memcmp(C[0], C[1], sizeof(float) * M * N) == 0;
      if (nth == 1) {
        memcpy(C1, C[1], sizeof(float) * M * N);
        have1 = 1;
      } else if (have1)
        ident_threads &= memcmp(C1, C[1], sizeof(float) * M * N) == 0;
      qsort(t[0], reps, sizeof(double), cmp);
      qsort(t[1], reps, sizeof(double), cmp);
      qsort(ratio, reps, sizeof(double), cmp);
      qsort(cpu[0], reps, sizeof(double), cmp);
      qsort(cpu[1], reps, sizeof(double), cmp);
      qsort(dl[0], reps, sizeof(double), cmp);
      qsort(dl[1], reps, sizeof(double), cmp);
      qsort(idle[0], reps, sizeof(double), cmp);
      qsort(idle[1], reps, sizeof(double), cmp);
      printf("%-22s %2d  %6.1f (%6.1f-%6.1f)    %6.1f (%6.1f-%6.1f)    %5.3f    %s   %6.1f %6.1f   %4.2f %4.2f   %5.3f %5.3f\n", sp, nth,
             flop / t[0][reps / 2] / 1e9, flop / t[0][reps - 1] / 1e9, flop / t[0][0] / 1e9,
             flop / t[1][reps / 2] / 1e9, flop / t[1][reps - 1] / 1e9, flop / t[1][0] / 1e9, ratio[reps / 2],
             same ? "A=B" : "A!=B", flop / cpu[0][reps / 2] / 1e9, flop / cpu[1][reps / 2] / 1e9,
             dl[0][reps / 2], dl[1][reps / 2], idle[0][reps / 2], idle[1][reps / 2]);
      for (int v = 0; v < 2; v++) {
        free(t[v]);
        free(cpu[v]);
        free(dl[v]);
        free(idle[v]);
      }
      free(ratio);
    }
    if (!ident_threads) printf("%-22s    B: threads give different bits\n", sp);
    free(A);
    free(B);
    free(C[0]);
    free(C[1]);
    free(C1);
  }
  return 0;
}
