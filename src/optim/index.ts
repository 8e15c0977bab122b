/** Optimizers, gradient clipping and learning-rate schedules (PyTorch semantics). */
export { Optimizer, type Buf, type BaseHyper, type Group, type GroupState, type HyperValue, type OptimizerState, type ParamGroup } from './optimizer.js';
export { SGD, type SGDOptions, type SGDHyper } from './sgd.js';
export { Adam, AdamW, type AdamOptions, type AdamHyper } from './adam.js';
export { RMSprop, type RMSpropOptions, type RMSpropHyper } from './rmsprop.js';
export { makeOptimizer, type OptimizerConfig } from './factory.js';
export { clipGradNorm, clipGradValue, gradNorm, type GradNormOptions } from './clip.js';
export {
  StepLR,
  CosineWithWarmup,
  ReduceLROnPlateau,
  makeSchedule,
  type LRSchedule,
  type Schedule,
  type ScheduleState,
  type StepLROptions,
  type CosineWithWarmupOptions,
  type ReduceLROnPlateauOptions,
} from './schedule.js';
