/**
 * Bounds on the best policy on the observation history of the sepsis POMDP (README "The ceiling"):
 *   npx tsx experiments/sepsis-bounds.ts exact [budgetS=240]   exact α-vector value iteration, vectors per stage until the budget
 *   npx tsx experiments/sepsis-bounds.ts hsvi [trials=1500]     seed 0's teacher, the upper bound swept at its points, then HSVI trials
 *   npx tsx experiments/sepsis-bounds.ts greedy [rounds=4]      the same, then rounds of belief points from the upper-bound-greedy
 *                                                              policy and the current PBVI policy (2,000 episodes each, 5 % random
 *                                                              actions), PBVI and the upper-bound sweep redone after each round
 * The optimum does not depend on the seed, so any seed's bounds bound it; seed 0 is the tuning seed.
 */
import { Rng } from '../src/util/rng.js';
import { N_ACTIONS, buildModel } from '../src/recipes/sepsis/simulator.js';
import { bestMemoryless, optimalFiniteHorizon, valueIteration } from '../src/recipes/sepsis/exact.js';
import { initialBelief } from '../src/recipes/sepsis/filter.js';
import { ALPHA_ACTION, addPoint, bestAlpha, buildTeacher, hiddenModel, initialObs, pbvi, playBelief, rootValue, type BeliefPolicy } from '../src/recipes/sepsis/pomdp.js';
import { hsvi, qUpper, ubSweep, ubValue, upperBound } from '../src/recipes/sepsis/hsvi.js';
import { solveExact } from '../src/recipes/sepsis/exact-pomdp.js';

const [mode, arg] = process.argv.slice(2);
const t0 = performance.now();
const say = (s: string): void => console.log(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${s}`);
const m = buildModel('master');

if (mode === 'exact') {
  const r = solveExact(m, hiddenModel(m), { budgetS: Number(arg ?? 240), onStage: (t, c) => say(`Γ(${t}, ·): ${c.total} vectors, at most ${c.max} per observation`) });
  say(r.stoppedAt === undefined ? `V* = ${r.value}` : `stopped by the budget in Γ(${r.stoppedAt - 1}, ·) at observation ${r.stoppedAtObs} (of 144)`);
} else if (mode === 'hsvi' || mode === 'greedy') {
  const mem = bestMemoryless(m, valueIteration(m, 0.99).policy, { sweeps: 10 });
  const rng = new Rng(0);
  rng.fork(); // runSepsis's first fork (QMDP's episodes), so the teacher is seed 0's
  const teacher = buildTeacher(m, optimalFiniteHorizon(m), mem.policy, rng.fork(), { episodes: 2000 });
  say(`teacher: PBVI lower bound ${teacher.lowerBound.toFixed(5)}, ${teacher.points} points`);
  const om = teacher.om, ub = upperBound(om);
  ubSweep(om, ub, teacher.P);
  const p0 = initialObs(m);
  const rootUb = (): number => p0.reduce((acc, p, o) => acc + (p ? p * ubValue(ub, 0, o, initialBelief(m, o)) : 0), 0);
  say(`upper bound swept at the teacher's points: ${rootUb().toFixed(5)}`);
  if (mode === 'hsvi') {
    const G = teacher.G.map((row) => row.map((cell) => cell.slice()));
    hsvi(m, om, G, { trials: Number(arg ?? 1500), ub, onTrial: (k, x) => { if (k % 250 === 0) say(`${k} HSVI trials: [${x.lower.toFixed(5)}, ${x.upper.toFixed(5)}]`); } });
  } else {
    const P = teacher.P, explore = new Rng(77);
    let G = teacher.G;
    const ubPolicy: BeliefPolicy = (t, o, b) => { const q = qUpper(om, ub, t, o, b); let a = 0; for (let k = 1; k < N_ACTIONS; k++) if (q[k]! > q[a]!) a = k; return a; };
    for (let r = 1; r <= Number(arg ?? 4); r++) {
      let added = 0;
      const visit = (t: number, o: number, b: Float64Array): void => { const n = P[t]![o]!.length; addPoint(P, t, o, b, 20 + 40 * (4 + r), 0.01); added += P[t]![o]!.length - n; };
      const ret = playBelief(m, ubPolicy, 2000, explore.fork(), { explore: 0.05, visit });
      const current = G;
      playBelief(m, (t, o, b) => ALPHA_ACTION.get(bestAlpha(current[t]![o]!, b).alpha)!, 2000, explore.fork(), { explore: 0.05, visit });
      G = pbvi(m, om, P, mem.policy);
      ubSweep(om, ub, P);
      say(`round ${r}: upper-bound-greedy policy ${(ret.reduce((a, v) => a + v, 0) / ret.length).toFixed(3)} (Monte Carlo), +${added} points, bounds [${rootValue(m, G).toFixed(5)}, ${rootUb().toFixed(5)}]`);
    }
  }
} else {
  console.error('usage: npx tsx experiments/sepsis-bounds.ts exact|hsvi|greedy [n]');
  process.exit(2);
}
