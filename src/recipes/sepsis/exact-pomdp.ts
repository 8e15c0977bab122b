/**
 * The exact optimum of the agent's POMDP (10 hidden values, the observation known) by
 * finite-horizon value iteration over α-vectors with incremental pruning (Cassandra, Littman &
 * Zhang 1997): Γ(t, o) = prune(∪_a prune(R_a + ⊕_{o'} prune(P_{a,o'} Γ(t + 1, o')))), each cross
 * sum pruned as it grows. Pruning keeps a vector iff some belief makes it strictly best by more
 * than `eps` (Lark's filter, one small LP per candidate, lp.ts); the default eps = 1e-9 only
 * absorbs rounding. Beliefs at observation o put no mass on hidden values that would have ended
 * the episode there, so pruning looks only at the others (exact, and far fewer vectors survive).
 * On this model the sets grow about threefold per stage: usable for short horizons (tests, and
 * experiments/sepsis-bounds.ts shows where the 20-step solve stops).
 *
 * Every kept vector is the exact value of a conditional plan, and its first action is recorded,
 * so the policy "the best vector's action at the exact belief" attains the computed value.
 */
import { HORIZON, N_ACTIONS, N_OBS, type SepsisModel } from './simulator.js';
import { N_HIDDEN, fullOf, initialBelief } from './filter.js';
import { ALPHA_ACTION, bestAlpha, dot, initialObs, type AlphaSets, type BeliefPolicy, type HiddenModel } from './pomdp.js';
import { maxMinMargin } from './lp.js';

const N = N_HIDDEN;

/** The time budget ran out inside a prune (caught by solveExact). */
class OutOfTime extends Error {}

/** Indices of the vectors not dominated pointwise by another (of equal ones, the first). */
function undominated(V: Float64Array[], n: number, eps: number): number[] {
  const out: number[] = [];
  next: for (let i = 0; i < V.length; i++) {
    for (let j = 0; j < V.length; j++) {
      if (i === j) continue;
      let ge = true, same = true;
      for (let h = 0; h < n; h++) {
        if (V[j]![h]! < V[i]![h]! - eps) { ge = false; break; }
        if (Math.abs(V[j]![h]! - V[i]![h]!) > eps) same = false;
      }
      if (ge && (!same || j < i)) continue next;
    }
    out.push(i);
  }
  return out;
}

/** The best of the vectors `idx` at b (ties to the lexicographically larger, so a winner is unique). */
function bestAt(V: Float64Array[], idx: number[], b: ArrayLike<number>, n: number): number {
  let k = 0, v = -Infinity;
  for (let i = 0; i < idx.length; i++) {
    const x = V[idx[i]!]!;
    let w = 0;
    for (let h = 0; h < n; h++) w += b[h]! * x[h]!;
    if (w > v + 1e-12 || (w > v - 1e-12 && lexGreater(x, V[idx[k]!]!, n))) { k = i; v = w; }
  }
  return k;
}

function lexGreater(x: Float64Array, y: Float64Array, n: number): boolean {
  for (let h = 0; h < n; h++) if (x[h] !== y[h]) return x[h]! > y[h]!;
  return false;
}

/**
 * Lark's filter: the vectors of V that are best somewhere by more than eps, over the beliefs
 * whose support lies in `support` (the hidden values possible at the observation: elsewhere the
 * state would have ended the episode, so no belief there puts mass on them).
 */
export function prune(V: Float64Array[], support: readonly number[], eps = 1e-9, deadline = Infinity): Float64Array[] {
  const n = support.length;
  const C = V.map((v) => Float64Array.from(support, (h) => v[h]!));
  const F = undominated(C, n, eps);
  if (F.length <= 1) return F.map((i) => V[i]!);
  const W: number[] = [];
  const take = (b: ArrayLike<number>): void => { W.push(F.splice(bestAt(C, F, b, n), 1)[0]!); };
  for (let h = 0; h < n && F.length; h++) take(Float64Array.from({ length: n }, (_, g) => +(g === h)));
  while (F.length) {
    if (performance.now() > deadline) throw new OutOfTime();
    const phi = C[F[F.length - 1]!]!;
    const { delta, b } = maxMinMargin(W.map((w) => phi.map((x, h) => x - C[w]![h]!)), n);
    if (delta > eps) take(b);
    else F.pop();
  }
  return W.map((i) => V[i]!);
}

/** {a + b : a ∈ A, b ∈ B}, carrying the first set's action. */
function crossSum(A: Float64Array[], B: Float64Array[]): Float64Array[] {
  const out: Float64Array[] = [];
  for (const a of A) for (const b of B) {
    const s = new Float64Array(N);
    for (let h = 0; h < N; h++) s[h] = a[h]! + b[h]!;
    ALPHA_ACTION.set(s, ALPHA_ACTION.get(a)!);
    out.push(s);
  }
  return out;
}

/** Γ(t, o) from Γ(t + 1, ·); throws OutOfTime once `deadline` (a performance.now() time) passes. */
function stage(om: HiddenModel, next: Float64Array[][], o: number, support: readonly number[], eps: number, deadline: number): Float64Array[] {
  const all: Float64Array[] = [];
  for (let a = 0; a < N_ACTIONS; a++) {
    const r = Float64Array.from(om.R[o * N_ACTIONS + a]!);
    ALPHA_ACTION.set(r, a);
    let acc: Float64Array[] = [r];
    for (const { o2, M } of om.branches[o * N_ACTIONS + a]!) {
      const proj = next[o2]!.map((alpha) => {
        const v = new Float64Array(N);
        for (let h = 0; h < N; h++) { let s = 0; for (let g = 0; g < N; g++) s += M[h * N + g]! * alpha[g]!; v[h] = s; }
        return v;
      });
      acc = prune(crossSum(acc, prune(proj, support, eps, deadline)), support, eps, deadline);
    }
    all.push(...acc);
  }
  return prune(all, support, eps, deadline);
}

export interface ExactSolution {
  G: AlphaSets;
  /** The optimum at the start (exact up to the pruning tolerance). */
  value: number;
  /** Vectors per stage: counts[t] = Σ_o |Γ(t, o)|, and the largest single set. */
  counts: { total: number; max: number }[];
  seconds: number;
  /** Set when the time budget ran out before stage 0: the last stage completed, and the observation being solved in the stage before it. */
  stoppedAt?: number;
  stoppedAtObs?: number;
}

/**
 * Value iteration over α-vectors, backward from the horizon; stops (stoppedAt set, value NaN)
 * when `budgetS` seconds have passed. `onStage` sees each finished stage.
 */
export function solveExact(m: SepsisModel, om: HiddenModel, o: { H?: number; eps?: number; budgetS?: number; onStage?: (t: number, c: { total: number; max: number }, s: number) => void } = {}): ExactSolution {
  const H = o.H ?? HORIZON, eps = o.eps ?? 1e-9, t0 = performance.now();
  const G: AlphaSets = new Array(H + 1);
  G[H] = Array.from({ length: N_OBS }, () => [new Float64Array(N)]);
  const counts: ExactSolution['counts'] = new Array(H + 1).fill(null).map(() => ({ total: N_OBS, max: 1 }));
  const support = Array.from({ length: N_OBS }, (_, ob) => Array.from({ length: N }, (_, h) => h).filter((h) => m.reward[fullOf(h, ob)] === 0));
  const elapsed = (): number => (performance.now() - t0) / 1000;
  for (let t = H - 1; t >= 0; t--) {
    G[t] = [];
    for (let ob = 0; ob < N_OBS; ob++) {
      try {
        G[t]!.push(stage(om, G[t + 1]!, ob, support[ob]!, eps, t0 + 1000 * (o.budgetS ?? Infinity)));
      } catch (e) {
        if (e instanceof OutOfTime) return { G, value: NaN, counts, seconds: elapsed(), stoppedAt: t + 1, stoppedAtObs: ob };
        throw e;
      }
    }
    counts[t] = { total: G[t]!.reduce((s, c) => s + c.length, 0), max: Math.max(...G[t]!.map((c) => c.length)) };
    o.onStage?.(t, counts[t]!, elapsed());
  }
  const p0 = initialObs(m);
  let value = 0;
  for (let ob = 0; ob < N_OBS; ob++) if (p0[ob]) value += p0[ob]! * bestAlpha(G[0]![ob]!, initialBelief(m, ob)).v;
  return { G, value, counts, seconds: elapsed() };
}

/** The exact sets of the last k steps of an H-step problem, at their places: tail[t] for t ≥ H − k (the model does not depend on t). */
export function exactTail(m: SepsisModel, om: HiddenModel, H: number, k: number): AlphaSets {
  const G = solveExact(m, om, { H: k }).G, tail: AlphaSets = new Array(H + 1);
  for (let j = 0; j < k; j++) tail[H - k + j] = G[j]!;
  return tail;
}

/** The optimal belief policy: the first action of the best vector at the exact belief. */
export const exactPolicy = (G: AlphaSets): BeliefPolicy => (t, o, b) => ALPHA_ACTION.get(bestAlpha(G[t]![o]!, b).alpha)!;
