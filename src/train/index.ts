/** Training: the Trainer, its options, events and resumable state. */
export { Trainer, type TrainResult } from './trainer.js';
export {
  type TrainerOptions, type LossFn, type StepContext, type StepResult, type ClipConfig, type BpttConfig,
  type ValidationConfig, type EarlyStoppingConfig, type CheckpointConfig,
} from './options.js';
export { type TrainEvent, type TrainEventType, type DoneReason, type CheckpointReason, type EventSink } from './events.js';
export { type EpochRecord, type Progress } from './state.js';
