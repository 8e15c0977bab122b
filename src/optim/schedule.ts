/**
 * Learning-rate schedules. Each writes the learning rate of every optimizer group through
 * `Optimizer.setLr`. Epoch-style schedules (StepLR, CosineWithWarmup) follow PyTorch's
 * `LRScheduler`: construction performs step 0 (sets the lr for epoch 0), and each `step()`
 * advances one epoch/iteration. Call `opt.step()` before `schedule.step()`, as in PyTorch.
 */
import { OptionError, StateDictError, ValueError } from '../util/errors.js';
import type { BaseHyper, Optimizer } from './optimizer.js';

/** The serialisable state of a schedule (JSON-safe: `best` is null while it is ±Infinity). */
export interface ScheduleState {
  kind: string;
  lastEpoch: number;
  baseLrs: number[];
  lastLr: number[];
  best?: number | null;
  numBadEpochs?: number;
  cooldownCounter?: number;
}

/** What every schedule offers. */
export interface Schedule {
  readonly kind: string;
  /** Advance one step. `metric` is required by ReduceLROnPlateau and ignored by the others. */
  step(metric?: number): void;
  /** The learning rates (one per group) set by the last step. */
  readonly lastLr: number[];
  stateDict(): ScheduleState;
  loadStateDict(s: ScheduleState): void;
}

type AnyOptimizer = Optimizer<BaseHyper>;

function checkKeys(where: string, opts: object, keys: readonly string[]): void {
  if (opts === null || typeof opts !== 'object') throw new OptionError(where, 'an options object', String(opts));
  for (const k of Object.keys(opts)) {
    if (!keys.includes(k)) throw new OptionError(where, `options among {${keys.join(', ')}}`, `unknown option '${k}'`);
  }
}
function int(where: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ValueError(where, `${name} an integer >= ${min}`, String(v));
  return v;
}
function num(where: string, name: string, v: unknown, ok: (x: number) => boolean, expected: string): number {
  if (typeof v !== 'number' || !ok(v)) throw new ValueError(where, `${name} ${expected}`, String(v));
  return v;
}
const nonNeg = (x: number): boolean => x >= 0 && Number.isFinite(x);

/** Shared machinery of the closed-form epoch schedules. */
abstract class EpochSchedule implements Schedule {
  abstract readonly kind: string;
  readonly optimizer: AnyOptimizer;
  baseLrs: number[];
  lastEpoch = -1;
  lastLr: number[] = [];

  constructor(opt: AnyOptimizer) {
    this.optimizer = opt;
    this.baseLrs = opt.groups.map((g) => g.lr);
  }

  /** The lr of each group at `lastEpoch`. */
  protected abstract lrs(): number[];

  step(_metric?: number): void {
    this.lastEpoch += 1;
    this.lrs().forEach((lr, i) => this.optimizer.setLr(lr, i));
    this.lastLr = this.optimizer.groups.map((g) => g.lr);
  }

  stateDict(): ScheduleState {
    return { kind: this.kind, lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs], lastLr: [...this.lastLr] };
  }

  loadStateDict(s: ScheduleState): void {
    const where = `${this.constructor.name}.loadStateDict`;
    checkState(where, s, this.kind, this.optimizer.groups.length);
    this.lastEpoch = s.lastEpoch;
    this.baseLrs = [...s.baseLrs];
    this.lastLr = [...s.lastLr];
  }
}

function checkState(where: string, s: ScheduleState, kind: string, nGroups: number): void {
  if (s === null || typeof s !== 'object') throw new ValueError(where, 'a state dict object', String(s));
  if (s.kind !== kind) throw new ValueError(where, `kind '${kind}'`, `'${String(s.kind)}'`);
  int(where, 'lastEpoch', s.lastEpoch, -1);
  const bad: string[] = [];
  for (const key of ['baseLrs', 'lastLr'] as const) {
    const v = s[key];
    if (!Array.isArray(v) || v.length !== nGroups || v.some((x) => typeof x !== 'number')) {
      bad.push(`${key}: expected ${nGroups} numbers, got ${Array.isArray(v) ? `length ${v.length}` : String(v)}`);
    }
  }
  if (bad.length) throw new StateDictError(where, { misShaped: bad });
}

export interface StepLROptions {
  /** Decay every `stepSize` steps (integer >= 1). */
  stepSize: number;
  /** Multiplicative factor (default 0.1). */
  gamma?: number;
}

/**
 * `lr = baseLr · gamma^⌊epoch / stepSize⌋`, computed like PyTorch's chainable `StepLR`
 * (the current lr is multiplied by gamma at each multiple of stepSize).
 * @example
 * const sched = new StepLR(opt, { stepSize: 30, gamma: 0.1 });
 * for (let epoch = 0; epoch < 100; epoch++) { train(); sched.step(); }
 */
export class StepLR extends EpochSchedule {
  readonly kind = 'step';
  readonly stepSize: number;
  readonly gamma: number;
  constructor(opt: AnyOptimizer, options: StepLROptions) {
    super(opt);
    checkKeys('StepLR', options, ['stepSize', 'gamma']);
    this.stepSize = int('StepLR', 'stepSize', options.stepSize, 1);
    this.gamma = num('StepLR', 'gamma', options.gamma ?? 0.1, nonNeg, '>= 0');
    this.step();
  }
  protected lrs(): number[] {
    const cur = this.optimizer.groups.map((g) => g.lr);
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return cur;
    return cur.map((lr) => lr * this.gamma);
  }
}

export interface CosineWithWarmupOptions {
  /** Steps of linear warm-up from 0 to the base lr (integer >= 0). */
  warmupSteps: number;
  /** Step at which the cosine reaches `minLr` (integer >= warmupSteps). */
  totalSteps: number;
  /** Final learning rate (default 0). */
  minLr?: number;
}

/**
 * Linear warm-up, then cosine decay; at step t (t = 0 after construction), for each group:
 * - `t < W`:  `lr = base · t / W`
 * - `t >= W`: `lr = minLr + (base − minLr) · ½(1 + cos(π · min(1, (t − W) / max(1, T − W))))`
 *
 * with W = warmupSteps, T = totalSteps. After T the lr stays at minLr.
 * @remarks Not a PyTorch class: it is Hugging Face's `get_cosine_schedule_with_warmup`
 * (`LambdaLR`, num_cycles 0.5) with a floor `minLr`, except that the lr is held at minLr after
 * totalSteps instead of rising along the next half-cosine. The first step uses lr 0 when W > 0.
 * @example
 * const sched = new CosineWithWarmup(opt, { warmupSteps: 100, totalSteps: 10_000, minLr: 1e-5 });
 */
export class CosineWithWarmup extends EpochSchedule {
  readonly kind = 'cosineWithWarmup';
  readonly warmupSteps: number;
  readonly totalSteps: number;
  readonly minLr: number;
  constructor(opt: AnyOptimizer, options: CosineWithWarmupOptions) {
    super(opt);
    const w = 'CosineWithWarmup';
    checkKeys(w, options, ['warmupSteps', 'totalSteps', 'minLr']);
    this.warmupSteps = int(w, 'warmupSteps', options.warmupSteps, 0);
    this.totalSteps = int(w, 'totalSteps', options.totalSteps, this.warmupSteps);
    this.minLr = num(w, 'minLr', options.minLr ?? 0, nonNeg, '>= 0');
    this.step();
  }
  protected lrs(): number[] {
    const t = this.lastEpoch;
    const W = this.warmupSteps;
    if (t < W) return this.baseLrs.map((b) => b * (t / Math.max(1, W)));
    const progress = Math.min(1, (t - W) / Math.max(1, this.totalSteps - W));
    const c = 0.5 * (1 + Math.cos(Math.PI * progress));
    return this.baseLrs.map((b) => this.minLr + (b - this.minLr) * c);
  }
}

export interface ReduceLROnPlateauOptions {
  /** 'min': reduce when the metric stops decreasing; 'max': stops increasing (default 'min'). */
  mode?: 'min' | 'max';
  /** Multiply the lr by this, in [0, 1) (default 0.1). */
  factor?: number;
  /** Bad epochs tolerated before reducing (default 10). */
  patience?: number;
  /** Minimum significant change (default 1e-4). */
  threshold?: number;
  /** 'rel': better means beyond best·(1 ∓ threshold); 'abs': beyond best ∓ threshold (default 'rel'). */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again (default 0). */
  cooldown?: number;
  /** Lower bound on the lr, one for all groups or one per group (default 0). */
  minLr?: number | readonly number[];
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

const PLATEAU_KEYS = ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps'];

/**
 * Reduce the lr by `factor` when a metric has not improved for more than `patience` steps,
 * with exactly PyTorch's `ReduceLROnPlateau` semantics (threshold modes, cooldown, per-group
 * `minLr`, `eps`). `step(metric)` must be given the metric.
 * @remarks Rejects factor < 0, negative threshold/eps and non-integer patience/cooldown
 * (PyTorch checks only factor < 1).
 * @example
 * const sched = new ReduceLROnPlateau(opt, { patience: 5, factor: 0.5 });
 * sched.step(validationLoss);
 */
export class ReduceLROnPlateau implements Schedule {
  readonly kind = 'reduceLROnPlateau';
  readonly optimizer: AnyOptimizer;
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  lastLr: number[];
  baseLrs: number[];

  constructor(opt: AnyOptimizer, options: ReduceLROnPlateauOptions = {}) {
    const w = 'ReduceLROnPlateau';
    checkKeys(w, options, PLATEAU_KEYS);
    this.optimizer = opt;
    this.mode = options.mode ?? 'min';
    if (this.mode !== 'min' && this.mode !== 'max') throw new ValueError(w, "mode 'min' or 'max'", `'${String(this.mode)}'`);
    this.thresholdMode = options.thresholdMode ?? 'rel';
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') {
      throw new ValueError(w, "thresholdMode 'rel' or 'abs'", `'${String(this.thresholdMode)}'`);
    }
    this.factor = num(w, 'factor', options.factor ?? 0.1, (x) => x >= 0 && x < 1, 'in [0, 1)');
    this.patience = int(w, 'patience', options.patience ?? 10, 0);
    this.threshold = num(w, 'threshold', options.threshold ?? 1e-4, nonNeg, '>= 0');
    this.cooldown = int(w, 'cooldown', options.cooldown ?? 0, 0);
    this.eps = num(w, 'eps', options.eps ?? 1e-8, nonNeg, '>= 0');
    const n = opt.groups.length;
    const minLr = options.minLr ?? 0;
    if (Array.isArray(minLr)) {
      if (minLr.length !== n) throw new ValueError(w, `minLr of length ${n} (one per group)`, `length ${minLr.length}`);
      this.minLrs = minLr.map((x, i) => num(w, `minLr[${i}]`, x, nonNeg, '>= 0'));
    } else {
      this.minLrs = Array.from({ length: n }, () => num(w, 'minLr', minLr, nonNeg, '>= 0'));
    }
    this.best = this.worse;
    this.lastLr = opt.groups.map((g) => g.lr);
    this.baseLrs = [...this.lastLr];
  }

  private get worse(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(a: number, best: number): boolean {
    const t = this.threshold;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - t) : a < best - t;
    return this.thresholdMode === 'rel' ? a > best * (t + 1) : a > best + t;
  }

  step(metric?: number): void {
    if (typeof metric !== 'number') throw new ValueError('ReduceLROnPlateau.step', 'a metric number', String(metric));
    this.lastEpoch += 1;
    if (this.isBetter(metric, this.best)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad epochs during cooldown are ignored
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.groups.forEach((g, i) => {
        const newLr = Math.max(g.lr * this.factor, this.minLrs[i]!);
        if (g.lr - newLr > this.eps) this.optimizer.setLr(newLr, i);
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.groups.map((g) => g.lr);
  }

  stateDict(): ScheduleState {
    const best = Number.isFinite(this.best) ? this.best : null;
    return {
      kind: this.kind, lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs], lastLr: [...this.lastLr],
      best, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter,
    };
  }

  loadStateDict(s: ScheduleState): void {
    const where = 'ReduceLROnPlateau.loadStateDict';
    checkState(where, s, this.kind, this.optimizer.groups.length);
    if (s.best !== null && typeof s.best !== 'number') throw new ValueError(where, 'best a number or null', String(s.best));
    const numBad = int(where, 'numBadEpochs', s.numBadEpochs, 0);
    const cool = int(where, 'cooldownCounter', s.cooldownCounter, 0);
    this.lastEpoch = s.lastEpoch;
    this.best = s.best === null || s.best === undefined ? this.worse : s.best;
    this.numBadEpochs = numBad;
    this.cooldownCounter = cool;
    this.lastLr = [...s.lastLr];
    this.baseLrs = [...s.baseLrs];
  }
}

/** A schedule as a typed config (`kind` tag), e.g. read from a training recipe. */
export type LRSchedule =
  | ({ kind: 'step' } & StepLROptions)
  | ({ kind: 'cosineWithWarmup' } & CosineWithWarmupOptions)
  | ({ kind: 'reduceLROnPlateau' } & ReduceLROnPlateauOptions);

/**
 * Build a schedule from its config.
 * @example
 * const sched = makeSchedule(opt, { kind: 'cosineWithWarmup', warmupSteps: 100, totalSteps: 5000 });
 */
export function makeSchedule(opt: AnyOptimizer, config: LRSchedule): Schedule {
  const { kind, ...rest } = config;
  switch (kind) {
    case 'step':
      return new StepLR(opt, rest as StepLROptions);
    case 'cosineWithWarmup':
      return new CosineWithWarmup(opt, rest as CosineWithWarmupOptions);
    case 'reduceLROnPlateau':
      return new ReduceLROnPlateau(opt, rest as ReduceLROnPlateauOptions);
    default:
      throw new OptionError('makeSchedule', "kind 'step', 'cosineWithWarmup' or 'reduceLROnPlateau'", `'${String(kind)}'`);
  }
}
