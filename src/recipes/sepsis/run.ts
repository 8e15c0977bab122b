/**
 * `runSepsis`: the whole sepsis-POMDP study in one call.
 * 1. Exact values of reference policies by enumeration (full information, the ε-soft
 *    physician, random, never treat, the best memoryless policy found by coordinate ascent)
 *    and a QMDP policy on the exact belief (Monte Carlo); bounds on the best policy on the
 *    observation history and the PBVI belief policy, the DAgger teacher (pomdp.ts).
 * 2. The recurrent agent and its memoryless control, trained the same way for each seed (DAgger
 *    from the PBVI policy, or PPO); true value of each greedy policy over fresh evaluation
 *    episodes (the memoryless one also exactly).
 * 3. Linear probes from features to the exact posterior (first seed's agents).
 * 4. Off-policy evaluation from behaviour trajectories (WIS, model-based) against true values.
 */
import { F, Rng, Tensor, ValueError, getBackend, noGrad } from '../../index.js';
import { N_ACTIONS, N_OBS, buildModel, type Rules, type SepsisModel } from './simulator.js';
import { bestMemoryless, epsSoft, evaluateObsPolicy, evaluatePolicy, deterministic, neverTreat, optimalFiniteHorizon, uniformPolicy, valueIteration } from './exact.js';
import { qmdpAction } from './filter.js';
import { N_INPUT, encodeObs, rollout, simulatorEnv, type SepsisAgent } from './agent.js';
import { trainAgent, type CurvePoint } from './train.js';
import { trainDagger } from './dagger.js';
import { buildTeacher, playBelief, playPlans } from './pomdp.js';
import { Uniforms, crnEnv, meanSe, pairedEstimate, type Estimate } from './crn.js';
import { tightenBounds } from './hsvi.js';
import { beliefRows, designFrom, featuresOf, observationOneHot, probe, type ProbeScore } from './probe.js';
import { agentActions, agentModelValue, behaviourData, bootstrap, fitObsModel, memorylessActions, modelValue, solveObsModel, wis } from './ope.js';

export type Learner = 'dagger' | 'ppo';

export interface SepsisOptions {
  rules?: Rules;
  /** How both agents are trained: DAgger from the belief-space teacher (default) or PPO. */
  learner?: Learner;
  seed?: number;
  seeds?: number;
  hidden?: number;
  /** Training iterations per agent (default: PPO 500, DAgger 80). */
  iterations?: number;
  batch?: number;
  /** Adam learning rate (default: PPO 1e-3, DAgger 3e-3). */
  lr?: number;
  entropy?: number;
  /** Fresh episodes for each agent's final score (default 10,000). */
  evalEpisodes?: number;
  /** Behaviour trajectories for OPE (default 1,000) and bootstrap resamples (default 100). */
  opeTrajectories?: number;
  bootstrap?: number;
  /** Episodes per belief-point collection for the PBVI teacher (default 2,000). */
  teacherEpisodes?: number;
  /** HSVI trials tightening the bounds on the best history-dependent policy (default 500). */
  boundTrials?: number;
  /** Coordinate-ascent sweeps for the best memoryless policy (default 10). */
  sweeps?: number;
  onProgress?: (line: string) => void;
}

export interface AgentScore {
  kind: 'gru' | 'memoryless';
  seed: number;
  /** Greedy policy, mean return over evalEpisodes fresh episodes ± its standard error. */
  value: Estimate;
  /** The same episodes paired with the PBVI plans' policy (exact value known): V_ref + mean(Y − Y_ref). */
  paired: Estimate;
  /** Correlation of the agent's and the reference's returns on those episodes. */
  corr: number;
  /** Memoryless agent only: the exact value of its greedy policy. */
  exact?: number;
  bestIteration: number;
  curve: CurvePoint[];
}

export interface OpeRow {
  policy: string;
  trueValue: number;
  wis: number;
  wisCi: [number, number];
  wisEffectiveN: number;
  modelBased: number;
  modelBasedCi: [number, number];
}

export interface SepsisResult {
  settings: Required<Omit<SepsisOptions, 'onProgress'>>;
  exact: { name: string; value: number; how: string }[];
  agents: AgentScore[];
  probe: { features: string; scores: ProbeScore[] }[];
  probeRows: number;
  ope: { physicianObserved: number; rows: OpeRow[]; unseenPairs: number };
  timings: { totalMs: number; backend: string };
}

/** A memoryless agent's greedy action for each of the 144 observations. */
function memorylessPolicy(agent: SepsisAgent): Uint8Array {
  const x = new Float32Array(N_OBS * N_INPUT);
  for (let o = 0; o < N_OBS; o++) encodeObs(o, x, o * N_INPUT);
  const lp = noGrad(() => F.logSoftmax(agent.pi.forward(agent.features(new Tensor(x, [1, N_OBS, N_INPUT])))).data);
  return Uint8Array.from({ length: N_OBS }, (_, o) => {
    let best = 0;
    for (let a = 1; a < N_ACTIONS; a++) if (lp[o * N_ACTIONS + a]! > lp[o * N_ACTIONS + best]!) best = a;
    return best;
  });
}

function settingsOf(o: SepsisOptions): SepsisResult['settings'] {
  const learner = o.learner ?? 'dagger', ppo = learner === 'ppo';
  const s = {
    rules: o.rules ?? 'master', learner, seed: o.seed ?? 0, seeds: o.seeds ?? 3, hidden: o.hidden ?? (ppo ? 32 : 64), iterations: o.iterations ?? (ppo ? 500 : 80), batch: o.batch ?? 256,
    lr: o.lr ?? (ppo ? 1e-3 : 3e-3), entropy: o.entropy ?? 0.05, evalEpisodes: o.evalEpisodes ?? 10000, opeTrajectories: o.opeTrajectories ?? 1000, teacherEpisodes: o.teacherEpisodes ?? 2000, bootstrap: o.bootstrap ?? 100, sweeps: o.sweeps ?? 10, boundTrials: o.boundTrials ?? 500,
  } as const;
  const ints = [s.seeds, s.hidden, s.iterations, s.batch, s.evalEpisodes, s.opeTrajectories, s.bootstrap, s.sweeps, s.teacherEpisodes];
  if (!ints.every((v) => Number.isInteger(v) && v >= 1) || !(Number.isInteger(s.boundTrials) && s.boundTrials >= 0) || !(s.lr > 0) || !(s.entropy >= 0) || s.evalEpisodes < 2) {
    throw new ValueError('runSepsis', 'positive integers for seeds, hidden, iterations, batch, evalEpisodes (≥ 2), opeTrajectories, bootstrap, sweeps and teacherEpisodes; a non-negative integer boundTrials; lr > 0; entropy ≥ 0', JSON.stringify(s));
  }
  return { ...s };
}

/**
 * Run the study.
 * @example const r = runSepsis({ seeds: 1, iterations: 50 }); console.log(r.agents.map((a) => a.value.mean));
 */
export function runSepsis(o: SepsisOptions = {}): SepsisResult {
  const t0 = performance.now();
  const st = settingsOf(o);
  const say = (line: string): void => o.onProgress?.(line);
  const rng = new Rng(st.seed);
  const m = buildModel(st.rules);
  const opt = optimalFiniteHorizon(m);
  const physician = valueIteration(m, 0.99).policy;
  const mem = bestMemoryless(m, physician, { sweeps: st.sweeps });
  const qmdp = meanSe(playBelief(m, (t, ob, b) => qmdpAction(opt.Q, b, ob, t), st.evalEpisodes, rng.fork()));
  const teacher = buildTeacher(m, opt, mem.policy, rng.fork(), { episodes: st.teacherEpisodes });
  const bounds = tightenBounds(m, teacher.om, teacher.G, teacher.P, st.boundTrials);
  say(`bounds: PBVI ${teacher.lowerBound.toFixed(4)}, with HSVI ${bounds.lower.toFixed(4)}; upper ${teacher.upperBound.toFixed(4)} → ${bounds.upper.toFixed(4)}`);
  // The PBVI plans' policy has the exact value teacher.lowerBound: the reference of every paired estimate.
  const refOn = (U: Uniforms): Float64Array => playPlans(m, teacher.G, U.n, rng, crnEnv(m, U));
  const teacherU = new Uniforms(st.evalEpisodes, rng.fork());
  const teacherValue = pairedEstimate(playBelief(m, teacher.policy, st.evalEpisodes, rng, { env: crnEnv(m, teacherU) }), refOn(teacherU), teacher.lowerBound);
  const exact = [
    { name: 'full-information optimum (20 steps)', value: opt.value, how: 'exact' },
    { name: 'best policy on the observation history: upper bound (fast informed bound)', value: teacher.upperBound, how: 'exact' },
    { name: `best policy on the observation history: upper bound (sawtooth, backed up at the PBVI points and ${st.boundTrials} HSVI trials)`, value: bounds.upper, how: 'exact' },
    { name: "PBVI belief policy: the best α-vector's action at the exact belief (the DAgger teacher)", value: teacherValue.paired.mean, how: `paired with the PBVI plans on ${st.evalEpisodes} episodes, ± ${teacherValue.paired.se.toFixed(4)} (plain Monte Carlo ${teacherValue.plain.mean.toFixed(4)} ± ${teacherValue.plain.se.toFixed(4)})` },
    { name: `best policy on the observation history: lower bound (PBVI plans, ${teacher.points} belief points)`, value: teacher.lowerBound, how: 'exact' },
    { name: `best policy on the observation history: lower bound (the same plans and those of the ${st.boundTrials} HSVI trials)`, value: bounds.lower, how: 'exact' },
    { name: 'γ = 0.99 stationary optimal policy', value: evaluatePolicy(m, deterministic(physician)), how: 'exact' },
    { name: 'physician: its ε = 0.05 soft version', value: evaluatePolicy(m, epsSoft(physician, 0.05)), how: 'exact' },
    { name: `QMDP on the exact belief (sees what the agent sees)`, value: qmdp.mean, how: `Monte Carlo, ${st.evalEpisodes} episodes, ± ${qmdp.se.toFixed(3)}` },
    { name: `best memoryless policy on the 144 observations (coordinate ascent, ${mem.sweeps} sweeps)`, value: mem.value, how: 'exact (a lower bound on the memoryless optimum)' },
    { name: 'uniform random', value: evaluatePolicy(m, uniformPolicy), how: 'exact' },
    { name: 'never treat', value: evaluatePolicy(m, neverTreat), how: 'exact' },
  ];
  say(`exact values: ${exact.map((e) => e.value.toFixed(3)).join(', ')}`);
  const agents: AgentScore[] = [];
  const firstPair: Partial<Record<'gru' | 'memoryless', SepsisAgent>> = {};
  for (let k = 0; k < st.seeds; k++) {
    for (const kind of ['gru', 'memoryless'] as const) {
      const base = { kind, hidden: st.hidden, iterations: st.iterations, batch: st.batch, lr: st.lr, evalEpisodes: 1000, evalEvery: Math.max(1, Math.floor(st.iterations / 20)), rng: new Rng(st.seed * 1000 + k), onProgress: say };
      const r = st.learner === 'ppo' ? trainAgent(m, { ...base, entropy: st.entropy }) : trainDagger(m, teacher.policy, { ...base, evalEpisodes: 2000, steps: 20, minibatch: 128 });
      const U = new Uniforms(st.evalEpisodes, new Rng(st.seed * 1000 + 500 + k));
      const est = pairedEstimate(rollout(r.agent, crnEnv(m, U), U.n, rng, { greedy: true }).ret, refOn(U), teacher.lowerBound);
      const value = est.plain;
      const score: AgentScore = { kind, seed: k, value, paired: est.paired, corr: est.corr, bestIteration: r.best.iteration, curve: r.curve };
      if (kind === 'memoryless') score.exact = evaluateObsPolicy(m, memorylessPolicy(r.agent));
      agents.push(score);
      firstPair[kind] ??= r.agent;
      say(`${kind} seed ${k}: true value ${value.mean.toFixed(4)} ± ${value.se.toFixed(4)}, paired ${est.paired.mean.toFixed(4)} ± ${est.paired.se.toFixed(4)} (${st.evalEpisodes} episodes)`);
    }
  }
  const gru = firstPair.gru!, memAgent = firstPair.memoryless!;
  const e = rollout(gru, simulatorEnv(m), 4000, rng.fork(), { keepFeatures: true });
  const rows = beliefRows(m, e);
  const probeOut = [
    { features: `GRU state (H=${st.hidden})`, scores: probe(designFrom(e.features!, st.hidden, rows), st.hidden, rows) },
    { features: `memoryless agent's hidden layer (H=${st.hidden})`, scores: probe(designFrom(featuresOf(memAgent, e), st.hidden, rows), st.hidden, rows) },
    { features: 'one-hot of the current observation (144)', scores: probe(designFrom(observationOneHot(m, e), N_OBS, rows), N_OBS, rows) },
  ];
  say('probes fitted');
  const ope = runOpe(m, physician, { gru, memAgent, memPolicy: mem.policy, agents, st, rng: rng.fork() });
  return { settings: st, exact, agents, probe: probeOut, probeRows: rows.at.length, ope, timings: { totalMs: performance.now() - t0, backend: getBackend().name } };
}

function runOpe(m: SepsisModel, physician: Uint8Array, c: { gru: SepsisAgent; memAgent: SepsisAgent; memPolicy: Uint8Array; agents: AgentScore[]; st: SepsisResult['settings']; rng: Rng }): SepsisResult['ope'] {
  const data = behaviourData(m, epsSoft(physician, 0.05), c.st.opeTrajectories, c.rng.fork());
  const om = fitObsModel(data);
  const rl = solveObsModel(om);
  const B = c.st.bootstrap;
  const memPolicyRow = (name: string, pi: Uint8Array): OpeRow => {
    const w = wis(data, memorylessActions(pi));
    return {
      policy: name, trueValue: evaluateObsPolicy(m, pi), wis: w.value, wisEffectiveN: w.effectiveN, modelBased: modelValue(om, pi),
      wisCi: bootstrap(data, (d) => wis(d, memorylessActions(pi)).value, B, c.rng.fork()),
      modelBasedCi: bootstrap(data, (d) => modelValue(fitObsModel(d), pi), B, c.rng.fork()),
    };
  };
  const gruActions = new Map(data.map((tr) => [tr, agentActions(c.gru, tr)]));
  const gw = wis(data, (tr) => gruActions.get(tr)!);
  const gruTrue = c.agents.find((a) => a.kind === 'gru')!.value.mean;
  const rows: OpeRow[] = [
    memPolicyRow("RL policy learned from the data (value iteration in the fitted 144-observation model, the paper's pipeline)", rl),
    memPolicyRow('best memoryless policy (coordinate ascent on the true model)', c.memPolicy),
    memPolicyRow('memoryless agent (seed 0), greedy', memorylessPolicy(c.memAgent)),
    {
      policy: 'recurrent GRU agent (seed 0), greedy', trueValue: gruTrue, wis: gw.value, wisEffectiveN: gw.effectiveN,
      modelBased: agentModelValue(c.gru, om, c.st.evalEpisodes, c.rng.fork()),
      wisCi: bootstrap(data, (d) => wis(d, (tr) => gruActions.get(tr)!).value, B, c.rng.fork()), modelBasedCi: [NaN, NaN],
    },
  ];
  let unseen = 0;
  for (let r = 0; r < om.count.length; r++) unseen += +(om.count[r] === 0);
  return { physicianObserved: data.reduce((a, tr) => a + tr.ret, 0) / data.length, rows, unseenPairs: unseen };
}
