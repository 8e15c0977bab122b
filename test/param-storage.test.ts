/**
 * Parameter storage (kernels/index.ts paramStorage, nn/init.ts uniformParam): on the native backend a
 * parameter's Float32Array starts on a 64-byte boundary (native/addon.c alignedZeros: an ArrayBuffer 64
 * bytes longer, viewed from its first aligned byte; the batch-1 dot products read such rows faster, the
 * same bits either way), elsewhere a plain Float32Array. The draws do not depend on the storage.
 * The native part is skipped without a built addon.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LSTM, Rng, getBackend, setBackend, uniform, type BackendName } from '../src/index.js';
import { paramStorage } from '../src/kernels/index.js';
import { loadNative } from '../src/kernels/native/index.js';

const loaded = loadNative();
const skip = 'error' in loaded ? `native addon not available: ${loaded.error}` : false;

function on<R>(name: BackendName, fn: () => R): R {
  const prev = getBackend().name as BackendName;
  setBackend(name);
  try {
    return fn();
  } finally {
    setBackend(prev);
  }
}

test('native parameter storage: n zeros in a view less than 64 bytes into a buffer 64 bytes longer', { skip }, () => {
  on('native', () => {
    for (const n of [0, 1, 17, 4096, 65536]) {
      const b = paramStorage(n);
      assert.ok(b instanceof Float32Array && b.length === n && b.every((v) => v === 0), `n = ${n}`);
      assert.equal(b.buffer.byteLength, 4 * n + 64);
      assert.ok(b.byteOffset < 64 && b.byteOffset % 4 === 0, `byteOffset ${b.byteOffset}`);
    }
  });
});

test('ref parameter storage is a plain Float32Array', () => {
  on('ref', () => {
    const b = paramStorage(10);
    assert.equal(b.byteOffset, 0);
    assert.equal(b.buffer.byteLength, 40);
  });
});

test('a module draws the same parameters on every storage (those of uniform)', { skip }, () => {
  const make = (): Float32Array[] => new LSTM(3, 5, { rng: new Rng(7) }).parameters().map((p) => Float32Array.from(p.data));
  const native = on('native', make), ref = on('ref', make);
  assert.deepEqual(native, ref);
  const k = 1 / Math.sqrt(5), rng = new Rng(7);
  assert.deepEqual(native[0], uniform([20, 3], -k, k, rng).data, 'weight_ih_l0 = uniform draws');
});
