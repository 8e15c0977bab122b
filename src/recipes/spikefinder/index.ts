/** The spikefinder recipe: calcium imaging → spike rates (datasets 4, 5, 6 of the challenge). */
export { runSpikefinder, resultTable, specLabel, foldOf, type SpikefinderOptions, type SpikefinderResult } from './run.js';
export { spikefinderReport } from './report.js';
export { predictSpikefinderRun } from './inference.js';
export { readTraces, scoreNeuron, meanScore, blockSum, pearson, normalise, tracesCsv, RATE_HZ, BLOCK } from './data.js';
export { estimateAr1, estimateAr2, oasis, oasisLono, noiseSd } from './baselines.js';
export { fitLinearRecurrence, linearRecurrence, tauOf, SpikeNet, type NetSpec } from './model.js';
