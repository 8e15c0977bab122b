/**
 * Training the forecaster with the library's Trainer: Adam, gradient-norm clipping, the chosen
 * loss on normalised values, validation each epoch, early stopping, atomic checkpoints
 * (`<stateDir>/last.safetensors` to resume, `best.safetensors` for the best weights), typed
 * events, and a clean stop (Ctrl-C) that saves before returning.
 *
 * The examples the Trainer shuffles are window origins; `collate` cuts them into (L, B, F)
 * inputs and (B, H·k) targets.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Adam, ReduceLROnPlateau, Rng, Trainer, loadCheckpoint, type EpochRecord, type SequenceBatch, type TrainEvent } from '../../index.js';
import type { StopFlag } from '../common/interrupt.js';
import type { TrainProgress } from '../common/progress.js';
import type { Series, WindowSpec } from './dataset.js';
import { Forecaster, lossOf, seriesIds, targetBatch, windowBatch, type LossKind } from './model.js';

export type { EpochRecord };

export interface FitSettings {
  epochs: number;
  batchSize: number;
  lr: number;
  clip: number;
  loss: LossKind;
  /** Huber threshold (normalised units). */
  huberDelta: number;
  /** 'plateau': divide the lr by 4 after a validation epoch without improvement. */
  schedule: 'constant' | 'plateau';
  patience: number;
  seed: number;
}

export interface FitContext {
  model: Forecaster;
  z: Float32Array;
  series: Series;
  spec: WindowSpec;
  train: Int32Array;
  val: Int32Array;
  settings: FitSettings;
  /** Folder of the Trainer's checkpoints (last.safetensors, best.safetensors). */
  stateDir: string;
  /** Receives every training event (JSONL writer). */
  emit: (e: TrainEvent) => void;
  /** The job's display (one for all folds); this fit is network 0 of fold `fold`. */
  progress: TrainProgress;
  fold: number;
  stop: StopFlag;
  /** Continue from `<stateDir>/last.safetensors` when it exists. */
  resume: boolean;
}

export interface FitResult {
  reason: 'completed' | 'early_stop' | 'stopped' | 'max_steps';
  history: EpochRecord[];
  /** Best epoch (from 0), or null when no validation ran. */
  bestEpoch: number | null;
}

/** Steps per epoch. */
export function stepsPerEpoch(n: number, batchSize: number): number {
  return Math.ceil(n / batchSize);
}

/**
 * Train (or continue training) the model; on return the model holds the best weights.
 * @throws NonFiniteError on a NaN/Infinity loss or gradient (the Trainer saves nothing for that step).
 */
export async function fitForecaster(c: FitContext): Promise<FitResult> {
  const { model, z, series: s, spec, settings: st } = c;
  const optimizer = new Adam(model.parameters(), { lr: st.lr });
  const idsOf = (origins: readonly number[]): { ids?: Int32Array } => {
    const ids = seriesIds(model, s, origins);
    return ids ? { ids } : {};
  };
  const trainer = new Trainer<Forecaster, number>({
    model,
    optimizer,
    ...(st.schedule === 'plateau' ? { schedule: new ReduceLROnPlateau(optimizer, { factor: 0.25, patience: 0, minLr: st.lr / 64 }) } : {}),
    data: Array.from(c.train),
    batchSize: st.batchSize,
    epochs: st.epochs,
    rng: new Rng(st.seed),
    collate: (origins): SequenceBatch => ({ x: windowBatch(z, s, spec.L, origins), y: targetBatch(z, s, spec.H, origins), ...idsOf(origins) }),
    lossFn: (m, batch) => ({ loss: lossOf(st.loss, m.forward(batch.x, batch.ids), batch.y, st.huberDelta) }),
    clip: { kind: 'norm', maxNorm: st.clip },
    validation: { data: Array.from(c.val), batchSize: 512 },
    earlyStopping: { patience: st.patience },
    checkpoint: { dir: c.stateDir, keepBest: true },
    events: (e) => {
      c.emit(e);
      if (e.type === 'step') c.progress.step({ epoch: e.epoch, inEpoch: e.batch + 1, loss: e.loss });
      else if (e.type === 'epoch_end') c.progress.epochEnd({ epoch: e.epoch, trainLoss: e.trainLoss, valLoss: e.valLoss });
    },
  });
  const last = join(c.stateDir, 'last.safetensors');
  if (c.resume && existsSync(last)) await trainer.resume(last);
  const unlisten = c.stop.listen(() => trainer.stop());
  c.progress.member({ fold: c.fold, member: 0, stepsPerEpoch: stepsPerEpoch(c.train.length, st.batchSize), epoch: trainer.epoch });
  try {
    const r = await trainer.fit();
    const best = join(c.stateDir, 'best.safetensors');
    const restored = r.reason !== 'stopped' && existsSync(best);
    if (restored) model.loadStateDict((await loadCheckpoint(best)).model);
    const bestEpoch = r.best?.epoch ?? null;
    if (r.reason !== 'stopped') c.progress.memberEnd({ epochsRun: r.history.length, stoppedEarly: r.reason === 'early_stop', bestEpoch: restored ? bestEpoch : null, patience: st.patience });
    return { reason: r.reason, history: r.history, bestEpoch };
  } finally {
    unlisten();
  }
}
