/**
 * The learned models: a one-unit linear recurrence whose recurrent weight is the calcium decay γ,
 * and the spike-rate network (block input → optional Conv1d → bidirectional GRU/LSTM → rate).
 *
 * Legend: T samples (100 Hz), T4 = ⌊T/4⌋ bins (25 Hz), B batch, C conv channels, H hidden per direction.
 */
import { Adam, Conv1d, F, GRU, LSTM, Linear, Module, Tensor, defineOp, noGrad, type Rng } from '../../index.js';
import { BLOCK, RATE_HZ } from './data.js';

/**
 * c_t = γ·c_{t−1} + u_t as one differentiable op (input u (T), γ (1)). BPTT in closed form:
 * with the adjoint a_t = g_t + γ·a_{t+1}, ∂L/∂u_t = a_t and ∂L/∂γ = Σ_t a_t·c_{t−1}.
 */
export const linearRecurrence = defineOp<[Tensor, Tensor], { c: Float64Array; gamma: number }>({
  name: 'linearRecurrence',
  forward(u, g) {
    const gamma = g.data[0]!;
    const c = new Float64Array(u.size);
    let prev = 0;
    for (let t = 0; t < u.size; t++) prev = c[t] = gamma * prev + u.data[t]!;
    return { output: new Tensor(Float32Array.from(c), u.shape), saved: { c, gamma } };
  },
  backward({ c, gamma }, gOut) {
    const T = c.length;
    const du = new Float32Array(T);
    let a = 0;
    let dg = 0;
    for (let t = T - 1; t >= 0; t--) {
      a = gOut[t]! + gamma * a;
      du[t] = a;
      if (t > 0) dg += a * c[t - 1]!;
    }
    return [du, Float32Array.of(dg)];
  },
});

/** One neuron for the γ fit: spike counts and calcium (100 Hz). */
export interface SpikeCalcium { spikes: ArrayLike<number>; calcium: ArrayLike<number> }

export interface GammaFit {
  /** The learned recurrent weight γ and the implied τ = −Δt / ln γ (seconds). */
  gamma: number;
  tau: number;
  /** Per neuron: gain a and offset b of y ≈ b + a·c. */
  gain: number[];
  offset: number[];
  /** Loss (mean of per-neuron MSE / var y) every 10 iterations. */
  history: number[];
}

/**
 * Fit the linear recurrent unit y_t ≈ b_i + a_i·c_t, c_t = γ·c_{t−1} + s_t to spikes → calcium by
 * full-batch gradient descent (Adam, cosine-decayed lr) with BPTT through all T steps. One γ is
 * shared by all neurons given (one indicator); a_i, b_i are per neuron. γ = σ(θ) keeps it in (0, 1).
 */
export function fitLinearRecurrence(neurons: SpikeCalcium[], o: { iters?: number; lr?: number; gamma0?: number } = {}): GammaFit {
  const iters = o.iters ?? 400;
  const lr = o.lr ?? 0.05;
  const g0 = o.gamma0 ?? 0.9;
  const theta = new Tensor(Float32Array.of(Math.log(g0 / (1 - g0))), [1], { requiresGrad: true });
  const data = neurons.map((n) => {
    const y = Float64Array.from(n.calcium);
    const m = y.reduce((a, b) => a + b, 0) / y.length;
    const v = y.reduce((a, b) => a + (b - m) ** 2, 0) / y.length || 1;
    // Initial gain: match the spread of the calcium implied by γ0.
    const c0 = new Float64Array(y.length);
    let prev = 0;
    for (let t = 0; t < y.length; t++) prev = c0[t] = g0 * prev + n.spikes[t]!;
    const cm = c0.reduce((a, b) => a + b, 0) / y.length;
    const cv = c0.reduce((a, b) => a + (b - cm) ** 2, 0) / y.length || 1;
    return { u: new Tensor(Float32Array.from(n.spikes), [y.length]), y: new Tensor(Float32Array.from(y), [y.length]), v, a0: Math.sqrt(v / cv), b0: m - Math.sqrt(v / cv) * cm };
  });
  const logA = data.map((d) => new Tensor(Float32Array.of(Math.log(d.a0)), [1], { requiresGrad: true }));
  const b = data.map((d) => new Tensor(Float32Array.of(d.b0), [1], { requiresGrad: true }));
  const opt = new Adam([theta, ...logA, ...b], { lr });
  const history: number[] = [];
  for (let it = 0; it < iters; it++) {
    opt.groups[0]!.lr = lr * (0.02 + 0.98 * 0.5 * (1 + Math.cos((Math.PI * it) / iters)));
    const gamma = F.sigmoid(theta);
    let loss: Tensor | null = null;
    data.forEach((d, i) => {
      const yhat = F.add(F.mul(linearRecurrence(d.u, gamma), F.exp(logA[i]!)), b[i]!);
      const l = F.mulScalar(F.mseLoss(yhat, d.y), 1 / (d.v * data.length));
      loss = loss ? F.add(loss, l) : l;
    });
    opt.zeroGrad();
    loss!.backward();
    opt.step();
    if (it % 10 === 0) history.push(loss!.item());
  }
  const gamma = 1 / (1 + Math.exp(-theta.data[0]!));
  return { gamma, tau: tauOf(gamma), gain: logA.map((t) => Math.exp(t.data[0]!)), offset: b.map((t) => t.data[0]!), history };
}

/** τ (s) implied by γ at 100 Hz: τ = −Δt / ln γ. */
export function tauOf(gamma: number, rateHz = RATE_HZ): number {
  return -1 / (rateHz * Math.log(gamma));
}

/** Architecture of the spike-rate network. */
export interface NetSpec {
  cell: 'gru' | 'lstm';
  hidden: number;
  layers: number;
  /** Conv1d front end channels over the 25 Hz bins (0 = none). */
  convChannels: number;
  /** Conv kernel in bins (odd). */
  convKernel: number;
}

/**
 * Calcium (T4, B, 4) — each 25 Hz bin's four 100 Hz samples as features — → optional
 * Conv1d(4 → C, kernel K, same padding) + ReLU → bidirectional GRU/LSTM (H per direction, L
 * layers) → Linear(2H → 1) → softplus: a non-negative spike count per 40 ms bin (T4, B).
 * Working in the scorer's 25 Hz bins matches the evaluation and cuts the recurrence to T/4 steps.
 */
export class SpikeNet extends Module {
  private readonly conv: Conv1d | null;
  private readonly rnn: GRU | LSTM;
  private readonly head: Linear;
  constructor(readonly spec: NetSpec, rng: Rng) {
    super();
    const C = spec.convChannels;
    this.conv = C > 0 ? this.registerModule('conv', new Conv1d(BLOCK, C, spec.convKernel, { padding: (spec.convKernel - 1) / 2, rng })) : null;
    const Rnn = spec.cell === 'lstm' ? LSTM : GRU;
    this.rnn = this.registerModule('rnn', new Rnn(C > 0 ? C : BLOCK, spec.hidden, { bidirectional: true, numLayers: spec.layers, rng }));
    this.head = this.registerModule('head', new Linear(2 * spec.hidden, 1, { rng }));
  }

  /** x (T4, B, 4) → rates (T4, B). */
  forward(x: Tensor): Tensor {
    let h = x;
    if (this.conv) h = F.permute(F.relu(this.conv.forward(F.permute(h, [1, 2, 0]))), [2, 0, 1]);
    const { output } = this.rnn.forward(h);
    const [T, B] = [x.shape[0]!, x.shape[1]!];
    return F.reshape(F.softplus(this.head.forward(output)), [T, B]);
  }
}

/** A normalised 100 Hz trace as the network's input (T4, 1, 4): whole bins from the start. */
export function traceInput(x: Float32Array): Tensor {
  const T4 = Math.floor(x.length / BLOCK);
  return new Tensor(x.slice(0, T4 * BLOCK), [T4, 1, BLOCK]);
}

/**
 * Predicted spike rate at 100 Hz for a normalised trace: each bin's count spread evenly over its
 * four samples (the trailing partial bin, which the scorer drops, repeats the last bin).
 */
export function predictTrace(net: SpikeNet, x: Float32Array): Float64Array {
  const out = new Float64Array(x.length);
  if (x.length < BLOCK) return out;
  net.eval();
  const r = noGrad(() => net.forward(traceInput(x))).data;
  for (let t = 0; t < x.length; t++) out[t] = r[Math.min(r.length - 1, Math.floor(t / BLOCK))]! / BLOCK;
  return out;
}
