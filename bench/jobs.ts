/**
 * The one definition of the benchmark workloads in recur's public API, for bench/worker.ts (Node) and
 * the Chromium bench page (bench/browser/bench.ts): platform-neutral (core only). A model of the shape
 * (time-major; W6 2 bidirectional layers with dropout between them, W8 variational dropout on h) and a
 * Linear head (D·H)→O on every step;
 *   training  zeroGrad, forward, MSE loss, backward, Adam(1e-3) step (returns the loss);
 *   inference W5: forward under noGrad;
 *   streaming W4: `steps` single steps with carried state, each step's head output computed, under
 *             noGrad — with LSTMCell or with LSTM.forward on T = 1.
 * Seeds fixed (model 1 / data 0 for training, 0 for the inference model, which ONNX Runtime Web runs too).
 */
import { Adam, F, GRU, LSTM, LSTMCell, Linear, Rng, Tensor, noGrad, randn, type RecurrentState } from '../src/core.js';
import { directions, layerOptions, type Shape } from './workloads.js';

/** One training step; returns the loss. */
export function trainStep(s: Shape): () => number {
  const rng = new Rng(0);
  const opts = { ...layerOptions(s), rng: new Rng(1) };
  const rnn = s.cell === 'lstm' ? new LSTM(s.I, s.H, opts) : new GRU(s.I, s.H, opts);
  const head = new Linear(directions(s) * s.H, s.O, { rng: new Rng(2) });
  const opt = new Adam([...rnn.parameters(), ...head.parameters()], { lr: 1e-3 });
  const x = randn([s.T, s.B, s.I], rng), target = randn([s.T, s.B, s.O], rng);
  return () => {
    opt.zeroGrad();
    const loss = F.mseLoss(head.forward(rnn.forward(x).output), target);
    loss.backward();
    opt.step();
    return loss.item();
  };
}

/** The W5 / W4 model (seed 0), in eval mode: also exported to ONNX for ONNX Runtime Web. */
export function inferenceModel(s: Shape): { lstm: LSTM; head: Linear } {
  const rng = new Rng(0);
  return { lstm: new LSTM(s.I, s.H, { rng }).eval(), head: new Linear(s.H, s.O, { rng }).eval() };
}

/** W5: the model's output for x (T, B, I). */
export function inferStep(model: { lstm: LSTM; head: Linear }, x: Tensor): () => Tensor {
  return () => noGrad(() => model.head.forward(model.lstm.forward(x).output));
}

/** W4 with LSTMCell (the model's weights): x (1, I), state h, c (1, H); xs holds steps·I inputs. */
export function streamCell(model: { lstm: LSTM; head: Linear }, xs: Float32Array, steps: number): () => void {
  const { lstm, head } = model, I = lstm.inputSize;
  const cell = new LSTMCell(I, lstm.hiddenSize).eval();
  cell.loadStateDict({ weight_ih: lstm.param('weight_ih_l0'), weight_hh: lstm.param('weight_hh_l0'), bias_ih: lstm.param('bias_ih_l0'), bias_hh: lstm.param('bias_hh_l0') });
  return () => noGrad(() => {
    let st: { h: Tensor; c: Tensor } | null = null;
    for (let t = 0; t < steps; t++) {
      st = cell.forward(new Tensor(xs.subarray(t * I, (t + 1) * I), [1, I]), st);
      void head.forward(st.h).data;
    }
  });
}

/** W4 with LSTM.forward on T = 1: x (1, 1, I), state h, c (1, 1, H). */
export function streamSeq(model: { lstm: LSTM; head: Linear }, xs: Float32Array, steps: number): () => void {
  const { lstm, head } = model, I = lstm.inputSize;
  return () => noGrad(() => {
    let state: RecurrentState | null = null;
    for (let t = 0; t < steps; t++) {
      const r = lstm.forward(new Tensor(xs.subarray(t * I, (t + 1) * I), [1, 1, I]), { state });
      void head.forward(r.output).data;
      state = r.state;
    }
  });
}
