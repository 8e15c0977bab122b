/**
 * PPO fine-tuning of seed 0's DAgger GRU (README "Results": it did not help):
 *   npx tsx experiments/sepsis-ppo-finetune.ts [lr=1e-4] [iterations=150]
 * Seed 0's teacher and DAgger agent as `recur train --preset sepsis-pomdp --seed 0` builds them,
 * then PPO (clip 0.2, 4 epochs × 4 minibatches of 256 sampled episodes, no entropy bonus), the
 * greedy policy scored every 25 iterations by the paired estimate on 10,000 episodes.
 */
import { Adam, Rng } from '../src/index.js';
import { buildModel } from '../src/recipes/sepsis/simulator.js';
import { optimalFiniteHorizon, valueIteration, bestMemoryless } from '../src/recipes/sepsis/exact.js';
import { buildTeacher, playPlans } from '../src/recipes/sepsis/pomdp.js';
import { trainDagger } from '../src/recipes/sepsis/dagger.js';
import { rollout, simulatorEnv, ppoUpdate, type SepsisAgent } from '../src/recipes/sepsis/agent.js';
import { Uniforms, crnEnv, pairedEstimate } from '../src/recipes/sepsis/crn.js';
const t0 = performance.now(); const el = () => ((performance.now() - t0) / 1000).toFixed(0) + 's';
const m = buildModel('master'); const opt = optimalFiniteHorizon(m);
const mem = bestMemoryless(m, valueIteration(m, 0.99).policy, { sweeps: 10 });
const rng = new Rng(0);
rng.fork(); // runSepsis's forks: QMDP's episodes, the teacher, the teacher's evaluation
const teacher = buildTeacher(m, opt, mem.policy, rng.fork(), { episodes: 2000 });
rng.fork();
const r = trainDagger(m, teacher.policy, { kind: 'gru', hidden: 64, iterations: 80, batch: 256, lr: 3e-3, evalEpisodes: 2000, evalEvery: 4, steps: 20, minibatch: 128, rng: new Rng(0) });
const U = new Uniforms(10000, new Rng(500)); // seed 0's evaluation table for its first agent pair
const ref = playPlans(m, teacher.G, U.n, rng, crnEnv(m, U));
const score = (a: SepsisAgent) => { const p = pairedEstimate(rollout(a, crnEnv(m, U), U.n, rng, { greedy: true }).ret, ref, teacher.lowerBound); return `${p.paired.mean.toFixed(4)} ± ${p.paired.se.toFixed(4)} (plain ${p.plain.mean.toFixed(4)})`; };
console.log('lower bound', teacher.lowerBound.toFixed(4), 'DAgger GRU', score(r.agent), el());
const lr = +(process.argv[2] ?? 1e-4), iters = +(process.argv[3] ?? 150);
const adam = new Adam(r.agent.parameters(), { lr });
const act = new Rng(9);
for (let it = 1; it <= iters; it++) {
  const e = rollout(r.agent, simulatorEnv(m), 256, act);
  ppoUpdate(r.agent, adam, e, { epochs: 4, clip: 0.2, valueCoef: 0.5, maxGradNorm: 1, lambda: 0.95, minibatches: 4, entropy: 0 }, act);
  if (it % 25 === 0) console.log(`PPO it ${it} (lr ${lr}): sampled ${(e.ret.reduce((a, b) => a + b, 0) / 256).toFixed(3)}, greedy ${score(r.agent)} ${el()}`);
}
