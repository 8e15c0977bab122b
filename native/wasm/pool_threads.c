/*
 * pool_threads.c — pool.h for the threaded wasm32 build (recur-mt.wasm; the single-thread build takes
 * pool_single.c instead). The module runs on one shared WebAssembly.Memory in the calling thread and in
 * each worker (Web Worker, or worker_threads in Node: src/kernels/wasm/threads.ts starts them); a worker
 * sets its own stack and TLS, then parks in rc_wasm_worker() for good. rc_pool_run() publishes a job
 * (fn, ctx, ntasks), wakes the workers and runs tasks itself; everyone claims tasks from one counter
 * until none are left, and the caller spins until all are done (a browser's main thread may not block).
 *
 * The claim word is (generation << 32 | next task): a worker that wakes late, after its generation has
 * ended, fails its compare-and-swap instead of running a task of the next job; fn / ctx are read after a
 * successful claim, while that job cannot have ended. Workers spin a little (a job per time step or per
 * GEMM comes back within microseconds) and then sleep in memory.atomic.wait32 on the generation.
 *
 * Nested calls (from inside a task) run inline. Only one thread calls rc_pool_run from outside a task:
 * the JavaScript thread that owns the backend.
 */
#include <stdint.h>

#include "../pool.h"

#define EXPORT(name) __attribute__((export_name(#name)))
#define SPINS 20000 /* atomic loads before a worker sleeps (tens of µs) */

static int64_t claim;    /* (generation << 32) | next task */
static int32_t gen;      /* generation: the word workers sleep on */
static int32_t done;     /* tasks of the current job finished */
static int32_t sleepers; /* workers in wait32 */
static int32_t threads = 1;
static void (*job_fn)(void *ctx, int task);
static void *job_ctx;
static int job_n;
static _Thread_local int in_task;
static int32_t alloc_lock;
static int32_t worker_tasks; /* tasks run by workers so far (tests: the workers do take part) */
static _Thread_local int is_worker;

#define LOAD(p) __atomic_load_n(p, __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n(p, v, __ATOMIC_SEQ_CST)
#define ADD(p, v) __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST)

void rc_wasm_alloc_lock(void) {
  int32_t z = 0;
  while (!__atomic_compare_exchange_n(&alloc_lock, &z, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) z = 0;
}
void rc_wasm_alloc_unlock(void) { __atomic_store_n(&alloc_lock, 0, __ATOMIC_RELEASE); }

int rc_pool_threads(void) { return LOAD(&threads); }
/* The JavaScript side sets 1 + the workers it started (before they are ready: a job that starts before
 * a worker arrives is simply run by the others). */
void rc_pool_set_threads(int n) { STORE(&threads, n < 1 ? 1 : n); }

static void run_tasks(int32_t g) {
  for (;;) {
    int64_t w = LOAD(&claim);
    if ((int32_t)(w >> 32) != g || (int)(uint32_t)w >= job_n) return;
    if (!__atomic_compare_exchange_n(&claim, &w, w + 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) continue;
    in_task = 1;
    job_fn(job_ctx, (int)(uint32_t)w);
    in_task = 0;
    if (is_worker) ADD(&worker_tasks, 1);
    ADD(&done, 1);
  }
}

void rc_pool_run(int ntasks, void (*fn)(void *ctx, int task), void *ctx) {
  if (ntasks <= 1 || in_task || LOAD(&threads) <= 1) {
    for (int t = 0; t < ntasks; t++) fn(ctx, t);
    return;
  }
  job_fn = fn;
  job_ctx = ctx;
  job_n = ntasks;
  STORE(&done, 0);
  const int32_t g = LOAD(&gen) + 1;
  STORE(&claim, (int64_t)g << 32);
  STORE(&gen, g);
  if (LOAD(&sleepers) > 0) __builtin_wasm_memory_atomic_notify((int *)&gen, (unsigned)-1);
  run_tasks(g);
  while (LOAD(&done) < ntasks) {}
}

EXPORT(rc_wasm_worker_tasks) int rc_wasm_worker_tasks(void) { return LOAD(&worker_tasks); }

/* A worker's loop (never returns; the worker is terminated from JavaScript). */
EXPORT(rc_wasm_worker) void rc_wasm_worker(void) {
  is_worker = 1;
  int32_t seen = LOAD(&gen);
  for (;;) {
    int32_t g;
    for (int spin = 0; (g = LOAD(&gen)) == seen; spin++) {
      if (spin < SPINS) continue;
      ADD(&sleepers, 1);
      __builtin_wasm_memory_atomic_wait32((int *)&gen, seen, -1);
      ADD(&sleepers, -1);
      spin = 0;
    }
    seen = g;
    run_tasks(g);
  }
}
