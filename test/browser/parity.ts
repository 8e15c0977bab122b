/**
 * The PyTorch golden fixtures (../golden-check.ts, every file of ../fixtures/recurrent) and float64
 * gradient checks of the recurrent modules, run in the page on the wasm backend; the outcome is on
 * window.parity for test/browser-parity.test.ts.
 */
import { F, GRU, LSTM, RNN, Rng, decodeSafetensors, getBackend, gradcheck, initWasm, randn, type Tensor } from 'recur';
import { goldenCheck, type GoldenIndex } from '../golden-check.js';
import index from '../fixtures/recurrent/INDEX.json';

const urls = import.meta.glob<string>('../fixtures/recurrent/*.safetensors', { query: '?url', import: 'default', eager: true });

interface Parity { backend: string; golden: { file: string; worst: number; error?: string }[]; gradchecks: { name: string; ok: boolean; worst: string }[]; done: boolean }
const parity: Parity = { backend: '', golden: [], gradchecks: [], done: false };
(window as unknown as { parity: Parity }).parity = parity;

/** A 2-layer bidirectional module with lengths and an initial state, in float64 (which every compiled backend routes to the reference kernels). */
function gradcheckModule(name: string, m: RNN | LSTM | GRU, rng: Rng): void {
  m.toDType('float64');
  const r64 = (shape: number[]): Tensor => randn(shape, rng, { dtype: 'float64', requiresGrad: true });
  const x = r64([3, 3, 2]), h = r64([4, 3, 3]), c = m.mode === 'lstm' ? r64([4, 3, 3]) : undefined;
  const flat = (t: Tensor): Tensor => F.reshape(t, [t.size]);
  const f = (): Tensor => {
    const { output, state } = m.forward(x, { state: { h, c }, lengths: [3, 1, 2] });
    return F.concat([flat(output), flat(state.h), ...(state.c ? [flat(state.c)] : [])], 0);
  };
  const r = gradcheck(f, [x, h, ...(c ? [c] : []), ...m.parameters()]);
  parity.gradchecks.push({ name, ok: r.ok, worst: r.worst });
}

await initWasm();
parity.backend = getBackend().name;
for (const { file, config } of (index as GoldenIndex).files) {
  try {
    const url = urls[`../fixtures/recurrent/${file}`];
    if (!url) throw new Error('not bundled');
    const st = decodeSafetensors(await (await fetch(url)).arrayBuffer(), file);
    parity.golden.push({ file, worst: Math.max(...goldenCheck(config, st).map((c) => c.ratio)) });
  } catch (e) {
    parity.golden.push({ file, worst: NaN, error: e instanceof Error ? e.message : String(e) });
  }
}
const rng = new Rng(2024), o = { numLayers: 2, bidirectional: true, rng: new Rng(7) };
gradcheckModule('rnn_tanh', new RNN(2, 3, o), rng);
gradcheckModule('lstm', new LSTM(2, 3, o), rng);
gradcheckModule('gru', new GRU(2, 3, o), rng);
const failed = parity.golden.filter((g) => !(g.worst <= 1));
document.getElementById('out')!.textContent = `${parity.backend}: ${parity.golden.length - failed.length}/${parity.golden.length} golden fixtures pass; gradchecks ${parity.gradchecks.map((g) => `${g.name} ${g.ok ? 'ok' : 'FAIL'}`).join(', ')}`;
parity.done = true;
