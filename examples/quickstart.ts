/**
 * Quick start: train an LSTM forecaster on built-in data (noisy sums of sines) and compare it
 * with the persistence baseline (predict the last value). Prints the result; takes seconds.
 *
 *   npx tsx examples/quickstart.ts
 */
import { LSTM, Linear, Adam, F, Tensor, Rng, manualSeed, noGrad } from '../src/index.js';

const T = 24; // lookback steps
const B = 32;
const H = 32;

/** A batch of windows of x(t) = sin(ω₁t+φ) + 0.5·sin(ω₂t+ψ) + noise; target: the next value. */
function batch(rng: Rng): { x: Tensor; y: Tensor; last: Tensor } {
  const x = new Float32Array(T * B);
  const y = new Float32Array(B);
  const last = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    const w1 = rng.uniform(0.2, 0.6);
    const w2 = rng.uniform(0.7, 1.3);
    const p1 = rng.uniform(0, 6.3);
    const p2 = rng.uniform(0, 6.3);
    const at = (t: number): number => Math.sin(w1 * t + p1) + 0.5 * Math.sin(w2 * t + p2) + 0.02 * rng.normal();
    for (let t = 0; t < T; t++) x[t * B + b] = at(t); // time-major (T, B, 1)
    y[b] = at(T);
    last[b] = x[(T - 1) * B + b]!;
  }
  return { x: new Tensor(x, [T, B, 1]), y: new Tensor(y, [B, 1]), last: new Tensor(last, [B, 1]) };
}

export function run(steps = 300, log = console.log): { modelMse: number; persistenceMse: number } {
  manualSeed(0);
  const lstm = new LSTM(1, H);
  const head = new Linear(H, 1);
  const opt = new Adam([...lstm.parameters(), ...head.parameters()], { lr: 1e-2 });
  const rng = new Rng(1);
  const predict = (x: Tensor): Tensor => {
    const { state } = lstm.forward(x);
    return head.forward(F.reshape(state.h, [B, H])); // last hidden state → next value
  };
  const t0 = performance.now();
  for (let step = 1; step <= steps; step++) {
    const { x, y } = batch(rng);
    const loss = F.mseLoss(predict(x), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    if (step % 50 === 0) log(`step ${step}  train MSE ${loss.item().toFixed(5)}`);
  }
  // Held-out evaluation on fresh windows.
  const test = new Rng(999);
  let m = 0;
  let p = 0;
  noGrad(() => {
    for (let i = 0; i < 20; i++) {
      const { x, y, last } = batch(test);
      m += F.mseLoss(predict(x), y).item() / 20;
      p += F.mseLoss(last, y).item() / 20;
    }
  });
  log(`\nheld-out MSE: LSTM ${m.toFixed(5)} vs persistence ${p.toFixed(5)} (skill ${(1 - m / p).toFixed(3)}), ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { modelMse: m, persistenceMse: p };
}

if (import.meta.url === `file://${process.argv[1]}`) run();
