/**
 * The platform-neutral part of the public API, shared by the Node entry (./index.ts) and the browser
 * entry (./browser.ts): tensors, autograd, ops, nn, optimizers, batching and encodings, metrics,
 * synthetic tasks, analysis, safetensors and checkpoints as bytes. No Node built-in is reachable from here.
 */
export { Tensor } from './tensor/tensor.js';
export { tensor, zeros, ones, full, randn, uniform, arange, toDType, type CreateOptions } from './tensor/create.js';
export { backward, noGrad, isGradEnabled, recordOp, defineOp, type OpDefinition, gradcheck, type GradcheckOptions, type GradcheckResult } from './autograd/index.js';
export * as F from './ops/index.js';
export type { RecurrentOptions, RecurrentResult, RecurrentState, RecurrentMode, VariationalDropout } from './ops/recurrent.js';
export type { LayerWeights } from './ops/recurrent-layer.js';
export * as nn from './nn/index.js';
export * from './nn/index.js';
export { getBackend, setBackend, backendInfo, refBackend, type Backend, type BackendName, type BackendInfo, type BackendOptions, type DType } from './kernels/index.js';
export { Rng, globalRng, manualSeed } from './util/rng.js';
export * from './util/errors.js';
export * as optim from './optim/index.js';
export {
  Optimizer, SGD, Adam, AdamW, RMSprop, makeOptimizer, clipGradNorm, clipGradValue, gradNorm,
  StepLR, CosineWithWarmup, ReduceLROnPlateau, makeSchedule,
  type OptimizerConfig, type OptimizerState, type LRSchedule, type Schedule, type ScheduleState,
} from './optim/index.js';
export {
  padSequences, collateSequences, sliceTime, batchSizeOf, timeStepsOf,
  type Seq, type SequenceBatch, type SequenceExample, type PadOptions, type Padded,
} from './data/batch.js';
export { epochOrder, chunkOrder, batchIndices, batches, select, splitChronological, randomSplit, type BatchOptions } from './data/loader.js';
export {
  DNA, RNA, PROTEIN, customAlphabet, resolveAlphabet, isSymbol, firstInvalid, oneHot, oneHotBatch, vocabulary, indexEncode,
  kmerNames, kmerCounts, kmerFeatures, type Alphabet, type AlphabetName, type EncodedBatch,
} from './data/encode.js';
export {
  accuracy, confusionMatrix, perClassError, precisionRecallF1, prfFromConfusion, macroF1, rocAuc, rocAucOvR, argmaxRows,
  classificationReport, type PrecisionRecallF1, type OvrAuc, type ClassificationReport,
} from './train/metrics-classification.js';
export { mae, rmse, nmae, skillScore, regressionMetrics, type RegressionMetrics } from './train/metrics-regression.js';
export * as analysis from './analysis/index.js';
export {
  addingProblem, copyTask, flipFlop, delayedResponse, firstTokenTask,
  type SyntheticOptions, type AddingProblem, type CopyTask, type CopyTaskOptions, type FlipFlop, type FlipFlopOptions,
  type DelayedResponse, type DelayedResponseOptions, type FirstToken, type FirstTokenOptions,
} from './data/synthetic.js';
export {
  encodeSafetensors, decodeSafetensors, type StTensor, type StDType, type StFile,
} from './io/safetensors-format.js';
export { decodeStateDict } from './io/tensor-st.js';
export {
  encodeCheckpoint, decodeCheckpoint, CHECKPOINT_FORMAT, type Checkpoint, type CheckpointOptimizerState, type JsonValue,
} from './io/checkpoint-format.js';
