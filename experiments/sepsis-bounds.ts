/**
 * Bounds on the best policy on the observation history of the sepsis POMDP (README "The ceiling"):
 *   npx tsx experiments/sepsis-bounds.ts exact [budgetS=240]   exact α-vector value iteration, vectors per stage until the budget
 *   npx tsx experiments/sepsis-bounds.ts hsvi [trials=1500]     seed 0's teacher, the upper bound swept at its points, then HSVI trials
 *   npx tsx experiments/sepsis-bounds.ts greedy [rounds=4]      the same, then rounds of belief points from the upper-bound-greedy
 *                                                              policy and the current PBVI policy (2,000 episodes each, 5 % random
 *                                                              actions), PBVI and the upper-bound sweep redone after each round
 *   npx tsx experiments/sepsis-bounds.ts greedy 6 --save F    the same, and the belief points and upper-bound points written to F
 *   npx tsx experiments/sepsis-bounds.ts tree [k=3] --load F [upper]
 *                                                              the upper bound of F, then the belief tree from the start expanded
 *                                                              exactly for 0..k steps with that bound at the leaves (root bound per k);
 *                                                              unless `upper`, the same with PBVI's plans (on F's points) at the leaves
 *   npx tsx experiments/sepsis-bounds.ts lower [rounds=2] --load F [eps=0.05] [episodes=4000] [cap=+100 a round]
 *                                                              PBVI on F's belief points, then rounds of points from the plans'
 *                                                              own episodes (eps random actions), PBVI redone; exact plan value per round
 *   npx tsx experiments/sepsis-bounds.ts upper [rounds=2] --load F [G] [reveal=0]
 *                                                              rounds of points from the upper-bound-greedy policy (and, with reveal 1,
 *                                                              its beliefs when told the diabetes value), corner values backed up too;
 *                                                              the points and bound written to G after every round
 *   ... --episodes N --explore E --tol D --cap-step C       (upper) each round plays N episodes (default 2,000) with E random
 *                                                              actions (0.05), adds beliefs ≥ D apart in L1 (0.01), and allows C more
 *                                                              points per (t, o) than the loaded largest cell (40)
 *   ... --seed S                                             (upper) the episodes' random stream (default 79; a run continuing
 *                                                              another's file needs another seed, or it replays the same episodes)
 *   ... --sweep0 0                                           (upper) take the loaded bound as it is in round 0 (no sweep)
 *   ... --hsvi T [--eps E]                                   (upper) T HSVI trials (stopping where P(reach)·gap ≤ E, default 1e-4)
 *                                                              after every round's sweep, on PBVI of F's points; round 0 then takes
 *                                                              the loaded bound as it is, without a sweep
 *   ... --tail k [--expand e]                               (modes with --load) the upper bound: the last k ≤ 3 steps valued by the
 *                                                              exact α-vector sets, the e steps before them by the exact backup over
 *                                                              them; (lower) PBVI takes the exact sets for the last k steps
 *   ... --lp K                                               (tree, upper, lpcheck) the loaded upper bound interpolates by the LP
 *                                                              combination of the K points best by the sawtooth instead of the sawtooth
 *   ... --workers W                                          (upper) the sweeps run on W worker threads (cells of a step split between
 *                                                              them; the same bits as one thread)
 *   ... --price R                                            (with --lp K) then R rounds of pricing in the cell's other points (column
 *                                                              generation: every point with a positive reduced cost joins, the LP is solved again)
 *   npx tsx experiments/sepsis-bounds.ts lpcheck [n=200] --load F [K,K:R,...]
 *                                                              (K:R = K then R rounds of pricing) at the next beliefs, before the exact
 *                                                              tail, of n random stored points (a random action, every
 *                                                              next observation): the sawtooth and the LP with each K (Infinity: all
 *                                                              points, priced in from the best 32) against one LP over all the cell's
 *                                                              points, and the time per evaluation
 *   ... --siblings s                                         (upper) before round 0's sweep, two siblings of every belief point
 *                                                              before the exact tail: the same glucose shape at P(diabetic) π ± s·min(π, 1 − π)
 *   npx tsx experiments/sepsis-bounds.ts siblings [n=200] --load F [s=0.25]
 *                                                              at lpcheck's evaluations: how much the bound falls when the queried
 *                                                              cells' points get those siblings (backed up over the loaded bound)
 *   npx tsx experiments/sepsis-bounds.ts slack [n=500] --load F
 *                                                              n episodes of the policy greedy on F's bound: per step the mean slack
 *                                                              UB(t, b) − max_a Q_UB(t, b, a) (their sum + the policy's value = the
 *                                                              root bound), and how much of it lies within 0.01 of a stored belief
 * The optimum does not depend on the seed, so any seed's bounds bound it; seed 0 is the tuning seed.
 */
import { Rng } from '../src/util/rng.js';
import { HORIZON, N_ACTIONS, buildModel } from '../src/recipes/sepsis/simulator.js';
import { bestMemoryless, optimalFiniteHorizon, valueIteration } from '../src/recipes/sepsis/exact.js';
import { N_HIDDEN, initialBelief } from '../src/recipes/sepsis/filter.js';
import { ALPHA_ACTION, addPoint, bestAlpha, buildTeacher, dot, exactBeliefValue, hiddenModel, initialObs, pbvi, playBelief, rootValue, rowTimes, type BeliefPoints, type BeliefPolicy, type HiddenModel } from '../src/recipes/sepsis/pomdp.js';
import { hsvi, qUpper, ubSweep, ubValue, upperBound } from '../src/recipes/sepsis/hsvi.js';
import { exactTail, solveExact } from '../src/recipes/sepsis/exact-pomdp.js';
import { SweepPool, loadBound, saveBound, type BoundOptions } from './sepsis-state.js';

const argv = process.argv.slice(2);
/** A `--name value` option, taken out of argv. */
const option = (name: string, fallback: number): number => { const i = argv.indexOf(name); return i >= 0 ? Number(argv.splice(i, 2)[1]) : fallback; };
const lpK = option('--lp', 0), priceRounds = option('--price', 0), hsviTrials = option('--hsvi', 0), hsviEps = option('--eps', 1e-4);
const tailK = option('--tail', 0), expandE = option('--expand', 0), siblingShift = option('--siblings', 0), workers = option('--workers', 1);
const seed = option('--seed', 79), sweep0 = option('--sweep0', 1), capStep = option('--cap-step', 40), greedyExplore = option('--explore', 0.05), tol = option('--tol', 0.01), episodes = option('--episodes', 2000);
const [mode, arg, flag, file, ...rest] = argv;
const t0 = performance.now();
const say = (s: string): void => console.log(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${s}`);
const m = buildModel('master');

const boundOpts: BoundOptions = { lp: lpK, price: priceRounds, tail: tailK, expand: expandE };
const load = (path: string): ReturnType<typeof loadBound> => loadBound(path, boundOpts);

/**
 * Give every belief point before step `until` two siblings of the same glucose shape (the distribution of glucose given each
 * diabetes value) at P(diabetic) = π ± s·min(π, 1 − π): along π the value is convex, so the LP combination can then cover a
 * belief between them exactly instead of leaving the difference to the corners. Returns how many were added.
 */
function addSiblings(P: BeliefPoints, until: number, s: number): number {
  let added = 0;
  for (let t = 0; t < until; t++) for (const cell of P[t]!) for (const p of cell.slice()) for (const b of siblings(p, s)) { cell.push(b); added++; }
  return added;
}

/** The two siblings of belief p (none when P(diabetic) is 0 or 1): its glucose shape at π ± s·min(π, 1 − π). */
function siblings(p: Float64Array, s: number): Float64Array[] {
  const pi = p.subarray(5).reduce((x, y) => x + y, 0);
  if (pi <= 1e-9 || pi >= 1 - 1e-9) return [];
  return [-1, 1].map((sgn) => {
    const q = pi + sgn * s * Math.min(pi, 1 - pi);
    return p.map((v, h) => (h < 5 ? (v * (1 - q)) / (1 - pi) : (v * q) / pi));
  });
}

/** n evaluation places for lpcheck / siblings: the next beliefs (every next observation) of random stored points before step tEnd under a random action. */
function sampleEvals(P: BeliefPoints, om: HiddenModel, n: number, tEnd: number, rng: Rng): [number, number, Float64Array][] {
  const evals: [number, number, Float64Array][] = [];
  while (evals.length < n) {
    const t = rng.int(tEnd), o = rng.int(P[t]!.length), cell = P[t]![o]!;
    if (!cell.length) continue;
    const b = cell[rng.int(cell.length)]!, a = rng.int(N_ACTIONS);
    for (const { o2, M } of om.branches[o * N_ACTIONS + a]!) { const nb = rowTimes(b, M, new Float64Array(N_HIDDEN)); if (nb.some((x) => x > 0)) evals.push([t + 1, o2, nb]); }
  }
  return evals;
}

/** The action with the largest Q (the first on ties). */
function argmax(q: ArrayLike<number>): number {
  let a = 0;
  for (let k = 1; k < q.length; k++) if (q[k]! > q[a]!) a = k;
  return a;
}

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
    const ubPolicy: BeliefPolicy = (t, o, b) => argmax(qUpper(om, ub, t, o, b));
    for (let r = 1; r <= Number(arg ?? 4); r++) {
      let added = 0;
      const visit = (t: number, o: number, b: Float64Array): void => { const n = P[t]![o]!.length; addPoint(P, t, o, b, 20 + 40 * (4 + r), 0.01); added += P[t]![o]!.length - n; };
      const ret = playBelief(m, ubPolicy, 2000, explore.fork(), { explore: 0.05, visit });
      const current = G;
      playBelief(m, (t, o, b) => ALPHA_ACTION.get(bestAlpha(current[t]![o]!, b).alpha)!, 2000, explore.fork(), { explore: 0.05, visit });
      G = pbvi(m, om, P, mem.policy);
      ubSweep(om, ub, P);
      say(`round ${r}: upper-bound-greedy policy ${(ret.reduce((a, v) => a + v, 0) / ret.length).toFixed(3)} (Monte Carlo), +${added} points, bounds [${rootValue(m, G).toFixed(5)}, ${rootUb().toFixed(5)}]`);
      if (flag === '--save') saveBound(file!, P, ub);
    }
  }
} else if (mode === 'lower' && flag === '--load') {
  const [eps, plays, perRound] = [Number(rest[0] ?? 0.05), Number(rest[1] ?? 4000), Number(rest[2] ?? 100)];
  const { P } = load(file!), om = hiddenModel(m), mem = bestMemoryless(m, valueIteration(m, 0.99).policy, { sweeps: 10 });
  const count = (): number => P.flat().reduce((s, c) => s + c.length, 0);
  const tail = tailK ? exactTail(m, om, HORIZON, tailK) : [];
  let G = pbvi(m, om, P, mem.policy, HORIZON, tail);
  const cap0 = Math.max(...P.flat().map((c) => c.length)), explore = new Rng(78);
  say(`PBVI on ${count()} loaded points (cap ${cap0}): lower bound ${rootValue(m, G).toFixed(6)}, ${G.flat().reduce((s, c) => s + c.length, 0)} distinct vectors`);
  for (let r = 1; r <= Number(arg ?? 2); r++) {
    const current = G;
    playBelief(m, (t, o, b) => ALPHA_ACTION.get(bestAlpha(current[t]![o]!, b).alpha)!, plays, explore.fork(), { explore: eps, visit: (t, o, b) => addPoint(P, t, o, b, cap0 + perRound * r, 0.01) });
    G = pbvi(m, om, P, mem.policy, HORIZON, tail);
    say(`round ${r}: ${count()} points, lower bound ${rootValue(m, G).toFixed(5)} (exact value of the plans)`);
  }
} else if (mode === 'upper' && flag === '--load') {
  const { P, ub } = load(file!), om = hiddenModel(m), p0 = initialObs(m), explore = new Rng(seed);
  const rootUb = (): number => p0.reduce((acc, p, o) => acc + (p ? p * ubValue(ub, 0, o, initialBelief(m, o)) : 0), 0);
  const ubPolicy: BeliefPolicy = (t, o, b) => argmax(qUpper(om, ub, t, o, b));
  const cap = Math.max(...P.flat().map((c) => c.length));
  const G = hsviTrials ? pbvi(m, om, P, bestMemoryless(m, valueIteration(m, 0.99).policy, { sweeps: 10 }).policy) : null;
  say(`loaded: upper bound ${rootUb().toFixed(5)}${G ? `, PBVI lower bound ${rootValue(m, G).toFixed(5)}` : ''}`);
  const pool = workers > 1 ? await SweepPool.start(file!, boundOpts, workers, P) : null;
  if (pool) say(`${workers} sweep workers loaded the same file`);
  for (let r = 0; r <= Number(arg ?? 2); r++) {
    if (r > 0) {
      const visit = (t: number, o: number, b: Float64Array): void => addPoint(P, t, o, b, cap + capStep * r, tol);
      playBelief(m, ubPolicy, episodes, explore.fork(), { explore: greedyExplore, visit });
      if (rest[1] === '1') playBelief(m, ubPolicy, episodes, explore.fork(), { explore: greedyExplore, visit, reveal: true });
    }
    if (r === 0 && siblingShift) say(`+${addSiblings(P, ub.exactFrom, siblingShift)} sibling points`);
    const sweepOpts = { corners: true, onStep: (t: number): void => { if (t % 4 === 0) say(`  sweeping t = ${t}`); } };
    if (r > 0 || (sweep0 && !G)) { if (pool) await pool.sweep(P, ub, sweepOpts); else ubSweep(om, ub, P, sweepOpts); }
    const told = p0.reduce((acc, p, o) => acc + (p ? p * [false, true].reduce((x, d) => x + ubValue(ub, 0, o, initialBelief(m, o).map((v, h) => (h >= 5 === d ? v : 0))), 0) : 0), 0);
    say(`round ${r}: ${P.flat().reduce((s, c) => s + c.length, 0)} points, upper bound with corners backed up ${rootUb().toFixed(5)}; told the diabetes value at the start ≤ ${told.toFixed(5)}`);
    if (G) {
      const x = hsvi(m, om, G, { trials: hsviTrials, eps: hsviEps, ub, onTrial: (k, y) => { if (k % 250 === 0) { say(`  ${k} HSVI trials: [${y.lower.toFixed(5)}, ${y.upper.toFixed(5)}]`); if (rest[0]) saveBound(rest[0], P, ub); } } });
      say(`  then ${x.trials} HSVI trials: [${x.lower.toFixed(5)}, ${x.upper.toFixed(5)}]`);
    }
    if (rest[0]) saveBound(rest[0], P, ub);
  }
  await pool?.close();
} else if (mode === 'tree' && flag === '--load') {
  const { P, ub } = load(file!), om = hiddenModel(m), mem = bestMemoryless(m, valueIteration(m, 0.99).policy, { sweeps: 10 });
  say(`loaded ${ub.pts.flat().reduce((s, c) => s + c.length, 0)} upper-bound points`);
  const G = rest[0] === 'upper' ? null : pbvi(m, om, P, mem.policy);
  if (G) say(`PBVI on the ${P.flat().reduce((s, c) => s + c.length, 0)} belief points`);
  for (let k = 0; k <= Number(arg ?? 3); k++) {
    let nodes = 0;
    const v = exactBeliefValue(m, om, HORIZON, () => nodes++, { depth: k, bound: (t, o, b) => ubValue(ub, t, o, b) });
    say(`belief tree expanded for ${k} steps (${nodes} nodes): upper bound ${v.toFixed(5)}`);
    if (!G) continue;
    const l = exactBeliefValue(m, om, HORIZON, undefined, { depth: k, bound: (t, o, b) => bestAlpha(G[t]![o]!, b).v, lower: true });
    say(`  optimal for ${k} steps, then the best PBVI plan: ${l.toFixed(5)} (exact value, a lower bound)`);
  }
} else if (mode === 'lpcheck' && flag === '--load') {
  // K or K:R (R rounds of pricing after the K best); evaluations only where the bound interpolates (before the exact tail)
  const { P, ub } = load(file!), Ks = (rest[0] ?? '1,8,16,32,64,Infinity').split(',').map((k) => k.split(':').map(Number) as [number, number?]);
  const evals = sampleEvals(P, hiddenModel(m), Number(arg ?? 200), Math.min(HORIZON, ub.exactFrom) - 1, new Rng(80));
  const run = (K: number, R = 0): { v: number[]; us: number } => {
    ub.lp = K; ub.price = R;
    const s0 = performance.now(), v = evals.map(([t, o, b]) => ubValue(ub, t, o, b));
    return { v, us: ((performance.now() - s0) * 1000) / evals.length };
  };
  const full = run(1e9), size = evals.reduce((s, [t, o]) => s + ub.pts[t]![o]!.length, 0) / evals.length;
  say(`${evals.length} evaluations, ${size.toFixed(0)} stored points per cell on average; the LP over all of them at once ${full.us.toFixed(0)} µs each`);
  for (const [K, R] of [[0], ...Ks, [0]] as [number, number?][]) {
    const r = run(K, R), gap = r.v.map((v, i) => v - full.v[i]!), scale = evals.map(([, , b]) => b.reduce((x, y) => x + y, 0));
    const rel = gap.map((g, i) => g / scale[i]!);
    say(`${K ? `LP, K = ${K}${R ? `, ${R} round${R > 1 ? 's' : ''} of pricing` : ''}` : 'sawtooth'}: ${r.us.toFixed(1)} µs each; above the full LP by ${(rel.reduce((x, y) => x + y, 0) / rel.length).toExponential(2)} on average (per unit of belief mass), at most ${Math.max(...rel).toExponential(2)}; equal (1e-12) at ${gap.filter((g) => Math.abs(g) < 1e-12).length}; below it by more than 1e-12 at ${gap.filter((g) => g < -1e-12).length}`);
  }
} else if (mode === 'siblings' && flag === '--load') {
  // Per evaluation (as lpcheck's), how much the bound falls when every point of the queried cell gets siblings of the same
  // glucose shape at P(diabetic) shifted by ±s·min(π, 1 − π), each backed up over the (unchanged) bound one step ahead.
  const { P, ub } = load(file!), om = hiddenModel(m), shift = Number(rest[0] ?? 0.25);
  const evals = sampleEvals(P, om, Number(arg ?? 200), ub.exactFrom - 1, new Rng(80));
  const before = evals.map(([t, o, b]) => ubValue(ub, t, o, b)), done = new Set<string>();
  let added = 0;
  for (const [t, o] of evals) {
    if (done.has(`${t},${o}`) || t >= ub.exactFrom) continue;
    done.add(`${t},${o}`);
    for (const p of ub.pts[t]![o]!.slice()) for (const b of siblings(p.b, shift)) {
      ub.pts[t]![o]!.push({ b, d: Math.min(Math.max(...qUpper(om, ub, t, o, b)), ubValue(ub, t, o, b)) - dot(ub.corner[t]![o]!, b) });
      added++;
    }
  }
  const gain = evals.map(([t, o, b], i) => (before[i]! - ubValue(ub, t, o, b)) / b.reduce((x, y) => x + y, 0));
  say(`${evals.length} evaluations in ${done.size} cells, +${added} sibling points: the bound falls by ${(gain.reduce((x, y) => x + y, 0) / gain.length).toExponential(2)} per unit of belief mass on average, at most ${Math.max(...gain).toExponential(2)}; at ${gain.filter((g) => g > 1e-12).length} of them`);
} else if (mode === 'slack' && flag === '--load') {
  // UB(root) = V(π) + Σ_t E_π[UB(t, b) − max_a Q_UB(t, b, a)] for π greedy on the bound: where along its episodes the bound is loose.
  const { P, ub } = load(file!), om = hiddenModel(m), n = Number(arg ?? 500), slack = new Float64Array(HORIZON), near = new Float64Array(HORIZON);
  const greedy = (t: number, o: number, b: Float64Array): { a: number; q: number } => { const q = qUpper(om, ub, t, o, b), a = argmax(q); return { a, q: q[a]! }; };
  const ret = playBelief(m, (t, o, b) => greedy(t, o, b).a, n, new Rng(81), { visit: (t, o, b) => {
    const d = ubValue(ub, t, o, b) - greedy(t, o, b).q;
    slack[t]! += d / n;
    if (P[t]![o]!.some((c) => c.reduce((x, v, h) => x + Math.abs(v - b[h]!), 0) < 0.01)) near[t]! += d / n;
  } });
  say(`greedy on the bound: ${(ret.reduce((a, v) => a + v, 0) / n).toFixed(4)} (Monte Carlo, ${n} episodes); slack per step ${Array.from(slack, (v) => v.toFixed(4)).join(' ')} (sum ${slack.reduce((a, v) => a + v, 0).toFixed(4)}); of it within 0.01 of a stored belief ${near.reduce((a, v) => a + v, 0).toFixed(4)}`);
} else {
  console.error('usage: npx tsx experiments/sepsis-bounds.ts exact|hsvi|greedy [n] [--save F] | upper|lower|tree|lpcheck|siblings|slack [n] --load F … (the header of this file lists every mode and option)');
  process.exit(2);
}
