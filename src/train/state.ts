/**
 * The trainer's resumable state: counters, the current epoch's example order, loss
 * accumulators, history, best/early-stopping bookkeeping and generator states, and their
 * JSON form inside a checkpoint's `extra`.
 */
import type { Rng } from '../util/rng.js';
import type { ScheduleState } from '../optim/schedule.js';
import type { JsonValue } from '../io/checkpoint.js';
import { FormatError, ValueError } from '../util/errors.js';
import type { DoneReason } from './events.js';

/** One finished epoch. Non-finite losses are recorded as null. */
export interface EpochRecord {
  epoch: number;
  trainLoss: number | null;
  valLoss: number | null;
  lr: number;
}

/** Where training stands; everything needed to continue exactly. */
export interface Progress {
  /** Current epoch (from 0). */
  epoch: number;
  /** Next batch index within the epoch. */
  batch: number;
  /** Optimizer steps taken. */
  step: number;
  /** The current epoch's example order, or null when the next epoch has not started. */
  order: number[] | null;
  /** Sum and count of this epoch's step losses (for the epoch's mean training loss). */
  lossSum: number;
  lossCount: number;
  history: EpochRecord[];
  /** Best validation loss so far and its epoch (keepBest). */
  best: { valLoss: number; epoch: number } | null;
  /** Early stopping: reference loss (null = none yet), its epoch, validations without improvement. */
  early: { best: number | null; bestEpoch: number; bad: number };
  /** Set when the run has ended for good (early stopping), so a resume does not train on. */
  done: DoneReason | null;
}

/** A fresh start. */
export function initialProgress(): Progress {
  return { epoch: 0, batch: 0, step: 0, order: null, lossSum: 0, lossCount: 0, history: [], best: null, early: { best: null, bestEpoch: -1, bad: 0 }, done: null };
}

/** JSON of an Rng state: four uint32 words and the cached normal (null when none). */
export type RngState = [number, number, number, number, number | null];

function rngToJson(r: Rng): RngState {
  const [a, b, c, d, spare] = r.getState() as [number, number, number, number, number];
  return [a, b, c, d, Number.isNaN(spare) ? null : spare];
}

/** The trainer's part of a checkpoint. */
export interface TrainerExtra {
  trainer: 1;
  progress: Progress;
  rng: RngState;
  rngs: Record<string, RngState>;
  schedule: ScheduleState | null;
}

/** Build the checkpoint `extra` for the current state. */
export function toExtra(p: Progress, rng: Rng, rngs: Record<string, Rng>, schedule: ScheduleState | null): JsonValue {
  const named = Object.fromEntries(Object.entries(rngs).map(([k, r]) => [k, rngToJson(r)]));
  const extra: TrainerExtra = { trainer: 1, progress: structuredClone(p), rng: rngToJson(rng), rngs: named, schedule };
  return extra as unknown as JsonValue;
}

function isRngState(v: unknown): v is RngState {
  return Array.isArray(v) && v.length === 5 && v.slice(0, 4).every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)
    && (v[4] === null || typeof v[4] === 'number');
}

function isProgress(p: unknown): p is Progress {
  if (typeof p !== 'object' || p === null) return false;
  const q = p as Record<string, unknown>;
  const ints = ['epoch', 'batch', 'step', 'lossCount'].every((k) => Number.isInteger(q[k]) && (q[k] as number) >= 0);
  const order = q.order === null || (Array.isArray(q.order) && q.order.every((i) => Number.isInteger(i)));
  const early = typeof q.early === 'object' && q.early !== null && Number.isInteger((q.early as Record<string, unknown>).bad);
  return ints && order && early && typeof q.lossSum === 'number' && Array.isArray(q.history);
}

/**
 * Read the trainer state from a checkpoint's `extra`.
 * @throws FormatError when it is missing or malformed.
 */
export function fromExtra(extra: unknown, where: string): TrainerExtra {
  const bad = (what: string, got: string): never => {
    throw new FormatError(`${where}: __metadata__.extra`, what, got);
  };
  if (typeof extra !== 'object' || extra === null) return bad('trainer state (written by Trainer)', String(extra));
  const e = extra as Record<string, unknown>;
  if (e.trainer !== 1) bad('trainer: 1', String(e.trainer));
  if (!isProgress(e.progress)) bad('a valid progress record', JSON.stringify(e.progress)?.slice(0, 60) ?? 'none');
  if (!isRngState(e.rng)) bad('rng as 4 uint32 words and a number or null', JSON.stringify(e.rng));
  const rngs = e.rngs as Record<string, unknown>;
  if (typeof rngs !== 'object' || rngs === null || !Object.values(rngs).every(isRngState)) bad('rngs as named rng states', JSON.stringify(rngs));
  return extra as TrainerExtra;
}

/** The saved generator names must match the trainer's `rngs` exactly (ValueError otherwise). */
export function checkRngNames(saved: TrainerExtra, rngs: Record<string, Rng>, where: string): void {
  const want = Object.keys(rngs).sort();
  const got = Object.keys(saved.rngs).sort();
  if (want.join(',') !== got.join(',')) throw new ValueError(where, `a checkpoint with the trainer's rngs [${want.join(', ')}]`, `rngs [${got.join(', ')}]`);
}

/** Restore generator states (names checked by {@link checkRngNames}). */
export function restoreRngs(saved: TrainerExtra, rng: Rng, rngs: Record<string, Rng>): void {
  const set = (r: Rng, s: RngState): void => r.setState([s[0], s[1], s[2], s[3], s[4] ?? NaN]);
  set(rng, saved.rng);
  for (const [k, r] of Object.entries(rngs)) set(r, saved.rngs[k]!);
}

/** A number for JSON: non-finite values become null. */
export function finiteOrNull(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}
