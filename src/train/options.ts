/** Trainer options: types and validation (unknown keys are OptionErrors, bad values ValueErrors). */
import type { Module } from '../nn/module.js';
import type { BaseHyper, Optimizer } from '../optim/optimizer.js';
import type { Schedule } from '../optim/schedule.js';
import type { RecurrentState } from '../ops/recurrent.js';
import type { Tensor } from '../tensor/tensor.js';
import type { SequenceBatch, SequenceExample } from '../data/batch.js';
import { Rng } from '../util/rng.js';
import { OptionError, ValueError } from '../util/errors.js';
import type { EventSink } from './events.js';

/** What the loss function is told about the call. */
export interface StepContext {
  /** State carried in from the previous truncated-BPTT chunk (detached), or null at a batch start. */
  state: RecurrentState | null;
  /** True while training, false during validation (which runs under `noGrad`, in eval mode). */
  training: boolean;
  /** Current epoch (from 0). */
  epoch: number;
  /** Optimizer steps taken so far. */
  step: number;
  /** Batch index within the epoch. */
  batch: number;
  /** Truncated-BPTT chunk index within the batch (0 for full BPTT and validation). */
  chunk: number;
  /** The trainer's generator, for any randomness inside the loss (checkpointed). */
  rng: Rng;
}

/** What the loss function returns: a scalar loss, and the final state to carry (truncated BPTT). */
export interface StepResult {
  loss: Tensor;
  state?: RecurrentState;
}

/** The model-specific part of training: batch in, scalar loss (and state) out. */
export type LossFn<M extends Module> = (model: M, batch: SequenceBatch, ctx: StepContext) => StepResult;

/** Gradient clipping applied before each optimizer step. */
export type ClipConfig = { kind: 'norm'; maxNorm: number } | { kind: 'value'; value: number };

/** Backpropagation through time: whole sequences, or chunks of `chunk` steps with the state carried (detached). */
export type BpttConfig = { kind: 'full' } | { kind: 'truncated'; chunk: number };

export interface ValidationConfig<E> {
  data: readonly E[];
  /** Validate every this many epochs (default 1). */
  every?: number;
  /** Default: the training batchSize. */
  batchSize?: number;
}

export interface EarlyStoppingConfig {
  /** Validations without improvement tolerated; training stops when this many accrue (integer >= 1). */
  patience: number;
  /** An improvement must beat the best by more than this (default 0). */
  minDelta?: number;
  monitor?: 'val_loss';
}

export interface CheckpointConfig {
  /** Directory (created if missing) for `last.safetensors` and `best.safetensors`. */
  dir: string;
  /** Save `last.safetensors` every this many epochs (default 1). */
  every?: number;
  /** Also save `best.safetensors` whenever the validation loss improves (default true). */
  keepBest?: boolean;
}

/** Options of {@link Trainer}. `E` is the example type of `data` (default: {@link SequenceExample}). */
export interface TrainerOptions<M extends Module = Module, E = SequenceExample> {
  model: M;
  optimizer: Optimizer<BaseHyper>;
  lossFn: LossFn<M>;
  /** Training examples. */
  data: readonly E[];
  batchSize: number;
  /** Shuffle the examples each epoch with `rng` (default true). */
  shuffle?: boolean;
  /** Drop a last, short batch (default false). */
  dropLast?: boolean;
  /** Examples → batch (default `collateSequences`, time-first). */
  collate?: (examples: readonly E[]) => SequenceBatch;
  epochs: number;
  /** Shuffling and `ctx.rng`; its state is checkpointed. */
  rng: Rng;
  /** Further generators to checkpoint by name, e.g. the one a model draws dropout masks from. */
  rngs?: Record<string, Rng>;
  /** Stepped once per epoch after validation; ReduceLROnPlateau gets the validation loss. */
  schedule?: Schedule;
  clip?: ClipConfig;
  bptt?: BpttConfig;
  validation?: ValidationConfig<E>;
  earlyStopping?: EarlyStoppingConfig;
  checkpoint?: CheckpointConfig;
  /** JSONL file path (appended to) or callback. */
  events?: EventSink;
  /** Stop after this many optimizer steps in total. */
  maxSteps?: number;
}

const TOP_KEYS = [
  'model', 'optimizer', 'lossFn', 'data', 'batchSize', 'shuffle', 'dropLast', 'collate', 'epochs', 'rng', 'rngs',
  'schedule', 'clip', 'bptt', 'validation', 'earlyStopping', 'checkpoint', 'events', 'maxSteps',
];

function keys(where: string, o: unknown, allowed: readonly string[], required: readonly string[] = []): void {
  if (o === null || typeof o !== 'object') throw new OptionError(where, 'an options object', String(o));
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new OptionError(where, `options among {${allowed.join(', ')}}`, `unknown option '${k}'`);
  }
  for (const k of required) {
    if ((o as Record<string, unknown>)[k] === undefined) throw new OptionError(where, `option '${k}'`, 'none');
  }
}

function posInt(where: string, name: string, v: unknown): void {
  if (!Number.isInteger(v) || (v as number) < 1) throw new ValueError(where, `${name} an integer >= 1`, String(v));
}

function checkKinded(where: string, o: { kind?: unknown } | undefined, shapes: Record<string, string[]>): void {
  if (o === undefined) return;
  const kind = String(o?.kind);
  const fields = shapes[kind];
  if (!fields) throw new OptionError(where, `kind ${Object.keys(shapes).map((k) => `'${k}'`).join(' or ')}`, `'${kind}'`);
  keys(`${where} (${kind})`, o, ['kind', ...fields], fields);
}

function checkParts<M extends Module, E>(o: TrainerOptions<M, E>): void {
  const w = 'Trainer';
  checkKinded(`${w}: clip`, o.clip, { norm: ['maxNorm'], value: ['value'] });
  if (o.clip?.kind === 'norm' && !(o.clip.maxNorm >= 0)) throw new ValueError(`${w}: clip`, 'maxNorm >= 0', String(o.clip.maxNorm));
  if (o.clip?.kind === 'value' && !(o.clip.value >= 0)) throw new ValueError(`${w}: clip`, 'value >= 0', String(o.clip.value));
  checkKinded(`${w}: bptt`, o.bptt, { full: [], truncated: ['chunk'] });
  if (o.bptt?.kind === 'truncated') posInt(`${w}: bptt`, 'chunk', o.bptt.chunk);
  if (o.validation) {
    keys(`${w}: validation`, o.validation, ['data', 'every', 'batchSize'], ['data']);
    if (!Array.isArray(o.validation.data) || o.validation.data.length === 0) throw new ValueError(`${w}: validation`, 'a non-empty data array', String(o.validation.data));
    if (o.validation.every !== undefined) posInt(`${w}: validation`, 'every', o.validation.every);
    if (o.validation.batchSize !== undefined) posInt(`${w}: validation`, 'batchSize', o.validation.batchSize);
  }
  if (o.earlyStopping) {
    keys(`${w}: earlyStopping`, o.earlyStopping, ['patience', 'minDelta', 'monitor'], ['patience']);
    posInt(`${w}: earlyStopping`, 'patience', o.earlyStopping.patience);
    const d = o.earlyStopping.minDelta ?? 0;
    if (!(d >= 0 && Number.isFinite(d))) throw new ValueError(`${w}: earlyStopping`, 'minDelta >= 0', String(d));
    if ((o.earlyStopping.monitor ?? 'val_loss') !== 'val_loss') throw new OptionError(`${w}: earlyStopping`, "monitor 'val_loss'", `'${o.earlyStopping.monitor}'`);
    if (!o.validation) throw new OptionError(`${w}: earlyStopping`, 'a validation config (it monitors val_loss)', 'none');
  }
  if (o.checkpoint) {
    keys(`${w}: checkpoint`, o.checkpoint, ['dir', 'every', 'keepBest'], ['dir']);
    if (typeof o.checkpoint.dir !== 'string' || !o.checkpoint.dir) throw new ValueError(`${w}: checkpoint`, 'dir a non-empty path', String(o.checkpoint.dir));
    if (o.checkpoint.every !== undefined) posInt(`${w}: checkpoint`, 'every', o.checkpoint.every);
  }
  if (o.schedule?.kind === 'reduceLROnPlateau' && !o.validation) {
    throw new OptionError(`${w}: schedule`, 'a validation config for ReduceLROnPlateau (it steps on val_loss)', 'none');
  }
}

/** Validate trainer options; throws OptionError / ValueError naming the first problem. */
export function checkTrainerOptions<M extends Module, E>(o: TrainerOptions<M, E>): void {
  const w = 'Trainer';
  keys(w, o, TOP_KEYS, ['model', 'optimizer', 'lossFn', 'data', 'batchSize', 'epochs', 'rng']);
  if (typeof o.lossFn !== 'function') throw new ValueError(w, 'lossFn a function', typeof o.lossFn);
  if (!Array.isArray(o.data) || o.data.length === 0) throw new ValueError(w, 'data a non-empty array of examples', String(o.data));
  posInt(w, 'batchSize', o.batchSize);
  if (!Number.isInteger(o.epochs) || o.epochs < 0) throw new ValueError(w, 'epochs an integer >= 0', String(o.epochs));
  if (!(o.rng instanceof Rng)) throw new ValueError(w, 'rng an Rng', String(o.rng));
  for (const [k, r] of Object.entries(o.rngs ?? {})) if (!(r instanceof Rng)) throw new ValueError(w, `rngs.${k} an Rng`, String(r));
  if (o.maxSteps !== undefined) posInt(w, 'maxSteps', o.maxSteps);
  if (o.events !== undefined && typeof o.events !== 'string' && typeof o.events !== 'function') {
    throw new ValueError(w, 'events a file path or a callback', typeof o.events);
  }
  checkParts(o);
}
