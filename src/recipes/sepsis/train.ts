/**
 * The training loop shared by the recurrent agent and its memoryless control: batches of
 * sampled episodes, PPO updates with a linearly decaying entropy bonus, and a greedy evaluation
 * every `evalEvery` iterations on its own episode stream; the parameters with the best greedy
 * evaluation are kept (the final 10,000-episode score uses fresh episodes, see run.ts).
 */
import { Adam, type Rng } from '../../index.js';
import { SepsisAgent, ppoUpdate, rollout, simulatorEnv, type AgentKind, type PpoOptions } from './agent.js';
import type { SepsisModel } from './simulator.js';

export interface TrainOptions {
  kind: AgentKind;
  hidden: number;
  iterations: number;
  /** Episodes per PPO batch. */
  batch: number;
  lr: number;
  evalEvery: number;
  evalEpisodes: number;
  /** Entropy bonus at the start (decays linearly to 0). */
  entropy: number;
  ppo?: Partial<Omit<PpoOptions, 'entropy'>>;
  rng: Rng;
  onProgress?: (line: string) => void;
}

export interface CurvePoint {
  iteration: number;
  episodes: number;
  /** Mean return of the batch's sampled episodes. */
  trainReturn: number;
  /** PPO: mean policy entropy (NaN under DAgger). */
  entropy: number;
  /** DAgger: fraction of steps where the agent's greedy action equals the teacher's, and the last imitation loss. */
  agreement?: number;
  loss?: number;
  /** Mean greedy return on evalEpisodes fresh episodes (evaluation iterations only). */
  evalReturn?: number;
}

export interface TrainResult {
  agent: SepsisAgent;
  curve: CurvePoint[];
  best: { iteration: number; evalReturn: number };
}

const mean = (v: Float64Array): number => v.reduce((a, b) => a + b, 0) / v.length;

export function greedyReturn(agent: SepsisAgent, m: SepsisModel, episodes: number, rng: Rng): number {
  return mean(rollout(agent, simulatorEnv(m), episodes, rng, { greedy: true }).ret);
}

export function trainAgent(m: SepsisModel, o: TrainOptions): TrainResult {
  const agent = new SepsisAgent(o.kind, o.hidden, o.rng.fork());
  const opt = new Adam(agent.parameters(), { lr: o.lr });
  const ppo: PpoOptions = { epochs: 4, clip: 0.2, valueCoef: 0.5, maxGradNorm: 1, lambda: 0.95, minibatches: 4, entropy: o.entropy, ...o.ppo };
  const env = simulatorEnv(m);
  const actRng = o.rng.fork(), evalRng = o.rng.fork();
  const curve: CurvePoint[] = [];
  let best = { iteration: -1, evalReturn: -Infinity, w: [] as Float32Array[] };
  for (let it = 0; it < o.iterations; it++) {
    const e = rollout(agent, env, o.batch, actRng);
    const entropy = ppoUpdate(agent, opt, e, { ...ppo, entropy: o.entropy * (1 - it / o.iterations) }, actRng);
    const point: CurvePoint = { iteration: it + 1, episodes: (it + 1) * o.batch, trainReturn: mean(e.ret), entropy };
    if ((it + 1) % o.evalEvery === 0 || it + 1 === o.iterations) {
      point.evalReturn = greedyReturn(agent, m, o.evalEpisodes, evalRng);
      if (point.evalReturn > best.evalReturn) best = { iteration: it + 1, evalReturn: point.evalReturn, w: agent.parameters().map((p) => Float32Array.from(p.data)) };
      o.onProgress?.(`${o.kind} it ${it + 1}/${o.iterations}: sampled ${point.trainReturn.toFixed(3)}, greedy ${point.evalReturn.toFixed(3)}, entropy ${entropy.toFixed(2)}`);
    }
    curve.push(point);
  }
  agent.parameters().forEach((p, i) => p.data.set(best.w[i]!));
  return { agent, curve, best: { iteration: best.iteration, evalReturn: best.evalReturn } };
}
