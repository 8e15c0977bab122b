/**
 * Exact values on the sepsis model by enumeration: finite-horizon dynamic programming over the
 * 1440 full states (undiscounted, 20 steps, the episode ends at the first non-zero reward),
 * γ-discounted value iteration for the stationary policy the paper computes, and a coordinate-
 * ascent search for a deterministic memoryless policy on the 144-level projected observation.
 */
import { HORIZON, N_ACTIONS, N_FULL, N_OBS, type SepsisModel } from './simulator.js';

/** Action probabilities at step t (0-based) in full state s. */
export type FullPolicy = (t: number, s: number) => ArrayLike<number>;

/** Q(s, a) = Σ_s' p (r(s') + γ·[s' not terminal]·V(s')). */
export function backup(m: SepsisModel, V: Float64Array, gamma = 1, out = new Float64Array(N_FULL * N_ACTIONS)): Float64Array {
  for (let r = 0; r < N_FULL * N_ACTIONS; r++) {
    let q = 0;
    for (let k = m.rowStart[r]!; k < m.rowStart[r + 1]!; k++) {
      const j = m.next[k]!;
      q += m.prob[k]! * (m.reward[j] !== 0 ? m.reward[j]! : gamma * V[j]!);
    }
    out[r] = q;
  }
  return out;
}

const argmax8 = (q: Float64Array, s: number): number => {
  let best = 0;
  for (let a = 1; a < N_ACTIONS; a++) if (q[s * N_ACTIONS + a]! > q[s * N_ACTIONS + best]! + 1e-12) best = a;
  return best;
};

export const expectedInitial = (m: SepsisModel, V: Float64Array): number => m.initial.reduce((acc, p, s) => acc + p * V[s]!, 0);

/** The full-information finite-horizon optimum: its value, V per steps-to-go, and policy per step. */
export function optimalFiniteHorizon(m: SepsisModel, H = HORIZON): { value: number; V: Float64Array[]; Q: Float64Array[]; policy: Uint8Array[] } {
  const V = [new Float64Array(N_FULL)];
  const Q: Float64Array[] = [];
  const policy: Uint8Array[] = new Array(H);
  for (let k = 1; k <= H; k++) {
    const q = backup(m, V[k - 1]!);
    const v = new Float64Array(N_FULL);
    const pi = new Uint8Array(N_FULL);
    for (let s = 0; s < N_FULL; s++) { pi[s] = argmax8(q, s); v[s] = q[s * N_ACTIONS + pi[s]!]!; }
    V.push(v); Q.push(q); policy[H - k] = pi;
  }
  return { value: expectedInitial(m, V[H]!), V, Q, policy };
}

/** Discounted value iteration to convergence; the greedy stationary policy (ties → lowest index). */
export function valueIteration(m: SepsisModel, gamma = 0.99, tol = 1e-12): { policy: Uint8Array; Q: Float64Array } {
  let V = new Float64Array(N_FULL);
  const q = new Float64Array(N_FULL * N_ACTIONS);
  for (let it = 0; it < 100000; it++) {
    backup(m, V, gamma, q);
    const nv = new Float64Array(N_FULL);
    let delta = 0;
    for (let s = 0; s < N_FULL; s++) { nv[s] = q[s * N_ACTIONS + argmax8(q, s)]!; delta = Math.max(delta, Math.abs(nv[s]! - V[s]!)); }
    V = nv;
    if (delta < tol) break;
  }
  backup(m, V, gamma, q);
  return { policy: Uint8Array.from({ length: N_FULL }, (_, s) => argmax8(q, s)), Q: q };
}

/** The exact H-step undiscounted value of a (possibly stochastic, non-stationary) full-state policy. */
export function evaluatePolicy(m: SepsisModel, pi: FullPolicy, H = HORIZON): number {
  let V = new Float64Array(N_FULL);
  const q = new Float64Array(N_FULL * N_ACTIONS);
  for (let k = 1; k <= H; k++) {
    backup(m, V, 1, q);
    const v = new Float64Array(N_FULL);
    for (let s = 0; s < N_FULL; s++) {
      if (m.reward[s] !== 0) continue;
      const p = pi(H - k, s);
      let acc = 0;
      for (let a = 0; a < N_ACTIONS; a++) if (p[a]) acc += p[a]! * q[s * N_ACTIONS + a]!;
      v[s] = acc;
    }
    V = v;
  }
  return expectedInitial(m, V);
}

const ONE_HOT = Array.from({ length: N_ACTIONS }, (_, a) => Float64Array.from({ length: N_ACTIONS }, (_, b) => +(a === b)));
export const UNIFORM = new Float64Array(N_ACTIONS).fill(1 / N_ACTIONS);

export const deterministic = (pi: Uint8Array): FullPolicy => (_t, s) => ONE_HOT[pi[s]!]!;
/** ε-soft: 1 − ε on the policy's action, ε/7 on each other action. */
export function epsSoft(pi: Uint8Array, eps = 0.05): FullPolicy {
  const rows = ONE_HOT.map((row) => row.map((x) => (x ? 1 - eps : eps / (N_ACTIONS - 1))));
  return (_t, s) => rows[pi[s]!]!;
}
export const neverTreat: FullPolicy = () => ONE_HOT[0]!;
export const uniformPolicy: FullPolicy = () => UNIFORM;
/** A memoryless policy on the projected observation, as a full-state policy. */
export const onObservation = (m: SepsisModel, piObs: Uint8Array): FullPolicy => (_t, s) => ONE_HOT[piObs[m.obs[s]!]!]!;

/** evaluatePolicy for a deterministic memoryless policy on the observation, touching only the chosen rows. */
export function evaluateObsPolicy(m: SepsisModel, piObs: Uint8Array, H = HORIZON): number {
  return expectedInitial(m, obsPolicyValues(m, piObs, H)[H]!);
}

/** V_k (k = 0..H steps to go) over full states of a deterministic memoryless policy on the observation. */
export function obsPolicyValues(m: SepsisModel, piObs: Uint8Array, H = HORIZON): Float64Array[] {
  const V = [new Float64Array(N_FULL)];
  for (let k = 1; k <= H; k++) {
    const prev = V[k - 1]!, v = new Float64Array(N_FULL);
    for (let s = 0; s < N_FULL; s++) {
      if (m.reward[s] !== 0) continue;
      const r = s * N_ACTIONS + piObs[m.obs[s]!]!;
      let q = 0;
      for (let i = m.rowStart[r]!; i < m.rowStart[r + 1]!; i++) {
        const j = m.next[i]!;
        q += m.prob[i]! * (m.reward[j] !== 0 ? m.reward[j]! : prev[j]!);
      }
      v[s] = q;
    }
    V.push(v);
  }
  return V;
}

/** Expected visits to each full state over H steps under a full-state policy (non-terminal states only). */
export function occupancy(m: SepsisModel, pi: FullPolicy, H = HORIZON): Float64Array {
  let d = Float64Array.from(m.initial);
  const total = new Float64Array(N_FULL);
  for (let t = 0; t < H; t++) {
    const nd = new Float64Array(N_FULL);
    for (let s = 0; s < N_FULL; s++) {
      if (!d[s]) continue;
      total[s]! += d[s]!;
      const p = pi(t, s);
      for (let a = 0; a < N_ACTIONS; a++) {
        if (!p[a]) continue;
        const r = s * N_ACTIONS + a;
        for (let k = m.rowStart[r]!; k < m.rowStart[r + 1]!; k++) if (m.reward[m.next[k]!] === 0) nd[m.next[k]!]! += d[s]! * p[a]! * m.prob[k]!;
      }
    }
    d = nd;
  }
  return total;
}

/**
 * Best deterministic memoryless policy on the projected observation by coordinate ascent: start
 * from the occupancy-weighted majority action of the full-information stationary policy, then
 * change one observation's action at a time while the exact value improves. A lower bound on
 * the memoryless optimum (a local optimum).
 */
export function bestMemoryless(m: SepsisModel, start: Uint8Array, o: { sweeps?: number; H?: number } = {}): { policy: Uint8Array; value: number; sweeps: number } {
  const H = o.H ?? HORIZON;
  const piObs = majorityOnObservation(m, start, H);
  let value = evaluateObsPolicy(m, piObs, H);
  let sweeps = 0;
  for (let improved = true; improved && sweeps < (o.sweeps ?? 10); sweeps++) {
    improved = false;
    for (let ob = 0; ob < N_OBS; ob++) {
      const keep = piObs[ob]!;
      for (let a = 0; a < N_ACTIONS; a++) {
        if (a === keep) continue;
        piObs[ob] = a;
        const v = evaluateObsPolicy(m, piObs, H);
        if (v > value + 1e-12) { value = v; improved = true; break; }
        piObs[ob] = keep;
      }
    }
  }
  return { policy: piObs, value, sweeps };
}

function majorityOnObservation(m: SepsisModel, pi: Uint8Array, H: number): Uint8Array {
  const d = occupancy(m, deterministic(pi), H);
  const votes = new Float64Array(N_OBS * N_ACTIONS);
  for (let s = 0; s < N_FULL; s++) votes[m.obs[s]! * N_ACTIONS + pi[s]!]! += d[s]! + 1e-9;
  return Uint8Array.from({ length: N_OBS }, (_, ob) => argmax8(votes, ob));
}
