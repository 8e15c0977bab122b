/**
 * Training checkpoints as ONE safetensors file, as bytes (platform-neutral: the browser entry loads
 * them from an ArrayBuffer or a fetch; the files are ./checkpoint.ts):
 *
 *   model.<key>      the model's state dict, PyTorch key names after the prefix (F32/F64)
 *   optim.<buf>.<i>  optimizer state buffers, e.g. `optim.exp_avg.3` (F32/F64)
 *   __metadata__     { format: "recur.checkpoint/1", optimizer: JSON (kind, groups, step,
 *                      shapes — everything but the buffers), extra: JSON (trainer state) }
 *
 * Stripping `model.` gives a state dict PyTorch loads (`safetensors.torch.load_file` then
 * `{k[6:]: v for k, v in sd.items() if k.startswith("model.")}`).
 */
import * as z from 'zod/mini'; // mini: the browser bundle gets ~6 KB of zod instead of ~100 KB (gzipped)
import { Tensor } from '../tensor/tensor.js';
import { FormatError, ValueError, showValue } from '../util/errors.js';
import { checkSchema } from './schema.js';
import { decodeSafetensors, encodeSafetensors, type StFile, type StTensor } from './safetensors-format.js';
import { stFromTensor, tensorFromSt } from './tensor-st.js';

/** The format tag in `__metadata__.format`. */
export const CHECKPOINT_FORMAT = 'recur.checkpoint/1';

/** A JSON value (no NaN/Infinity, no undefined, no cycles). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * An optimizer state dict (structurally the optim folder's `OptimizerState`; io does not
 * import optim).
 */
export interface CheckpointOptimizerState {
  kind: string;
  groups: { params: number[]; lr: number; [hyper: string]: number | boolean | number[] }[];
  step: number[];
  shapes?: number[][];
  buffers: Record<string, Float32Array | Float64Array>;
}

/** The parts of a checkpoint. */
export interface Checkpoint {
  /** State dict with PyTorch key names. */
  model: Record<string, Tensor>;
  optimizer?: CheckpointOptimizerState;
  /** Anything else (epoch, step, rng states, schedule state, best metric, history). */
  extra?: JsonValue;
}

const MODEL = 'model.';
const OPTIM = 'optim.';

/** Throw a ValueError naming the first value JSON would drop or mangle. */
function checkJson(v: unknown, path: string, seen: Set<object>): void {
  const bad = (got: string): never => {
    throw new ValueError('saveCheckpoint', `JSON-able extra/optimizer data at ${path}`, got);
  };
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) bad(String(v));
    return;
  }
  if (typeof v !== 'object') return void bad(typeof v);
  if (seen.has(v)) bad('a cycle');
  if (ArrayBuffer.isView(v)) bad(v.constructor.name);
  seen.add(v);
  if (Array.isArray(v)) v.forEach((x, i) => checkJson(x, `${path}[${i}]`, seen));
  else {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) bad(`an instance of ${proto?.constructor?.name ?? 'a class'}`);
    for (const [k, x] of Object.entries(v)) checkJson(x, `${path}.${k}`, seen);
  }
  seen.delete(v);
}

/**
 * Serialize a checkpoint to safetensors bytes (see the module comment for the layout).
 * @throws ValueError for non-JSON-able `extra` (NaN, Infinity, typed arrays, class instances, cycles)
 *   or a non-float optimizer buffer.
 * @example
 * const bytes = encodeCheckpoint({ model: model.stateDict(), optimizer: opt.stateDict(), extra: { epoch: 3 } });
 */
export function encodeCheckpoint(ck: Checkpoint): Uint8Array<ArrayBuffer> {
  const tensors: Record<string, StTensor> = {};
  for (const [k, t] of Object.entries(ck.model)) tensors[MODEL + k] = stFromTensor(t);
  const metadata: Record<string, string> = { format: CHECKPOINT_FORMAT };
  if (ck.optimizer) {
    const { buffers, ...rest } = ck.optimizer;
    checkJson(rest, 'optimizer', new Set());
    for (const [k, b] of Object.entries(buffers)) {
      if (!(b instanceof Float32Array || b instanceof Float64Array)) throw new ValueError('saveCheckpoint', `a float buffer at optimizer.${k}`, String(b));
      tensors[OPTIM + k] = { dtype: b instanceof Float64Array ? 'F64' : 'F32', shape: [b.length], data: b };
    }
    metadata.optimizer = JSON.stringify(rest);
  }
  if (ck.extra !== undefined) {
    checkJson(ck.extra, 'extra', new Set());
    metadata.extra = JSON.stringify(ck.extra);
  }
  return encodeSafetensors(tensors, metadata);
}

function parseJson(text: string, key: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new FormatError(`${where}: __metadata__.${key}`, 'valid JSON', showValue(text));
  }
}

const int = z.int().check(z.nonnegative());

/** The optimizer metadata: a state dict without its buffers (see CheckpointOptimizerState). */
const optimizerSchema = z.strictObject({
  kind: z.string().check(z.minLength(1), z.maxLength(64)),
  groups: z.array(z.looseObject({ params: z.array(int), lr: z.number() })).check(z.maxLength(1_000_000)),
  step: z.array(int).check(z.maxLength(1_000_000)),
  shapes: z.optional(z.array(z.array(int).check(z.maxLength(16))).check(z.maxLength(1_000_000))),
});

function parseOptimizer(text: string, buffers: Record<string, Float32Array | Float64Array>, where: string): CheckpointOptimizerState {
  const loc = `${where}: __metadata__.optimizer`;
  const o = checkSchema(optimizerSchema, parseJson(text, 'optimizer', where), loc);
  if (o.shapes && o.shapes.length !== o.step.length) throw new FormatError(`${loc}.shapes`, `one shape per parameter (${o.step.length}, as in step)`, `${o.shapes.length}`);
  for (const [name, b] of Object.entries(buffers)) {
    const i = Number(/\.(\d+)$/.exec(name)?.[1] ?? NaN);
    if (!(i < o.step.length)) throw new FormatError(`${where}: tensor "optim.${name}"`, `a buffer named <state>.<parameter index below ${o.step.length}>`, showValue(name));
    const n = o.shapes?.[i]?.reduce((a, d) => a * d, 1);
    if (n !== undefined && b.length !== n) throw new FormatError(`${where}: tensor "optim.${name}"`, `${n} values (parameter ${i} has shape [${o.shapes![i]!.join(', ')}])`, `${b.length}`);
  }
  return { ...o, groups: o.groups as CheckpointOptimizerState['groups'], buffers };
}

function splitTensors(tensors: Record<string, StTensor>, where: string): { model: Record<string, Tensor>; buffers: Record<string, Float32Array | Float64Array> } {
  const model: Record<string, Tensor> = {};
  const buffers: Record<string, Float32Array | Float64Array> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (name.startsWith(MODEL)) model[name.slice(MODEL.length)] = tensorFromSt(name, t, where);
    else if (name.startsWith(OPTIM)) {
      if (t.dtype !== 'F32' && t.dtype !== 'F64') throw new FormatError(`${where}: tensor "${name}"`, 'an F32 or F64 optimizer buffer', t.dtype);
      buffers[name.slice(OPTIM.length)] = t.data as Float32Array | Float64Array;
    } else throw new FormatError(`${where}: tensor "${name}"`, 'a name starting with "model." or "optim."', JSON.stringify(name));
  }
  return { model, buffers };
}

/**
 * Parse checkpoint bytes (a file's, or a `fetch` response's `arrayBuffer()`).
 * @param where name used in error messages (the path when reading a file)
 * @throws FormatError for a malformed safetensors file, a missing or foreign format tag, bad
 *   metadata JSON, unknown tensor prefixes or optimizer buffers without optimizer metadata.
 */
export function decodeCheckpoint(bytes: Uint8Array | ArrayBuffer, where = 'checkpoint'): Checkpoint {
  return checkpointFromFile(decodeSafetensors(bytes, where), where);
}

export function checkpointFromFile(file: StFile, where: string): Checkpoint {
  const meta = file.metadata;
  if (meta.format !== CHECKPOINT_FORMAT) {
    throw new FormatError(`${where}: __metadata__.format`, JSON.stringify(CHECKPOINT_FORMAT), meta.format === undefined ? 'none (not a recur checkpoint)' : JSON.stringify(meta.format));
  }
  const { model, buffers } = splitTensors(file.tensors, where);
  const ck: Checkpoint = { model };
  if (meta.optimizer !== undefined) ck.optimizer = parseOptimizer(meta.optimizer, buffers, where);
  else if (Object.keys(buffers).length) throw new FormatError(`${where}: __metadata__.optimizer`, 'optimizer metadata for the optim.* tensors', 'none');
  if (meta.extra !== undefined) ck.extra = parseJson(meta.extra, 'extra', where) as JsonValue;
  return ck;
}
