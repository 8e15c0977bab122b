/** Sweeps and fleets: trials of the forecasting recipe on a local worker pool or a BullMQ queue on Redis. */
export { sweepSchema, expandTrials, checkOptions, NAME_RE, type SweepSpec, type Trial } from './spec.js';
export { runTrial, resultOf, trialFiles, type TrialResult } from './trial.js';
export { runLocalPool, trialFile, workerId, type PoolOptions, type SweepOutcome } from './pool.js';
export { runQueueSweep, startQueueWorker, redisConnection, QUEUE, MAX_UPLOAD_BYTES, type WorkerOptions } from './queue.js';
export { rankPoints, leaderboardText, writeLeaderboard, meanSd, type PointRow } from './leaderboard.js';
export { fleetTrials } from './fleet.js';
