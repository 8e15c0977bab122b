/** Sequence data: padding, batches, loaders and splits. */
export {
  padSequences, collateSequences, sliceTime, batchSizeOf, timeStepsOf,
  type Step, type Seq, type SequenceBatch, type SequenceExample, type PadOptions, type Padded,
} from './batch.js';
export { epochOrder, chunkOrder, batchIndices, batches, select, splitChronological, randomSplit, type BatchOptions } from './loader.js';
