/**
 * The recur → PyTorch fixture (test/fixtures/torch-load/): a recur training checkpoint of a 2-layer
 * bidirectional LSTM with a projection (lstm.ckpt.safetensors, keys `model.weight_ih_l0`, …) and,
 * beside it, an input batch with lengths and recur's outputs and final states (io.safetensors).
 * tools/check_torch_load.py loads the checkpoint into torch.nn.LSTM with load_state_dict and compares;
 * test/torch-load.test.ts checks that the committed files are what this generator makes today.
 * Regenerate: `npx tsx tools/gen-torch-load-fixture.ts`.
 */
import { join } from 'node:path';
import { LSTM, Rng, Tensor, encodeCheckpoint, encodeSafetensors, noGrad, randn, writeFileAtomicSync, type StTensor } from '../src/index.js';

export const TORCH_LOAD_DIR = join(import.meta.dirname, '..', 'test', 'fixtures', 'torch-load');
/** The module's options, also stored in the checkpoint (extra.config) for the Python side. */
export const TORCH_LOAD_CONFIG = { inputSize: 5, hiddenSize: 8, numLayers: 2, bidirectional: true, projSize: 3, batchFirst: false, T: 7, B: 4, lengths: [7, 5, 2, 6], seed: 2026 };

const st = (t: Tensor): StTensor => ({ dtype: 'F32', shape: [...t.shape], data: Float32Array.from(t.data) });

/** The two files' bytes, made from the seed. */
export function torchLoadFixture(): { checkpoint: Uint8Array; io: Uint8Array } {
  const c = TORCH_LOAD_CONFIG;
  const rng = new Rng(c.seed);
  const lstm = new LSTM(c.inputSize, c.hiddenSize, { numLayers: c.numLayers, bidirectional: c.bidirectional, projSize: c.projSize, batchFirst: c.batchFirst, rng }).eval();
  const x = randn([c.T, c.B, c.inputSize], rng);
  const out = noGrad(() => lstm.forward(x, { lengths: c.lengths }));
  const checkpoint = encodeCheckpoint({ model: lstm.stateDict(), extra: { config: c } });
  const io = encodeSafetensors(
    { x: st(x), lengths: { dtype: 'I64', shape: [c.B], data: BigInt64Array.from(c.lengths, BigInt) }, output: st(out.output), h_n: st(out.state.h), c_n: st(out.state.c!) },
    { config: JSON.stringify(c), note: 'recur outputs of lstm.ckpt.safetensors on x with lengths (padded outputs are zeros)' },
  );
  return { checkpoint, io };
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const f = torchLoadFixture();
  writeFileAtomicSync(join(TORCH_LOAD_DIR, 'lstm.ckpt.safetensors'), f.checkpoint);
  writeFileAtomicSync(join(TORCH_LOAD_DIR, 'io.safetensors'), f.io);
  console.log(`wrote ${TORCH_LOAD_DIR}/lstm.ckpt.safetensors and io.safetensors`);
}
