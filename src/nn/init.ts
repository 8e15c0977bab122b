/** Parameter initialisation (PyTorch defaults). */
import { Tensor } from '../tensor/tensor.js';
import { paramZeros } from '../tensor/create.js';
import type { Rng } from '../util/rng.js';

/** U(−bound, bound), as a trainable leaf on the backend's parameter storage (the draws of `uniform`). */
export function uniformParam(shape: readonly number[], bound: number, rng: Rng): Tensor {
  const t = paramZeros(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniform(-bound, bound);
  return t;
}
