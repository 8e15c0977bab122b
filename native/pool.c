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
 *   3. run task 0 (published as claimed), then claim and run tasks like a worker.
 *   4. wait for remaining == 0: bounded spin, then sleep on the done condvar.
 *
 * Worker loop
 *   spin on the ticket generation for up to RC_SPIN_NS (~50 µs, advertised in warm_until /
 *   warm_cpu), then sleep on the work condvar; claim/run tasks until none is left; the one that
 *   finishes the last task wakes a sleeping caller.
 *
 * Hot jobs (rc_pool_run_hot, a batch-1 streamed step)
 *   published (no wake-up) only while warm_until lies ahead and the spinning worker is on another
 *   CPU; otherwise the caller runs the job alone and, when the previous hot call started less
 *   than RC_SPIN_NS ago, publishes an empty job (ntasks 0) that wakes the workers for the next
 *   call (at most once per RC_REWARM_NS while no job gets split). A worker woken onto the hot
 *   caller's CPU moves to another allowed one (leave_cpu).
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

/* Grouped by who writes what per job, one cache line each, so that a hand-off moves few lines between
 * cores: the ticket (read by spinning workers), the job (caller writes, workers read and count down),
 * the workers' spin window, the caller's own state. */
#define RC_LINE _Alignas(64)
static struct {
  RC_LINE _Atomic uint64_t ticket;
  _Atomic int quit;
  RC_LINE void (*fn)(void *, int);
  void *ctx;
  _Atomic int remaining;
  _Atomic int caller_sleeps; /* the caller is asleep (or about to be) on done_cv */
  RC_LINE _Atomic int64_t warm_until; /* a worker spins (sees a new job without a wake-up) until then, ns ... */
  _Atomic int warm_cpu;      /* ... on this CPU */
  _Atomic int hot_cpu;       /* CPU of the last rc_pool_run_hot caller; -1 after an rc_pool_run */
  RC_LINE _Atomic int busy;  /* a caller owns the pool */
  _Atomic long jobs;         /* jobs handed to the workers (not run inline), for tests */
  int64_t hot_start;         /* start of the last rc_pool_run_hot call that owned the pool, ns */
  int64_t warmed_at;         /* when rc_pool_run_hot last woke the workers; 0 once a job was split */
  int nth;                   /* threads including the caller; 0 = not initialised */
  _Atomic int sleepers;      /* workers asleep (or about to be) on work_cv */
  _Atomic int wake_pending;  /* a broadcast was sent and no sleeper has run since */
  int started;               /* workers running */
  pthread_mutex_t mu;
  pthread_cond_t work_cv, done_cv;
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

static int cur_cpu(void) {
#ifdef __linux__
  return sched_getcpu();
#else
  return -1;
#endif
}

/* A worker woken onto the CPU of the hot caller (the scheduler puts a woken thread beside its waker when
 * no CPU is idle, e.g. when the other one runs a niced process) moves to another allowed CPU, where it can
 * spin beside the caller instead of delaying it; returns the CPU it is on. */
static int leave_cpu(int cpu) {
#if defined(__linux__) && defined(CPU_COUNT)
  cpu_set_t all, other;
  if (cpu < 0 || sched_getaffinity(0, sizeof all, &all) != 0 || !CPU_ISSET(cpu, &all) || CPU_COUNT(&all) < 2) return cpu;
  other = all;
  CPU_CLR(cpu, &other);
  if (sched_setaffinity(0, sizeof other, &other) == 0) sched_setaffinity(0, sizeof all, &all); /* moved; keep the old mask */
  return cur_cpu();
#else
  return cpu;
#endif
}

/* Wait for a generation other than seen: spin for up to RC_SPIN_NS (advertised in warm_until and
 * warm_cpu, so that a hot job knows a worker will see it), then sleep. */
static uint32_t next_gen(uint32_t seen) {
  int cpu = cur_cpu();
  if (cpu >= 0 && cpu == atomic_load(&P.hot_cpu)) cpu = leave_cpu(cpu);
  const int64_t t0 = now_ns();
  atomic_store(&P.warm_cpu, cpu);
  atomic_store(&P.warm_until, t0 + RC_SPIN_NS);
  uint32_t g;
  for (int spins = 1; (g = gen_of(atomic_load(&P.ticket))) == seen && !atomic_load(&P.quit); spins++) {
    RC_PAUSE();
    if (spins % 64 == 0) {
      if (now_ns() - t0 > RC_SPIN_NS) break;
      if ((cpu = cur_cpu()) != atomic_load(&P.warm_cpu)) atomic_store(&P.warm_cpu, cpu); /* migrated */
    }
  }
  if (g != seen || atomic_load(&P.quit)) return g;
  atomic_store(&P.warm_until, 0);
  pthread_mutex_lock(&P.mu);
  atomic_fetch_add(&P.sleepers, 1);
  while ((g = gen_of(atomic_load(&P.ticket))) == seen && !atomic_load(&P.quit)) pthread_cond_wait(&P.work_cv, &P.mu);
  atomic_fetch_sub(&P.sleepers, 1);
  atomic_store(&P.wake_pending, 0);
  pthread_mutex_unlock(&P.mu);
  return g;
}

static void *worker(void *arg) {
  (void)arg;
  uint32_t seen = gen_of(atomic_load(&P.ticket));
  for (;;) {
    const uint32_t g = next_gen(seen);
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

/* Publish a job of ntasks (0: none, only a new generation that wakes the workers) and return its
 * generation. The caller owns the pool. */
static uint32_t publish(int ntasks, void (*fn)(void *, int), void *ctx) {
  P.fn = fn;
  P.ctx = ctx;
  atomic_store(&P.remaining, ntasks);
  const uint32_t gen = gen_of(atomic_load(&P.ticket)) + 1;
  atomic_store(&P.ticket, ((uint64_t)gen << 32) | ((uint64_t)ntasks << 16) | (ntasks > 0)); /* task 0: the caller's */
  return gen;
}

/* Wake sleepers, once: while a woken worker waits for a CPU (busy machine), later jobs do not pay the
 * syscall again. A worker left asleep holds no task, so the caller never waits on it. */
static void wake(void) {
  if (atomic_load(&P.sleepers) > 0 && !atomic_exchange(&P.wake_pending, 1)) {
    pthread_mutex_lock(&P.mu);
    pthread_cond_broadcast(&P.work_cv);
    pthread_mutex_unlock(&P.mu);
  }
}

/* Run task 0 and the tasks of gen left to claim, wait for the workers' ones (bounded spin, then sleep), free
 * the pool. */
static void finish(uint32_t gen) {
  P.fn(P.ctx, 0);
  atomic_fetch_sub(&P.remaining, 1);
  drain(gen);
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

/* Take the pool for a job of ntasks; 0: run it inline (tiny, single-threaded, nested or concurrent use). */
static int take(int ntasks) {
  if (ntasks <= 0) return 0;
  ensure_init();
  int expected = 0;
  return ntasks > 1 && __atomic_load_n(&P.nth, __ATOMIC_RELAXED) > 1 && ntasks <= RC_MAX_TASKS &&
         atomic_compare_exchange_strong(&P.busy, &expected, 1);
}

static void inline_run(int ntasks, void (*fn)(void *, int), void *ctx) {
  for (int t = 0; t < ntasks; t++) fn(ctx, t);
}

void rc_pool_run(int ntasks, void (*fn)(void *ctx, int task), void *ctx) {
  if (!take(ntasks)) {
    inline_run(ntasks, fn, ctx);
    return;
  }
  atomic_store(&P.hot_cpu, -1);
  atomic_fetch_add(&P.jobs, 1);
  const uint32_t gen = publish(ntasks, fn, ctx);
  wake();
  finish(gen);
}

/* After a warm-up that split nothing, the next one waits this long: a wake-up costs the caller a syscall,
 * and one that finds no free CPU a context switch. */
#define RC_REWARM_NS 1000000

int rc_pool_run_hot(int ntasks, void (*fn)(void *ctx, int task), void *ctx) {
  if (!take(ntasks)) return 0;
  const int64_t now = now_ns(), prev = P.hot_start;
  const int cpu = cur_cpu();
  P.hot_start = now;
  atomic_store(&P.hot_cpu, cpu);
  if (now < atomic_load(&P.warm_until) && (cpu < 0 || atomic_load(&P.warm_cpu) != cpu)) { /* a worker spins elsewhere */
    P.warmed_at = 0;
    atomic_fetch_add(&P.jobs, 1);
    finish(publish(ntasks, fn, ctx));
    return 1;
  }
  /* Calls back to back: wake the workers (an empty job), so that the next calls find one spinning. A call
   * after a pause (>= the spin window) wakes nobody. */
  if (now - prev < RC_SPIN_NS && now - P.warmed_at >= RC_REWARM_NS) {
    P.warmed_at = now;
    publish(0, NULL, NULL);
    wake();
  }
  atomic_store(&P.busy, 0);
  return 0;
}
