/**
 * Dictionaries of observables ψ(x) = (ψ₁(x), …, ψ_N(x)) for EDMD (Williams, Kevrekidis & Rowley
 * 2015): the state itself, monomials and products of probabilists' Hermite polynomials up to a
 * total degree, Gaussian radial basis functions, user-supplied functions, time delays,
 * logarithms, and their concatenation / composition.
 */
import { ShapeError, ValueError } from '../util/errors.js';

/** A finite set of observables on states of a given dimension. */
export interface Dictionary {
  readonly name: string;
  /** Number of functions for states of dimension n. */
  size(n: number): number;
  /** ψ(x) for a state x of dimension n, length size(n). */
  evaluate(x: ArrayLike<number>): Float64Array;
  /** A short formula per function, e.g. "x0^2·x1" (for reports). */
  labels(n: number): string[];
  /**
   * Time delays k: the dictionary acts on the delay vector [x_t, x_{t−1}, …, x_{t−k}] (dimension
   * n(k+1)), so EDMD needs trajectories. 0 for every dictionary but {@link delays}.
   */
  readonly delays: number;
}

/**
 * Exponent vectors of all monomials in n variables with total degree ≤ d (degree, then lexicographic).
 * @example exponents(2, 1)  // [[0, 0], [1, 0], [0, 1]]
 */
export function exponents(n: number, d: number): number[][] {
  const out: number[][] = [];
  const rec = (prefix: number[], left: number, vars: number): void => {
    if (vars === 0) {
      if (left === 0) out.push(prefix);
      return;
    }
    for (let e = left; e >= 0; e--) rec([...prefix, e], left - e, vars - 1);
  };
  for (let deg = 0; deg <= d; deg++) rec([], deg, n);
  return out;
}

const checkDegree = (where: string, d: number): void => {
  if (!Number.isInteger(d) || d < 0) throw new ValueError(where, 'a non-negative integer degree', String(d));
};

/**
 * The state coordinates x₁ … x_n (exact DMD's dictionary; no constant).
 * @example edmd({ X, Y }, { dictionary: identity() })  // the eigenvalues of exact DMD at full rank
 */
export function identity(): Dictionary {
  return {
    name: 'identity', delays: 0, size: (n) => n, evaluate: (x) => Float64Array.from(x),
    labels: (n) => Array.from({ length: n }, (_, i) => `x${i}`),
  };
}

function productBasis(name: string, d: number, poly: (k: number, v: number) => number, sym: string): Dictionary {
  const cache = new Map<number, number[][]>();
  const exps = (n: number): number[][] => {
    if (!cache.has(n)) cache.set(n, exponents(n, d));
    return cache.get(n)!;
  };
  return {
    name, delays: 0, size: (n) => exps(n).length,
    evaluate: (x) => {
      const n = x.length;
      // table[j][k] = p_k(x_j) for k ≤ d.
      const table = Array.from({ length: n }, (_, j) => Array.from({ length: d + 1 }, (_, k) => poly(k, x[j]!)));
      return Float64Array.from(exps(n), (e) => e.reduce((p, ej, j) => p * table[j]![ej]!, 1));
    },
    labels: (n) => exps(n).map((e) => e.map((ej, j) => (ej === 0 ? '' : ej === 1 ? `${sym}(x${j})` : `${sym}${ej}(x${j})`)).filter(Boolean).join('·') || '1'),
  };
}

/**
 * All monomials x^α with total degree |α| ≤ d, the constant included: C(n + d, d) functions.
 * @example monomials(2).labels(2)  // ['1', 'x0', 'x1', 'x0^2', 'x0·x1', 'x1^2']
 */
export function monomials(d: number): Dictionary {
  checkDegree('monomials', d);
  const dict = productBasis(`monomials(${d})`, d, (k, v) => v ** k, 'x');
  return {
    ...dict,
    labels: (n) => exponents(n, d).map((e) => e.map((ej, j) => (ej === 0 ? '' : ej === 1 ? `x${j}` : `x${j}^${ej}`)).filter(Boolean).join('·') || '1'),
  };
}

/**
 * Probabilists' Hermite polynomial He_k(v) (He₀ = 1, He₁ = v, He_{k+1} = v·He_k − k·He_{k−1}).
 * @example hermitePolynomial(3, 2)  // 2³ − 3·2 = 2
 */
export function hermitePolynomial(k: number, v: number): number {
  let [a, b] = [1, v];
  if (k === 0) return 1;
  for (let j = 1; j < k; j++) [a, b] = [b, v * b - j * a];
  return b;
}

/**
 * Products ∏ He_{αⱼ}(xⱼ) with total degree ≤ d (the same span as monomials(d), better conditioned for x ~ N(0, 1)).
 * @example hermite(2).evaluate([2, 3])  // [1, 2, 3, 3, 6, 8]: 1, He₁(x0), He₁(x1), He₂(x0), He₁·He₁, He₂(x1)
 */
export function hermite(d: number): Dictionary {
  checkDegree('hermite', d);
  return productBasis(`hermite(${d})`, d, hermitePolynomial, 'He');
}

/**
 * Gaussian radial basis functions exp(−‖x − c‖² / (2w²)), one per centre (pick centres from the data, e.g. k-means or a random subset).
 * @example concat(monomials(1), rbf(centres, 0.5))
 */
export function rbf(centres: readonly (readonly number[])[], width: number): Dictionary {
  if (!centres.length) throw new ShapeError('rbf', 'at least one centre', '0');
  if (!(width > 0)) throw new ValueError('rbf', 'a positive width', String(width));
  const dim = centres[0]!.length;
  return {
    name: `rbf(${centres.length}, ${width})`, delays: 0, size: () => centres.length,
    evaluate: (x) => {
      if (x.length !== dim) throw new ShapeError('rbf', `states of dimension ${dim} (the centres')`, String(x.length));
      return Float64Array.from(centres, (c) => Math.exp(-c.reduce((s, cj, j) => s + (x[j]! - cj) ** 2, 0) / (2 * width * width)));
    },
    labels: () => centres.map((_, i) => `rbf${i}`),
  };
}

/**
 * User-supplied observables, with optional labels for reports.
 * @example custom([(x) => Math.cos(x[0]!), (x) => Math.sin(x[0]!), (x) => x[1]!], ['cos q', 'sin q', 'p'])
 */
export function custom(fns: readonly ((x: ArrayLike<number>) => number)[], labels?: readonly string[]): Dictionary {
  if (!fns.length) throw new ShapeError('custom', 'at least one function', '0');
  if (labels && labels.length !== fns.length) throw new ShapeError('custom', `${fns.length} labels`, String(labels.length));
  return {
    name: 'custom', delays: 0, size: () => fns.length, evaluate: (x) => Float64Array.from(fns, (f) => f(x)),
    labels: () => (labels ? [...labels] : fns.map((_, i) => `f${i}`)),
  };
}

/**
 * The functions of several dictionaries side by side (all must have the same delays).
 * @example concat(monomials(2), rbf(centres, 0.5))
 */
export function concat(...dicts: Dictionary[]): Dictionary {
  if (!dicts.length) throw new ShapeError('concat', 'at least one dictionary', '0');
  const k = dicts[0]!.delays;
  if (dicts.some((d) => d.delays !== k)) throw new ValueError('concat', 'dictionaries with equal delays', dicts.map((d) => d.delays).join(', '));
  return {
    name: dicts.map((d) => d.name).join(' ⊕ '), delays: k,
    size: (n) => dicts.reduce((s, d) => s + d.size(n), 0),
    evaluate: (x) => {
      const parts = dicts.map((d) => d.evaluate(x));
      const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    },
    labels: (n) => dicts.flatMap((d) => d.labels(n)),
  };
}

/**
 * outer(inner(x)): e.g. compose(custom([cos q, sin q, p]), monomials(2)) for an angle q.
 * @example compose(custom([(x) => Math.cos(x[0]!), (x) => x[1]!], ['c', 'p']), monomials(2))
 */
export function compose(inner: Dictionary, outer: Dictionary): Dictionary {
  if (outer.delays) throw new ValueError('compose', 'an outer dictionary without delays', `delays ${outer.delays}`);
  return {
    name: `${outer.name}∘${inner.name}`, delays: inner.delays,
    size: (n) => outer.size(inner.size(n)),
    evaluate: (x) => outer.evaluate(inner.evaluate(x)),
    labels: (n) => {
      const names = inner.labels(n);
      return outer.labels(names.length).map((l) => l.replace(/x(\d+)/g, (_, j: string) => `(${names[Number(j)]})`));
    },
  };
}

/**
 * inner(x) followed by log x₁ … log x_n (states must be positive): the log-augmented dictionary
 * under which the Lotka–Volterra invariant δx − γ log x + βy − α log y is linear.
 * @example logAugmented().labels(2)  // ['1', 'x0', 'x1', 'log x0', 'log x1']
 */
export function logAugmented(inner: Dictionary = monomials(1)): Dictionary {
  const logs: Dictionary = {
    name: 'log', delays: inner.delays, size: (n) => n,
    evaluate: (x) => Float64Array.from(x, (v, j) => {
      if (!(v > 0)) throw new ValueError('logAugmented', `positive states`, `x${j} = ${v}`);
      return Math.log(v);
    }),
    labels: (n) => Array.from({ length: n }, (_, j) => `log x${j}`),
  };
  return concat(inner, logs);
}

/**
 * Time-delay observables: `inner` applied to [x_t, x_{t−1}, …, x_{t−k}] (default: the delay
 * vector itself, Hankel DMD). EDMD then takes trajectories, and eigenfunctions take delay vectors
 * (see {@link delayEmbed}).
 * @example edmd({ trajectories }, { dictionary: delays(4) })
 */
export function delays(k: number, inner: Dictionary = identity()): Dictionary {
  if (!Number.isInteger(k) || k < 1) throw new ValueError('delays', 'an integer k >= 1', String(k));
  if (inner.delays) throw new ValueError('delays', 'an inner dictionary without delays', `delays ${inner.delays}`);
  return {
    name: `delays(${k}, ${inner.name})`, delays: k,
    size: (n) => inner.size(n), evaluate: (x) => inner.evaluate(x), labels: (n) => inner.labels(n),
  };
}

/**
 * Delay vectors of one trajectory (rows x_0 … x_{T−1}): row t − k is [x_t, x_{t−1}, …, x_{t−k}]
 * for t = k … T − 1.
 * @example delayEmbed([[1], [2], [3]], 1)  // [[2, 1], [3, 2]]
 */
export function delayEmbed(trajectory: readonly (readonly number[])[], k: number): number[][] {
  const out: number[][] = [];
  for (let t = k; t < trajectory.length; t++) out.push(Array.from({ length: k + 1 }, (_, j) => trajectory[t - j]!).flat());
  return out;
}
