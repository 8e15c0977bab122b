/** Tensors to and from safetensors entries (platform-neutral; used by checkpoints and state-dict files). */
import { Tensor } from '../tensor/tensor.js';
import { FormatError } from '../util/errors.js';
import { decodeSafetensors, type StFile, type StTensor } from './safetensors-format.js';

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

/** A safetensors entry for a tensor (F32 or F64). */
export function stFromTensor(t: Tensor): StTensor {
  return t.dtype === 'float64' ? { dtype: 'F64', shape: [...t.shape], data: t.data as Float64Array } : { dtype: 'F32', shape: [...t.shape], data: t.data as Float32Array };
}

/** A decoded safetensors file's tensors as a state dict (all float tensors); errors name `where`. */
export function stateDictFromFile(file: StFile, where: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(file.tensors)) out[k] = tensorFromSt(k, v, where);
  return out;
}

/**
 * A state dict from safetensors bytes, e.g. PyTorch's `safetensors.torch.save_file(model.state_dict())`
 * fetched by a page. @throws FormatError naming `where` for malformed bytes or a non-float tensor.
 */
export function decodeStateDict(bytes: Uint8Array | ArrayBuffer, where = 'state dict'): Record<string, Tensor> {
  return stateDictFromFile(decodeSafetensors(bytes, where), where);
}
