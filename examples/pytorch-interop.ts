/**
 * Load a PyTorch LSTM state dict from safetensors, run forward and backward, read outputs,
 * states and gradients. The README's "Use a PyTorch model" section shows this file.
 *
 * In Python:  safetensors.torch.save_file(lstm.state_dict(), "lstm.safetensors")
 * Run:        npx tsx examples/pytorch-interop.ts [path/to/lstm.safetensors]
 */
import { LSTM, F, loadStateDictFile, randn, Rng } from '../src/index.js';

export async function main(path = new URL('../test/fixtures/interop/lstm.safetensors', import.meta.url).pathname) {
  // Same constructor arguments as torch.nn.LSTM(7, 6, num_layers=3, bidirectional=True, batch_first=True, proj_size=4)
  const lstm = new LSTM(7, 6, { numLayers: 3, bidirectional: true, batchFirst: true, projSize: 4 });
  lstm.loadStateDict(await loadStateDictFile(path)); // PyTorch keys: weight_ih_l0, weight_hr_l2_reverse, ...

  const rng = new Rng(0);
  const x = randn([4, 11, 7], rng).requireGrad(); // (B, T, I)
  const { output, state } = lstm.forward(x, { lengths: [11, 5, 8, 1] }); // output (B, T, 2·4); state.h (6, B, 4), state.c (6, B, 6)

  const loss = F.mean(F.square(output));
  loss.backward();
  return {
    output: output.shape, h: state.h.shape, c: state.c!.shape, loss: loss.item(),
    gradX: x.grad!.shape, gradWeightIhL0: lstm.param('weight_ih_l0').grad!.shape,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await main(process.argv[2]));
