/**
 * The PyTorch golden and interop fixtures (../golden-check.ts, every file of ../fixtures/recurrent and
 * ../fixtures/interop) on the wasm backend, first on the single-thread build (initWasm with threads 1),
 * then on the threaded build with two threads (wasm/recur-mt.wasm + a Web Worker; the page is served
 * cross-origin isolated), where a larger LSTM (batch cut into slices) must also give the same bits; then
 * the same on the relaxed-SIMD builds (recur-relaxed.wasm, recur-mt-relaxed.wasm: FMA, other last bits),
 * and float64 gradient checks of the recurrent modules (which every compiled
 * backend routes to the reference kernels: run once). The outcome is on window.parity for
 * test/browser-parity.test.ts.
 */
import { F, GRU, LSTM, RNN, Rng, backendInfo, decodeSafetensors, gradcheck, initWasm, randn, type Tensor } from 'recur';
import { INTEROP_MODELS, goldenCheck, interopCheck, stTensors, type GoldenIndex } from '../golden-check.js';
import index from '../fixtures/recurrent/INDEX.json';

const urls = import.meta.glob<string>(['../fixtures/recurrent/*.safetensors', '../fixtures/interop/*.safetensors'], { query: '?url', import: 'default', eager: true });

interface Fixture { file: string; worst: number; error?: string }
interface Run { backend: string; cpuPath: string | null; threads: number; golden: Fixture[]; interop: Fixture[]; big: number[] }
/** bigSame: per build (plain, relaxed), the sliced LSTM's bits on 1 and 2 threads agree; relaxedMaxDiff: plain vs relaxed. */
interface Parity { isolated: boolean; runs: Run[]; bigSame?: boolean[]; relaxedMaxDiff?: number; gradchecks: { name: string; ok: boolean; worst: string }[]; done: boolean; error?: string }
const parity: Parity = { isolated: crossOriginIsolated, runs: [], gradchecks: [], done: false };
(window as unknown as { parity: Parity }).parity = parity;

const fetchSt = async (path: string) => {
  const url = urls[path];
  if (!url) throw new Error(`${path} not bundled`);
  return decodeSafetensors(await (await fetch(url)).arrayBuffer(), path);
};

async function fixture(file: string, check: () => Promise<{ ratio: number }[]>): Promise<Fixture> {
  try {
    return { file, worst: Math.max(...(await check()).map((c) => c.ratio)) };
  } catch (e) {
    return { file, worst: NaN, error: e instanceof Error ? e.message : String(e) };
  }
}

/** Output and gradients of an LSTM big enough for the kernels to cut its batch into slices (threads). */
function big(): number[] {
  const rng = new Rng(5), lstm = new LSTM(21, 70, { rng, projSize: 24 });
  const x = randn([9, 48, 21], rng, { requiresGrad: true });
  const { output } = lstm.forward(x, { lengths: Array.from({ length: 48 }, (_, b) => 1 + ((b * 5) % 9)) });
  F.sum(F.mul(output, output)).backward();
  return [...output.data, ...x.grad!.data, ...lstm.parameters().flatMap((p) => [...p.grad!.data])];
}

async function fixtures(threads: number, relaxedSimd: boolean): Promise<Run> {
  await initWasm(undefined, { threads, relaxedSimd });
  const info = backendInfo(), run: Run = { backend: info.name, cpuPath: info.cpuPath, threads: info.threads, golden: [], interop: [], big: big() };
  for (const { file, config } of (index as GoldenIndex).files) {
    run.golden.push(await fixture(file, async () => goldenCheck(config, await fetchSt(`../fixtures/recurrent/${file}`))));
  }
  for (const name of Object.keys(INTEROP_MODELS) as (keyof typeof INTEROP_MODELS)[]) {
    const dir = '../fixtures/interop';
    run.interop.push(await fixture(name, async () => interopCheck(name, stTensors(await fetchSt(`${dir}/${name}.safetensors`)), stTensors(await fetchSt(`${dir}/${name}.io.safetensors`)))));
  }
  return run;
}

/** A 2-layer bidirectional module with lengths and an initial state, in float64. */
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

try {
  for (const relaxed of [false, true]) for (const threads of [1, 2]) parity.runs.push(await fixtures(threads, relaxed));
  const bigs = parity.runs.map((r) => r.big), same = (a: number[], b: number[]): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
  parity.bigSame = [same(bigs[0]!, bigs[1]!), same(bigs[2]!, bigs[3]!)];
  parity.relaxedMaxDiff = bigs[0]!.reduce((m, v, i) => Math.max(m, Math.abs(v - bigs[2]![i]!)), 0);
  for (const r of parity.runs) r.big = [];
  const rng = new Rng(2024), o = { numLayers: 2, bidirectional: true, rng: new Rng(7) };
  gradcheckModule('rnn_tanh', new RNN(2, 3, o), rng);
  gradcheckModule('lstm', new LSTM(2, 3, o), rng);
  gradcheckModule('gru', new GRU(2, 3, o), rng);
} catch (e) {
  parity.error = e instanceof Error ? `${e.message}\n${e.stack}` : String(e);
}
document.getElementById('out')!.textContent = parity.runs.map((r) => {
  const all = [...r.golden, ...r.interop], bad = all.filter((g) => !(g.worst <= 1)).length;
  return `${r.cpuPath} ×${r.threads}: ${all.length - bad}/${all.length} fixtures pass`;
}).join('; ') + `; gradchecks ${parity.gradchecks.map((g) => `${g.name} ${g.ok ? 'ok' : 'FAIL'}`).join(', ')}`;
parity.done = true;
