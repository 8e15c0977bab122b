/*
 * pool.h — a tiny persistent thread pool (pthreads) for splitting kernels over the cores.
 *
 *   rc_pool_run(ntasks, fn, ctx) runs fn(ctx, task) for task = 0 .. ntasks-1 across the
 *   pool's workers AND the calling thread, and returns when all tasks are done.
 *
 * Hand-off: workers spin (bounded, ~tens of µs) on a generation counter, then sleep on a
 * condition variable; the caller spins likewise waiting for completion. So back-to-back
 * calls (one per time step) cost well under a microsecond, yet a pool that is idle (or
 * whose core is taken by another process) costs no CPU.
 *
 * Task → thread assignment is dynamic (an atomic counter), so callers that need
 * deterministic results must make each task's result independent of which thread runs it
 * (e.g. each task owns a fixed slice of the output) — never reduce across tasks in
 * completion order.
 *
 * Nested calls (rc_pool_run from inside a task) and concurrent calls from other threads
 * run all their tasks inline on the calling thread (no deadlock, no oversubscription).
 *
 * Threads: default = available cores (sysconf), overridden by env RECUR_NUM_THREADS or
 * rc_pool_set_threads(n) (n >= 1; 1 = everything inline). rc_pool_threads() counts the
 * calling thread; rc_pool_jobs() counts the jobs that reached the workers.
 */
#ifndef RC_POOL_H
#define RC_POOL_H

#ifdef __cplusplus
extern "C" {
#endif

int rc_pool_threads(void);
void rc_pool_set_threads(int n);
void rc_pool_run(int ntasks, void (*fn)(void *ctx, int task), void *ctx);
/* Jobs handed to the workers so far (calls that ran inline do not count); for tests. */
long rc_pool_jobs(void);

#ifdef __cplusplus
}
#endif

#endif /* RC_POOL_H */
