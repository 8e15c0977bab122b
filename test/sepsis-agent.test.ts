import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Adam, Tensor, noGrad } from '../src/index.js';
import { Rng } from '../src/util/rng.js';
import { HORIZON, N_OBS, buildModel, evaluateObsPolicy } from '../src/recipes/sepsis/index.js';
import { N_INPUT, SepsisAgent, encodeObs, ppoUpdate, rollout, simulatorEnv } from '../src/recipes/sepsis/agent.js';
import { beliefRows, designFrom, probe } from '../src/recipes/sepsis/probe.js';

const m = buildModel('master');

test('the observation encoding is a factored one-hot that tells all 144 observations apart', () => {
  const seen = new Set<string>();
  const x = new Float32Array(N_INPUT);
  for (let o = 0; o < N_OBS; o++) {
    encodeObs(o, x, 0);
    assert.equal(x[0]! + x[1]! + x[2]!, 1);
    assert.equal(x[3]! + x[4]! + x[5]!, 1);
    assert.equal(x[6]! + x[7]!, 1);
    seen.add(x.join(','));
  }
  assert.equal(seen.size, N_OBS);
});

test('acting step by step with carried state gives the same features as the batched episode pass', () => {
  const agent = new SepsisAgent('gru', 8, new Rng(1));
  const e = rollout(agent, simulatorEnv(m), 16, new Rng(2), { keepFeatures: true });
  const batched = noGrad(() => agent.features(new Tensor(e.x, [HORIZON, 16, N_INPUT])).data);
  for (let k = 0; k < HORIZON * 16; k++) {
    if (!e.alive[k]) continue;
    for (let j = 0; j < 8; j++) assert.ok(Math.abs(e.features![k * 8 + j]! - batched[k * 8 + j]!) < 1e-5);
  }
});

test("a memoryless agent's Monte-Carlo score agrees with the exact value of its greedy policy", () => {
  const agent = new SepsisAgent('memoryless', 8, new Rng(3));
  const x = new Float32Array(N_OBS * N_INPUT);
  for (let o = 0; o < N_OBS; o++) encodeObs(o, x, o * N_INPUT);
  const logits = noGrad(() => agent.pi.forward(agent.features(new Tensor(x, [1, N_OBS, N_INPUT]))).data);
  const pi = Uint8Array.from({ length: N_OBS }, (_, o) => {
    let b = 0;
    for (let a = 1; a < 8; a++) if (logits[o * 8 + a]! > logits[o * 8 + b]!) b = a;
    return b;
  });
  const ret = rollout(agent, simulatorEnv(m), 6000, new Rng(4), { greedy: true }).ret;
  const mean = ret.reduce((a, b) => a + b, 0) / ret.length;
  const se = Math.sqrt(ret.reduce((a, b) => a + (b - mean) ** 2, 0) / (ret.length - 1) / ret.length);
  const exact = evaluateObsPolicy(m, pi);
  assert.ok(Math.abs(mean - exact) < 4 * se, `MC ${mean.toFixed(3)} ± ${se.toFixed(3)} vs exact ${exact.toFixed(3)}`);
});

test('PPO improves a memoryless agent from its random start (a few batches)', () => {
  const rng = new Rng(5);
  const agent = new SepsisAgent('memoryless', 16, rng.fork());
  const opt = new Adam(agent.parameters(), { lr: 3e-3 });
  const env = simulatorEnv(m);
  const first = rollout(agent, env, 256, new Rng(6)).ret.reduce((a, b) => a + b, 0) / 256;
  for (let i = 0; i < 12; i++) ppoUpdate(agent, opt, rollout(agent, env, 128, rng), { epochs: 4, clip: 0.2, entropy: 0.01, valueCoef: 0.5, maxGradNorm: 1, lambda: 0.95, minibatches: 2 }, rng);
  const after = rollout(agent, env, 256, new Rng(6)).ret.reduce((a, b) => a + b, 0) / 256;
  assert.ok(after > first + 0.15, `sampled return ${first.toFixed(3)} → ${after.toFixed(3)}`);
});

test('the belief probe recovers P(diabetic) exactly from features that contain it, and not from noise', () => {
  const agent = new SepsisAgent('gru', 4, new Rng(7));
  const e = rollout(agent, simulatorEnv(m), 400, new Rng(8));
  const rows = beliefRows(m, e);
  const n = HORIZON * e.B;
  const rng = new Rng(9);
  const exact = new Float32Array(n * 2), noise = new Float32Array(n * 2);
  rows.at.forEach((k, i) => { exact[k * 2] = rows.pDiabetic[i]!; exact[k * 2 + 1] = rng.normal(); });
  for (let i = 0; i < noise.length; i++) noise[i] = rng.normal();
  const good = probe(designFrom(exact, 2, rows), 2, rows, 1e-6)[0]!;
  const bad = probe(designFrom(noise, 2, rows), 2, rows)[0]!;
  assert.ok(good.r2 > 0.9999, `R² ${good.r2}`);
  assert.ok(bad.r2 < 0.02, `R² from noise ${bad.r2}`);
});

test('the probe copes with saturated units: constant feature columns beside the intercept', () => {
  const agent = new SepsisAgent('gru', 4, new Rng(7));
  const e = rollout(agent, simulatorEnv(m), 2000, new Rng(8));
  const rows = beliefRows(m, e);
  const p = 32, f = new Float32Array(HORIZON * e.B * p);
  rows.at.forEach((k, i) => {
    for (let j = 0; j < p; j++) f[k * p + j] = j < 24 ? 1 : j === 24 ? rows.pDiabetic[i]! : Math.tanh(rows.glucose[i]! * j);
  });
  const [pd] = probe(designFrom(f, p, rows), p, rows);
  assert.ok(pd!.r2 > 0.999, `R² ${pd!.r2}`);
});
