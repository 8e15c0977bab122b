/*
 * pool_single.c — pool.h for builds without threads (the wasm32 build replaces pool.c with this file):
 * one thread, every task inline on the caller in task order. Results are the same bits as with the
 * threaded pool (callers never reduce across tasks in completion order, pool.h).
 */
#include "../pool.h"

int rc_pool_threads(void) { return 1; }

void rc_pool_set_threads(int n) { (void)n; }

long rc_pool_jobs(void) { return 0; }

void rc_pool_run(int ntasks, void (*fn)(void *ctx, int task), void *ctx) {
  for (int t = 0; t < ntasks; t++) fn(ctx, t);
}
