/**
 * Off-policy evaluation, the paper's lesson: from behaviour ("physician") trajectories, estimate
 * a learned policy's value by weighted importance sampling (WIS) and by a model fitted to the
 * same data, and compare with its true value.
 *
 * - Behaviour: the full-information γ = 0.99 optimal policy made ε-soft (it sees glucose and
 *   diabetes); its action probabilities are recorded with each step, as a logged propensity.
 * - The learned model lives on what the data show: the 144 projected observations plus death
 *   and discharge. Transitions are counts; a (observation, action) pair never tried in the data
 *   is sent to death (a pessimistic fill; the paper's lesson is about what the data cannot show).
 * - The "RL policy" of the paper's pipeline: value iteration (γ = 0.99) in that learned model.
 * - Any agent (a recurrent one included) can be scored: WIS by teacher-forcing its greedy action
 *   along each behaviour trajectory, the model-based estimate by playing it in the learned model.
 */
import { F, Tensor, noGrad, type Rng } from '../../index.js';
import { HORIZON, N_ACTIONS, N_OBS, sampleAction, sampleInitial, sampleNext, type SepsisModel } from './simulator.js';
import { N_INPUT, encodeObs, rollout, type Env, type SepsisAgent } from './agent.js';
import type { FullPolicy } from './exact.js';

export interface Trajectory {
  /** Observations the behaviour acted on, its actions and their logged probabilities. */
  obs: number[];
  acts: number[];
  propensity: number[];
  ret: number;
  /** The hidden full states (known in simulation only; for checks, never used by an estimator). */
  states: number[];
}

export function behaviourData(m: SepsisModel, mu: FullPolicy, n: number, rng: Rng): Trajectory[] {
  return Array.from({ length: n }, () => {
    const tr: Trajectory = { obs: [], acts: [], propensity: [], ret: 0, states: [] };
    let s = sampleInitial(m, rng);
    for (let t = 0; t < HORIZON; t++) {
      const p = mu(t, s);
      const a = sampleAction(p, rng);
      tr.obs.push(m.obs[s]!); tr.acts.push(a); tr.propensity.push(p[a]!); tr.states.push(s);
      s = sampleNext(m, s, a, rng);
      if (m.reward[s] !== 0) { tr.ret = m.reward[s]!; break; }
    }
    return tr;
  });
}

/** States 0..143 are observations; DEATH and DISCHARGE absorb. */
export const DEATH = N_OBS, DISCHARGE = N_OBS + 1;
const N_MODEL = N_OBS + 2;

export interface ObsModel {
  /** P(o' | o, a), (144·8, 146). */
  tx: Float64Array;
  init: Float64Array;
  /** Visits of each (o, a) in the data. */
  count: Int32Array;
}

export function fitObsModel(data: readonly Trajectory[]): ObsModel {
  const tx = new Float64Array(N_OBS * N_ACTIONS * N_MODEL), init = new Float64Array(N_OBS), count = new Int32Array(N_OBS * N_ACTIONS);
  for (const tr of data) {
    init[tr.obs[0]!]! += 1 / data.length;
    tr.acts.forEach((a, t) => {
      const r = tr.obs[t]! * N_ACTIONS + a;
      const to = t + 1 < tr.obs.length ? tr.obs[t + 1]! : tr.ret > 0 ? DISCHARGE : tr.ret < 0 ? DEATH : -1;
      if (to < 0) return; // the horizon cut the episode: no transition observed
      tx[r * N_MODEL + to]! += 1;
      count[r]! += 1;
    });
  }
  for (let r = 0; r < N_OBS * N_ACTIONS; r++) {
    let z = 0;
    for (let j = 0; j < N_MODEL; j++) z += tx[r * N_MODEL + j]!;
    if (z === 0) tx[r * N_MODEL + DEATH] = 1;
    else for (let j = 0; j < N_MODEL; j++) tx[r * N_MODEL + j]! /= z;
  }
  return { tx, init, count };
}

const modelReward = (j: number): number => (j === DEATH ? -1 : j === DISCHARGE ? 1 : 0);

/** Q(o, a) in the learned model against values V of the next step (γ-discounted). */
function modelBackup(om: ObsModel, V: Float64Array, gamma: number): Float64Array {
  const q = new Float64Array(N_OBS * N_ACTIONS);
  for (let r = 0; r < N_OBS * N_ACTIONS; r++) {
    let acc = 0;
    for (let j = 0; j < N_MODEL; j++) {
      const p = om.tx[r * N_MODEL + j]!;
      if (p) acc += p * (j < N_OBS ? gamma * V[j]! : modelReward(j));
    }
    q[r] = acc;
  }
  return q;
}

/** The paper's RL policy: greedy after γ-discounted value iteration in the learned model. */
export function solveObsModel(om: ObsModel, gamma = 0.99, iterations = 2000): Uint8Array {
  let V = new Float64Array(N_OBS);
  let q = modelBackup(om, V, gamma);
  for (let it = 0; it < iterations; it++) {
    V = Float64Array.from({ length: N_OBS }, (_, o) => Math.max(...q.subarray(o * N_ACTIONS, (o + 1) * N_ACTIONS)));
    q = modelBackup(om, V, gamma);
  }
  return Uint8Array.from({ length: N_OBS }, (_, o) => {
    let best = 0;
    for (let a = 1; a < N_ACTIONS; a++) if (q[o * N_ACTIONS + a]! > q[o * N_ACTIONS + best]! + 1e-12) best = a;
    return best;
  });
}

/** Model-based estimate of a memoryless policy: its exact H-step value in the learned model. */
export function modelValue(om: ObsModel, piObs: Uint8Array, H = HORIZON): number {
  let V = new Float64Array(N_OBS);
  for (let k = 0; k < H; k++) {
    const q = modelBackup(om, V, 1);
    V = Float64Array.from({ length: N_OBS }, (_, o) => q[o * N_ACTIONS + piObs[o]!]!);
  }
  return om.init.reduce((a, p, o) => a + p * V[o]!, 0);
}

/** The learned model as an environment, to play an agent in it. */
export function modelEnv(om: ObsModel): Env {
  const draw = (p: Float64Array, lo: number, n: number, rng: Rng): number => {
    let u = rng.random();
    for (let j = 0; j < n - 1; j++) { u -= p[lo + j]!; if (u < 0) return j; }
    return n - 1;
  };
  return {
    initial: (rng) => draw(om.init, 0, N_OBS, rng),
    next: (s, a, rng) => draw(om.tx, (s * N_ACTIONS + a) * N_MODEL, N_MODEL, rng),
    obs: (s) => s,
    reward: modelReward,
  };
}

/** WIS of a deterministic evaluation policy given as its action at each step of a trajectory. */
export function wis(data: readonly Trajectory[], actionsOf: (tr: Trajectory) => ArrayLike<number>): { value: number; effectiveN: number } {
  let num = 0, den = 0, sq = 0;
  for (const tr of data) {
    const pe = actionsOf(tr);
    let w = 1;
    for (let t = 0; t < tr.acts.length && w; t++) w = pe[t] === tr.acts[t] ? w / tr.propensity[t]! : 0;
    num += w * tr.ret; den += w; sq += w * w;
  }
  return { value: den > 0 ? num / den : NaN, effectiveN: den > 0 ? (den * den) / sq : 0 };
}

export const memorylessActions = (piObs: Uint8Array) => (tr: Trajectory): number[] => tr.obs.map((o) => piObs[o]!);

/** An agent's greedy actions along a trajectory's observations (its state carried, teacher-forced). */
export function agentActions(agent: SepsisAgent, tr: Trajectory): number[] {
  const T = tr.obs.length;
  const x = new Float32Array(T * N_INPUT);
  tr.obs.forEach((o, t) => encodeObs(o, x, t * N_INPUT));
  const lp = noGrad(() => F.logSoftmax(agent.pi.forward(agent.features(new Tensor(x, [T, 1, N_INPUT])))).data);
  return Array.from({ length: T }, (_, t) => {
    let best = 0;
    for (let a = 1; a < N_ACTIONS; a++) if (lp[t * N_ACTIONS + a]! > lp[t * N_ACTIONS + best]!) best = a;
    return best;
  });
}

/** Model-based estimate for an agent: its mean greedy return over n episodes in the learned model. */
export function agentModelValue(agent: SepsisAgent, om: ObsModel, n: number, rng: Rng): number {
  return rollout(agent, modelEnv(om), n, rng, { greedy: true }).ret.reduce((a, b) => a + b, 0) / n;
}

/** Percentile bootstrap over trajectories of a statistic (95 % interval), NaN estimates dropped. */
export function bootstrap(data: readonly Trajectory[], stat: (d: Trajectory[]) => number, resamples: number, rng: Rng): [number, number] {
  const v = Array.from({ length: resamples }, () => stat(Array.from({ length: data.length }, () => data[rng.int(data.length)]!))).filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return [NaN, NaN];
  return [v[Math.floor(0.025 * (v.length - 1))]!, v[Math.ceil(0.975 * (v.length - 1))]!];
}
