/** Parameter initialisation (PyTorch defaults). */
import { Tensor } from '../tensor/tensor.js';
import { uniform } from '../tensor/create.js';
import type { Rng } from '../util/rng.js';

/** U(−bound, bound), as a trainable leaf. */
export function uniformParam(shape: readonly number[], bound: number, rng: Rng): Tensor {
  return uniform(shape, -bound, bound, rng, { requiresGrad: true });
}
