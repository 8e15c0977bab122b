/**
 * recur — recurrent neural networks for Node.js. The one public entry: everything users,
 * recipes and the CLI need is re-exported here by name: the platform-neutral core (./core.ts, also
 * the browser entry's) plus file I/O, checkpoints, the Trainer, CSV/FASTA and ONNX export.
 */
export * from './core.js';
export { decodeText } from './util/text.js';
export {
  readSafetensors, readSafetensorsSync, writeSafetensors, writeSafetensorsSync, encodeSafetensors, decodeSafetensors,
  type StTensor, type StDType, type StFile,
} from './io/safetensors.js';
export { loadStateDictFile, loadStateDictFileSync, saveStateDictFile } from './io/state-dict.js';
export {
  saveCheckpoint, saveCheckpointSync, loadCheckpoint, loadCheckpointSync, encodeCheckpoint, decodeCheckpoint, CHECKPOINT_FORMAT,
  type Checkpoint, type CheckpointOptimizerState, type JsonValue,
} from './io/checkpoint.js';
export {
  Trainer, type TrainResult, type TrainerOptions, type LossFn, type StepContext, type StepResult, type ClipConfig, type BpttConfig,
  type ValidationConfig, type EarlyStoppingConfig, type CheckpointConfig, type TrainEvent, type TrainEventType, type DoneReason,
  type CheckpointReason, type EventSink, type EpochRecord,
} from './train/index.js';
export { parseFasta, readFasta, readFastaSync, fastaLabel, FastaError, type FastaRecord, type FastaOptions } from './data/fasta.js';
export {
  parseCsv, readCsvFile, numericColumn, fillMissing, timeColumn, columnIndex, cellWhere, csvWhere, nearestName, editDistance,
  type CsvTable, type CsvParseOptions, type FillPolicy, type Filled, type TimeFormat,
} from './data/csv.js';
export { writeFileAtomic, writeFileAtomicSync } from './io/atomic.js';
export { checkSchema, expectedOf } from './io/schema.js';
export {
  exportOnnx, onnxRecurrent, onnxLinear, onnxConv1d, onnxEmbedding, OnnxGraph, OnnxExportError, ONNX_OPSETS, ONNX_IR_VERSION,
  type OnnxExportOptions, type OnnxValue, type OnnxAttr, type OnnxElemType, type Dim as OnnxDim,
} from './io/onnx.js';
