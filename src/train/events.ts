/**
 * Typed training events and their sinks: a callback, or a JSONL file (one JSON object per
 * line, appended synchronously so that the line describing a failure is on disk before the
 * error is thrown). `time` is milliseconds since the Unix epoch.
 */
import { appendFileSync } from 'node:fs';

/** Why a run ended. */
export type DoneReason = 'completed' | 'early_stop' | 'stopped' | 'max_steps';

/** Why a checkpoint was written. */
export type CheckpointReason = 'periodic' | 'best' | 'stop';

/**
 * Every event the Trainer emits, discriminated by `type`. `epoch` is the current epoch (from 0),
 * except in 'checkpoint' and 'done', where it is the number of completed epochs; `step` counts
 * optimizer steps taken.
 */
export type TrainEvent =
  | { type: 'epoch_start'; epoch: number; step: number; lr: number; time: number }
  /** One optimizer step; `step` is the global count after it, `gradNorm` the 2-norm before clipping. */
  | { type: 'step'; epoch: number; step: number; batch: number; chunk: number; loss: number; gradNorm: number; lr: number; time: number }
  | { type: 'validation'; epoch: number; step: number; valLoss: number; time: number }
  | { type: 'epoch_end'; epoch: number; step: number; trainLoss: number; valLoss: number | null; lr: number; time: number }
  | { type: 'checkpoint'; epoch: number; step: number; path: string; reason: CheckpointReason; time: number }
  | { type: 'early_stop'; epoch: number; bestEpoch: number; best: number; time: number }
  /** `value` is the offending loss or gradient norm (written as the string "NaN"/"Infinity" in JSONL). */
  | { type: 'nan_stop'; epoch: number; step: number; batch: number; chunk: number; what: 'loss' | 'grad_norm'; value: number; checkpoint: string | null; time: number }
  | { type: 'done'; reason: DoneReason; epoch: number; step: number; time: number };

/** The `type` tags of {@link TrainEvent}. */
export type TrainEventType = TrainEvent['type'];

/** Distributes `Omit` over the union, so each event keeps its own fields. */
type WithoutTime<E> = E extends unknown ? Omit<E, 'time'> : never;

/** An event as built by the trainer, before the timestamp is added. */
export type TrainEventBody = WithoutTime<TrainEvent>;

/** Where events go: a JSONL file path or a callback. */
export type EventSink = string | ((event: TrainEvent) => void);

/** JSON has no NaN/Infinity: write them as strings so every line stays valid JSON. */
function replacer(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
}

/** A function that stamps `time` on an event and hands it to the target (no-op without one). */
export function makeEmitter(target: EventSink | undefined): (e: TrainEventBody) => void {
  if (target === undefined) return () => undefined;
  const sink = typeof target === 'string' ? (e: TrainEvent) => appendFileSync(target, `${JSON.stringify(e, replacer)}\n`) : target;
  return (e) => sink({ ...e, time: Date.now() } as TrainEvent);
}
