/*
 * pool.c — persistent worker threads with a spin-then-sleep hand-off (see pool.h).
 *
 * Legend
 *   nth        threads in the pool, counting the caller (workers = nth - 1)
 *   job        one rc_pool_run call: fn, ctx, ntasks
 *   ticket     64-bit atomic word (generation:32 | ntasks:16 | next:16). Claiming a task is a
 *              CAS next -> next+1 on the ticket of the current generation, so a worker that
 *              woke late can never claim a task of a finished job: the generation would not
 *              match. fn/ctx are read only after a successful claim, when the caller is
 *              guaranteed to still be inside that job (its task is not done yet).
 *   remaining  tasks of the current job not finished; the caller returns when it is 0.
 *
 * Phases of rc_pool_run (caller)
 *   1. take the pool (CAS busy 0 -> 1); if busy (nested or concurrent use) run inline.
 *   2. publish fn/ctx/remaining, then the new ticket (seq_cst); wake sleepers if any (one
 *      broadcast until one of them has run again).
 *   3. claim and run tasks like a worker (task 0 almost always lands on the caller).
 *   4. wait for remaining == 0: bounded spin, then sleep on the done condvar.
 *
 * Worker loop
 *   spin on the ticket generation for up to RC_SPIN_NS (~50 µs), then sleep on the work
 *   condvar; claim/run tasks until none is left; the one that finishes the last task wakes a
 *   sleeping caller.
 *
 * Sleep/wake pairs use seq_cst "announce then re-check" (sleepers++, then re-read the ticket;
 * publisher: store ticket, then read sleepers), so no wake-up is lost.
 */
#define _GNU_SOURCE
#include "pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define RC_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define RC_PAUSE() __asm__ __volatile__("yield")
#else
#define RC_PAUSE() ((void)0)
#endif

#define RC_MAX_THREADS 64
#define RC_MAX_TASKS 65535
#define RC_SPIN_NS 50000 /* bounded spin before sleeping (workers and caller) */

static struct {
  pthread_mutex_t mu;
  pthread_cond_t work_cv, done_cv;
  _Atomic uint64_t ticket;
  _Atomic int remaining;
  _Atomic int busy;          /* a caller owns the pool */
  _Atomic int sleepers;      /* workers asleep (or about to be) on work_cv */
  _Atomic int wake_pending;  /* a broadcast was sent and no sleeper has run since */
  _Atomic int caller_sleeps; /* the caller is asleep (or about to be) on done_cv */
  _Atomic int quit;
  _Atomic long jobs;         /* jobs handed to the workers (not run inline), for tests */
  void (*fn)(void *, int);
  void *ctx;
  int nth;     /* threads including the caller; 0 = not initialised */
  int started; /* workers running */
  pthread_t tid[RC_MAX_THREADS];
} P = {.mu = PTHREAD_MUTEX_INITIALIZER, .work_cv = PTHREAD_COND_INITIALIZER, .done_cv = PTHREAD_COND_INITIALIZER};

static pthread_mutex_t init_mu = PTHREAD_MUTEX_INITIALIZER;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint32_t gen_of(uint64_t t) { return (uint32_t)(t >> 32); }

/* Claim one task of generation gen; returns its index or -1 if none is left. */
static int claim(uint32_t gen) {
  uint64_t t = atomic_load(&P.ticket);
  for (;;) {
    if (gen_of(t) != gen) return -1;
    uint32_t ntasks = (uint32_t)(t >> 16) & 0xFFFF, next = (uint32_t)t & 0xFFFF;
    if (next >= ntasks) return -1;
    if (atomic_compare_exchange_weak(&P.ticket, &t, t + 1)) return (int)next;
  }
}

/* Run tasks of generation gen until none is left to claim. */
static void drain(uint32_t gen) {
  int task;
  while ((task = claim(gen)) >= 0) {
    P.fn(P.ctx, task);
    if (atomic_fetch_sub(&P.remaining, 1) == 1 && atomic_load(&P.caller_sleeps)) {
      pthread_mutex_lock(&P.mu);
      pthread_cond_signal(&P.done_cv);
      pthread_mutex_unlock(&P.mu);
    }
  }
}

static void *worker(void *arg) {
  (void)arg;
  uint32_t seen = gen_of(atomic_load(&P.ticket));
  for (;;) {
    /* Wait for a new generation: bounded spin, then sleep. */
    const int64_t t0 = now_ns();
    int spins = 0;
    uint32_t g;
    while ((g = gen_of(atomic_load(&P.ticket))) == seen && !atomic_load(&P.quit)) {
      RC_PAUSE();
      if (++spins % 64 == 0 && now_ns() - t0 > RC_SPIN_NS) {
        pthread_mutex_lock(&P.mu);
        atomic_fetch_add(&P.sleepers, 1);
        while ((g = gen_of(atomic_load(&P.ticket))) == seen && !atomic_load(&P.quit))
          pthread_cond_wait(&P.work_cv, &P.mu);
        atomic_fetch_sub(&P.sleepers, 1);
        atomic_store(&P.wake_pending, 0);
        pthread_mutex_unlock(&P.mu);
        break;
      }
    }
    if (atomic_load(&P.quit)) return NULL;
    seen = g;
    drain(g);
  }
}

static int default_threads(void) {
  const char *e = getenv("RECUR_NUM_THREADS");
  if (e && *e) {
    int n = atoi(e);
    if (n >= 1) return n > RC_MAX_THREADS ? RC_MAX_THREADS : n;
  }
  long n = 1;
#ifdef _SC_NPROCESSORS_ONLN
  n = sysconf(_SC_NPROCESSORS_ONLN);
#endif
#if defined(__linux__) && defined(CPU_COUNT)
  cpu_set_t set; /* respect taskset / cgroup cpusets */
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0 && CPU_COUNT(&set) < n)
    n = CPU_COUNT(&set);
#endif
  if (n < 1) n = 1;
  return n > RC_MAX_THREADS ? RC_MAX_THREADS : (int)n;
}

/* Stop and join all workers. Caller holds init_mu and the pool (busy). */
static void stop_workers(void) {
  pthread_mutex_lock(&P.mu);
  atomic_store(&P.quit, 1);
  pthread_cond_broadcast(&P.work_cv);
  pthread_mutex_unlock(&P.mu);
  for (int i = 0; i < P.started; i++) pthread_join(P.tid[i], NULL);
  P.started = 0;
  atomic_store(&P.quit, 0);
}

/* Start nth - 1 workers. Caller holds init_mu and the pool (busy). */
static void start_workers(int nth) {
  for (int i = 0; i < nth - 1; i++) {
    if (pthread_create(&P.tid[P.started], NULL, worker, NULL) != 0) break; /* degrade */
    P.started++;
  }
  __atomic_store_n(&P.nth, P.started + 1, __ATOMIC_RELEASE);
}

static void ensure_init(void) {
  if (__atomic_load_n(&P.nth, __ATOMIC_ACQUIRE)) return;
  pthread_mutex_lock(&init_mu);
  if (!P.nth) start_workers(default_threads());
  pthread_mutex_unlock(&init_mu);
}

int rc_pool_threads(void) {
  ensure_init();
  return __atomic_load_n(&P.nth, __ATOMIC_ACQUIRE);
}

long rc_pool_jobs(void) { return atomic_load(&P.jobs); }

void rc_pool_set_threads(int n) {
  if (n < 1) n = 1;
  if (n > RC_MAX_THREADS) n = RC_MAX_THREADS;
  ensure_init();
  pthread_mutex_lock(&init_mu);
  int expected = 0;
  while (!atomic_compare_exchange_weak(&P.busy, &expected, 1)) { /* wait for the current user */
    expected = 0;
    sched_yield();
  }
  if (n != P.nth) {
    stop_workers();
    start_workers(n);
  }
  atomic_store(&P.busy, 0);
  pthread_mutex_unlock(&init_mu);
}

void rc_pool_run(int ntasks, void (*fn)(void *ctx, int task), void *ctx) {
  if (ntasks <= 0) return;
  ensure_init();
  int expected = 0;
  if (ntasks == 1 || __atomic_load_n(&P.nth, __ATOMIC_RELAXED) == 1 || ntasks > RC_MAX_TASKS ||
      !atomic_compare_exchange_strong(&P.busy, &expected, 1)) {
    for (int t = 0; t < ntasks; t++) fn(ctx, t); /* inline: tiny, single-threaded, nested or concurrent */
    return;
  }
  /* 2. publish */
  atomic_fetch_add(&P.jobs, 1);
  P.fn = fn;
  P.ctx = ctx;
  atomic_store(&P.remaining, ntasks);
  uint32_t gen = gen_of(atomic_load(&P.ticket)) + 1;
  atomic_store(&P.ticket, ((uint64_t)gen << 32) | ((uint64_t)ntasks << 16));
  /* Wake sleepers, once: while a woken worker waits for a CPU (busy machine), later jobs do not
   * pay the syscall again. A worker left asleep holds no task, so the caller never waits on it. */
  if (atomic_load(&P.sleepers) > 0 && !atomic_exchange(&P.wake_pending, 1)) {
    pthread_mutex_lock(&P.mu);
    pthread_cond_broadcast(&P.work_cv);
    pthread_mutex_unlock(&P.mu);
  }
  /* 3. work */
  drain(gen);
  /* 4. wait for the workers' tasks */
  const int64_t t0 = now_ns();
  int spins = 0;
  while (atomic_load(&P.remaining) > 0) {
    RC_PAUSE();
    if (++spins % 64 == 0 && now_ns() - t0 > RC_SPIN_NS) {
      pthread_mutex_lock(&P.mu);
      atomic_store(&P.caller_sleeps, 1);
      while (atomic_load(&P.remaining) > 0) pthread_cond_wait(&P.done_cv, &P.mu);
      atomic_store(&P.caller_sleeps, 0);
      pthread_mutex_unlock(&P.mu);
      break;
    }
  }
  atomic_store(&P.busy, 0);
}
