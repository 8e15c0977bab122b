/**
 * recur's side of the Chromium bench, the workloads of bench/worker.ts in the page: training = zeroGrad,
 * forward, MSE loss, backward, Adam(1e-3) step; W5 = forward under noGrad; W4 = single steps of an
 * LSTMCell with carried state and the head's output each step, under noGrad. One thread (wasm).
 */
import { Adam, F, GRU, LSTM, LSTMCell, Linear, Rng, Tensor, noGrad, randn } from 'recur';
import type { Shape } from '../workloads.js';

export type Job = () => void | Promise<void>;

export function recurTrain(s: Shape): Job {
  const rng = new Rng(0);
  const rnn = s.cell === 'lstm' ? new LSTM(s.I, s.H, { rng }) : new GRU(s.I, s.H, { rng });
  const head = new Linear(s.H, s.O, { rng });
  const opt = new Adam([...rnn.parameters(), ...head.parameters()], { lr: 1e-3 });
  const x = randn([s.T, s.B, s.I], rng), target = randn([s.T, s.B, s.O], rng);
  return () => {
    opt.zeroGrad();
    const loss = F.mseLoss(head.forward(rnn.forward(x).output), target);
    loss.backward();
    opt.step();
    loss.item();
  };
}

/** The W5 / W4 model (seed 0): also exported to ONNX for ONNX Runtime Web (./peers.ts). */
export function inferenceModel(s: Shape): { lstm: LSTM; head: Linear } {
  const rng = new Rng(0);
  return { lstm: new LSTM(s.I, s.H, { rng }).eval(), head: new Linear(s.H, s.O, { rng }).eval() };
}

export function recurInfer(s: Shape, x: Tensor): Job {
  const { lstm, head } = inferenceModel(s);
  return () => void noGrad(() => head.forward(lstm.forward(x).output)).data;
}

export function recurStream(s: Shape, xs: Float32Array, steps: number): Job {
  const { lstm, head } = inferenceModel(s);
  const cell = new LSTMCell(s.I, s.H);
  cell.loadStateDict({ weight_ih: lstm.param('weight_ih_l0'), weight_hh: lstm.param('weight_hh_l0'), bias_ih: lstm.param('bias_ih_l0'), bias_hh: lstm.param('bias_hh_l0') });
  return () => noGrad(() => {
    let st: { h: Tensor; c: Tensor } | null = null;
    for (let t = 0; t < steps; t++) {
      st = cell.forward(new Tensor(xs.subarray(t * s.I, (t + 1) * s.I), [1, s.I]), st);
      void head.forward(st.h).data;
    }
  });
}
