/**
 * State dicts as safetensors files, with PyTorch's key names. A file written by PyTorch
 * (`safetensors.torch.save_file(model.state_dict(), path)`) loads here unchanged.
 */
import type { Tensor } from '../tensor/tensor.js';
import { readSafetensors, readSafetensorsSync, writeSafetensors, type StTensor } from './safetensors.js';
import { stFromTensor, stateDictFromFile, tensorFromSt } from './tensor-st.js';

export { stFromTensor, tensorFromSt };

/** Read a state dict (all float tensors) from a safetensors file. */
export async function loadStateDictFile(path: string): Promise<Record<string, Tensor>> {
  return stateDictFromFile(await readSafetensors(path), path);
}

/** Synchronous {@link loadStateDictFile}. */
export function loadStateDictFileSync(path: string): Record<string, Tensor> {
  return stateDictFromFile(readSafetensorsSync(path), path);
}

/** Write a state dict atomically as safetensors (PyTorch-loadable). */
export async function saveStateDictFile(path: string, sd: Record<string, Tensor>, metadata?: Record<string, string>): Promise<void> {
  const tensors: Record<string, StTensor> = {};
  for (const [k, t] of Object.entries(sd)) tensors[k] = stFromTensor(t);
  await writeSafetensors(path, tensors, metadata);
}
