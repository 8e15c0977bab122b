/**
 * The benchmark workloads: W1–W5 of ../shared/peers/README.md (common_shapes.json) and recur's own
 * W6–W8 (PyTorch peer: bench/bench_torch_extra.py, which gets its shape from here): shapes, FLOP
 * counts, units, the memory bound for training, and the performance targets.
 *
 * Time-major (T, B, I), float32, a linear head (D·H)→O on every step; training = forward + backward
 * + Adam step with MSE loss. W1–W5 are single-layer; W6 stacks 2 bidirectional layers with dropout
 * between them, W8 adds variational (recurrent) dropout. The shapes are kept here so that recur's
 * own benchmark runs without the peers folder; `checkShapes` compares W1–W5 with the peers' file.
 */
export type WorkloadId = 'W1' | 'W2' | 'W3' | 'W4' | 'W5' | 'W6' | 'W7' | 'W8';
export type Mode = 'train' | 'infer' | 'stream';

export interface Shape {
  cell: 'lstm' | 'gru';
  mode: Mode;
  B: number;
  T: number; // W4: number of streamed steps per repetition
  I: number;
  H: number;
  O: number;
  /** Stacked layers (default 1). */
  layers?: number;
  bidirectional?: boolean;
  /** Dropout between layers (nn.LSTM's dropout). */
  dropout?: number;
  /** Variational dropout on h_{t-1} where it enters W_hh, one mask per sequence (Gal & Ghahramani). */
  recurrentDropout?: number;
}

export const WORKLOADS: readonly WorkloadId[] = ['W1', 'W2', 'W3', 'W4', 'W5', 'W6', 'W7', 'W8'];
/** The workloads of the shared peer scripts (../shared/peers); W6–W8 are recur's (bench/bench_torch_extra.py). */
export const SHARED_WORKLOADS: readonly WorkloadId[] = ['W1', 'W2', 'W3', 'W4', 'W5'];

export const SHAPES: Record<WorkloadId, Shape> = {
  W1: { cell: 'lstm', mode: 'train', B: 32, T: 100, I: 32, H: 128, O: 32 },
  W2: { cell: 'lstm', mode: 'train', B: 64, T: 100, I: 128, H: 256, O: 128 },
  W3: { cell: 'gru', mode: 'train', B: 32, T: 100, I: 32, H: 128, O: 32 },
  W4: { cell: 'lstm', mode: 'stream', B: 1, T: 10000, I: 32, H: 128, O: 32 },
  W5: { cell: 'lstm', mode: 'infer', B: 64, T: 100, I: 128, H: 256, O: 128 },
  W6: { cell: 'lstm', mode: 'train', B: 32, T: 100, I: 64, H: 256, O: 64, layers: 2, bidirectional: true, dropout: 0.2 },
  W7: { cell: 'gru', mode: 'train', B: 8, T: 10000, I: 4, H: 64, O: 4 },
  W8: { cell: 'lstm', mode: 'train', B: 32, T: 100, I: 32, H: 128, O: 32, recurrentDropout: 0.25 },
};

export const DESCRIPTION: Record<WorkloadId, string> = {
  W1: 'LSTM training B=32 T=100 I=32 H=128 O=32',
  W2: 'LSTM training B=64 T=100 I=128 H=256 O=128',
  W3: 'GRU training B=32 T=100 I=32 H=128 O=32',
  W4: 'LSTM streaming, batch 1, 1 step/call, I=32 H=128 O=32, 10k steps',
  W5: 'LSTM inference B=64 T=100 I=128 H=256 O=128',
  W6: '2-layer bi-LSTM training, dropout 0.2, B=32 T=100 I=64 H=256 O=64',
  W7: 'GRU training, long sequences, B=8 T=10,000 I=4 H=64 O=4',
  W8: 'LSTM training, variational recurrent dropout 0.25, W1 shapes',
};

/** Differences between SHAPES and the peers' common_shapes.json (empty when equal or absent). */
export function checkShapes(peersScripts: string): string[] {
  // node:fs looked up here, not imported: bench/jobs.ts, and through it the Chromium bench page, import this file.
  const { existsSync, readFileSync } = process.getBuiltinModule('node:fs');
  const file = `${peersScripts}/common_shapes.json`;
  if (!existsSync(file)) return [];
  const theirs = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
  const out: string[] = [];
  for (const w of SHARED_WORKLOADS) {
    for (const [k, v] of Object.entries(SHAPES[w])) {
      if (theirs[w]?.[k] !== v) out.push(`${w}.${k}: recur ${String(v)}, peers ${String(theirs[w]?.[k])}`);
    }
  }
  return out;
}

export function gateCount(s: Shape): number {
  return s.cell === 'lstm' ? 4 : 3;
}

/** The recur module options of a workload's recurrent layers (add an `rng` for the dropout masks). */
export function layerOptions(s: Shape): { numLayers: number; bidirectional: boolean; dropout: number; variational?: { hidden: number } } {
  return {
    numLayers: s.layers ?? 1, bidirectional: s.bidirectional ?? false, dropout: s.dropout ?? 0,
    ...(s.recurrentDropout ? { variational: { hidden: s.recurrentDropout } } : {}),
  };
}

/** Directions of the workload's layers (1, or 2 when bidirectional). */
export function directions(s: Shape): number {
  return s.bidirectional ? 2 : 1;
}

/** Input width of layer l: I, then D·H. */
function layerInput(s: Shape, l: number): number {
  return l === 0 ? s.I : directions(s) * s.H;
}

/**
 * FLOPs counted (gate matrix products only, multiply-add = 2, as the peers' README), summed over
 * layers and directions: training 2·T·G·H·(I_l+H)·3 per sequence, inference 2·T·4H·(I+H) per
 * sequence, streaming 2·4H·(I+H) per step.
 */
export function flopPerUnit(s: Shape): number {
  let per = 0;
  for (let l = 0; l < (s.layers ?? 1); l++) per += 2 * gateCount(s) * s.H * (layerInput(s, l) + s.H) * directions(s);
  if (s.mode === 'train') return per * s.T * 3;
  if (s.mode === 'infer') return per * s.T;
  return per;
}

/** 'seq/s' (higher is better) or 'µs/step' (lower is better). */
export function unitOf(s: Shape): 'seq/s' | 'µs/step' {
  return s.mode === 'stream' ? 'µs/step' : 'seq/s';
}

/** What one repetition of a measurement did: sequences (train, infer) or steps (stream). */
export interface RepUnits {
  seqs_per_rep?: number;
  steps_per_rep?: number;
}

/** The workload's figure for one repetition time: seq/s, or µs/step. */
export function figureOf(s: Shape, seconds: number, u: RepUnits): number {
  if (s.mode === 'stream') return (seconds / (u.steps_per_rep ?? s.T)) * 1e6;
  return (u.seqs_per_rep ?? s.B) / seconds;
}

export function gflopsOf(s: Shape, figure: number): number {
  return s.mode === 'stream' ? flopPerUnit(s) / (figure * 1e-6) / 1e9 : (figure * flopPerUnit(s)) / 1e9;
}

/** Speed ratio recur/peer: > 1 means recur is faster (for µs/step: peer time / recur time). */
export function speedRatio(s: Shape, recur: number, peer: number): number {
  return s.mode === 'stream' ? peer / recur : recur / peer;
}

/** Parameters of the model: the recurrent layers (weights and both biases) and the head. */
export function paramCount(s: Shape): number {
  const G = gateCount(s) * s.H;
  const D = directions(s);
  let n = 0;
  for (let l = 0; l < (s.layers ?? 1); l++) n += D * (G * (layerInput(s, l) + s.H) + 2 * G);
  return n + s.O * D * s.H + s.O;
}

export interface MemoryBound {
  /** x (T,B,I) and, for training, the target (T,B,O). */
  dataBytes: number;
  /** What the job must keep: BPTT's saved activations per step, or inference outputs. */
  activationBytes: number;
  /** Weights; for training also gradients and Adam's two moments (4 copies). */
  paramBytes: number;
  /** Measured RSS of a Node process that loaded recur and did nothing else. */
  baselineBytes: number;
  totalBytes: number;
}

/**
 * The least memory the job can run in, from the shapes (float32 = 4 bytes):
 * - training: per (t, b) and per layer and direction the backward needs the post-activation
 *   gates (G), the cell state (LSTM, H) or the recurrent candidate term q = h·W_hnᵀ + b_hn (GRU,
 *   H), the hidden state h (H, also the next layer's or the head's input); the inter-layer dropout's
 *   output, the upper layer's input (D·H per upper layer; its mask is regenerated, not kept); and the head output (O, for the MSE gradient); plus x, the target,
 *   and weights + gradients + Adam m and v;
 * - inference: the layer output (T,B,H) and head output (T,B,O), plus x and the weights;
 * - streaming: the weights (a step's state is negligible).
 */
export function memoryBound(s: Shape, baselineBytes: number): MemoryBound {
  const F = 4;
  const TB = s.T * s.B;
  const P = paramCount(s);
  let dataBytes = 0;
  let activationBytes = 0;
  let paramBytes = P * F;
  if (s.mode === 'train') {
    dataBytes = TB * (s.I + s.O) * F;
    const L = s.layers ?? 1;
    const D = directions(s);
    const mask = s.dropout ? (L - 1) * D * s.H : 0;
    activationBytes = TB * (L * D * (gateCount(s) * s.H + 2 * s.H) + mask + s.O) * F;
    paramBytes = 4 * P * F;
  } else if (s.mode === 'infer') {
    dataBytes = TB * s.I * F;
    activationBytes = TB * (s.H + s.O) * F;
  }
  const totalBytes = dataBytes + activationBytes + paramBytes + baselineBytes;
  return { dataBytes, activationBytes, paramBytes, baselineBytes, totalBytes };
}

/** Peer names used by the targets and the peer runner. */
export type PeerName = 'torch' | 'ort' | 'tfjs-cpu' | 'tfjs-wasm' | 'brain.js';

export type Target =
  | { kind: 'speedup'; vs: PeerName[]; min: number; text: string }
  | { kind: 'maxUsPerStep'; max: number; text: string }
  | { kind: 'rss'; factor: number; text: string }
  | { kind: 'vsOwn'; of: WorkloadId; maxTimeRatio: number; text: string };

/**
 * The issue's targets; a speedup target compares with the best (fastest) of the listed peers;
 * 'vsOwn' compares recur's time per sequence with recur's own figure for another workload of the
 * same run (W8's dropout must be nearly free against W1).
 */
export const TARGETS: Record<WorkloadId, Target[]> = {
  W1: [{ kind: 'speedup', vs: ['torch'], min: 1.2, text: '≥1.2× PyTorch' }],
  W2: [
    { kind: 'speedup', vs: ['torch'], min: 1.3, text: '≥1.3× PyTorch' },
    { kind: 'rss', factor: 1.5, text: 'peak RSS ≤1.5× bound' },
  ],
  W3: [{ kind: 'speedup', vs: ['torch'], min: 2.5, text: '≥2.5× PyTorch' }],
  W4: [{ kind: 'maxUsPerStep', max: 5, text: '≤5 µs/step' }],
  W5: [
    { kind: 'speedup', vs: ['torch', 'ort'], min: 1.1, text: '≥1.1× best of PyTorch/ORT' },
    { kind: 'speedup', vs: ['tfjs-cpu', 'tfjs-wasm', 'brain.js'], min: 30, text: '≥30× best of TF.js/brain.js' },
  ],
  W6: [{ kind: 'speedup', vs: ['torch'], min: 1.2, text: '≥1.2× PyTorch' }],
  W7: [
    { kind: 'speedup', vs: ['torch'], min: 1.5, text: '≥1.5× PyTorch' },
    { kind: 'rss', factor: 1.5, text: 'peak RSS ≤1.5× bound' },
  ],
  W8: [
    { kind: 'speedup', vs: ['torch'], min: 5, text: '≥5× PyTorch LSTMCell+masks' },
    { kind: 'vsOwn', of: 'W1', maxTimeRatio: 1.15, text: '≤1.15× recur W1 time' },
  ],
};

export function median(xs: readonly number[]): number {
  const a = [...xs].sort((p, q) => p - q);
  const n = a.length;
  if (n === 0) return NaN;
  return n % 2 ? a[(n - 1) / 2]! : (a[n / 2 - 1]! + a[n / 2]!) / 2;
}
