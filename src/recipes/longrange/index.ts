/** Long-range splice pairing (issue 14 §2): CNN vs BiGRU/BiLSTM/BiRNN vs attention against the donor–acceptor distance. */
export { runLongRange, mergeResults, checkSettings, MODES, type LongRangeSettings, type LongRangeResult, type CellResult, type RunHooks } from './run.js';
export { formatLongRange, longRangeReport, longRangeVerdict, reach, SOLVED } from './report.js';
export { spliceBatch, oneHot, sequenceText, seqLength, acceptorIndex, DONOR, ACCEPTOR, MIN_D, MAX_D, type SpliceBatch } from './generate.js';
export { makeModel, activationBound, MODEL_KINDS, CNN_RF, HIDDEN, type ModelKind, type LongRangeModel, type SiteLogits } from './models.js';
export { topKAccuracy, averagePrecision } from './metrics.js';
export { trainStage, scoreModel, testSet, modelInput } from './train.js';
export { memoryProbe, flowProbe } from './probe.js';
