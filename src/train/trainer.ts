/**
 * Trainer: the epoch/batch loop around a user loss function, with truncated BPTT, gradient
 * clipping, validation, LR schedules, early stopping, atomic checkpoints, exact resume, typed
 * events and a NaN guard. Everything random draws from explicit, checkpointed generators, so a
 * seed reproduces a run bit for bit and a resumed run continues it bit for bit.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Module } from '../nn/module.js';
import type { OptimizerState } from '../optim/optimizer.js';
import { clipGradNorm, clipGradValue, gradNorm } from '../optim/clip.js';
import type { RecurrentState } from '../ops/recurrent.js';
import { noGrad } from '../autograd/index.js';
import { Tensor } from '../tensor/tensor.js';
import { batchSizeOf, collateSequences, sliceTime, timeStepsOf, type SequenceBatch, type SequenceExample } from '../data/batch.js';
import { chunkOrder, epochOrder, select } from '../data/loader.js';
import { loadCheckpoint, saveCheckpoint } from '../io/checkpoint.js';
import { FormatError, NonFiniteError, ShapeError, ValueError } from '../util/errors.js';
import { makeEmitter, type CheckpointReason, type DoneReason, type TrainEventBody } from './events.js';
import { checkTrainerOptions, type StepContext, type StepResult, type TrainerOptions } from './options.js';
import { checkRngNames, finiteOrNull, fromExtra, initialProgress, restoreRngs, toExtra, type EpochRecord, type Progress } from './state.js';

/** What {@link Trainer.fit} returns. */
export interface TrainResult {
  reason: DoneReason;
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps taken in total. */
  step: number;
  history: EpochRecord[];
  /** Best validation loss and its epoch, if validation ran. */
  best: { valLoss: number; epoch: number } | null;
  /** The last `last.safetensors` written or resumed from (null if none). */
  checkpoint: string | null;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function detachState(s: RecurrentState | undefined): RecurrentState | null {
  if (!s) return null;
  return s.c ? { h: s.h.detach(), c: s.c.detach() } : { h: s.h.detach() };
}

/**
 * Trains any module through a loss function `lossFn(model, batch, ctx) → { loss, state? }`.
 *
 * Per epoch: draw the example order (shuffled with `rng`), run the batches — with truncated
 * BPTT each batch is cut into windows of `chunk` steps along time, the state returned for one
 * window is carried into the next DETACHED, and every window is one optimizer step — then
 * validate (eval mode, `noGrad`), step the schedule (ReduceLROnPlateau on the validation loss),
 * update early stopping, and write checkpoints (`<dir>/last.safetensors`, `<dir>/best.safetensors`).
 *
 * A non-finite loss or gradient norm stops training with a `NonFiniteError` before the optimizer
 * step; the bad state is never saved. `stop()` ends the run after the current batch and saves.
 * @remarks Variational dropout masks are drawn per forward call, so with truncated BPTT each
 * window gets fresh masks (Keras/PyTorch stateful training behaves the same way).
 * @example
 * const trainer = new Trainer({
 *   model, optimizer: new Adam(model.parameters(), { lr: 1e-2 }), data: examples, batchSize: 16, epochs: 20,
 *   rng: new Rng(0), lossFn: (m, b) => ({ loss: F.mseLoss(m.forward(b.x), b.y) }),
 *   bptt: { kind: 'truncated', chunk: 25 }, clip: { kind: 'norm', maxNorm: 1 },
 *   checkpoint: { dir: 'ckpt' }, events: 'train.jsonl',
 * });
 * process.once('SIGINT', () => trainer.stop());
 * const { history } = await trainer.fit();
 */
export class Trainer<M extends Module = Module, E = SequenceExample> {
  readonly options: Readonly<TrainerOptions<M, E>>;
  private progress: Progress = initialProgress();
  private readonly emit: (e: TrainEventBody) => void;
  private readonly collate: (examples: readonly E[]) => SequenceBatch;
  private lastCheckpoint: string | null = null;
  private stopRequested = false;
  private running = false;

  constructor(options: TrainerOptions<M, E>) {
    checkTrainerOptions(options);
    this.options = options;
    this.emit = makeEmitter(options.events);
    this.collate = options.collate ?? ((ex) => collateSequences(ex as unknown as SequenceExample[]));
  }

  /** Epochs completed so far. */
  get epoch(): number {
    return this.progress.epoch;
  }

  /** Optimizer steps taken so far. */
  get step(): number {
    return this.progress.step;
  }

  /** Finished epochs (a copy). */
  get history(): EpochRecord[] {
    return structuredClone(this.progress.history);
  }

  /**
   * Ask a running `fit` to stop after the current batch (all of its truncated-BPTT windows, so no
   * carried state is lost); it saves `last.safetensors` (if checkpointing) and returns 'stopped'.
   * @example process.once('SIGINT', () => trainer.stop());
   */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Restore model, optimizer, schedule, generators and counters from a checkpoint written by a
   * Trainer, so that `fit()` continues exactly where that run was.
   * @throws FormatError for a file that is not a trainer checkpoint; StateDictError / ValueError
   *   when it does not match this model, optimizer, schedule or `rngs`.
   */
  async resume(path: string): Promise<void> {
    const { model, optimizer, schedule, rng, rngs = {} } = this.options;
    const ck = await loadCheckpoint(path);
    const extra = fromExtra(ck.extra, path);
    checkRngNames(extra, rngs, 'Trainer.resume');
    const n = extra.progress.order?.length;
    if (n !== undefined && n !== this.options.data.length) {
      throw new ValueError('Trainer.resume', `training data of ${n} examples (as when the checkpoint was saved mid-epoch)`, `${this.options.data.length}`);
    }
    if (!ck.optimizer) throw new FormatError(path, 'optimizer state in a trainer checkpoint', 'none');
    if (!!extra.schedule !== !!schedule) {
      throw new ValueError('Trainer.resume', `a checkpoint ${schedule ? 'with' : 'without'} schedule state (as this trainer)`, extra.schedule ? 'one with' : 'one without');
    }
    model.loadStateDict(ck.model);
    optimizer.loadStateDict(ck.optimizer as OptimizerState);
    if (schedule && extra.schedule) schedule.loadStateDict(extra.schedule);
    restoreRngs(extra, rng, rngs);
    this.progress = structuredClone(extra.progress);
    this.lastCheckpoint = path;
  }

  /**
   * Train until `epochs` are done, early stopping, `maxSteps` or `stop()`.
   * @throws NonFiniteError when a loss or gradient norm is NaN/Infinity (after a 'nan_stop' event).
   */
  async fit(): Promise<TrainResult> {
    if (this.running) throw new ValueError('Trainer.fit', 'one fit at a time', 'a fit already running');
    this.running = true;
    this.stopRequested = false;
    try {
      return await this.loop();
    } finally {
      this.running = false;
    }
  }

  private async loop(): Promise<TrainResult> {
    const p = this.progress;
    const o = this.options;
    const startStep = p.step;
    /** End the run; save first when this fit took steps (a checkpoint, if configured). */
    const halt = async (reason: DoneReason): Promise<TrainResult> => {
      if (p.step !== startStep) await this.save('stop');
      return this.finish(reason);
    };
    if (p.done) return this.finish(p.done);
    while (p.epoch < o.epochs) {
      if (this.maxReached()) return halt('max_steps');
      if (p.order === null) {
        p.order = epochOrder(o.data.length, { shuffle: o.shuffle ?? true, rng: o.rng });
        this.emit({ type: 'epoch_start', epoch: p.epoch, step: p.step, lr: o.optimizer.lr });
      }
      const batches = chunkOrder(p.order, o.batchSize, o.dropLast ?? false);
      o.model.train();
      while (p.batch < batches.length) {
        if (this.maxReached()) return halt('max_steps');
        this.runBatch(select(o.data, batches[p.batch]!));
        p.batch += 1;
        await tick(); // lets a signal handler call stop()
        if (this.stopRequested) return halt('stopped');
      }
      if (await this.endEpoch()) return this.finish('early_stop');
    }
    return this.finish('completed');
  }

  private maxReached(): boolean {
    const max = this.options.maxSteps;
    return max !== undefined && this.progress.step >= max;
  }

  private finish(reason: DoneReason): TrainResult {
    const p = this.progress;
    this.emit({ type: 'done', reason, epoch: p.epoch, step: p.step });
    return { reason, epoch: p.epoch, step: p.step, history: this.history, best: p.best ? { ...p.best } : null, checkpoint: this.lastCheckpoint };
  }

  /** One batch: one optimizer step per truncated-BPTT window (one window for full BPTT). */
  private runBatch(examples: E[]): void {
    const batch = this.collate(examples);
    const T = timeStepsOf(batch);
    const bptt = this.options.bptt;
    const chunk = bptt?.kind === 'truncated' ? bptt.chunk : T;
    let state: RecurrentState | null = null;
    for (let start = 0, c = 0; start < T; start += chunk, c++) {
      const part = chunk >= T ? batch : sliceTime(batch, start, Math.min(start + chunk, T));
      state = detachState(this.runStep(part, state, c));
      if (this.maxReached()) break; // the batch's remaining windows are skipped
    }
  }

  private context(state: RecurrentState | null, training: boolean, chunk: number): StepContext {
    const p = this.progress;
    return { state, training, epoch: p.epoch, step: p.step, batch: p.batch, chunk, rng: this.options.rng };
  }

  /** Forward, NaN check, backward, clip, NaN check, optimizer step. */
  private runStep(batch: SequenceBatch, state: RecurrentState | null, chunk: number): RecurrentState | undefined {
    const { model, optimizer, lossFn } = this.options;
    const p = this.progress;
    optimizer.zeroGrad();
    model.zeroGrad();
    const out = checkResult(lossFn(model, batch, this.context(state, true, chunk)));
    const loss = out.loss.item();
    if (!Number.isFinite(loss)) this.nanStop('loss', loss, chunk);
    out.loss.backward();
    const norm = this.clipGrads();
    if (!Number.isFinite(norm)) this.nanStop('grad_norm', norm, chunk);
    optimizer.step();
    p.step += 1;
    p.lossSum += loss;
    p.lossCount += 1;
    this.emit({ type: 'step', epoch: p.epoch, step: p.step, batch: p.batch, chunk, loss, gradNorm: norm, lr: optimizer.lr });
    return out.state;
  }

  /** Clip as configured; returns the total 2-norm of the gradients before clipping. */
  private clipGrads(): number {
    const params = this.options.model.parameters();
    const clip = this.options.clip;
    if (clip?.kind === 'norm') return clipGradNorm(params, clip.maxNorm);
    const norm = gradNorm(params);
    if (clip?.kind === 'value' && Number.isFinite(norm)) clipGradValue(params, clip.value);
    return norm;
  }

  private nanStop(what: 'loss' | 'grad_norm', value: number, chunk: number): never {
    const p = this.progress;
    const kept = this.lastCheckpoint;
    this.emit({ type: 'nan_stop', epoch: p.epoch, step: p.step + 1, batch: p.batch, chunk, what, value, checkpoint: kept });
    const where = kept ? `the last good checkpoint is kept at ${kept}` : 'no checkpoint had been saved';
    const name = what === 'loss' ? 'loss' : 'gradient norm';
    throw new NonFiniteError(`Trainer (epoch ${p.epoch}, step ${p.step + 1})`, `a ${name} of ${value}; training stopped without saving this step, ${where}`);
  }

  /** Mean validation loss, weighted by batch size; eval mode, no graph. */
  private validate(): number {
    const o = this.options;
    const v = o.validation!;
    const batches = chunkOrder(epochOrder(v.data.length), v.batchSize ?? o.batchSize);
    let sum = 0;
    let n = 0;
    o.model.eval();
    try {
      noGrad(() => {
        for (const idx of batches) {
          const batch = this.collate(select(v.data, idx));
          const out = checkResult(o.lossFn(o.model, batch, this.context(null, false, 0)));
          const b = batchSizeOf(batch);
          sum += out.loss.item() * b;
          n += b;
        }
      });
    } finally {
      o.model.train();
    }
    return sum / n;
  }

  /** Validation, schedule, early stopping, history, checkpoints. Returns true to stop early. */
  private async endEpoch(): Promise<boolean> {
    const o = this.options;
    const p = this.progress;
    const epoch = p.epoch;
    const every = o.validation?.every ?? 1;
    const valLoss = o.validation && (epoch + 1) % every === 0 ? this.validate() : null;
    if (valLoss !== null) this.emit({ type: 'validation', epoch, step: p.step, valLoss });
    if (o.schedule?.kind === 'reduceLROnPlateau') {
      if (valLoss !== null) o.schedule.step(valLoss);
    } else o.schedule?.step();
    const stopNow = valLoss !== null && o.earlyStopping ? this.updateEarly(valLoss, epoch) : false;
    const trainLoss = p.lossCount ? p.lossSum / p.lossCount : null;
    p.history.push({ epoch, trainLoss: finiteOrNull(trainLoss), valLoss: finiteOrNull(valLoss), lr: o.optimizer.lr });
    this.emit({ type: 'epoch_end', epoch, step: p.step, trainLoss: trainLoss ?? NaN, valLoss, lr: o.optimizer.lr });
    const improved = valLoss !== null && Number.isFinite(valLoss) && (!p.best || valLoss < p.best.valLoss);
    if (improved) p.best = { valLoss, epoch };
    Object.assign(p, { epoch: epoch + 1, batch: 0, order: null, lossSum: 0, lossCount: 0 });
    if (stopNow) p.done = 'early_stop';
    if (o.checkpoint) {
      if (improved && (o.checkpoint.keepBest ?? true)) await this.save('best');
      if ((epoch + 1) % (o.checkpoint.every ?? 1) === 0 || stopNow) await this.save('periodic');
    }
    if (stopNow) this.emit({ type: 'early_stop', epoch, bestEpoch: p.early.bestEpoch, best: p.early.best! });
    return stopNow;
  }

  /** Keras-style early stopping: improvement means beating the best by more than minDelta. */
  private updateEarly(valLoss: number, epoch: number): boolean {
    const cfg = this.options.earlyStopping!;
    const e = this.progress.early;
    if (e.best === null || valLoss < e.best - (cfg.minDelta ?? 0)) {
      Object.assign(e, { best: valLoss, bestEpoch: epoch, bad: 0 });
      return false;
    }
    e.bad += 1;
    return e.bad >= cfg.patience;
  }

  /** Write `last.safetensors` (periodic, stop) or `best.safetensors` atomically. */
  private async save(reason: CheckpointReason): Promise<void> {
    const o = this.options;
    if (!o.checkpoint) return;
    await mkdir(o.checkpoint.dir, { recursive: true });
    const path = join(o.checkpoint.dir, reason === 'best' ? 'best.safetensors' : 'last.safetensors');
    const extra = toExtra(this.progress, o.rng, o.rngs ?? {}, o.schedule ? o.schedule.stateDict() : null);
    await saveCheckpoint(path, { model: o.model.stateDict(), optimizer: o.optimizer.stateDict(), extra });
    if (reason !== 'best') this.lastCheckpoint = path;
    this.emit({ type: 'checkpoint', epoch: this.progress.epoch, step: this.progress.step, path, reason });
  }
}

function checkResult(r: StepResult): StepResult {
  if (!r || !(r.loss instanceof Tensor)) throw new ValueError('Trainer: lossFn', 'a result { loss: Tensor, state? }', String(r && typeof r.loss));
  if (r.loss.size !== 1) throw new ShapeError('Trainer: lossFn', 'a scalar loss', `shape [${r.loss.shape.join(', ')}]`);
  return r;
}
