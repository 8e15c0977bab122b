/**
 * The optimizer base: parameter groups with per-group hyperparameters, per-parameter state
 * buffers, `step`/`zeroGrad`, and a checkpointable state dict. Updates run in place on
 * `param.data` from `param.grad.data`, in the parameter's own dtype; they never record a graph
 * (they touch flat buffers, not ops).
 */
import { Tensor } from '../tensor/tensor.js';
import { OptionError, StateDictError, ValueError } from '../util/errors.js';

/** A flat float buffer (the storage of a tensor or of an optimizer state buffer). */
export type Buf = Float32Array | Float64Array;

/** Hyperparameter values an optimizer group may hold (all JSON-serialisable). */
export type HyperValue = number | boolean | readonly number[];

/** Every optimizer's resolved hyperparameters include a learning rate. */
export interface BaseHyper {
  lr: number;
}

/** A parameter group: its tensors plus options that override the optimizer-wide ones. */
export type ParamGroup<O> = { params: Tensor[] } & O;

/** A resolved group: tensors plus every hyperparameter (mutable, like PyTorch's `param_groups`). */
export type Group<H> = { params: Tensor[] } & H;

/** The serialisable state of one group: parameter indices plus hyperparameters. */
export interface GroupState {
  params: number[];
  lr: number;
  [hyper: string]: number | boolean | number[];
}

/**
 * An optimizer's state dict. `step[i]` counts the updates parameter `i` received (parameters
 * are numbered across groups in order); `buffers` holds per-parameter state named
 * `<buffer>.<index>`, e.g. `exp_avg.3`. Buffers are copies, so a checkpoint is a snapshot.
 */
export interface OptimizerState {
  kind: string;
  groups: GroupState[];
  step: number[];
  /** Parameter shapes at save time; checked on load when present. */
  shapes?: number[][];
  buffers: Record<string, Buf>;
}

/** What a concrete optimizer tells the base class. */
export interface OptimizerSpec<H extends BaseHyper> {
  kind: string;
  /** Class name used in error messages, e.g. `Adam`. */
  name: string;
  defaults: H;
  /** Throws a ValueError naming the first bad option (`where` prefixes the message). */
  validate(h: H, where: string): void;
  /** Buffers a parameter must have once it has been stepped, given its group's options. */
  requiredBuffers(h: H): string[];
  /** Every buffer name this optimizer may create. */
  bufferNames: readonly string[];
}

/** Per-parameter state: named buffers of the parameter's dtype and size. */
export type ParamState = Record<string, Buf>;

/**
 * Base class of SGD, Adam, AdamW and RMSprop. Subclasses implement `update`.
 * @remarks Parameters whose `grad` is null are skipped and their step count does not advance,
 * as in PyTorch. Every optimizer keeps a per-parameter step count (PyTorch's SGD keeps none).
 * @example
 * const opt = new Adam([{ params: encoderParams, lr: 1e-4 }, { params: headParams }], { lr: 1e-3 });
 * for (const batch of batches) {
 *   opt.zeroGrad();
 *   lossOf(batch).backward();
 *   opt.step();
 * }
 * const ckpt = opt.stateDict();   // JSON metadata + Float32Array/Float64Array buffers
 * opt.loadStateDict(ckpt);
 */
export abstract class Optimizer<H extends BaseHyper = BaseHyper> {
  readonly kind: string;
  /** Groups in order; hyperparameters may be edited (schedules set `lr` through `setLr`). */
  readonly groups: Group<H>[];
  /** All parameters, numbered across groups in order. */
  readonly params: readonly Tensor[];
  protected readonly spec: OptimizerSpec<H>;
  protected stepCount: number[];
  protected state: ParamState[];

  constructor(spec: OptimizerSpec<H>, params: readonly Tensor[] | readonly ParamGroup<Partial<H>>[], options: Partial<H>) {
    this.spec = spec;
    this.kind = spec.kind;
    const base = mergeOptions(spec, spec.defaults, options, `${spec.name}`);
    if (!Array.isArray(params) || params.length === 0) {
      throw new ValueError(spec.name, 'a non-empty list of parameters or parameter groups', 'an empty list');
    }
    const raw = isTensorList(params) ? [{ params }] : (params as readonly ParamGroup<Partial<H>>[]);
    const seen = new Set<Tensor>();
    this.groups = raw.map((g, gi) => {
      const where = `${spec.name} group ${gi}`;
      const { params: ps, ...over } = g as ParamGroup<Record<string, unknown>>;
      if (!Array.isArray(ps) || ps.length === 0) throw new ValueError(where, 'a non-empty params list', String(ps));
      for (const p of ps) {
        if (!isTensor(p)) throw new ValueError(where, 'params to be Tensors', typeof p);
        if (seen.has(p)) throw new ValueError(where, 'each parameter in only one group', 'a repeated parameter');
        seen.add(p);
      }
      const h = mergeOptions(spec, base, over as Partial<H>, where);
      return { ...h, params: [...ps] } as Group<H>;
    });
    this.params = this.groups.flatMap((g) => g.params);
    this.stepCount = this.params.map(() => 0);
    this.state = this.params.map(() => ({}));
  }

  /** Update parameter data in place from `g` (already read from `param.grad`). */
  protected abstract update(h: H, p: Buf, g: Buf, st: ParamState, step: number): void;

  /** One optimization step over every parameter that has a gradient. */
  step(): void {
    let idx = 0;
    for (const group of this.groups) {
      for (const p of group.params) {
        const i = idx++;
        if (p.grad === null) continue;
        if (p.grad.data.length !== p.data.length) {
          throw new ValueError(`${this.spec.name}.step`, `grad of ${p.data.length} elements for parameter ${i}`, `${p.grad.data.length}`);
        }
        this.stepCount[i]! += 1;
        this.update(group, p.data, p.grad.data, this.state[i]!, this.stepCount[i]!);
      }
    }
  }

  /** Set every parameter's gradient to null (PyTorch's `zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** Learning rate of group 0; setting it sets every group. */
  get lr(): number {
    return this.groups[0]!.lr;
  }
  set lr(value: number) {
    for (let i = 0; i < this.groups.length; i++) this.setLr(value, i);
  }

  /** Learning rate of one group. */
  getLr(group = 0): number {
    return this.groupAt(group).lr;
  }

  /** Set the learning rate of one group (schedules call this). */
  setLr(value: number, group = 0): void {
    const g = this.groupAt(group);
    if (typeof value !== 'number' || !(value >= 0)) throw new ValueError(`${this.spec.name}.setLr`, 'lr >= 0', String(value));
    g.lr = value;
  }

  private groupAt(i: number): Group<H> {
    const g = this.groups[i];
    if (!g) throw new ValueError(`${this.spec.name}`, `group index in [0, ${this.groups.length})`, String(i));
    return g;
  }

  /** A snapshot of hyperparameters, step counts and buffers (copies). */
  stateDict(): OptimizerState {
    let idx = 0;
    const groups = this.groups.map((g) => {
      const { params, ...h } = g;
      const gs: GroupState = { params: params.map(() => idx++), lr: g.lr };
      for (const [k, v] of Object.entries(h)) gs[k] = Array.isArray(v) ? [...(v as number[])] : (v as number | boolean);
      return gs;
    });
    const buffers: Record<string, Buf> = {};
    this.state.forEach((st, i) => {
      for (const [name, buf] of Object.entries(st)) buffers[`${name}.${i}`] = buf.slice();
    });
    return { kind: this.kind, groups, step: [...this.stepCount], shapes: this.params.map((p) => [...p.shape]), buffers };
  }

  /**
   * Restore a state dict from {@link stateDict}: hyperparameters (including `lr`), step counts
   * and buffers. Everything is validated before anything changes. Buffers are copied and cast to
   * each parameter's dtype, as PyTorch casts optimizer state on load.
   * @throws ValueError for a wrong kind, group count, group size or step list;
   *   StateDictError listing missing, unexpected and mis-shaped keys.
   */
  loadStateDict(s: OptimizerState): void {
    const where = `${this.spec.name}.loadStateDict`;
    if (s === null || typeof s !== 'object') throw new ValueError(where, 'a state dict object', String(s));
    if (s.kind !== this.kind) throw new ValueError(where, `kind '${this.kind}'`, `'${String(s.kind)}'`);
    if (!Array.isArray(s.groups) || s.groups.length !== this.groups.length) {
      throw new ValueError(where, `groups of length ${this.groups.length}`, describeLen(s.groups));
    }
    const n = this.params.length;
    const hypers = s.groups.map((gs, gi) => this.checkGroup(gs, gi, where));
    if (!Array.isArray(s.step) || s.step.length !== n) throw new ValueError(where, `step of length ${n}`, describeLen(s.step));
    s.step.forEach((v, i) => {
      if (!Number.isInteger(v) || v < 0) throw new ValueError(where, `step[${i}] a non-negative integer`, String(v));
    });
    const problems = { missing: [] as string[], unexpected: [] as string[], misShaped: [] as string[] };
    if (s.shapes !== undefined) this.checkShapes(s.shapes, problems.misShaped);
    const owner = this.groups.flatMap((g, gi) => g.params.map(() => hypers[gi]!));
    const fresh = this.readBuffers(s.buffers ?? {}, s.step, owner, problems);
    if (problems.missing.length || problems.unexpected.length || problems.misShaped.length) {
      throw new StateDictError(where, problems);
    }
    this.groups.forEach((g, gi) => Object.assign(g, hypers[gi]));
    this.stepCount = [...s.step];
    this.state = fresh;
  }

  private checkShapes(shapes: unknown[], misShaped: string[]): void {
    this.params.forEach((p, i) => {
      const sh = shapes[i];
      if (!Array.isArray(sh) || sh.length !== p.shape.length || sh.some((d, k) => d !== p.shape[k])) {
        misShaped.push(`shapes[${i}]: expected [${p.shape.join(', ')}], got ${Array.isArray(sh) ? `[${sh.join(', ')}]` : String(sh)}`);
      }
    });
  }

  /** Copy saved buffers into fresh per-parameter state (param dtype), recording problems. */
  private readBuffers(
    buffers: Record<string, unknown>,
    step: number[],
    owner: H[],
    problems: { missing: string[]; unexpected: string[]; misShaped: string[] },
  ): ParamState[] {
    const fresh: ParamState[] = this.params.map(() => ({}));
    for (const [key, buf] of Object.entries(buffers)) {
      const m = /^([a-z_]+)\.(\d+)$/.exec(key);
      const i = m ? Number(m[2]) : -1;
      if (!m || !this.spec.bufferNames.includes(m[1]!) || i >= this.params.length || step[i] === 0) {
        problems.unexpected.push(key);
        continue;
      }
      const p = this.params[i]!;
      if (!(buf instanceof Float32Array || buf instanceof Float64Array) || buf.length !== p.data.length) {
        problems.misShaped.push(`${key}: expected ${p.data.length} elements, got ${describeLen(buf)}`);
        continue;
      }
      const copy = p.data instanceof Float64Array ? new Float64Array(buf.length) : new Float32Array(buf.length);
      copy.set(buf);
      fresh[i]![m[1]!] = copy;
    }
    step.forEach((v, i) => {
      if (v === 0) return;
      for (const name of this.spec.requiredBuffers(owner[i]!)) {
        if (!(`${name}.${i}` in buffers)) problems.missing.push(`${name}.${i}`);
      }
    });
    return fresh;
  }

  private checkGroup(gs: GroupState, gi: number, where: string): H {
    const g = this.groups[gi]!;
    if (!gs || !Array.isArray(gs.params) || gs.params.length !== g.params.length) {
      throw new ValueError(where, `groups[${gi}].params of length ${g.params.length}`, describeLen(gs?.params));
    }
    const { params: _ignored, ...h } = gs;
    const keys = Object.keys(this.spec.defaults);
    const missing = keys.filter((k) => !(k in h)).map((k) => `groups[${gi}].${k}`);
    const unexpected = Object.keys(h).filter((k) => !keys.includes(k)).map((k) => `groups[${gi}].${k}`);
    if (missing.length || unexpected.length) throw new StateDictError(where, { missing, unexpected });
    const hyper = Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])) as unknown as H;
    this.spec.validate(hyper, `${where} groups[${gi}]`);
    return hyper;
  }
}

function describeLen(v: unknown): string {
  return v !== null && typeof v === 'object' && 'length' in v ? `length ${(v as { length: number }).length}` : String(v);
}

function isTensor(v: unknown): v is Tensor {
  return v instanceof Tensor;
}

function isTensorList(ps: readonly unknown[]): ps is readonly Tensor[] {
  return isTensor(ps[0]);
}

/** Fill `base` with `over`, rejecting unknown keys and undefined values, then validate. */
function mergeOptions<H extends BaseHyper>(spec: OptimizerSpec<H>, base: H, over: Partial<H>, where: string): H {
  if (over === null || typeof over !== 'object') throw new OptionError(where, 'an options object', String(over));
  const keys = Object.keys(spec.defaults);
  const out = Object.fromEntries(Object.entries(base).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])) as Record<string, unknown>;
  for (const [k, v] of Object.entries(over)) {
    if (!keys.includes(k)) throw new OptionError(where, `options among {${keys.join(', ')}}`, `unknown option '${k}'`);
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? [...v] : v;
  }
  const h = out as H;
  spec.validate(h, where);
  return h;
}

/** Validation helpers shared by the optimizers. */
export const check = {
  nonNeg(where: string, name: string, v: unknown): void {
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new ValueError(where, `${name} >= 0 (finite)`, String(v));
  },
  unit(where: string, name: string, v: unknown): void {
    if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new ValueError(where, `${name} in [0, 1)`, String(v));
  },
  finite(where: string, name: string, v: unknown): void {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValueError(where, `${name} a finite number`, String(v));
  },
  bool(where: string, name: string, v: unknown): void {
    if (typeof v !== 'boolean') throw new ValueError(where, `${name} a boolean`, String(v));
  },
};

/** PyTorch's `lerp_` on CPU: `a + w (b - a)` for w < 0.5, else `b - (b - a)(1 - w)`. */
export function lerp(a: number, b: number, w: number): number {
  return w < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w);
}

/** The buffer `name` of this state, created as zeros like `p` when absent. */
export function zerosBuf(st: ParamState, name: string, p: Buf): Buf {
  let b = st[name];
  if (!b) {
    b = p instanceof Float64Array ? new Float64Array(p.length) : new Float32Array(p.length);
    st[name] = b;
  }
  return b;
}
