/*
 * w4-kernel.c — the floor of W4's batch-1 LSTM step (I = 32, H = 128: 512 gate rows, 82K floats, 320 KB of
 * weights, L2-resident): (1) a plain AVX-512 read of the same bytes (8 independent vector adds: the L2
 * read bandwidth, no arithmetic to wait for), (2) the avx512 path's dots (kern_avx512.c, included here
 * for its static functions) on [x | h]·[W_ih | W_hh]ᵀ with the weights at every 16-byte offset of a cache
 * line (0 = 64-byte aligned; Float32Arrays of that size sit 16 bytes off), and the plain loop with
 * unaligned loads that dots used before for those, (3) the same with one
 * source only (the 1×128·(32×128)ᵀ head), (4) what was tried on the aligned dots and not kept (docs/benchmarks.md
 * "W4, stop 14"): each row's whole K read at once (rows in address order), software prefetch ahead of the read
 * and of those rows, the weights in one 2 MB huge page; and the dots after fresh writes between calls (what a
 * streamed step's JS allocations do to them). Thread CPU time, best and median of repetitions. Not a test.
 *
 *   gcc -O3 -std=gnu11 -Inative -o /tmp/w4-kernel bench/w4-kernel.c native/cpu.c native/kern_avx2.c native/kern_portable.c -lm
 *   /tmp/w4-kernel            # add `chrt -f 5` on a loaded machine (root) for stable figures
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>

#include "../native/kern_avx512.c"

#define PF_LINES 16 /* software prefetch distance of the stop-14 variants (lines of the read; rows of the row walk) */

/* dots with each row's whole K at once (a in up to 8 registers: K <= 128) and the rows in address order; pf:
 * prefetch the row PF_LINES rows ahead. Per column the same FMAs in the same order as dots: the same bits. */
T512 INL void rows_acc(__m512 *s, const float *a, const float *B, long ldb, long K, int pf) {
  const int nq = (int)(K / 16);
  __m512 av[8];
  for (int q = 0; q < 8; q++) if (q < nq) av[q] = _mm512_loadu_ps(a + 16 * q);
  _Pragma("GCC unroll 16")
  for (int c = 0; c < 16; c++) {
    const float *b = B + c * ldb;
    if (pf) for (int q = 0; q < nq; q += 4) _mm_prefetch((const char *)(b + PF_LINES * ldb + 16 * q), _MM_HINT_T0);
    __m512 v = s[c];
    _Pragma("GCC unroll 8")
    for (int q = 0; q < 8; q++) if (q < nq) v = _mm512_fmadd_ps(av[q], _mm512_loadu_ps(b + 16 * q), v);
    s[c] = v;
  }
}

T512 static void dots_rows(const float *x, const float *wih, const float *h, const float *whh, int I, int H, int G, float *out, int pf) {
  for (int j = 0; j < G; j += 16) {
    __m512 s[16];
    for (int c = 0; c < 16; c++) s[c] = _mm512_setzero_ps();
    rows_acc(s, x, wih + (long)j * I, I, I, pf);
    rows_acc(s, h, whh + (long)j * H, H, H, pf);
    _mm512_storeu_ps(out + j, reduce16(s));
  }
}

T512 static float read_all_pf(const float *p, long n) {
  __m512 s[8];
  for (int i = 0; i < 8; i++) s[i] = _mm512_setzero_ps();
  for (long k = 0; k < n; k += 128) {
    _mm_prefetch((const char *)(p + k + 16 * PF_LINES), _MM_HINT_T0);
    _mm_prefetch((const char *)(p + k + 16 * PF_LINES + 64), _MM_HINT_T0);
    for (int i = 0; i < 8; i++) s[i] = _mm512_add_ps(s[i], _mm512_load_ps(p + k + 16 * i));
  }
  for (int i = 1; i < 8; i++) s[0] = _mm512_add_ps(s[0], s[i]);
  return _mm512_reduce_add_ps(s[0]);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

T512 static float read_all(const float *p, long n) {
  __m512 s[8];
  for (int i = 0; i < 8; i++) s[i] = _mm512_setzero_ps();
  for (long k = 0; k < n; k += 128)
    for (int i = 0; i < 8; i++) s[i] = _mm512_add_ps(s[i], _mm512_load_ps(p + k + 16 * i));
  for (int i = 1; i < 8; i++) s[0] = _mm512_add_ps(s[0], s[i]);
  return _mm512_reduce_add_ps(s[0]);
}

#define REPS 21
#define CALLS 2000
#define NCASE 20

typedef struct {
  char label[80];
  int kind; /* 0 read, 1 dots, 2 dots_unaligned, 3 head dots, 4 / 5 dots_rows without / with prefetch, 6 read_all_pf, 7 nothing */
  long junk; /* bytes of fresh writes before each call */
  const float *wih, *whh;
  double t[REPS];
} bench_case;

static float *buf(long n, int off) {
  float *p = (float *)aligned_alloc(64, (size_t)(n + 64) * sizeof(float)) + off;
  for (long i = 0; i < n; i++) p[i] = (float)((i * 7919) % 1000) * 1e-4f - 0.05f;
  return p;
}

int main(void) {
  if (!rc_cpu_avx512()) return printf("no AVX-512 on this CPU\n"), 0;
  enum { I = 32, H = 128, G = 4 * H };
  const long n = (long)G * (I + H);
  volatile float sink = 0;
  const long nj = 64L << 20;
  char *junk = malloc(nj);
  long jpos = 0;
  memset(junk, 1, nj);
  float *all = buf(n, 0), *x = buf(I, 0), *h = buf(H, 0), out[G];
  bench_case c[NCASE];
  int nc = 0;
  c[nc++] = (bench_case){.label = "plain AVX-512 read of the weights' bytes (L2 bound)", .kind = 0};
  for (int off = 0; off < 16; off += 4) {
    bench_case d = {.kind = 1, .wih = buf((long)G * I, off), .whh = buf((long)G * H, off)};
    snprintf(d.label, sizeof d.label, "dots 512 rows, K = 32 + 128, weights +%d B", 4 * off);
    c[nc++] = d;
    if (off) {
      d.kind = 2;
      snprintf(d.label, sizeof d.label, "  the same, unaligned loads (as before), +%d B", 4 * off);
      c[nc++] = d;
    }
  }
  const float *wih0 = c[1].wih, *whh0 = c[1].whh;
  c[nc++] = (bench_case){.label = "  read with software prefetch", .kind = 6};
  c[nc++] = (bench_case){.label = "  dots, each row's whole K at once (+0 B)", .kind = 4, .wih = wih0, .whh = whh0};
  c[nc++] = (bench_case){.label = "  the same with software prefetch", .kind = 5, .wih = wih0, .whh = whh0};
  char *hp = aligned_alloc(2L << 20, 2L << 20); /* THP is madvise-only here: asked for */
  madvise(hp, 2L << 20, MADV_HUGEPAGE);
  memset(hp, 0, 2L << 20);
  memcpy(hp, wih0, sizeof(float) * G * I);
  memcpy(hp + sizeof(float) * G * I, whh0, sizeof(float) * G * H);
  c[nc++] = (bench_case){.label = "  dots, weights in one 2 MB huge page", .kind = 1, .wih = (float *)hp, .whh = (float *)(hp + sizeof(float) * G * I)};
  for (long j = 4096; j <= 16384; j *= 4) {
    bench_case d = {.kind = 1, .wih = wih0, .whh = whh0, .junk = j};
    snprintf(d.label, sizeof d.label, "  dots (+0 B) after %ld KB of fresh writes", j / 1024);
    c[nc++] = d;
    d.kind = 7;
    snprintf(d.label, sizeof d.label, "    the %ld KB of fresh writes alone", j / 1024);
    c[nc++] = d;
  }
  for (int off = 0; off < 8; off += 4) {
    bench_case d = {.kind = 3, .whh = buf(32L * H, off)};
    snprintf(d.label, sizeof d.label, "dots 32 rows, K = 128 (the head), weights +%d B", 4 * off);
    c[nc++] = d;
  }
  float o1[G], o2[G];
  dots(x, wih0, I, I, h, whh0, H, H, G, o1);
  dots_rows(x, wih0, h, whh0, I, H, G, o2, 1);
  printf("dots_rows gives the bits of dots: %s\n", memcmp(o1, o2, sizeof o1) ? "NO" : "yes");
  /* repetitions interleaved over the cases (order reversed every other one): drifts hit every case */
  for (int r = 0; r < REPS; r++)
    for (int q = 0; q < nc; q++) {
      bench_case *b = &c[r % 2 ? nc - 1 - q : q];
      const double t0 = now();
      for (int k = 0; k < CALLS; k++) {
        if (b->junk) memset(junk + jpos, k, b->junk), jpos = (jpos + b->junk) % nj;
        if (b->kind == 0) sink += read_all(all, n);
        else if (b->kind == 1) dots(x, b->wih, I, I, h, b->whh, H, H, G, out);
        else if (b->kind == 2) dots_unaligned(x, b->wih, I, I, h, b->whh, H, H, G, out);
        else if (b->kind == 4 || b->kind == 5) dots_rows(x, b->wih, h, b->whh, I, H, G, out, b->kind == 5);
        else if (b->kind == 6) sink += read_all_pf(all, n);
        else if (b->kind == 3) dots(h, b->whh, H, H, NULL, NULL, 0, 0, 32, out);
      }
      b->t[r] = (now() - t0) / CALLS * 1e6;
    }
  printf("W4 step weights: %ld floats (%ld KB); thread CPU µs per call over %d interleaved repetitions\n", n, n * 4 / 1024, REPS);
  for (int q = 0; q < nc; q++) {
    qsort(c[q].t, REPS, sizeof(double), cmp);
    printf("%-52s best %6.3f  median %6.3f\n", c[q].label, c[q].t[0], c[q].t[REPS / 2]);
  }
  return (int)(sink * 0);
}
