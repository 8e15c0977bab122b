/**
 * One golden fixture of PyTorch's nn.RNN / nn.LSTM / nn.GRU (tools/gen_fixtures.py) checked against
 * recur on the current backend: outputs, final states and every gradient, float32, as multiples of
 * numpy.allclose's tolerance 1e-6 + 1e-5·|want|; likewise the interop fixtures (interopCheck). Platform-
 * neutral (core only): test/golden.test.ts and test/interop.test.ts run them in Node, test/browser/parity.ts
 * in Chromium.
 */
import { GRU, LSTM, RNN, F, Tensor, type RecurrentState, type StFile } from '../src/core.js';
import { tensorFromSt } from '../src/io/tensor-st.js';

export interface GoldenConfig { cell: string; num_layers: number; bidirectional: boolean; batch_first: boolean; proj_size: number; input_size: number; hidden_size: number; has_lengths: boolean; has_init: boolean; bias: boolean }
export interface GoldenIndex { files: { file: string; config: GoldenConfig }[] }
/** One compared quantity: worst error as a multiple of the tolerance (≤ 1 passes) and worst absolute error. */
export interface GoldenCheck { name: string; ratio: number; absErr: number }

function build(c: GoldenConfig): RNN | LSTM | GRU {
  const o = { numLayers: c.num_layers, bidirectional: c.bidirectional, batchFirst: c.batch_first, bias: c.bias };
  if (c.cell.startsWith('lstm')) return new LSTM(c.input_size, c.hidden_size, { ...o, projSize: c.proj_size });
  if (c.cell === 'gru') return new GRU(c.input_size, c.hidden_size, o);
  return new RNN(c.input_size, c.hidden_size, { ...o, nonlinearity: c.cell === 'rnn_relu' ? 'relu' : 'tanh' });
}

function compare(name: string, got: Tensor | null | undefined, want: Tensor | undefined): GoldenCheck {
  if (!want) throw new Error(`fixture lacks ${name}`);
  if (!got) throw new Error(`recur produced no ${name}`);
  if (got.shape.join() !== want.shape.join()) throw new Error(`${name}: shape [${got.shape.join(', ')}], want [${want.shape.join(', ')}]`);
  let ratio = 0, absErr = 0;
  for (let i = 0; i < want.size; i++) {
    const d = Math.abs(got.data[i]! - want.data[i]!);
    ratio = Math.max(ratio, d / (1e-6 + 1e-5 * Math.abs(want.data[i]!))); // numpy.allclose(rtol=1e-5, atol=1e-6)
    absErr = Math.max(absErr, d);
  }
  return { name, ratio, absErr };
}

/** Run the fixture `st` (decoded safetensors) of configuration `c`; throws when a quantity is missing or misshapen. */
export function goldenCheck(c: GoldenConfig, st: StFile): GoldenCheck[] {
  const fx: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(st.tensors)) if (v.dtype === 'F32') fx[k] = tensorFromSt(k, v);
  const model = build(c);
  const params: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(fx)) if (k.startsWith('param.')) params[k.slice(6)] = v;
  model.loadStateDict(params);
  const x = fx['input.x']!.requireGrad();
  const state: RecurrentState | null = c.has_init ? { h: fx['input.h0']!.requireGrad(), c: fx['input.c0']?.requireGrad() } : null;
  const lengths = c.has_lengths ? Array.from(st.tensors['input.lengths']!.data as BigInt64Array, Number) : null;
  const { output, state: s } = model.forward(x, { state, lengths });
  let loss = F.sum(F.mul(output, fx['upstream.output']!));
  loss = F.add(loss, F.sum(F.mul(s.h, fx['upstream.h_n']!)));
  if (s.c) loss = F.add(loss, F.sum(F.mul(s.c, fx['upstream.c_n']!)));
  loss.backward();
  const checks: [string, Tensor | null | undefined, Tensor | undefined][] = [['output', output, fx['out.output']], ['h_n', s.h, fx['out.h_n']], ['grad.x', x.grad, fx['grad.x']]];
  if (s.c) checks.push(['c_n', s.c, fx['out.c_n']]);
  if (state) {
    checks.push(['grad.h0', state.h.grad, fx['grad.h0']]);
    if (state.c) checks.push(['grad.c0', state.c.grad, fx['grad.c0']]);
  }
  for (const [k, p] of Object.entries(model.stateDict())) checks.push([`grad.${k}`, p.grad, fx[`grad.${k}`]]);
  return checks.map(([name, got, want]) => compare(name, got, want));
}

/** The interop fixtures' models (tools/gen_interop_fixtures.py): configurations outside the golden grid. */
export const INTEROP_MODELS = {
  lstm: () => new LSTM(7, 6, { numLayers: 3, bidirectional: true, batchFirst: true, projSize: 4 }),
  gru: () => new GRU(3, 9, { numLayers: 2, bidirectional: true }),
  rnn: () => new RNN(5, 4, { numLayers: 3, batchFirst: true, nonlinearity: 'relu' }),
};

/** Every tensor of a decoded safetensors file, by name. */
export const stTensors = (st: StFile): Record<string, Tensor> => Object.fromEntries(Object.entries(st.tensors).map(([k, v]) => [k, tensorFromSt(k, v)]));

/**
 * One interop fixture: a PyTorch state dict with plain keys (`sd`, from <name>.safetensors) loaded into
 * the model, run on the fixture's inputs (`fx`, from <name>.io.safetensors): outputs, states, every gradient.
 */
export function interopCheck(name: keyof typeof INTEROP_MODELS, sd: Record<string, Tensor>, fx: Record<string, Tensor>): GoldenCheck[] {
  const model = INTEROP_MODELS[name]();
  model.loadStateDict(sd);
  const x = fx.x!.requireGrad();
  const state: RecurrentState = { h: fx.h0!.requireGrad(), c: fx.c0?.requireGrad() };
  const out = model.forward(x, { state });
  let loss = F.add(F.sum(F.mul(out.output, fx.up_output!)), F.sum(F.mul(out.state.h, fx.up_h_n!)));
  if (out.state.c) loss = F.add(loss, F.sum(F.mul(out.state.c, fx.up_c_n!)));
  loss.backward();
  const checks: [string, Tensor | null | undefined, Tensor | undefined][] = [
    ['output', out.output, fx.output], ['h_n', out.state.h, fx.h_n], ['grad x', x.grad, fx.grad_x], ['grad h0', state.h.grad, fx.grad_h0],
  ];
  if (out.state.c) checks.push(['c_n', out.state.c, fx.c_n], ['grad c0', state.c!.grad, fx.grad_c0]);
  for (const [k, p] of Object.entries(model.stateDict())) checks.push([`grad ${k}`, p.grad, fx[`grad.${k}`]]);
  return checks.map(([n, got, want]) => compare(n, got, want));
}
