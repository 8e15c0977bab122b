import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/util/rng.js';
import { buildModel, evaluateObsPolicy, N_OBS } from '../src/recipes/sepsis/index.js';
import { addPoint, emptyPoints, exactBeliefValue, hiddenModel, pbvi, playBelief, playPlans, rootValue } from '../src/recipes/sepsis/pomdp.js';
import { Uniforms, crnEnv, meanSe, pairedEstimate } from '../src/recipes/sepsis/crn.js';
import { maxMinMargin } from '../src/recipes/sepsis/lp.js';
import { prune, solveExact } from '../src/recipes/sepsis/exact-pomdp.js';

const m = buildModel('master');
const om = hiddenModel(m);

/** Two memoryless policies (observation index = 48·HR + 16·BP + 8·O₂ + treatments): antibiotics when HR or BP is abnormal; the same plus ventilation for low O₂. */
const policyA = Uint8Array.from({ length: N_OBS }, (_, o) => { const hr = Math.floor(o / 48), bp = Math.floor(o / 16) % 3; return hr !== 1 || bp !== 1 ? 4 : 0; });
const policyB = Uint8Array.from({ length: N_OBS }, (_, o) => { const o2 = Math.floor(o / 8) % 2; return policyA[o]! + (o2 === 0 ? 2 : 0); });
const play = (pi: Uint8Array, U: Uniforms): Float64Array => playBelief(m, (_t, o) => pi[o]!, U.n, new Rng(0), { env: crnEnv(m, U) });

test('common random numbers: the same table gives the same episodes, and the draws do not depend on the policy', () => {
  const U = new Uniforms(300, new Rng(3));
  assert.deepEqual(play(policyA, U), play(policyA, U));
  const env = crnEnv(m, U);
  for (let i = 0; i < 300; i++) assert.equal(env.initial(new Rng(i), i), env.initial(new Rng(i + 1), i));
});

test('the paired estimate is unbiased for a policy whose exact value is known, and tighter than plain Monte Carlo', () => {
  const vA = evaluateObsPolicy(m, policyA), vB = evaluateObsPolicy(m, policyB);
  assert.ok(Math.abs(vA - vB) > 0.01, `the two policies should differ: ${vA} vs ${vB}`);
  const rng = new Rng(11), est: number[] = [];
  let pairedSe = 0, plainSe = 0;
  for (let r = 0; r < 20; r++) {
    const U = new Uniforms(500, rng.fork());
    const p = pairedEstimate(play(policyA, U), play(policyB, U), vB);
    est.push(p.paired.mean); pairedSe += p.paired.se / 20; plainSe += p.plain.se / 20;
  }
  const over = meanSe(est);
  assert.ok(Math.abs(over.mean - vA) < 3 * over.se, `mean of 20 paired estimates ${over.mean} ± ${over.se} vs exact ${vA}`);
  assert.ok(pairedSe < 0.8 * plainSe, `paired se ${pairedSe} vs plain ${plainSe}`);
});

test("the PBVI plans' policy scores its exact value (rootValue) in the simulator", () => {
  const H = 3, P = emptyPoints(H);
  let n = 0;
  exactBeliefValue(m, om, H, (t, o, b) => { if (n++ % 5 === 0) addPoint(P, t, o, b, 3); });
  const G = pbvi(m, om, P, policyA, H);
  const v = rootValue(m, G), U = new Uniforms(20000, new Rng(5), H);
  const ret = meanSe(playPlans(m, G, U.n, new Rng(0), crnEnv(m, U)));
  assert.ok(Math.abs(ret.mean - v) < 3 * ret.se, `plans ${ret.mean} ± ${ret.se} vs exact ${v}`);
  assert.ok(v > evaluateObsPolicy(m, policyA, H) + 1e-3, 'the plans should improve on the memoryless seed');
});

test('the margin LP finds the best belief: its witness attains the margin and no belief on a grid beats it', () => {
  const rng = new Rng(2);
  for (let trial = 0; trial < 20; trial++) {
    const K = 1 + rng.int(8);
    const d = Array.from({ length: K }, () => Float64Array.from({ length: 3 }, () => rng.random() * 2 - 1));
    const { delta, b } = maxMinMargin(d, 3);
    const at = (x: number[]) => Math.min(...d.map((v) => v[0]! * x[0]! + v[1]! * x[1]! + v[2]! * x[2]!));
    assert.ok(Math.abs(at([...b]) - delta) < 1e-9 && Math.abs(b[0]! + b[1]! + b[2]! - 1) < 1e-12);
    for (let i = 0; i <= 50; i++) for (let j = 0; i + j <= 50; j++) assert.ok(at([i / 50, j / 50, 1 - (i + j) / 50]) <= delta + 1e-9);
  }
});

test('pruning keeps exactly the vectors that are best somewhere', () => {
  const V = [[1, 0], [0, 1], [0.6, 0.6], [0.4, 0.4], [0.5, 0.5]].map((v) => Float64Array.from(v));
  assert.deepEqual(prune(V, [0, 1]).map((v) => [...v]).sort(), [[0, 1], [0.6, 0.6], [1, 0]].sort());
  // On the support {0} only the first coordinate matters.
  assert.deepEqual(prune(V, [0]).map((v) => [...v]), [[1, 0]]);
});

test('exact α-vector value iteration with pruning equals exact belief DP on a short horizon', () => {
  const H = 3;
  const r = solveExact(m, om, { H });
  assert.ok(Math.abs(r.value - exactBeliefValue(m, om, H)) < 1e-9, `${r.value}`);
});
