/**
 * The sepsis simulator of Oberst & Sontag (2019), re-implemented from the description in
 * docs APPLICATIONS.md §4 (no code copied). A state is seven observed categorical vitals and
 * treatments plus a hidden diabetes bit; an action switches antibiotics (A), ventilation (E)
 * and vasopressors (V) on or off (index 4A + 2E + V).
 *
 * The transition rules are enumerated once into an exact sparse table (`SepsisModel`); the
 * sampler draws from that table, so simulation and exact enumeration share one set of rules.
 *
 * Rules: 'master' keeps the published code's glucose quirk (a non-diabetic's upward glucose
 * fluctuation is clipped to level 1, so "+1" from normal glucose lands on *low*); 'v2' is the
 * sim-v2 branch's correction (clipped to 4).
 *
 * Index layout (mixed radix, most significant first): full = diabetic, HR, BP, O₂, glucose,
 * antibiotics, vasopressors, ventilation (2·3·3·2·5·2·2·2 = 1440); the agent's projected
 * observation drops glucose and diabetes: HR, BP, O₂, antibiotics, vasopressors, ventilation (144).
 */
import type { Rng } from '../../index.js';

export type Rules = 'master' | 'v2';

export interface SepsisState {
  diab: number;
  hr: number;
  bp: number;
  o2: number;
  glu: number;
  abx: number;
  vaso: number;
  vent: number;
}

export const N_FULL = 1440;
export const N_OBS = 144;
export const N_ACTIONS = 8;
/** The published evaluation horizon (NSTEPS) and diabetes prevalence. */
export const HORIZON = 20;
export const P_DIABETIC = 0.2;

export function encode(s: SepsisState): number {
  return ((((((s.diab * 3 + s.hr) * 3 + s.bp) * 2 + s.o2) * 5 + s.glu) * 2 + s.abx) * 2 + s.vaso) * 2 + s.vent;
}

export function decode(i: number): SepsisState {
  const vent = i % 2; i = (i - vent) / 2;
  const vaso = i % 2; i = (i - vaso) / 2;
  const abx = i % 2; i = (i - abx) / 2;
  const glu = i % 5; i = (i - glu) / 5;
  const o2 = i % 2; i = (i - o2) / 2;
  const bp = i % 3; i = (i - bp) / 3;
  const hr = i % 3;
  return { diab: (i - hr) / 3, hr, bp, o2, glu, abx, vaso, vent };
}

/** The 144-level projected observation (glucose and diabetes hidden). */
export function project(s: SepsisState): number {
  return ((((s.hr * 3 + s.bp) * 2 + s.o2) * 2 + s.abx) * 2 + s.vaso) * 2 + s.vent;
}

export function abnormalCount(s: SepsisState): number {
  return +(s.hr !== 1) + +(s.bp !== 1) + +(s.o2 !== 1) + +(s.glu !== 2);
}

/** Reward of arriving in s: −1 death (≥ 3 abnormal), +1 discharge (none abnormal, no treatment), else 0. */
export function rewardOf(s: SepsisState): number {
  const n = abnormalCount(s);
  if (n >= 3) return -1;
  return n === 0 && s.abx + s.vaso + s.vent === 0 ? 1 : 0;
}

type Branches = [SepsisState, number][];

/** Apply a stochastic map to every branch, merging nothing (duplicates are summed later). */
function branch(list: Branches, f: (s: SepsisState) => Branches): Branches {
  const out: Branches = [];
  for (const [s, p] of list) for (const [t, q] of f(s)) if (q > 0) out.push([t, p * q]);
  return out;
}

/** x moves to y w.p. p (stays w.p. 1 − p), only when it is at `from`. */
const moveIf = <K extends keyof SepsisState>(key: K, from: number, to: number, p: number) => (s: SepsisState): Branches =>
  s[key] === from ? [[{ ...s, [key]: to }, p], [s, 1 - p]] : [[s, 1]];

/** ±1 with probabilities pDown/pUp, clipped to [0, hiDown]/[.., hiUp] (hiUp carries the master quirk). */
const fluctuate = <K extends keyof SepsisState>(key: K, pDown: number, pUp: number, hiUp: number) => (s: SepsisState): Branches => [
  [{ ...s, [key]: Math.max(0, s[key] - 1) }, pDown],
  [{ ...s, [key]: Math.min(hiUp, s[key] + 1) }, pUp],
  [s, 1 - pDown - pUp],
];

/** The exact next-state distribution of (s, a) under the rules (as a list; duplicates possible). */
export function stepDistribution(s0: SepsisState, a: number, rules: Rules): Branches {
  const A = (a >> 2) & 1, E = (a >> 1) & 1, V = a & 1;
  let b: Branches = [[{ ...s0 }, 1]];
  let hrF = true, bpF = true, o2F = true, gluF = true;
  if (A) {
    b = branch(branch(b, (s) => [[{ ...s, abx: 1 }, 1]]), moveIf('hr', 2, 1, 0.5));
    b = branch(b, moveIf('bp', 2, 1, 0.5));
    hrF = bpF = false;
  } else if (s0.abx) {
    b = branch(branch(b, moveIf('hr', 1, 2, 0.1)), moveIf('bp', 1, 2, 0.1));
    b = branch(b, (s) => [[{ ...s, abx: 0 }, 1]]);
    hrF = bpF = false;
  }
  if (E) {
    b = branch(b, (s) => [[{ ...s, vent: 1 }, 1]]);
    b = branch(b, moveIf('o2', 0, 1, 0.7));
    o2F = false;
  } else if (s0.vent) {
    b = branch(b, (s) => [[{ ...s, vent: 0 }, 1]]);
    b = branch(b, moveIf('o2', 1, 0, 0.1));
    o2F = false;
  }
  if (V) {
    b = branch(b, (s) => [[{ ...s, vaso: 1 }, 1]]);
    b = branch(b, (s): Branches => {
      if (!s.diab) return [[{ ...s, bp: Math.min(2, s.bp + 1) }, 0.7], [s, 0.3]];
      if (s.bp === 1) return [[{ ...s, bp: 2 }, 0.9], [s, 0.1]];
      if (s.bp === 0) return [[{ ...s, bp: 1 }, 0.5], [{ ...s, bp: 2 }, 0.4], [s, 0.1]];
      return [[s, 1]];
    });
    b = branch(b, (s) => (s.diab ? [[{ ...s, glu: Math.min(4, s.glu + 1) }, 0.5], [s, 0.5]] : [[s, 1]]));
    bpF = gluF = false;
  } else if (s0.vaso) {
    b = branch(b, (s) => [[{ ...s, vaso: 0, bp: Math.max(0, s.bp - 1) }, s.diab ? 0.05 : 0.1], [{ ...s, vaso: 0 }, s.diab ? 0.95 : 0.9]]);
    bpF = false;
  }
  if (hrF) b = branch(b, fluctuate('hr', 0.1, 0.1, 2));
  if (bpF) b = branch(b, fluctuate('bp', 0.1, 0.1, 2));
  if (o2F) b = branch(b, fluctuate('o2', 0.1, 0.1, 1));
  if (gluF) {
    b = branch(b, (s) => (s.diab ? fluctuate('glu', 0.3, 0.3, 4)(s) : fluctuate('glu', 0.1, 0.1, rules === 'master' ? 1 : 4)(s)));
  }
  return b;
}

/**
 * The exact model: a CSR transition table over full states × actions, the reward of arriving in
 * each state, and the initial distribution (treatments off; terminal draws rejected separately
 * for each diabetes value, so P(diabetic) stays 0.2).
 */
export interface SepsisModel {
  rules: Rules;
  /** Row (s·8 + a) spans next[rowStart[r] .. rowStart[r+1]) with probabilities prob. */
  rowStart: Int32Array;
  next: Int32Array;
  prob: Float64Array;
  reward: Int8Array;
  initial: Float64Array;
  /** Projected observation of each full state. */
  obs: Int32Array;
}

export function initialDistribution(pDiabetic = P_DIABETIC): Float64Array {
  const hrP = [0.25, 0.5, 0.25], o2P = [0.2, 0.8];
  const gluP = [[0.05, 0.15, 0.6, 0.15, 0.05], [0.01, 0.05, 0.15, 0.6, 0.19]];
  const out = new Float64Array(N_FULL);
  for (const diab of [0, 1]) {
    let z = 0;
    const idx: [number, number][] = [];
    for (let hr = 0; hr < 3; hr++) for (let bp = 0; bp < 3; bp++) for (let o2 = 0; o2 < 2; o2++) for (let glu = 0; glu < 5; glu++) {
      const s = { diab, hr, bp, o2, glu, abx: 0, vaso: 0, vent: 0 };
      if (rewardOf(s) !== 0) continue;
      const p = hrP[hr]! * hrP[bp]! * o2P[o2]! * gluP[diab]![glu]!;
      idx.push([encode(s), p]);
      z += p;
    }
    for (const [i, p] of idx) out[i] = ((diab ? pDiabetic : 1 - pDiabetic) * p) / z;
  }
  return out;
}

export function buildModel(rules: Rules = 'master', pDiabetic = P_DIABETIC): SepsisModel {
  const rowStart = new Int32Array(N_FULL * N_ACTIONS + 1);
  const next: number[] = [], prob: number[] = [];
  const reward = new Int8Array(N_FULL), obs = new Int32Array(N_FULL);
  for (let i = 0; i < N_FULL; i++) {
    const s = decode(i);
    reward[i] = rewardOf(s);
    obs[i] = project(s);
    for (let a = 0; a < N_ACTIONS; a++) {
      const merged = new Map<number, number>();
      for (const [t, p] of stepDistribution(s, a, rules)) merged.set(encode(t), (merged.get(encode(t)) ?? 0) + p);
      for (const [j, p] of [...merged].sort((x, y) => x[0] - y[0])) { next.push(j); prob.push(p); }
      rowStart[i * N_ACTIONS + a + 1] = next.length;
    }
  }
  return { rules, rowStart, next: Int32Array.from(next), prob: Float64Array.from(prob), reward, initial: initialDistribution(pDiabetic), obs };
}

function sampleFrom(idx: ArrayLike<number>, p: ArrayLike<number>, lo: number, hi: number, u: number): number {
  for (let k = lo; k < hi - 1; k++) {
    u -= p[k]!;
    if (u < 0) return idx[k]!;
  }
  return idx[hi - 1]!;
}

const ALL_STATES = Int32Array.from({ length: N_FULL }, (_, i) => i);

/** The initial state drawn by inversion from the uniform u (the same u gives the same state). */
export const initialAt = (m: SepsisModel, u: number): number => sampleFrom(ALL_STATES, m.initial, 0, N_FULL, u);

/** The next state of (s, a) drawn by inversion from the uniform u. */
export function nextAt(m: SepsisModel, s: number, a: number, u: number): number {
  const r = s * N_ACTIONS + a;
  return sampleFrom(m.next, m.prob, m.rowStart[r]!, m.rowStart[r + 1]!, u);
}

export const sampleInitial = (m: SepsisModel, rng: Rng): number => initialAt(m, rng.random());
export const sampleNext = (m: SepsisModel, s: number, a: number, rng: Rng): number => nextAt(m, s, a, rng.random());

/** One episode of at most H steps: `act` picks the action from the step and the full state. */
export function runEpisode(m: SepsisModel, act: (t: number, s: number) => number, rng: Rng, H = HORIZON): { ret: number; steps: number } {
  let s = sampleInitial(m, rng);
  for (let t = 0; t < H; t++) {
    s = sampleNext(m, s, act(t, s), rng);
    if (m.reward[s] !== 0) return { ret: m.reward[s]!, steps: t + 1 };
  }
  return { ret: 0, steps: H };
}

/** Draw an action from probabilities p (length 8). */
export function sampleAction(p: ArrayLike<number>, rng: Rng): number {
  let u = rng.random();
  for (let a = 0; a < N_ACTIONS - 1; a++) {
    u -= p[a]!;
    if (u < 0) return a;
  }
  return N_ACTIONS - 1;
}
