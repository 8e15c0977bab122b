/**
 * The recur → PyTorch fixture (test/fixtures/torch-load, checked against torch.nn.LSTM by
 * tools/check_torch_load.py) stays consistent: the committed checkpoint is what the generator makes
 * from its seed, and recur still computes the committed outputs and final states from it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LSTM, decodeCheckpoint, decodeSafetensors, loadCheckpointSync, noGrad, readSafetensorsSync, Tensor } from '../src/index.js';
import { TORCH_LOAD_CONFIG as C, TORCH_LOAD_DIR as DIR, torchLoadFixture } from '../tools/gen-torch-load-fixture.js';

function close(name: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  assert.equal(got.length, want.length, `${name}: size`);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-6 + 1e-5 * Math.abs(want[i]!), `${name}[${i}]: ${got[i]} vs committed ${want[i]}`);
}

test('torch-load fixture: the committed checkpoint is the generator\'s, and recur reproduces the committed outputs', () => {
  const ck = loadCheckpointSync(join(DIR, 'lstm.ckpt.safetensors'));
  const fresh = decodeCheckpoint(torchLoadFixture().checkpoint);
  assert.deepEqual(Object.keys(ck.model).sort(), Object.keys(fresh.model).sort());
  for (const [k, t] of Object.entries(fresh.model)) assert.deepEqual(Array.from(ck.model[k]!.data), Array.from(t.data), k);
  assert.deepEqual((ck.extra as { config: unknown }).config, C);

  const lstm = new LSTM(C.inputSize, C.hiddenSize, { numLayers: C.numLayers, bidirectional: C.bidirectional, projSize: C.projSize, batchFirst: C.batchFirst }).eval();
  lstm.loadStateDict(ck.model);
  const io = readSafetensorsSync(join(DIR, 'io.safetensors')).tensors;
  assert.deepEqual(Array.from(io.lengths!.data as BigInt64Array, Number), C.lengths);
  const out = noGrad(() => lstm.forward(new Tensor(io.x!.data as Float32Array, io.x!.shape), { lengths: C.lengths }));
  close('output', out.output.data, io.output!.data as Float32Array);
  close('h_n', out.state.h.data, io.h_n!.data as Float32Array);
  close('c_n', out.state.c!.data, io.c_n!.data as Float32Array);
  // The committed io file is also what the generator writes (inputs included).
  const freshIo = decodeSafetensors(torchLoadFixture().io).tensors;
  assert.deepEqual(Array.from(freshIo.x!.data as Float32Array), Array.from(io.x!.data as Float32Array));
});
