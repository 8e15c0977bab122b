/** Basic layers: Linear, Embedding, Dropout, Conv1d — PyTorch names, shapes and init. */
import { Tensor } from '../tensor/tensor.js';
import { linear } from '../ops/matmul.js';
import { embedding } from '../ops/indexing.js';
import { conv1d } from '../ops/conv.js';
import { dropout } from '../ops/dropout.js';
import { Module } from './module.js';
import { uniformParam } from './init.js';
import { globalRng, type Rng } from '../util/rng.js';
import { ValueError } from '../util/errors.js';

/** y = x·Wᵀ + b; weight (out, in), bias (out); init U(−1/√in, 1/√in) (PyTorch's kaiming-uniform(a=√5) bound). */
export class Linear extends Module {
  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: { bias?: boolean; rng?: Rng } = {}) {
    super();
    const rng = opts.rng ?? globalRng();
    const k = 1 / Math.sqrt(inFeatures);
    this.registerParameter('weight', uniformParam([outFeatures, inFeatures], k, rng));
    if (opts.bias ?? true) this.registerParameter('bias', uniformParam([outFeatures], k, rng));
  }
  forward(x: Tensor): Tensor {
    return linear(x, this.param('weight'), this.paramOrNull('bias'));
  }
}

/** Lookup table (V, D), init N(0, 1) as PyTorch; `paddingIdx` row is zero and gets no gradient. */
export class Embedding extends Module {
  readonly paddingIdx: number | undefined;
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, opts: { paddingIdx?: number; rng?: Rng } = {}) {
    super();
    const rng = opts.rng ?? globalRng();
    const w = uniformParam([numEmbeddings, embeddingDim], 1, rng);
    for (let i = 0; i < w.size; i++) w.data[i] = rng.normal();
    if (opts.paddingIdx !== undefined) w.data.fill(0, opts.paddingIdx * embeddingDim, (opts.paddingIdx + 1) * embeddingDim);
    this.paddingIdx = opts.paddingIdx;
    this.registerParameter('weight', w);
  }
  /** indices of any shape → (...shape, D). */
  forward(indices: Int32Array | number[], shape?: number[]): Tensor {
    return embedding(this.param('weight'), indices, shape, { paddingIdx: this.paddingIdx });
  }
}

/** Inverted dropout, active in training mode only. */
export class Dropout extends Module {
  private readonly rng: Rng;
  constructor(readonly p: number = 0.5, opts: { rng?: Rng } = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new ValueError('Dropout', 'p in [0, 1]', String(p));
    this.rng = opts.rng ?? globalRng();
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training, rng: this.rng });
  }
}

export interface Conv1dOptions {
  stride?: number;
  padding?: number;
  dilation?: number;
  groups?: number;
  bias?: boolean;
  rng?: Rng;
}

/** 1-D convolution over (N, Cin, L); weight (Cout, Cin/groups, K); init U(−1/√(Cin/groups·K), …). */
export class Conv1d extends Module {
  /** Stride, padding, dilation and groups as constructed (read by the ONNX exporter). */
  readonly conv: { stride: number; padding: number; dilation: number; groups: number };
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number, opts: Conv1dOptions = {}) {
    super();
    const rng = opts.rng ?? globalRng();
    const groups = opts.groups ?? 1;
    const k = 1 / Math.sqrt((inChannels / groups) * kernelSize);
    this.registerParameter('weight', uniformParam([outChannels, inChannels / groups, kernelSize], k, rng));
    if (opts.bias ?? true) this.registerParameter('bias', uniformParam([outChannels], k, rng));
    this.conv = { stride: opts.stride ?? 1, padding: opts.padding ?? 0, dilation: opts.dilation ?? 1, groups };
  }
  forward(x: Tensor): Tensor {
    return conv1d(x, this.param('weight'), this.paramOrNull('bias'), this.conv);
  }
}
