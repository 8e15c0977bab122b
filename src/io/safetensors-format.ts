/**
 * safetensors bytes: encode and decode the Hugging Face tensor file format, with no dependencies and no
 * Node built-in (the browser entry loads checkpoints from bytes through this; file I/O is ./safetensors.ts).
 *
 * Layout (https://github.com/huggingface/safetensors):
 *   [u64 little-endian N] [N bytes UTF-8 JSON header] [data bytes]
 *   header = { "__metadata__"?: {str: str}, name: {dtype, shape, data_offsets: [begin, end]} }
 * Offsets are relative to the start of the data; the regions must tile the data exactly.
 *
 * The decoder treats every input as hostile: it validates everything before copying, never
 * allocates more than the input holds, and reports problems as `FormatError`s that name the source
 * and the tensor.
 */
import { FormatError, ShapeError, ValueError } from '../util/errors.js';
import { firstNonTextByte } from '../util/text.js';

/** Element types this module reads and writes (the common subset of the spec). */
export type StDType = 'F32' | 'F64' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** Storage for one tensor. F16/BF16 are raw bit patterns in a `Uint16Array`; BOOL is 0/1 in a `Uint8Array`. */
export type StData =
  | Float32Array | Float64Array | Int32Array | BigInt64Array
  | Int16Array | Int8Array | Uint8Array | Uint16Array;

/** One tensor: row-major `data` of `shape` (`[]` is a scalar with one element). */
export interface StTensor {
  dtype: StDType;
  shape: number[];
  data: StData;
}

/** A decoded file. */
export interface StFile {
  tensors: Record<string, StTensor>;
  metadata: Record<string, string>;
}

/** Largest header accepted, as in the reference implementation. */
export const MAX_HEADER_BYTES = 100_000_000;

interface DTypeInfo {
  size: number;
  ctor: new (buffer: ArrayBuffer) => StData;
}

const DTYPES: ReadonlyMap<string, DTypeInfo> = new Map<string, DTypeInfo>([
  ['F32', { size: 4, ctor: Float32Array }],
  ['F64', { size: 8, ctor: Float64Array }],
  ['F16', { size: 2, ctor: Uint16Array }],
  ['BF16', { size: 2, ctor: Uint16Array }],
  ['I64', { size: 8, ctor: BigInt64Array }],
  ['I32', { size: 4, ctor: Int32Array }],
  ['I16', { size: 2, ctor: Int16Array }],
  ['I8', { size: 1, ctor: Int8Array }],
  ['U8', { size: 1, ctor: Uint8Array }],
  ['BOOL', { size: 1, ctor: Uint8Array }],
]);
const DTYPE_LIST = [...DTYPES.keys()].join(', ');
const METADATA_KEY = '__metadata__';
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// small helpers

/** The file stores little-endian; on a big-endian host reverse each element's bytes in place. */
function toFromLittleEndian(bytes: Uint8Array, size: number): void {
  if (HOST_LITTLE_ENDIAN || size === 1) return;
  for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}

/** A short printable form of a (possibly huge, hostile) value for error messages. */
function show(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'bigint' ? `${v}` : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNonNegInt(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

/** Own-property assignment, so that a key like `__proto__` is data and never a prototype. */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Product of the dims, or undefined if it exceeds 2^53 - 1 (a zero dim makes it 0). */
function checkedNumel(shape: readonly number[]): number | undefined {
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape) {
    if (n > Number.MAX_SAFE_INTEGER / d) return undefined;
    n *= d;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// encode

function checkTensorForEncode(name: string, t: StTensor): DTypeInfo {
  const where = `safetensors: tensor ${show(name)}`;
  if (name === METADATA_KEY) throw new ValueError(where, 'a tensor name other than "__metadata__"', show(name));
  if (!isObject(t)) throw new ValueError(where, 'a tensor {dtype, shape, data}', show(t));
  const info = DTYPES.get(t.dtype);
  if (!info) throw new ValueError(where, `dtype one of ${DTYPE_LIST}`, show(t.dtype));
  if (!(t.data instanceof info.ctor)) {
    throw new ValueError(where, `data as ${info.ctor.name} for dtype ${t.dtype}`, t.data?.constructor?.name ?? show(t.data));
  }
  if (!Array.isArray(t.shape) || !t.shape.every(isNonNegInt)) {
    throw new ShapeError(where, 'shape as an array of non-negative integers', show(t.shape));
  }
  const numel = checkedNumel(t.shape);
  if (numel !== t.data.length) {
    throw new ShapeError(where, `${numel ?? 'overflowing'} elements for shape ${show(t.shape)}`, `${t.data.length}`);
  }
  return info;
}

function metadataJson(metadata: Record<string, string> | undefined): string | undefined {
  if (metadata === undefined) return undefined;
  if (!isObject(metadata)) throw new ValueError('safetensors: metadata', 'a string-to-string object', show(metadata));
  const keys = Object.keys(metadata).sort();
  if (keys.length === 0) return undefined;
  const parts = keys.map((k) => {
    const v = metadata[k];
    if (typeof v !== 'string') throw new ValueError(`safetensors: metadata ${show(k)}`, 'a string value', show(v));
    return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
  });
  return `{${parts.join(',')}}`;
}

/**
 * Serialize tensors to safetensors bytes: tensors sorted by name, data little-endian in that order,
 * header padded with spaces to a multiple of 8 so the data starts 8-byte aligned.
 *
 * @throws ValueError / ShapeError if a tensor's data type or length does not match its dtype/shape.
 * @example
 * const bytes = encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } });
 */
export function encodeSafetensors(tensors: Record<string, StTensor>, metadata?: Record<string, string>): Uint8Array<ArrayBuffer> {
  const parts: string[] = [];
  const meta = metadataJson(metadata);
  if (meta !== undefined) parts.push(`"${METADATA_KEY}":${meta}`);
  const chunks: { bytes: Uint8Array; at: number; size: number }[] = [];
  let offset = 0;
  for (const name of Object.keys(tensors).sort()) {
    const t = tensors[name]!;
    const info = checkTensorForEncode(name, t);
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const end = offset + bytes.length;
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${t.dtype}","shape":${JSON.stringify(t.shape)},"data_offsets":[${offset},${end}]}`,
    );
    chunks.push({ bytes, at: offset, size: info.size });
    offset = end;
  }
  const header = utf8Encoder.encode(`{${parts.join(',')}}`);
  const n = Math.ceil(header.length / 8) * 8;
  const out = new Uint8Array(8 + n + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(header, 8);
  out.fill(0x20, 8 + header.length, 8 + n);
  for (const c of chunks) {
    const start = 8 + n + c.at;
    out.set(c.bytes, start);
    toFromLittleEndian(out.subarray(start, start + c.bytes.length), c.size);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// decode

interface Entry {
  name: string;
  dtype: StDType;
  shape: number[];
  begin: number;
  end: number;
  info: DTypeInfo;
}

/** Validate the length prefix and return the header text and where the data starts. */
function readHeaderText(bytes: Uint8Array, where: string): { text: string; dataStart: number } {
  if (bytes.length < 8) throw new FormatError(`${where}: byte 0`, 'at least 8 bytes (the header length)', `${bytes.length} bytes`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new FormatError(`${where}: byte 0`, `a header length of at most ${MAX_HEADER_BYTES} bytes`, `${n}`);
  }
  if (n > BigInt(bytes.length - 8)) {
    throw new FormatError(`${where}: byte 0`, `a header length of at most ${bytes.length - 8} bytes (file size - 8)`, `${n}`);
  }
  const len = Number(n);
  if (len === 0 || bytes[8] !== 0x7b) {
    throw new FormatError(`${where}: byte 8`, 'a JSON header starting with "{"', len === 0 ? 'an empty header' : `byte ${bytes[8]}`);
  }
  const bad = firstNonTextByte(bytes.subarray(8, 8 + len), { allowNul: true });
  if (bad >= 0) throw new FormatError(`${where}: byte ${8 + bad}`, 'a UTF-8 header', 'invalid UTF-8 bytes');
  return { text: utf8.decode(bytes.subarray(8, 8 + len)), dataStart: 8 + len };
}

/**
 * The first key that repeats within one JSON object, at any depth. `JSON.parse` keeps the last
 * silently; a hostile file could use that to show one tensor to one reader and another to us.
 * Assumes `text` is valid JSON (checked by `JSON.parse` first).
 */
function findDuplicateKey(text: string): { key: string; at: number } | undefined {
  const stack: (Set<string> | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b) stack.push(new Set()); // {
    else if (c === 0x5b) stack.push(null); // [
    else if (c === 0x7d || c === 0x5d) stack.pop(); // } ]
    else if (c === 0x22) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      const raw = text.slice(i, j + 1);
      i = j;
      let k = j + 1;
      while (k < text.length && ' \t\r\n'.includes(text[k]!)) k++;
      const keys = stack[stack.length - 1];
      if (keys && text.charCodeAt(k) === 0x3a) {
        const key = JSON.parse(raw) as string; // decodes escapes, so "a" and "\u0061" collide
        if (keys.has(key)) return { key, at: j + 1 - raw.length };
        keys.add(key);
      }
    }
  }
  return undefined;
}

/** File offset of character `pos` of the header text (the header starts at byte 8). */
function byteAt(text: string, pos: number): number {
  return 8 + utf8Encoder.encode(text.slice(0, pos)).length;
}

/** Deepest nesting a valid header needs is 3 (header, tensor, shape); allow some slack. */
export const MAX_HEADER_DEPTH = 16;

/**
 * Index where `{`/`[` nesting first exceeds `max` (outside strings), or -1. Runs before
 * `JSON.parse` and the recursive checks after it, which a hostile header nested thousands deep
 * would otherwise drive into a stack overflow. Tolerates invalid JSON (JSON.parse reports it).
 */
function tooDeepAt(text: string, max: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return i;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return -1;
}

function parseHeader(text: string, where: string): Record<string, unknown> {
  const deep = tooDeepAt(text, MAX_HEADER_DEPTH);
  if (deep >= 0) throw new FormatError(`${where}: byte ${byteAt(text, deep)}`, `JSON nested at most ${MAX_HEADER_DEPTH} levels deep`, 'deeper nesting');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const pos = Number(/at position (\d+)/.exec(msg)?.[1] ?? text.length);
    throw new FormatError(`${where}: byte ${byteAt(text, pos)}`, 'a valid JSON header', show(msg.replace(/ in JSON at position \d+.*$/s, '')));
  }
  if (!isObject(header)) throw new FormatError(`${where}: byte 8`, 'a JSON object header', show(header));
  const dup = findDuplicateKey(text);
  if (dup !== undefined) throw new FormatError(`${where}: byte ${byteAt(text, dup.at)}`, 'unique keys in the header', `duplicate key ${show(dup.key)}`);
  return header;
}

function parseMetadata(value: unknown, where: string): Record<string, string> {
  const loc = `${where}: ${METADATA_KEY}`;
  if (!isObject(value)) throw new FormatError(loc, 'a string-to-string object', show(value));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new FormatError(`${loc} ${show(k)}`, 'a string value', show(v));
    setOwn(out, k, v);
  }
  return out;
}

function parseEntry(name: string, value: unknown, where: string, dataLen: number): Entry {
  const loc = `${where}: tensor ${show(name)}`;
  if (!isObject(value)) throw new FormatError(loc, 'an object {dtype, shape, data_offsets}', show(value));
  const { dtype, shape, data_offsets: off } = value;
  const info = typeof dtype === 'string' ? DTYPES.get(dtype) : undefined;
  if (!info) throw new FormatError(loc, `dtype one of ${DTYPE_LIST}`, show(dtype));
  if (!Array.isArray(shape) || !shape.every(isNonNegInt)) {
    throw new FormatError(loc, 'shape as an array of non-negative safe integers', show(shape));
  }
  const numel = checkedNumel(shape);
  if (numel === undefined || numel > Number.MAX_SAFE_INTEGER / info.size) {
    throw new FormatError(loc, 'a shape whose byte size is below 2^53', show(shape));
  }
  if (!Array.isArray(off) || off.length !== 2 || !off.every(isNonNegInt)) {
    throw new FormatError(loc, 'data_offsets as [begin, end] non-negative safe integers', show(off));
  }
  const [begin, end] = off as [number, number];
  if (begin > end || end > dataLen) {
    throw new FormatError(loc, `data_offsets with begin <= end <= ${dataLen} (the data size)`, show(off));
  }
  const bytes = numel * info.size;
  if (end - begin !== bytes) {
    throw new FormatError(loc, `${bytes} data bytes (${numel} x ${dtype} for shape ${show(shape)})`, `${end - begin}`);
  }
  return { name, dtype: dtype as StDType, shape: [...shape], begin, end, info };
}

/** The spec requires the tensors' byte ranges to tile the data exactly: no overlap, no holes. */
function checkCoverage(entries: Entry[], dataStart: number, dataLen: number, where: string): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: Entry | undefined;
  for (const e of sorted) {
    if (e.begin !== pos) {
      const loc = `${where}: tensor ${show(e.name)}`;
      const got = `[${e.begin}, ${e.end}]`;
      if (e.begin < pos) throw new FormatError(loc, `data not overlapping tensor ${show(prev!.name)} (ends at ${pos})`, got);
      throw new FormatError(loc, `data starting at ${pos} (no hole before it)`, got);
    }
    pos = e.end;
    prev = e;
  }
  if (pos !== dataLen) {
    throw new FormatError(`${where}: byte ${dataStart + pos}`, `tensor data covering all ${dataLen} data bytes`, `${dataLen - pos} unclaimed bytes at the end`);
  }
}

/** Copy one tensor's bytes into a fresh, aligned typed array. */
function copyOut(e: Entry, bytes: Uint8Array, dataStart: number): StTensor {
  const buf = new ArrayBuffer(e.end - e.begin);
  const view = new Uint8Array(buf);
  view.set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
  toFromLittleEndian(view, e.info.size);
  return { dtype: e.dtype, shape: e.shape, data: new e.info.ctor(buf) };
}

/**
 * Parse safetensors bytes. Every tensor is validated (dtype, shape, offsets, exact tiling of the
 * data) before any data is copied; the result owns fresh, aligned typed arrays.
 *
 * @param input the bytes (a `fetch` response's `arrayBuffer()` will do).
 * @param where name used in error messages (the file path when reading a file, the URL when fetched).
 * @throws FormatError for any malformed or hostile input; never another error.
 * @example
 * const { tensors, metadata } = decodeSafetensors(bytes);
 */
export function decodeSafetensors(input: Uint8Array | ArrayBuffer, where = 'safetensors'): StFile {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const { text, dataStart } = readHeaderText(bytes, where);
  const header = parseHeader(text, where);
  const dataLen = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) metadata = parseMetadata(value, where);
    else entries.push(parseEntry(name, value, where, dataLen));
  }
  checkCoverage(entries, dataStart, dataLen, where);
  const tensors: Record<string, StTensor> = {};
  for (const e of entries) setOwn(tensors, e.name, copyOut(e, bytes, dataStart));
  return { tensors, metadata };
}
