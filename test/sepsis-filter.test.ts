import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/util/rng.js';
import { N_ACTIONS, buildModel, decode, sampleInitial, sampleNext } from '../src/recipes/sepsis/simulator.js';
import { N_HIDDEN, fullOf, initialBelief, meanGlucose, pDiabetic, updateBelief } from '../src/recipes/sepsis/filter.js';

const m = buildModel('master');

/** P(s' | s, a) read from the sparse table. */
function prob(s: number, a: number, j: number): number {
  const r = s * N_ACTIONS + a;
  for (let k = m.rowStart[r]!; k < m.rowStart[r + 1]!; k++) if (m.next[k] === j) return m.prob[k]!;
  return 0;
}

/** P(hidden at the last step | history) by summing the joint probability of every hidden path. */
function bruteForce(obs: number[], acts: number[]): Float64Array {
  const post = new Float64Array(N_HIDDEN);
  const walk = (t: number, s: number, w: number): void => {
    if (!w) return;
    if (t === obs.length - 1) { post[decode(s).diab * 5 + decode(s).glu]! += w; return; }
    for (let h = 0; h < N_HIDDEN; h++) {
      const j = fullOf(h, obs[t + 1]!);
      if (m.reward[j] === 0) walk(t + 1, j, w * prob(s, acts[t]!, j));
    }
  };
  for (let h = 0; h < N_HIDDEN; h++) walk(0, fullOf(h, obs[0]!), m.initial[fullOf(h, obs[0]!)]!);
  const z = post.reduce((a, b) => a + b, 0);
  return post.map((v) => v / z);
}

/** A random history of up to `len` non-terminal steps under uniform actions. */
function history(rng: Rng, len: number): { obs: number[]; acts: number[]; states: number[] } {
  let s = sampleInitial(m, rng);
  const obs = [m.obs[s]!], acts: number[] = [], states = [s];
  while (obs.length < len) {
    const a = rng.int(N_ACTIONS);
    const s2 = sampleNext(m, s, a, rng);
    if (m.reward[s2] !== 0) break;
    acts.push(a); obs.push(m.obs[s2]!); states.push(s2); s = s2;
  }
  return { obs, acts, states };
}

test('the Bayes filter equals enumeration over all hidden paths (histories of up to 4 observations)', () => {
  const rng = new Rng(21);
  let checked = 0;
  for (let i = 0; i < 40; i++) {
    const { obs, acts } = history(rng, 4);
    let b = initialBelief(m, obs[0]!);
    for (let t = 0; t < acts.length; t++) b = updateBelief(m, b, obs[t]!, acts[t]!, obs[t + 1]!);
    const ref = bruteForce(obs, acts);
    for (let h = 0; h < N_HIDDEN; h++) assert.ok(Math.abs(b[h]! - ref[h]!) < 1e-12, `history ${i}, h=${h}: ${b[h]} vs ${ref[h]}`);
    checked += +(acts.length === 3);
  }
  assert.ok(checked > 10, 'most histories reach 4 observations');
});

test('survival is evidence about glucose: two abnormal visible vitals and no death ⇒ glucose is normal', () => {
  // HR high, BP low, O₂ normal, no treatment: any abnormal glucose would be a third abnormal vital.
  const o = ((2 * 3 + 0) * 2 + 1) * 8;
  const b = initialBelief(m, o);
  assert.ok(Math.abs(b[2]! + b[7]! - 1) < 1e-12, 'all mass on glucose = normal');
  assert.ok(pDiabetic(b) < 0.2, `diabetics rarely start with normal glucose: P = ${pDiabetic(b)}`);
});

test('the filter is calibrated on simulated episodes (P(diabetic) and E[glucose] residuals average to 0)', () => {
  const rng = new Rng(22);
  let n = 0, rd = 0, rg = 0, vd = 0, vg = 0;
  for (let i = 0; i < 3000; i++) {
    const { obs, acts, states } = history(rng, 8);
    let b = initialBelief(m, obs[0]!);
    for (let t = 0; t < obs.length; t++) {
      if (t > 0) b = updateBelief(m, b, obs[t - 1]!, acts[t - 1]!, obs[t]!);
      const s = decode(states[t]!);
      const ed = s.diab - pDiabetic(b), eg = s.glu - meanGlucose(b);
      rd += ed; rg += eg; vd += ed * ed; vg += eg * eg; n++;
    }
  }
  // Steps within an episode are correlated, so allow 6 naive standard errors.
  assert.ok(Math.abs(rd / n) < 6 * Math.sqrt(vd / n / n), `diabetes residual ${rd / n}`);
  assert.ok(Math.abs(rg / n) < 6 * Math.sqrt(vg / n / n), `glucose residual ${rg / n}`);
});
