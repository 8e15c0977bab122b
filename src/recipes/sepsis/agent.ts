/**
 * The learning agents: a recurrent actor-critic (GRU → policy and value heads) that sees only the
 * projected observation, and its memoryless control (one tanh layer of the same width in place
 * of the GRU), both trained by PPO on whole episodes sampled from the simulator.
 *
 * Acting uses the streaming path (one GRU step per simulator step, state carried); training runs
 * the recorded episodes as one batched (T, B) sequence from a zero state, which reproduces the
 * acting features exactly because each episode starts from a zero state. Steps after an
 * episode ended are padding, masked out of every loss.
 *
 * Returns are undiscounted (the evaluation's own criterion): every step of an episode gets the
 * episode's terminal reward; the advantage subtracts the value head's prediction.
 *
 * Legend: T = 20 steps, B episodes, H hidden width, I = 11 inputs.
 */
import { Adam, F, GRU, Linear, Module, Tensor, clipGradNorm, noGrad, type Rng } from '../../index.js';
import { HORIZON, N_ACTIONS, sampleInitial, sampleNext, type SepsisModel } from './simulator.js';

/**
 * Where episodes are played: the simulator, or a model of it learned from data (ope.ts). Callers
 * pass the episode's index and the step, so an environment may draw common random numbers
 * (crn.ts) instead of using rng.
 */
export interface Env {
  initial(rng: Rng, episode: number): number;
  next(s: number, a: number, rng: Rng, episode: number, step: number): number;
  /** The projected observation (0..143) of a non-terminal state. */
  obs(s: number): number;
  reward(s: number): number;
}

export const simulatorEnv = (m: SepsisModel): Env => ({
  initial: (rng) => sampleInitial(m, rng),
  next: (s, a, rng) => sampleNext(m, s, a, rng),
  obs: (s) => m.obs[s]!,
  reward: (s) => m.reward[s]!,
});

/** Factored one-hot of the projected observation: HR (3), BP (3), O₂ (2), antibiotics, vasopressors, ventilation. */
export const N_INPUT = 11;

export function encodeObs(o: number, out: Float32Array, off: number): void {
  const vent = o & 1, vaso = (o >> 1) & 1, abx = (o >> 2) & 1;
  const rest = o >> 3;
  const o2 = rest % 2, bp = ((rest - o2) / 2) % 3, hr = Math.floor((rest - o2) / 6);
  out.fill(0, off, off + N_INPUT);
  out[off + hr] = 1; out[off + 3 + bp] = 1; out[off + 6 + o2] = 1;
  out[off + 8] = abx; out[off + 9] = vaso; out[off + 10] = vent;
}

export type AgentKind = 'gru' | 'memoryless';

export class SepsisAgent extends Module {
  readonly core: GRU | Linear;
  readonly pi: Linear;
  readonly v: Linear;
  constructor(readonly kind: AgentKind, readonly hidden: number, rng: Rng) {
    super();
    this.core = this.registerModule('core', kind === 'gru' ? new GRU(N_INPUT, hidden, { rng }) : new Linear(N_INPUT, hidden, { rng }));
    this.pi = this.registerModule('pi', new Linear(hidden, N_ACTIONS, { rng }));
    this.v = this.registerModule('v', new Linear(hidden, 1, { rng }));
  }
  /** Features (T, B, H) of whole episodes x (T, B, I) from a zero state. */
  features(x: Tensor): Tensor {
    return this.core instanceof GRU ? this.core.forward(x).output : F.tanh(this.core.forward(x));
  }
  /** One step with carried state: x (B, I) → features (B, H) and the next state (null when memoryless). */
  step(x: Tensor, h: Tensor | null): { f: Tensor; h: Tensor | null } {
    if (!(this.core instanceof GRU)) return { f: F.tanh(this.core.forward(x)), h: null };
    const B = x.shape[0]!;
    const out = this.core.forward(F.reshape(x, [1, B, N_INPUT]), { state: h ? { h } : null });
    return { f: F.reshape(out.output, [B, this.hidden]), h: out.state.h };
  }
}

/** B episodes as (T, B) arrays, time-major; `alive` marks the steps where the agent acted. */
export interface Episodes {
  B: number;
  x: Float32Array;
  act: Int32Array;
  alive: Float32Array;
  logp: Float32Array;
  /** The environment's state the agent acted in (the full state in the simulator), −1 after the end. */
  state: Int32Array;
  ret: Float64Array;
  /** Steps each episode lasted. */
  len: Int32Array;
  /** The agent's features (T, B, H) when asked for. */
  features?: Float32Array;
}

/** Replaces the agent's action `own` in episode b at step t, environment state s (e.g. a teacher's, in DAgger). */
export type Chooser = (t: number, b: number, s: number, own: number) => number;

/** Play B episodes in parallel: actions sampled from the policy, or its argmax when `greedy`, unless `choose` overrides them. */
export function rollout(agent: SepsisAgent, env: Env, B: number, rng: Rng, o: { greedy?: boolean; keepFeatures?: boolean; choose?: Chooser } = {}): Episodes {
  const T = HORIZON, H = agent.hidden;
  const e: Episodes = {
    B, x: new Float32Array(T * B * N_INPUT), act: new Int32Array(T * B), alive: new Float32Array(T * B), logp: new Float32Array(T * B),
    state: new Int32Array(T * B).fill(-1), ret: new Float64Array(B), len: new Int32Array(B), ...(o.keepFeatures ? { features: new Float32Array(T * B * H) } : {}),
  };
  const s = Int32Array.from({ length: B }, (_, b) => env.initial(rng, b));
  const done = new Uint8Array(B);
  noGrad(() => {
    let h: Tensor | null = null;
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) if (!done[b]) encodeObs(env.obs(s[b]!), e.x, (t * B + b) * N_INPUT);
      const step = agent.step(new Tensor(e.x.subarray(t * B * N_INPUT, (t + 1) * B * N_INPUT), [B, N_INPUT]), h);
      h = step.h;
      if (e.features) e.features.set(step.f.data, t * B * H);
      const lp = F.logSoftmax(agent.pi.forward(step.f)).data;
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        const own = o.greedy ? argmaxRow(lp, b) : sampleRow(lp, b, rng);
        const a = o.choose ? o.choose(t, b, s[b]!, own) : own;
        const k = t * B + b;
        e.act[k] = a; e.alive[k] = 1; e.len[b] = t + 1; e.logp[k] = lp[b * N_ACTIONS + a]!; e.state[k] = s[b]!;
        s[b] = env.next(s[b]!, a, rng, b, t);
        const r = env.reward(s[b]!);
        if (r !== 0) { e.ret[b] = r; done[b] = 1; }
      }
    }
  });
  return e;
}

function argmaxRow(lp: ArrayLike<number>, b: number): number {
  let best = 0;
  for (let a = 1; a < N_ACTIONS; a++) if (lp[b * N_ACTIONS + a]! > lp[b * N_ACTIONS + best]!) best = a;
  return best;
}

function sampleRow(lp: ArrayLike<number>, b: number, rng: Rng): number {
  let u = rng.random();
  for (let a = 0; a < N_ACTIONS - 1; a++) {
    u -= Math.exp(lp[b * N_ACTIONS + a]!);
    if (u < 0) return a;
  }
  return N_ACTIONS - 1;
}

export interface PpoOptions {
  epochs: number;
  clip: number;
  entropy: number;
  valueCoef: number;
  maxGradNorm: number;
  /** Adam steps per epoch (episode groups). */
  minibatches: number;
  /** GAE's λ (1: Monte-Carlo returns; undiscounted, γ = 1, as the evaluation). */
  lambda: number;
}

/**
 * Generalized advantage estimates with γ = 1: the only reward is the terminal one, so
 * δ_t = r_{t+1} + V_{t+1} − V_t with V = 0 after the episode ends or at the horizon.
 */
function gae(e: Episodes, v: ArrayLike<number>, lambda: number): { adv: Float32Array; ret: Float32Array } {
  const T = HORIZON, B = e.B;
  const adv = new Float32Array(T * B), ret = new Float32Array(T * B);
  for (let b = 0; b < B; b++) {
    let next = 0, a = 0;
    for (let t = T - 1; t >= 0; t--) {
      const k = t * B + b;
      if (!e.alive[k]) continue;
      const last = t === T - 1 || !e.alive[k + B];
      const delta = (last ? e.ret[b]! : 0) + (last ? 0 : next) - v[k]!;
      a = delta + (last ? 0 : lambda * a);
      adv[k] = a; ret[k] = a + v[k]!; next = v[k]!;
    }
  }
  return { adv, ret };
}

/** Columns `idx` (episodes) of a time-major (T, B, w) array as a (T, idx.length, w) tensor. */
export function columns(d: ArrayLike<number>, B: number, w: number, idx: readonly number[]): Tensor {
  const T = HORIZON, n = idx.length;
  const out = new Float32Array(T * n * w);
  for (let t = 0; t < T; t++) idx.forEach((b, j) => { for (let c = 0; c < w; c++) out[(t * n + j) * w + c] = d[(t * B + b) * w + c]!; });
  return new Tensor(out, w === 1 ? [T, n] : [T, n, w]);
}

/**
 * PPO's clipped surrogate on one batch of episodes (`minibatches` episode groups per epoch,
 * each one Adam step); returns the mean policy entropy of the last minibatch.
 */
export function ppoUpdate(agent: SepsisAgent, opt: Adam, e: Episodes, o: PpoOptions, rng: Rng): number {
  const T = HORIZON, B = e.B;
  const n = e.alive.reduce((a, v) => a + v, 0);
  const onehot = new Float32Array(T * B * N_ACTIONS);
  for (let k = 0; k < T * B; k++) if (e.alive[k]) onehot[k * N_ACTIONS + e.act[k]!] = 1;
  const v0 = noGrad(() => agent.v.forward(agent.features(new Tensor(e.x, [T, B, N_INPUT]))).data);
  const { adv, ret } = gae(e, v0, o.lambda);
  let mu = 0, sq = 0;
  for (let k = 0; k < T * B; k++) if (e.alive[k]) { mu += adv[k]! / n; sq += adv[k]! ** 2 / n; }
  const sd = Math.sqrt(Math.max(sq - mu * mu, 1e-8));
  for (let k = 0; k < T * B; k++) adv[k] = e.alive[k] ? (adv[k]! - mu) / sd : 0;
  let entropy = 0;
  for (let ep = 0; ep < o.epochs; ep++) {
    const order = rng.shuffle(Array.from({ length: B }, (_, b) => b));
    const size = Math.ceil(B / o.minibatches);
    for (let i = 0; i < B; i += size) {
      const idx = order.slice(i, i + size);
      const [x, tOne, tAdv, tRet, tMask, tOld] = ([[e.x, N_INPUT], [onehot, N_ACTIONS], [adv, 1], [ret, 1], [e.alive, 1], [e.logp, 1]] as const).map(([d, w]) => columns(d, B, w, idx));
      const f = agent.features(x!);
      const lp = F.logSoftmax(agent.pi.forward(f));
      const ratio = F.exp(F.sub(F.sum(F.mul(lp, tOne!), { axis: -1 }), tOld!));
      const surrogate = F.neg(F.maximum(F.neg(F.mul(ratio, tAdv!)), F.neg(F.mul(F.clamp(ratio, 1 - o.clip, 1 + o.clip), tAdv!))));
      const ent = F.neg(F.sum(F.mul(F.exp(lp), lp), { axis: -1 }));
      const v = F.reshape(agent.v.forward(f), [T, idx.length]);
      const perStep = F.add(F.add(F.neg(surrogate), F.mulScalar(F.square(F.sub(v, tRet!)), o.valueCoef)), F.mulScalar(ent, -o.entropy));
      const m = idx.reduce((a, b) => a + e.len[b]!, 0);
      opt.zeroGrad();
      F.mulScalar(F.sum(F.mul(perStep, tMask!)), 1 / m).backward();
      clipGradNorm(agent.parameters(), o.maxGradNorm);
      opt.step();
      entropy = F.sum(F.mul(ent, tMask!)).item() / m;
    }
  }
  return entropy;
}
