/**
 * Heuristic search value iteration (HSVI, Smith & Simmons 2004) for the agent's POMDP, finite
 * horizon and undiscounted: it tightens PBVI's lower bound (pomdp.ts) and the fast informed upper
 * bound together where their gap, weighted by the probability of getting there, is largest.
 *
 * - Lower bound: the α-vector sets Γ(t, o) of pomdp.ts, extended in place; each added vector is a
 *   backup of Γ(t + 1), so every vector remains the exact value of a plan.
 * - Upper bound at (t, o): the lesser of the fast informed bound and the sawtooth interpolation
 *   (Hauskrecht 2000) of stored points (b, v) above the corners c(h) = the fast informed bound at
 *   the certain belief on h (lowered by backups there with ubSweep's `corners`). The true value is convex in b, so interpolating upper bounds stays one.
 *   Both pieces scale with b, so unnormalized beliefs (P(next observation)·belief) can be valued.
 *   With `lp` = K ≥ 1 the sawtooth gives way to the LP combination of the K points best by the
 *   sawtooth: c·b + min { Σ λ_i d_i : Σ λ_i p_i ≤ b, λ ≥ 0 } (the rest of b is covered by the
 *   corners). It is ≤ the sawtooth (one λ_i alone is feasible) and ≥ V* (V* is convex, each
 *   stored value ≥ V* there); any subset of the points keeps it an upper bound. `price` = R ≥ 1
 *   then prices in the cell's other points for up to R rounds (column generation: each round adds
 *   every point the LP's multipliers say would improve it); K = Infinity takes the LP over all the
 *   cell's points (the best 32, then up to 8 rounds).
 * - A trial starts at the initial observation with the largest weighted gap, takes the action best
 *   under the upper bound and the next observation with the largest weighted gap, until that gap
 *   falls under `eps`; on the way back it backs up both bounds at every belief it passed.
 */
import { HORIZON, N_ACTIONS, N_OBS, type SepsisModel } from './simulator.js';
import { N_HIDDEN, initialBelief } from './filter.js';
import { packingLp, type Packing } from './lp.js';
import { exactTail } from './exact-pomdp.js';
import { bestAlpha, dot, fibTables, fibValue, initialObs, pointBackup, rowTimes, type AlphaSets, type BeliefPoints, type HiddenModel } from './pomdp.js';

interface UbPoint { b: Float64Array; d: number }

export interface UpperBound {
  /** U[k][o] of the fast informed bound, k steps to go. */
  fib: Float64Array[][];
  /** Corner values per (t, o). */
  corner: Float64Array[][];
  /** Stored points per (t, o), each with d = v − corner·b (≤ 0 when the point improves on the corners). */
  pts: UbPoint[][][];
  /** The stored point of each belief array (ubSweep backs the same points up again). */
  seen: WeakMap<Float64Array, UbPoint>;
  /** How many stored points (the best by the sawtooth) the LP combines; 0: the sawtooth alone; Infinity: all of them. */
  lp: number;
  /** Rounds of pricing in every other point of the cell after the LP over the K best (lpAll); 0: none. lp = Infinity means K = 32 and 8 rounds. */
  price: number;
  /**
   * From this step on the bound is the optimum itself (withExactTail): the exact α-vector sets
   * `tail[t]` where they exist, and before them the exact backup over the next step. H: none.
   */
  exactFrom: number;
  tail: AlphaSets;
  om: HiddenModel;
}

export function upperBound(om: HiddenModel, H = HORIZON, lp = 0): UpperBound {
  const fib = fibTables(om, H);
  const corner = Array.from({ length: H }, (_, t) => Array.from({ length: N_OBS }, (_, o) => Float64Array.from({ length: N_HIDDEN }, (_, h) => {
    let best = -Infinity;
    for (let a = 0; a < N_ACTIONS; a++) best = Math.max(best, fib[H - t]![o]![a * N_HIDDEN + h]!);
    return best;
  })));
  return { fib, corner, pts: Array.from({ length: H }, () => Array.from({ length: N_OBS }, () => [])), seen: new WeakMap(), lp, price: 0, exactFrom: H, tail: [], om };
}

/**
 * Value the last `k` steps (k ≤ 3: solveExact stops being practical at 4) by the exact α-vector
 * sets, and the `expand` steps before them by the exact backup over the next step (one level of
 * the belief tree, valued exactly): the bound there is V* itself, so every backup into it starts
 * from exact values. Pruning may drop a vector best by ≤ its tolerance (1e-9 per unit of mass); per
 * stage a value passes at most 2·14 + 1 prunes (≤ 14 next observations, each projected and cross-summed,
 * then the union) on top of the next stage's loss, so ≤ 8.7e-8 over 3 stages: TAIL_MARGIN per unit of
 * belief mass keeps the value above V*.
 */
export function withExactTail(m: SepsisModel, om: HiddenModel, ub: UpperBound, k: number, expand = 0): void {
  ub.tail = exactTail(m, om, ub.pts.length, k);
  ub.exactFrom = ub.pts.length - k - expand;
}

const TAIL_MARGIN = 1e-7;

/** The upper bound at (t, o) for a belief b (unnormalized allowed); 0 at the horizon. */
export function ubValue(ub: UpperBound, t: number, o: number, b: ArrayLike<number>): number {
  const H = ub.pts.length;
  if (t === H) return 0;
  if (t >= ub.exactFrom) return exactValue(ub, t, o, b);
  // lp = Infinity: the LP over all points, i.e. the best PRICED_FROM priced in for up to 8 rounds
  const cb = dot(ub.corner[t]![o]!, b), all = ub.lp === Infinity, K = all ? PRICED_FROM : ub.lp, rounds = all ? 8 : ub.price;
  const top: UbPoint[] = [], keys: number[] = [];
  let saw = 0;
  for (const p of ub.pts[t]![o]!) {
    if (p.d >= 0) continue;
    // Only g = φ·d below the K-th best (the best so far when K = 0; 0 while fewer than K) changes the result, i.e. φ > that / d: stop once φ is not.
    const lim = (K === 0 ? saw : top.length < K ? 0 : keys[K - 1]!) / p.d;
    let phi = Infinity;
    for (let h = 0; h < N_HIDDEN && phi > lim; h++) if (p.b[h]! > 0) phi = Math.min(phi, b[h]! / p.b[h]!);
    if (phi <= lim) continue;
    const g = phi * p.d;
    saw = Math.min(saw, g);
    if (K > 0 && g < 0 && (top.length < K || g < keys[K - 1]!)) insertTop(top, keys, p, g, K);
  }
  if (top.length > 0) saw = Math.min(saw, -(rounds > 0 ? lpAll(ub.pts[t]![o]!, top, b, rounds) : lpOver(top, b).value));
  return Math.min(cb + saw, fibValue(ub.fib[H - t]![o]!, b));
}

function exactValue(ub: UpperBound, t: number, o: number, b: ArrayLike<number>): number {
  let mass = 0;
  for (let h = 0; h < N_HIDDEN; h++) mass += b[h]!;
  const set = ub.tail[t]?.[o];
  if (set) return bestAlpha(set, b).v + TAIL_MARGIN * mass;
  return Math.max(...qUpper(ub.om, ub, t, o, Float64Array.from(b)));
}

/** With lp = Infinity, the LP starts from this many best points and prices in the rest. */
const PRICED_FROM = 32;

const lpOver = (pts: UbPoint[], b: ArrayLike<number>): Packing => packingLp(pts.map((p) => p.b), pts.map((p) => -p.d), b, N_HIDDEN);

/**
 * max Σ λ_i (−d_i) over every point of the cell, by column generation from `top`: each point
 * whose reduced cost −d − y·p under the rows' multipliers is positive joins, and the LP is solved
 * again until none does or `rounds` rounds have run (any λ found is still feasible).
 */
function lpAll(cell: UbPoint[], top: UbPoint[], b: ArrayLike<number>, rounds: number): number {
  const inTop = new Set(top);
  for (let round = 0; ; round++) {
    const r = lpOver(top, b);
    if (round === rounds) return r.value;
    let added = 0;
    for (const p of cell) {
      let rc = -p.d;
      for (let h = 0; h < N_HIDDEN && rc > 1e-10; h++) if (p.b[h]! > 0) rc = b[h]! > 0 ? rc - r.y[h]! * p.b[h]! : -1;
      if (rc > 1e-10 && !inTop.has(p)) { top.push(p); inTop.add(p); added++; }
    }
    if (!added) return r.value;
  }
}

/** Keep the K smallest keys (sorted) and their points. */
function insertTop(top: UbPoint[], keys: number[], p: UbPoint, g: number, K: number): void {
  let i = Math.min(top.length, K - 1);
  for (; i > 0 && keys[i - 1]! > g; i--) { keys[i] = keys[i - 1]!; top[i] = top[i - 1]!; }
  keys[i] = g; top[i] = p;
}

/** Q of each action at (t, o, b) under the upper bound one step ahead. */
export function qUpper(om: HiddenModel, ub: UpperBound, t: number, o: number, b: Float64Array): Float64Array {
  const q = new Float64Array(N_ACTIONS), nb = new Float64Array(N_HIDDEN);
  for (let a = 0; a < N_ACTIONS; a++) {
    q[a] = dot(b, om.R[o * N_ACTIONS + a]!);
    for (const { o2, M } of om.branches[o * N_ACTIONS + a]!) q[a]! += ubValue(ub, t + 1, o2, rowTimes(b, M, nb));
  }
  return q;
}

const lbValue = (G: AlphaSets, t: number, o: number, b: ArrayLike<number>): number => (t === G.length - 1 ? 0 : bestAlpha(G[t]![o]!, b).v);

function explore(om: HiddenModel, G: AlphaSets, ub: UpperBound, t: number, o: number, b: Float64Array, p: number, eps: number): void {
  const H = ub.pts.length;
  if (t === H || p * (ubValue(ub, t, o, b) - lbValue(G, t, o, b)) <= eps) return;
  const q = qUpper(om, ub, t, o, b);
  let a = 0;
  for (let k = 1; k < N_ACTIONS; k++) if (q[k]! > q[a]!) a = k;
  let next: { o2: number; nb: Float64Array; gap: number } | null = null;
  for (const { o2, M } of om.branches[o * N_ACTIONS + a]!) {
    const nb = rowTimes(b, M, new Float64Array(N_HIDDEN));
    const gap = ubValue(ub, t + 1, o2, nb) - lbValue(G, t + 1, o2, nb);
    if (!next || gap > next.gap) next = { o2, nb, gap };
  }
  if (next && next.gap > 0) {
    const z = next.nb.reduce((x, y) => x + y, 0);
    explore(om, G, ub, t + 1, next.o2, next.nb.map((x) => x / z), p * z, eps);
  }
  const alpha = pointBackup(om, G, t, o, b);
  if (dot(b, alpha) > lbValue(G, t, o, b) + 1e-12) G[t]![o]!.push(alpha);
  const v = Math.min(Math.max(...qUpper(om, ub, t, o, b)), ubValue(ub, t, o, b));
  ub.pts[t]![o]!.push({ b, d: v - dot(ub.corner[t]![o]!, b) });
}

/**
 * Tighter bounds on the best history-dependent policy around a PBVI solution: the upper bound
 * backed up at PBVI's own belief points, then `trials` HSVI trials. Works on a copy of Γ, so the
 * PBVI policy built on Γ is left as it was.
 */
export function tightenBounds(m: SepsisModel, om: HiddenModel, G: AlphaSets, P: BeliefPoints, trials: number): HsviResult {
  const ub = upperBound(om, G.length - 1);
  ubSweep(om, ub, P);
  const { lower, upper } = hsvi(m, om, G.map((row) => row.map((cell) => cell.slice())), { trials, ub });
  return { lower, upper, trials };
}

/**
 * Back up the upper bound once at every belief point, backward over t (exact for the points: the
 * horizon is finite); a point backed up before keeps the lower of its values. With `corners`, the
 * corner values of each (t, o) are backed up first (at the certain beliefs), which lowers every
 * interpolation there.
 */
export function ubSweep(om: HiddenModel, ub: UpperBound, P: BeliefPoints, o: { corners?: boolean; onStep?: (t: number) => void } = {}): void {
  for (let t = Math.min(ub.pts.length, ub.exactFrom) - 1; t >= 0; t--) for (let ob = 0; ob < N_OBS; ob++) {
    if (ob === 0) o.onStep?.(t);
    sweepCell(om, ub, P, t, ob, o.corners ?? false);
  }
}

/**
 * ubSweep's work on one cell (t, o): it reads the bound at t + 1 and the cell itself and writes only
 * the cell (its corners, its points' values, points appended in P's order), so the cells of one step
 * can be swept in any order or in parallel with the same result.
 */
export function sweepCell(om: HiddenModel, ub: UpperBound, P: BeliefPoints, t: number, o: number, corners: boolean): void {
  if (corners) lowerCorners(om, ub, t, o);
  for (const b of P[t]![o]!) {
    const d = Math.min(Math.max(...qUpper(om, ub, t, o, b)), ubValue(ub, t, o, b)) - dot(ub.corner[t]![o]!, b);
    const seen = ub.seen.get(b);
    if (seen) seen.d = Math.min(seen.d, d);
    else { const p = { b, d }; ub.seen.set(b, p); ub.pts[t]![o]!.push(p); }
  }
}

/** Back up the corner values of (t, o) (the bound at each certain belief), keeping every point's value. */
function lowerCorners(om: HiddenModel, ub: UpperBound, t: number, o: number): void {
  const c = ub.corner[t]![o]!, old = Float64Array.from(c), e = new Float64Array(N_HIDDEN);
  for (let h = 0; h < N_HIDDEN; h++) {
    e.fill(0); e[h] = 1;
    c[h] = Math.min(old[h]!, Math.max(...qUpper(om, ub, t, o, e)));
  }
  for (const p of ub.pts[t]![o]!) for (let h = 0; h < N_HIDDEN; h++) p.d += (old[h]! - c[h]!) * p.b[h]!;
}

export interface HsviResult { lower: number; upper: number; trials: number }

/** Both bounds at the start: Σ_o P(o) · bound at the initial belief of o. */
function rootBounds(m: SepsisModel, G: AlphaSets, ub: UpperBound): { lower: number; upper: number; gaps: Float64Array } {
  const p0 = initialObs(m), gaps = new Float64Array(N_OBS);
  let lower = 0, upper = 0;
  for (let o = 0; o < N_OBS; o++) {
    if (!p0[o]) continue;
    const b = initialBelief(m, o), l = lbValue(G, 0, o, b), u = ubValue(ub, 0, o, b);
    lower += p0[o]! * l; upper += p0[o]! * u; gaps[o] = p0[o]! * (u - l);
  }
  return { lower, upper, gaps };
}

/**
 * Run `trials` HSVI trials on Γ (extended in place) and a fresh upper bound; stops early when
 * the gap at the start is under eps. Deterministic: no random choices.
 */
export function hsvi(m: SepsisModel, om: HiddenModel, G: AlphaSets, o: { trials: number; eps?: number; ub?: UpperBound; onTrial?: (k: number, r: HsviResult) => void }): HsviResult & { ub: UpperBound } {
  const eps = o.eps ?? 1e-4, ub = o.ub ?? upperBound(om, G.length - 1);
  let k = 0;
  for (; k < o.trials; k++) {
    const { lower, upper, gaps } = rootBounds(m, G, ub);
    if (upper - lower <= eps) break;
    let o0 = 0;
    for (let j = 1; j < N_OBS; j++) if (gaps[j]! > gaps[o0]!) o0 = j;
    explore(om, G, ub, 0, o0, initialBelief(m, o0), initialObs(m)[o0]!, eps);
    o.onTrial?.(k + 1, { lower, upper, trials: k + 1 });
  }
  return { ...rootBounds(m, G, ub), trials: k, ub };
}
