import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/util/rng.js';
import {
  N_ACTIONS, N_FULL, buildModel, decode, encode, project, runEpisode, sampleAction, stepDistribution,
} from '../src/recipes/sepsis/simulator.js';
import {
  deterministic, epsSoft, evaluateObsPolicy, evaluatePolicy, neverTreat, onObservation, optimalFiniteHorizon, uniformPolicy, valueIteration,
} from '../src/recipes/sepsis/exact.js';

const master = buildModel('master');

test('index layout round-trips and the projection has 144 levels', () => {
  const seen = new Set<number>();
  for (let i = 0; i < N_FULL; i++) {
    assert.equal(encode(decode(i)), i);
    seen.add(project(decode(i)));
  }
  assert.equal(seen.size, 144);
  assert.deepEqual(decode(encode({ diab: 1, hr: 2, bp: 0, o2: 1, glu: 3, abx: 1, vaso: 0, vent: 1 })), { diab: 1, hr: 2, bp: 0, o2: 1, glu: 3, abx: 1, vaso: 0, vent: 1 });
});

test('every transition row is a probability distribution; treatments follow the action', () => {
  for (let r = 0; r < N_FULL * N_ACTIONS; r++) {
    let z = 0;
    for (let k = master.rowStart[r]!; k < master.rowStart[r + 1]!; k++) {
      z += master.prob[k]!;
      const t = decode(master.next[k]!);
      const a = r % N_ACTIONS;
      assert.deepEqual([t.abx, t.vent, t.vaso], [(a >> 2) & 1, (a >> 1) & 1, a & 1]);
      assert.equal(t.diab, decode(Math.floor(r / N_ACTIONS)).diab, 'diabetes never changes');
    }
    assert.ok(Math.abs(z - 1) < 1e-12, `row ${r} sums to ${z}`);
  }
  assert.ok(Math.abs(master.initial.reduce((a, b) => a + b, 0) - 1) < 1e-12);
});

test("the published code's glucose quirk: a non-diabetic's +1 glucose move from normal lands on low (master), on high (v2)", () => {
  const s = { diab: 0, hr: 1, bp: 1, o2: 1, glu: 2, abx: 0, vaso: 0, vent: 0 };
  const pGlu = (rules: 'master' | 'v2', g: number): number => stepDistribution(s, 0, rules).filter(([t]) => t.glu === g).reduce((a, [, p]) => a + p, 0);
  assert.ok(Math.abs(pGlu('master', 1) - 0.2) < 1e-12 && pGlu('master', 3) === 0);
  assert.ok(Math.abs(pGlu('v2', 1) - 0.1) < 1e-12 && Math.abs(pGlu('v2', 3) - 0.1) < 1e-12);
  // A diabetic on vasopressors: BP low → normal 0.5, → high 0.4; glucose +1 w.p. 0.5, no fluctuation.
  const d = stepDistribution({ ...s, diab: 1, bp: 0 }, 1, 'master');
  const p = (f: (t: typeof s) => boolean): number => d.filter(([t]) => f(t)).reduce((a, [, q]) => a + q, 0);
  assert.ok(Math.abs(p((t) => t.bp === 2) - 0.4) < 1e-12 && Math.abs(p((t) => t.glu === 3) - 0.5) < 1e-12 && p((t) => t.glu === 1) === 0);
});

test('exact values reproduce the derived table within 0.005 (master and sim-v2 rules)', () => {
  const table = { master: [0.449, 0.431, 0.318, -0.760, -0.808], v2: [0.580, 0.561, 0.463, -0.718, -0.759] };
  for (const rules of ['master', 'v2'] as const) {
    const m = rules === 'master' ? master : buildModel(rules);
    const pi = valueIteration(m, 0.99).policy;
    const got = [
      optimalFiniteHorizon(m).value, evaluatePolicy(m, deterministic(pi)), evaluatePolicy(m, epsSoft(pi, 0.05)),
      evaluatePolicy(m, uniformPolicy), evaluatePolicy(m, neverTreat),
    ];
    got.forEach((v, i) => assert.ok(Math.abs(v - table[rules][i]!) < 0.005, `${rules} #${i}: ${v.toFixed(4)} vs ${table[rules][i]}`));
  }
});

test('the sampler agrees with exact enumeration (ε-soft physician, 20,000 episodes, within 4 standard errors)', () => {
  const pi = valueIteration(master, 0.99).policy;
  const soft = epsSoft(pi, 0.05);
  const rng = new Rng(3);
  const n = 20000;
  let sum = 0, sq = 0;
  for (let i = 0; i < n; i++) {
    const r = runEpisode(master, (t, s) => sampleAction(soft(t, s), rng), rng).ret;
    sum += r; sq += r * r;
  }
  const mean = sum / n;
  const se = Math.sqrt((sq / n - mean * mean) / n);
  const exact = evaluatePolicy(master, soft);
  assert.ok(Math.abs(mean - exact) < 4 * se, `MC ${mean.toFixed(4)} ± ${se.toFixed(4)} vs exact ${exact.toFixed(4)}`);
});

test('the fast memoryless evaluator equals the generic one', () => {
  const rng = new Rng(5);
  const piObs = Uint8Array.from({ length: 144 }, () => rng.int(N_ACTIONS));
  assert.ok(Math.abs(evaluateObsPolicy(master, piObs) - evaluatePolicy(master, onObservation(master, piObs))) < 1e-12);
});
