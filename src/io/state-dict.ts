/**
 * State dicts as safetensors files, with PyTorch's key names. A file written by PyTorch
 * (`safetensors.torch.save_file(model.state_dict(), path)`) loads here unchanged.
 */
import { Tensor } from '../tensor/tensor.js';
import { FormatError } from '../util/errors.js';
import { readSafetensors, readSafetensorsSync, writeSafetensors, type StTensor, type StFile } from './safetensors.js';

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** A float tensor from a safetensors entry (F32, F64; F16 and BF16 are widened to float32). */
export function tensorFromSt(name: string, t: StTensor, where = 'state dict'): Tensor {
  switch (t.dtype) {
    case 'F32':
      return new Tensor(t.data as Float32Array, t.shape);
    case 'F64':
      return new Tensor(t.data as Float64Array, t.shape);
    case 'F16':
    case 'BF16': {
      const src = t.data as Uint16Array;
      const out = new Float32Array(src.length);
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < src.length; i++) {
        if (t.dtype === 'BF16') u32[i] = src[i]! << 16;
        else out[i] = halfToFloat(src[i]!);
      }
      return new Tensor(out, t.shape);
    }
    default:
      throw new FormatError(`${where}: tensor "${name}"`, 'a float dtype (F32, F64, F16, BF16)', t.dtype);
  }
}

function toTensors(file: StFile, where: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(file.tensors)) out[k] = tensorFromSt(k, v, where);
  return out;
}

/** Read a state dict (all float tensors) from a safetensors file. */
export async function loadStateDictFile(path: string): Promise<Record<string, Tensor>> {
  return toTensors(await readSafetensors(path), path);
}

/** Synchronous {@link loadStateDictFile}. */
export function loadStateDictFileSync(path: string): Record<string, Tensor> {
  return toTensors(readSafetensorsSync(path), path);
}

/** A safetensors entry for a tensor (F32 or F64). */
export function stFromTensor(t: Tensor): StTensor {
  return t.dtype === 'float64' ? { dtype: 'F64', shape: [...t.shape], data: t.data as Float64Array } : { dtype: 'F32', shape: [...t.shape], data: t.data as Float32Array };
}

/** Write a state dict atomically as safetensors (PyTorch-loadable). */
export async function saveStateDictFile(path: string, sd: Record<string, Tensor>, metadata?: Record<string, string>): Promise<void> {
  const tensors: Record<string, StTensor> = {};
  for (const [k, t] of Object.entries(sd)) tensors[k] = stFromTensor(t);
  await writeSafetensors(path, tensors, metadata);
}
