/** src/io/checkpoint: one safetensors file with model.*, optim.* and JSON metadata; typed errors; atomic writes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor } from '../src/tensor/tensor.js';
import { LSTM } from '../src/nn/recurrent.js';
import { Adam } from '../src/optim/adam.js';
import { Rng } from '../src/util/rng.js';
import { FormatError, ValueError } from '../src/util/errors.js';
import { decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensors } from '../src/io/safetensors.js';
import {
  CHECKPOINT_FORMAT, decodeCheckpoint, encodeCheckpoint, loadCheckpoint, loadCheckpointSync, saveCheckpoint, saveCheckpointSync,
} from '../src/io/checkpoint.js';

const tmp = (): Promise<string> => mkdtemp(join(tmpdir(), 'recur-ckpt-'));

/** An LSTM and an Adam that has taken two steps (so it has state buffers). */
function trained(seed: number): { model: LSTM; opt: Adam } {
  const model = new LSTM(2, 4, { rng: new Rng(seed) });
  const opt = new Adam(model.parameters(), { lr: 0.01 });
  for (let s = 0; s < 2; s++) {
    for (const p of model.parameters()) p.grad = new Tensor(p.data.map((v, i) => Math.sin(v * 3 + i + s)), p.shape);
    opt.step();
  }
  return { model, opt };
}

test('checkpoint round trip: model, optimizer and extra; model.* keys are PyTorch names', async () => {
  const dir = await tmp();
  const path = join(dir, 'c.safetensors');
  const { model, opt } = trained(1);
  const extra = { epoch: 3, rng: [1, 2, 3, 4, null], history: [{ loss: 0.5 }], name: 'run' };
  await saveCheckpoint(path, { model: model.stateDict(), optimizer: opt.stateDict(), extra });
  const raw = await readSafetensors(path);
  assert.equal(raw.metadata.format, CHECKPOINT_FORMAT);
  const modelKeys = Object.keys(raw.tensors).filter((k) => k.startsWith('model.')).map((k) => k.slice(6)).sort();
  assert.deepEqual(modelKeys, ['bias_hh_l0', 'bias_ih_l0', 'weight_hh_l0', 'weight_ih_l0']);
  assert.ok(Object.keys(raw.tensors).every((k) => k.startsWith('model.') || k.startsWith('optim.')));
  assert.ok('optim.exp_avg.0' in raw.tensors);

  const ck = await loadCheckpoint(path);
  assert.deepEqual(ck.extra, extra);
  const fresh = trained(2);
  fresh.model.loadStateDict(ck.model);
  fresh.opt.loadStateDict(ck.optimizer as ReturnType<Adam['stateDict']>);
  const weights = (m: LSTM): Record<string, number[]> => Object.fromEntries(m.namedParameters().map(([k, t]) => [k, Array.from(t.data)]));
  assert.deepEqual(weights(fresh.model), weights(model));
  assert.deepEqual(fresh.opt.stateDict(), opt.stateDict());
  assert.deepEqual(loadCheckpointSync(path), ck);
});

test('checkpoint without optimizer or extra; sync save', async () => {
  const path = join(await tmp(), 'm.safetensors');
  const { model } = trained(3);
  saveCheckpointSync(path, { model: model.stateDict() });
  const ck = await loadCheckpoint(path);
  assert.equal(ck.optimizer, undefined);
  assert.equal(ck.extra, undefined);
  assert.deepEqual(Object.keys(ck.model).sort(), Object.keys(model.stateDict()).sort());
});

test('malformed checkpoints are FormatErrors naming the file', async () => {
  const dir = await tmp();
  const good = encodeCheckpoint({ model: trained(1).model.stateDict(), optimizer: trained(1).opt.stateDict(), extra: { a: 1 } });
  const t = { dtype: 'F32' as const, shape: [1], data: new Float32Array([1]) };
  const cases: [string, Uint8Array, RegExp][] = [
    ['truncated', good.subarray(0, good.length - 5), /truncated\.safetensors/],
    ['plain', encodeSafetensors({ w: t }), /format.*not a recur checkpoint/],
    ['foreign', encodeSafetensors({ 'model.w': t }, { format: 'other/9' }), /"other\/9"/],
    ['prefix', encodeSafetensors({ w: t }, { format: CHECKPOINT_FORMAT }), /"model\." or "optim\."/],
    ['badjson', encodeSafetensors({ 'model.w': t }, { format: CHECKPOINT_FORMAT, extra: '{nope' }), /extra: expected valid JSON/],
    ['orphan', encodeSafetensors({ 'optim.exp_avg.0': t }, { format: CHECKPOINT_FORMAT }), /optimizer metadata/],
    ['badopt', encodeSafetensors({ 'model.w': t }, { format: CHECKPOINT_FORMAT, optimizer: '{"kind":1}' }), /optimizer/],
    ['intmodel', encodeSafetensors({ 'model.w': { dtype: 'I32', shape: [1], data: new Int32Array([1]) } }, { format: CHECKPOINT_FORMAT }), /float dtype/],
  ];
  for (const [name, bytes, re] of cases) {
    const path = join(dir, `${name}.safetensors`);
    await writeFile(path, bytes);
    await assert.rejects(loadCheckpoint(path), (e: unknown) => {
      assert.ok(e instanceof FormatError, `${name}: ${String(e)}`);
      assert.match(e.message, re, name);
      assert.ok(e.message.includes(path), e.message);
      return true;
    });
  }
  assert.throws(() => decodeCheckpoint(good.subarray(0, 7)), FormatError);
});

test('atomic: a failed save leaves the previous file byte-identical and no temp files', async () => {
  const dir = await tmp();
  const path = join(dir, 'last.safetensors');
  const { model, opt } = trained(1);
  await saveCheckpoint(path, { model: model.stateDict(), optimizer: opt.stateDict(), extra: { epoch: 1 } });
  const before = await readFile(path);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const bad = [{ epoch: NaN }, { best: Infinity }, { buf: new Float32Array(2) }, cyclic, { when: new Date() }];
  for (const extra of bad) {
    await assert.rejects(saveCheckpoint(path, { model: model.stateDict(), extra: extra as never }), ValueError);
  }
  await assert.rejects(saveCheckpoint(join(dir, 'missing', 'x.safetensors'), { model: model.stateDict() }));
  assert.deepEqual(await readFile(path), before);
  assert.deepEqual(await readdir(dir), ['last.safetensors']);
});

test('atomic: concurrent readers only ever see a complete checkpoint', async () => {
  const dir = await tmp();
  const path = join(dir, 'c.safetensors');
  const a = trained(1);
  const b = trained(2);
  const big = { history: Array.from({ length: 2000 }, (_, i) => ({ epoch: i, loss: i / 7 })) };
  await saveCheckpoint(path, { model: a.model.stateDict(), extra: { which: 'a' } });
  const writes: Promise<void>[] = [];
  const reads: Promise<string>[] = [];
  for (let i = 0; i < 20; i++) {
    const m = i % 2 ? b : a;
    writes.push(saveCheckpoint(path, { model: m.model.stateDict(), optimizer: m.opt.stateDict(), extra: { which: i % 2 ? 'b' : 'a', ...big } }));
    reads.push(loadCheckpoint(path).then((ck) => (ck.extra as { which: string }).which));
  }
  await Promise.all(writes);
  for (const w of await Promise.all(reads)) assert.ok(w === 'a' || w === 'b');
  await mkdir(join(dir, 'sub'));
  assert.deepEqual((await readdir(dir)).sort(), ['c.safetensors', 'sub']);
});

test('plain state-dict files are not mistaken for checkpoints', async () => {
  const path = join(await tmp(), 'sd.safetensors');
  await writeSafetensors(path, { weight: { dtype: 'F32', shape: [1], data: new Float32Array([1]) } });
  await assert.rejects(loadCheckpoint(path), FormatError);
});

test('optimizer metadata is schema-checked: missing and unknown fields named, buffers consistent with the shapes', () => {
  const { model, opt } = trained(5);
  const ck = encodeCheckpoint({ model: model.stateDict(), optimizer: opt.stateDict() });
  const edit = (f: (o: Record<string, unknown>) => void): Buffer => {
    const file = decodeSafetensors(ck);
    const o = JSON.parse(file.metadata.optimizer!) as Record<string, unknown>;
    f(o);
    return encodeSafetensors(file.tensors, { ...file.metadata, optimizer: JSON.stringify(o) });
  };
  const fails = (bytes: Buffer, re: RegExp): void => assert.throws(() => decodeCheckpoint(bytes, 'c.st'), (e: unknown) => e instanceof FormatError && re.test(e.message));
  fails(edit((o) => delete o.step), /^c\.st: __metadata__\.optimizer\.step: expected a value \(a required field\), got nothing \(missing\)$/);
  fails(edit((o) => (o.extra = 1)), /^c\.st: __metadata__\.optimizer: expected only known fields, got unknown field "extra"$/);
  fails(edit((o) => ((o.groups as { lr: unknown }[])[0]!.lr = 'fast')), /^c\.st: __metadata__\.optimizer\.groups\[0\]\.lr: expected a value of type number, got "fast"$/);
  fails(edit((o) => ((o.shapes as number[][])[0] = [1, 1])), /^c\.st: tensor "optim\.\w+\.0": expected 1 values \(parameter 0 has shape \[1, 1\]\), got 32$/);
  fails(edit((o) => (o.step = [1])), /^c\.st: __metadata__\.optimizer\.shapes: expected one shape per parameter \(1, as in step\), got 4$/);
});
