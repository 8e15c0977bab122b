/**
 * Module: a tree of named parameters and submodules with PyTorch's naming, `stateDict()`,
 * `loadStateDict()` and train/eval modes. Parameters are looked up by name at forward time,
 * so loading or converting them never leaves a stale field behind.
 */
import { Tensor } from '../tensor/tensor.js';
import { allocBuf } from '../tensor/create.js';
import type { DType } from '../tensor/tensor.js';
import { StateDictError, ValueError } from '../util/errors.js';
import { fmtShape, shapesEqual } from '../util/shape.js';

/** Anything with a shape and flat data: a Tensor, or a tensor read from safetensors. */
export interface TensorLike {
  shape: readonly number[];
  data: ArrayLike<number>;
}

export abstract class Module {
  training = true;
  private readonly params = new Map<string, Tensor | null>();
  private readonly children = new Map<string, Module>();

  /** Register (or replace) a parameter; null records an absent optional parameter (bias=false). */
  protected registerParameter(name: string, t: Tensor | null): Tensor | null {
    if (t) t.requiresGrad = true;
    this.params.set(name, t);
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  /** The parameter registered under `name` (throws if missing). */
  param(name: string): Tensor {
    const t = this.params.get(name);
    if (!t) throw new ValueError(`${this.constructor.name}.param`, `a registered parameter`, `"${name}"`);
    return t;
  }

  /** The parameter or null if registered as absent. */
  paramOrNull(name: string): Tensor | null {
    return this.params.get(name) ?? null;
  }

  /** Parameters with their dotted PyTorch names, in registration order. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.params) if (t) out.push([prefix + n, t]);
    for (const [n, m] of this.children) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Total number of scalar parameters. */
  numParameters(): number {
    return this.parameters().reduce((s, t) => s + t.size, 0);
  }

  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix.replace(/\.$/, ''), this]];
    for (const [n, m] of this.children) out.push(...m.namedModules(`${prefix}${n}.`));
    return out;
  }

  /** Training mode (dropout active). Returns this. */
  train(flag = true): this {
    for (const [, m] of this.namedModules()) m.training = flag;
    return this;
  }

  /** Evaluation mode (dropout off). Returns this. */
  eval(): this {
    return this.train(false);
  }

  /** Set every parameter's gradient to null. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Parameters by PyTorch state-dict key. The tensors are the live parameters (as PyTorch). */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.namedParameters());
  }

  /**
   * Copy values into the parameters. Missing, unexpected or mis-shaped keys throw a
   * StateDictError listing all of them (with `strict: false`, missing/unexpected are allowed;
   * shapes must still match). Nothing is written unless everything checks.
   */
  loadStateDict(sd: Record<string, TensorLike>, opts: { strict?: boolean } = {}): void {
    const strict = opts.strict ?? true;
    const own = new Map(this.namedParameters());
    const missing = [...own.keys()].filter((k) => !(k in sd));
    const unexpected = Object.keys(sd).filter((k) => !own.has(k));
    const misShaped: string[] = [];
    for (const [k, t] of own) {
      const v = sd[k];
      if (!v) continue;
      if (!shapesEqual(v.shape, t.shape) || v.data.length !== t.size) {
        misShaped.push(`${k}: expected ${fmtShape(t.shape)}, got ${fmtShape(v.shape)}`);
      }
    }
    if (misShaped.length || (strict && (missing.length || unexpected.length))) {
      throw new StateDictError(`${this.constructor.name}.loadStateDict`, strict ? { missing, unexpected, misShaped } : { misShaped });
    }
    for (const [k, t] of own) {
      const v = sd[k];
      if (v) for (let i = 0; i < t.size; i++) t.data[i] = v.data[i]!;
    }
  }

  /** Convert every parameter to `dtype` in place (float64 for gradient checks). Returns this. */
  toDType(dtype: DType): this {
    for (const [, m] of this.namedModules()) {
      for (const [n, t] of m.params) {
        if (!t || t.dtype === dtype) continue;
        const buf = allocBuf(dtype, t.size);
        buf.set(t.data);
        m.params.set(n, new Tensor(buf, t.shape, { requiresGrad: t.requiresGrad }));
      }
    }
    return this;
  }
}
