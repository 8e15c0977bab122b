import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError, ShapeError, ValueError } from '../util/errors.js';
import {
  decodeSafetensors, encodeSafetensors, readSafetensors, readSafetensorsSync,
  writeSafetensors, writeSafetensorsSync, type StTensor,
} from './safetensors.js';
import { writeFileAtomic } from './atomic.js';

/** A file from a raw header (object or text), data bytes and an optional forged length prefix. */
function craft(header: unknown, data: Uint8Array = new Uint8Array(0), len?: bigint): Buffer {
  const text = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const out = Buffer.alloc(8 + text.length + data.length);
  out.writeBigUInt64LE(len ?? BigInt(text.length), 0);
  text.copy(out, 8);
  out.set(data, 8 + text.length);
  return out;
}

function rejects(bytes: Uint8Array, ...fragments: string[]): void {
  assert.throws(() => decodeSafetensors(bytes, 'm.safetensors'), (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected FormatError, got ${String(e)}`);
    assert.ok(e.message.startsWith('m.safetensors'), e.message);
    for (const f of fragments) assert.ok(e.message.includes(f), `${JSON.stringify(f)} not in: ${e.message}`);
    return true;
  });
}

const f32 = (name: string, shape: number[], begin: number, end: number): Record<string, unknown> => ({
  [name]: { dtype: 'F32', shape, data_offsets: [begin, end] },
});

function allDtypes(): Record<string, StTensor> {
  return {
    f32: { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, -2.5, NaN, Infinity, -0, 3.25e-20]) },
    f64: { dtype: 'F64', shape: [3], data: new Float64Array([Math.PI, -1e300, Number.MIN_VALUE]) },
    f16: { dtype: 'F16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) },
    bf16: { dtype: 'BF16', shape: [1, 2], data: new Uint16Array([0x3f80, 0x7fc0]) },
    i64: { dtype: 'I64', shape: [3], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 42n]) },
    i32: { dtype: 'I32', shape: [2], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1]) },
    i16: { dtype: 'I16', shape: [2], data: new Int16Array([-32768, 32767]) },
    i8: { dtype: 'I8', shape: [3], data: new Int8Array([-128, 0, 127]) },
    u8: { dtype: 'U8', shape: [2], data: new Uint8Array([0, 255]) },
    bool: { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
    scalar: { dtype: 'F64', shape: [], data: new Float64Array([7]) },
    empty: { dtype: 'F32', shape: [0], data: new Float32Array(0) },
    empty3d: { dtype: 'I64', shape: [2, 0, 3], data: new BigInt64Array(0) },
  };
}

test('round trip of every dtype, scalars, empty tensors and metadata', () => {
  const tensors = allDtypes();
  const metadata = { format: 'pt', 'ünïcode ✓': 'värde', empty: '' };
  const bytes = encodeSafetensors(tensors, metadata);
  const n = Number(bytes.readBigUInt64LE(0));
  assert.equal(n % 8, 0);
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  assert.deepEqual(Object.keys(header), ['__metadata__', ...Object.keys(tensors).sort()]);
  const back = decodeSafetensors(bytes);
  assert.deepEqual(back.metadata, metadata);
  assert.deepEqual(back.tensors, tensors);
  assert.ok(Object.is(back.tensors.f32!.data[4], -0));
});

test('empty file (no tensors) and no metadata round trip', () => {
  const bytes = encodeSafetensors({});
  assert.equal(bytes.length, 16);
  assert.deepEqual(decodeSafetensors(bytes), { tensors: {}, metadata: {} });
});

test('byte-exact against a hand-computed file', () => {
  // {"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} is 54 bytes, padded with 2 spaces to 56.
  const json = '{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  ';
  const expected = Buffer.concat([
    Buffer.from([56, 0, 0, 0, 0, 0, 0, 0]),
    Buffer.from(json, 'utf8'),
    Buffer.from([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40]), // 1.0f, 2.0f little-endian
  ]);
  assert.equal(expected.length, 72);
  const bytes = encodeSafetensors({ x: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } });
  assert.deepEqual([...bytes], [...expected]);
  assert.deepEqual(decodeSafetensors(expected).tensors.x!.data, new Float32Array([1, 2]));
});

test('decode copies out of unaligned input into fresh aligned arrays', () => {
  const bytes = encodeSafetensors({ a: { dtype: 'U8', shape: [1], data: new Uint8Array([9]) }, b: { dtype: 'F64', shape: [1], data: new Float64Array([1.5]) } });
  const shifted = new Uint8Array(bytes.length + 3).subarray(3);
  shifted.set(bytes);
  const out = decodeSafetensors(shifted);
  assert.deepEqual(out.tensors.b!.data, new Float64Array([1.5]));
  assert.equal(out.tensors.b!.data.byteOffset, 0);
  shifted.fill(0);
  assert.deepEqual(out.tensors.b!.data, new Float64Array([1.5]));
});

test('tensor named __proto__ is an own key and never a prototype', () => {
  const tensors: Record<string, StTensor> = {};
  Object.defineProperty(tensors, '__proto__', { value: { dtype: 'U8', shape: [1], data: new Uint8Array([5]) }, enumerable: true });
  const out = decodeSafetensors(encodeSafetensors(tensors));
  assert.equal(Object.getPrototypeOf(out.tensors), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(out.tensors, '__proto__')?.value.data, new Uint8Array([5]));
});

test('encode rejects inconsistent tensors and metadata', () => {
  const bad = (t: unknown) => ({ t: t as StTensor });
  assert.throws(() => encodeSafetensors(bad({ dtype: 'F32', shape: [2], data: new Float64Array(2) })), ValueError);
  assert.throws(() => encodeSafetensors(bad({ dtype: 'F8', shape: [1], data: new Uint8Array(1) })), ValueError);
  assert.throws(() => encodeSafetensors(bad({ dtype: 'F32', shape: [3], data: new Float32Array(2) })), ShapeError);
  assert.throws(() => encodeSafetensors(bad({ dtype: 'F32', shape: [-1], data: new Float32Array(0) })), ShapeError);
  assert.throws(() => encodeSafetensors({ __metadata__: { dtype: 'U8', shape: [0], data: new Uint8Array(0) } }), ValueError);
  assert.throws(() => encodeSafetensors({}, { a: 1 as unknown as string }), ValueError);
});

test('length prefix: short files, huge and oversize header lengths', () => {
  rejects(new Uint8Array(0), 'at least 8 bytes', 'got 0 bytes');
  rejects(new Uint8Array(7), 'got 7 bytes');
  rejects(craft({}, undefined, 2n ** 53n), 'at most 100000000', `got ${2n ** 53n}`);
  rejects(craft({}, undefined, 2n ** 64n - 1n), 'at most 100000000');
  rejects(craft({}, undefined, 3n), 'at most 2 bytes (file size - 8)');
  rejects(craft('', undefined, 0n), 'starting with "{"', 'empty header');
  const big = Buffer.alloc(100_000_016);
  big.writeBigUInt64LE(100_000_001n, 0);
  rejects(big, 'at most 100000000', 'got 100000001');
});

test('header must be UTF-8 JSON describing an object', () => {
  const raw = Buffer.alloc(12);
  raw.writeBigUInt64LE(4n, 0);
  raw.set([0x7b, 0xff, 0xfe, 0x7d], 8); // "{" 0xff 0xfe "}" is not UTF-8
  rejects(raw, 'UTF-8 header', 'invalid UTF-8');
  rejects(craft('{"a": '), 'valid JSON');
  rejects(craft('[1,2]'), 'starting with "{"');
  rejects(craft('null'), 'starting with "{"');
  rejects(craft('\ufeff{}'), 'starting with "{"');
  rejects(craft('{} x'), 'valid JSON');
  rejects(craft('{"a":1}\u0000'), 'valid JSON');
  assert.deepEqual(decodeSafetensors(craft('{}    ')).tensors, {});
});

test('entries: dtype, shape and data_offsets are validated and named', () => {
  const d8 = new Uint8Array(8);
  rejects(craft({ w: 3 }), 'tensor "w"', 'an object');
  rejects(craft({ w: { dtype: 'F8_E4M3', shape: [8], data_offsets: [0, 8] } }, d8), 'tensor "w"', 'dtype one of', 'got "F8_E4M3"');
  rejects(craft({ w: { dtype: 'toString', shape: [8], data_offsets: [0, 8] } }, d8), 'dtype one of');
  rejects(craft({ w: { dtype: 4, shape: [8], data_offsets: [0, 8] } }, d8), 'dtype one of');
  rejects(craft({ w: { shape: [8], data_offsets: [0, 8] } }, d8), 'dtype one of');
  for (const shape of ['2', [-1], [1.5], ['2'], [null], [2 ** 53], {}, null]) {
    rejects(craft({ w: { dtype: 'U8', shape, data_offsets: [0, 8] } }, d8), 'tensor "w"', 'shape as an array');
  }
  for (const shape of [[2 ** 26, 2 ** 26, 2 ** 26], [2 ** 52, 2]]) {
    rejects(craft({ w: { dtype: 'F32', shape, data_offsets: [0, 8] } }, d8), 'tensor "w"', 'byte size is below 2^53');
  }
  for (const off of [undefined, [0], [0, 8, 8], [0, '8'], [0.5, 8], [-1, 8], [0, 2 ** 53], '0,8']) {
    rejects(craft({ w: { dtype: 'U8', shape: [8], data_offsets: off } }, d8), 'tensor "w"', 'data_offsets as [begin, end]');
  }
  rejects(craft({ w: { dtype: 'U8', shape: [0], data_offsets: [8, 0] } }, d8), 'begin <= end <= 8');
  rejects(craft({ w: { dtype: 'U8', shape: [16], data_offsets: [0, 16] } }, d8), 'begin <= end <= 8');
  rejects(craft({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 8] } }, d8), 'tensor "w"', 'expected 4 data bytes', 'got 8');
  // A zero dim makes numel 0 even when the other dims would overflow.
  assert.deepEqual(decodeSafetensors(craft(f32('z', [2 ** 40, 2 ** 40, 0], 0, 0))).tensors.z!.data, new Float32Array(0));
});

test('data regions must tile the buffer exactly', () => {
  const d = (n: number) => new Uint8Array(n);
  rejects(craft({ ...f32('a', [2], 0, 8), ...f32('b', [2], 4, 12) }, d(12)), 'tensor "b"', 'not overlapping tensor "a"');
  rejects(craft({ ...f32('a', [2], 0, 8), ...f32('b', [2], 0, 8) }, d(8)), 'not overlapping');
  rejects(craft({ ...f32('a', [1], 0, 4), ...f32('b', [1], 8, 12) }, d(12)), 'tensor "b"', 'starting at 4', 'got [8, 12]');
  rejects(craft(f32('a', [1], 4, 8), d(8)), 'tensor "a"', 'starting at 0');
  rejects(craft(f32('a', [1], 0, 4), d(8)), 'covering all 8 data bytes', '4 unclaimed');
  rejects(craft({}, d(1)), 'covering all 1 data bytes');
  rejects(craft({ ...f32('a', [2], 0, 8), ...f32('e', [0], 4, 4) }, d(8)), 'tensor "e"', 'not overlapping');
  // Empty tensors may sit at any boundary, and order in the header does not matter.
  const ok = decodeSafetensors(craft({ ...f32('b', [1], 4, 8), ...f32('e', [0], 4, 4), ...f32('a', [1], 0, 4) }, d(8)));
  assert.deepEqual(Object.keys(ok.tensors).sort(), ['a', 'b', 'e']);
});

test('__metadata__ must be a string-to-string map', () => {
  for (const m of [[], 'x', null, 3]) rejects(craft({ __metadata__: m }), '__metadata__', 'a string-to-string object');
  rejects(craft({ __metadata__: { a: 1 } }), '__metadata__ "a"', 'a string value');
  rejects(craft({ __metadata__: { a: { b: 'c' } } }), 'a string value');
  assert.deepEqual(decodeSafetensors(craft({ __metadata__: { a: 'b' } })).metadata, { a: 'b' });
});

test('duplicate keys are rejected at every level', () => {
  const e = '{"dtype":"U8","shape":[0],"data_offsets":[0,0]}';
  rejects(craft(`{"w":${e},"w":${e}}`), 'unique keys', 'duplicate key "w"');
  rejects(craft(`{"w":${e},"\\u0077":${e}}`), 'duplicate key "w"');
  rejects(craft('{"__metadata__":{"a":"1","a":"2"}}'), 'duplicate key "a"');
  rejects(craft('{"__metadata__":{},"__metadata__":{}}'), 'duplicate key "__metadata__"');
  rejects(craft('{"w":{"dtype":"U8","dtype":"F32","shape":[0],"data_offsets":[0,0]}}'), 'duplicate key "dtype"');
  // Same key in different objects, and key-like strings inside values, are fine.
  const ok = craft(`{"__metadata__":{"w":"w:\\"w\\":"},"w":${e},"v":${e}}`);
  assert.deepEqual(decodeSafetensors(ok).metadata, { w: 'w:"w":' });
});

test('fuzz: mutated and truncated files never crash (decode or FormatError only)', () => {
  const valid = encodeSafetensors(allDtypes(), { k: 'v' });
  let s = 12345;
  const rand = (n: number) => ((s = (s * 1103515245 + 12345) >>> 0) % n);
  for (let it = 0; it < 3000; it++) {
    const b = Buffer.from(valid);
    const edits = 1 + rand(4);
    for (let k = 0; k < edits; k++) b[rand(it % 2 ? 16 + rand(b.length - 16) : b.length)] = rand(256);
    const cut = it % 5 === 0 ? b.subarray(0, rand(b.length)) : b;
    try {
      decodeSafetensors(cut);
    } catch (e) {
      assert.ok(e instanceof FormatError, `iteration ${it}: ${String(e)}`);
    }
  }
});

test('files: async and sync read/write, errors name the path', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recur-st-'));
  try {
    const p = join(dir, 'm.safetensors');
    await writeSafetensors(p, allDtypes(), { a: 'b' });
    assert.deepEqual((await readSafetensors(p)).tensors, allDtypes());
    writeSafetensorsSync(p, { x: allDtypes().f32! });
    assert.deepEqual(readSafetensorsSync(p).tensors, { x: allDtypes().f32 });
    await writeFile(p, Buffer.from([1, 2, 3]));
    await assert.rejects(readSafetensors(p), (e: unknown) => e instanceof FormatError && e.message.startsWith(p));
    await writeFileAtomic(join(dir, 'x.json'), '{"ok":true}');
    assert.equal(await readFile(join(dir, 'x.json'), 'utf8'), '{"ok":true}');
    assert.deepEqual((await readdir(dir)).sort(), ['m.safetensors', 'x.json']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('atomic write: a failed save leaves the old file intact and no temp file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recur-st-'));
  try {
    const p = join(dir, 'm.safetensors');
    await writeSafetensors(p, { a: allDtypes().f64! });
    const before = await readFile(p);
    const broken = { a: { dtype: 'F32', shape: [5], data: new Float32Array(2) } as StTensor };
    await assert.rejects(writeSafetensors(p, broken), ShapeError);
    assert.throws(() => writeSafetensorsSync(p, broken), ShapeError);
    assert.deepEqual(await readFile(p), before);
    // Make the rename fail after the temp file is fully written: the target is a non-empty directory.
    const target = join(dir, 'd.safetensors');
    await mkdir(target);
    await writeFile(join(target, 'keep'), 'x');
    await assert.rejects(writeSafetensors(target, { a: allDtypes().f64! }));
    assert.throws(() => writeSafetensorsSync(target, { a: allDtypes().f64! }));
    assert.deepEqual(await readdir(target), ['keep']);
    assert.deepEqual((await readdir(dir)).sort(), ['d.safetensors', 'm.safetensors']);
    assert.deepEqual(await readFile(p), before);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('hostile headers: nesting 5,000 deep is a FormatError (not a RangeError); errors name the byte', () => {
  for (const depth of [17, 5000, 200_000]) rejects(craft(`{"__metadata__":${'['.repeat(depth)}${']'.repeat(depth)}}`), 'm.safetensors: byte 39:', 'nested at most 16 levels deep');
  rejects(craft('{"a":1,}'), 'm.safetensors: byte 15:', 'a valid JSON header');
  rejects(craft('{"é":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"é":{}}'), 'm.safetensors: byte 62:', 'duplicate key "é"');
  rejects(Buffer.from([5, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x22, 0xff, 0x22, 0x7d]), 'm.safetensors: byte 10:', 'UTF-8 header');
  rejects(new Uint8Array(3), 'm.safetensors: byte 0:', 'at least 8 bytes');
});
