/**
 * The dashboard's built-in tasks and models: the 3-bit flip-flop, the adding problem and a sample of
 * the UCI splice data, each learnt by one unidirectional LSTM or GRU layer and a linear read-out (the
 * instruments of recur's analysis take one such layer).
 */
import { F, GRU, LSTM, Linear, Rng, Tensor, addingProblem, analysis, flipFlop, oneHot } from 'recur';
import spliceText from '../data/uci-splice/splice.data?raw';

export type TaskName = 'flipflop' | 'adding' | 'splice';
export const SPLICE_CLASSES = ['EI', 'IE', 'N'] as const;

export interface Batch { x: Tensor; y: Tensor | Int32Array }

export interface Task {
  inputSize: number;
  outputSize: number;
  /** A fresh training batch, time-major (T, B, I). */
  batch(rng: Rng): Batch;
  /** The loss of the read-out of the recurrent output (T, B, H). */
  loss(head: Linear, output: Tensor, y: Batch['y']): Tensor;
}

/** The splice data, one-hot (60, N, 4) in file order, and the labels (EI, IE, N). */
export interface SpliceSet { x: Float32Array; labels: Int32Array; n: number }

/** splice.data lines `CLASS, NAME, SEQUENCE` (the file the CLI's splice recipe reads). */
export function spliceData(): SpliceSet {
  const rows = spliceText.split('\n').map((l) => l.split(',')).filter((f) => f.length === 3);
  const T = 60, n = rows.length;
  const x = new Float32Array(T * n * 4), labels = new Int32Array(n);
  rows.forEach(([cls, , seq], b) => {
    labels[b] = SPLICE_CLASSES.indexOf(cls!.trim() as (typeof SPLICE_CLASSES)[number]);
    const h = oneHot(seq!.trim().toUpperCase(), 'dna');
    for (let t = 0; t < T; t++) x.set(h.subarray(t * 4, t * 4 + 4), (t * n + b) * 4);
  });
  return { x, labels, n };
}

/** Rows `idx` of a time-major (T, N, K) array as a (T, idx.length, K) tensor. */
export function gather(x: Float32Array, T: number, N: number, K: number, idx: ArrayLike<number>): Tensor {
  const B = idx.length, out = new Float32Array(T * B * K);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) out.set(x.subarray((t * N + idx[b]!) * K, (t * N + idx[b]! + 1) * K), (t * B + b) * K);
  return new Tensor(out, [T, B, K]);
}

const lastStepLoss = (head: Linear, output: Tensor): Tensor => head.forward(analysis.lastStep(output));

export function makeTask(name: TaskName, batchSize: number, rng: Rng): Task {
  if (name === 'flipflop') {
    return {
      inputSize: 3, outputSize: 3,
      batch: (r) => flipFlop(40, batchSize, { rng: r, bits: 3, pulseProb: 0.1 }),
      loss: (head, out, y) => F.mseLoss(head.forward(out), y as Tensor),
    };
  }
  if (name === 'adding') {
    return {
      inputSize: 2, outputSize: 1,
      batch: (r) => addingProblem(30, batchSize, { rng: r }),
      loss: (head, out, y) => F.mseLoss(lastStepLoss(head, out), y as Tensor),
    };
  }
  const d = spliceData();
  const sample = Array.from({ length: d.n }, (_, i) => i);
  rng.shuffle(sample);
  const train = sample.slice(0, 800);
  return {
    inputSize: 4, outputSize: 3,
    batch: (r) => {
      const idx = Array.from({ length: batchSize }, () => train[r.int(train.length)]!);
      return { x: gather(d.x, 60, d.n, 4, idx), y: Int32Array.from(idx, (i) => d.labels[i]!) };
    },
    loss: (head, out, y) => F.crossEntropy(lastStepLoss(head, out), y as Int32Array),
  };
}

export function makeModel(cell: 'lstm' | 'gru', task: Task, hidden: number, rng: Rng): { rnn: LSTM | GRU; head: Linear } {
  const Rnn = cell === 'lstm' ? LSTM : GRU;
  return { rnn: new Rnn(task.inputSize, hidden, { rng }), head: new Linear(hidden, task.outputSize, { rng }) };
}
