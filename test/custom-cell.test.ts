/**
 * User-defined recurrent cells (RecurrentCell + scan/Recurrent): a GRU written from ops matches
 * nn.GRU (outputs and every gradient, float64, with lengths), the unrolled graph passes
 * gradcheck, and the GRU-D cell's decay parameters pass gradcheck.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  F, GRU, GRUDCell, Recurrent, RecurrentCell, Rng, Tensor, backward, gradcheck, randn, scan, tensor,
} from '../src/index.js';

/** PyTorch's GRU (r, z, n; b_hn inside the reset product) from ops, reading nn.GRU-named parameters. */
class OpsGRUCell extends RecurrentCell {
  constructor(readonly inputSize: number, readonly hiddenSize: number, params: Record<string, Tensor>) {
    super();
    for (const k of ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']) this.registerParameter(k, params[k]!);
  }
  forward(x: Tensor, s: { h: Tensor }): { h: Tensor } {
    const H = this.hiddenSize;
    const gi = F.linear(x, this.param('weight_ih'), this.param('bias_ih'));
    const gh = F.linear(s.h, this.param('weight_hh'), this.param('bias_hh'));
    const part = (g: Tensor, k: number): Tensor => F.slice(g, 1, k * H, (k + 1) * H);
    const r = F.sigmoid(F.add(part(gi, 0), part(gh, 0)));
    const z = F.sigmoid(F.add(part(gi, 1), part(gh, 1)));
    const n = F.tanh(F.add(part(gi, 2), F.mul(r, part(gh, 2))));
    return { h: F.add(n, F.mul(z, F.sub(s.h, n))) }; // (1 − z)·n + z·h
  }
}

function gruPair(I: number, H: number): { gru: GRU; cell: OpsGRUCell } {
  const gru = new GRU(I, H, { rng: new Rng(3) }).toDType('float64');
  const sd = gru.stateDict();
  const clone = (t: Tensor): Tensor => new Tensor(Float64Array.from(t.data), t.shape, { requiresGrad: true });
  const cell = new OpsGRUCell(I, H, {
    weight_ih: clone(sd['weight_ih_l0']!), weight_hh: clone(sd['weight_hh_l0']!),
    bias_ih: clone(sd['bias_ih_l0']!), bias_hh: clone(sd['bias_hh_l0']!),
  });
  return { gru, cell };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

test('a GRU written as a RecurrentCell matches nn.GRU: output, final state and all gradients (float64, with lengths)', () => {
  const [T, B, I, H] = [6, 3, 4, 5];
  const { gru, cell } = gruPair(I, H);
  const rng = new Rng(11);
  const x1 = randn([T, B, I], rng, { dtype: 'float64', requiresGrad: true });
  const x2 = new Tensor(Float64Array.from(x1.data), x1.shape, { requiresGrad: true });
  const lengths = [6, 4, 1];
  const a = gru.forward(x1, { lengths });
  const b = new Recurrent(cell).forward(x2, { lengths });
  assert.ok(maxDiff(a.output.data, b.output.data) < 1e-12, 'outputs');
  assert.ok(maxDiff(a.state.h.data, b.state.h.data) < 1e-12, 'final h');
  const w = randn([T, B, H], rng, { dtype: 'float64' });
  const wh = randn([B, H], rng, { dtype: 'float64' });
  const loss = (o: Tensor, h: Tensor): Tensor => F.add(F.sum(F.mul(o, w)), F.sum(F.mul(F.reshape(h, [B, H]), wh)));
  backward(loss(a.output, a.state.h));
  backward(loss(b.output, b.state.h));
  assert.ok(maxDiff(x1.grad!.data, x2.grad!.data) < 1e-12, 'dx');
  for (const [k, ref] of [['weight_ih', 'weight_ih_l0'], ['weight_hh', 'weight_hh_l0'], ['bias_ih', 'bias_ih_l0'], ['bias_hh', 'bias_hh_l0']]) {
    const d = maxDiff(gru.param(ref!).grad!.data, cell.param(k!).grad!.data);
    assert.ok(d < 1e-12, `d${k}: ${d}`);
  }
});

test('scan over a custom cell passes gradcheck (x, h0 and parameters, with lengths)', () => {
  const { cell } = gruPair(3, 4);
  const rng = new Rng(5);
  const x = randn([5, 2, 3], rng, { dtype: 'float64', requiresGrad: true });
  const h0 = randn([2, 4], rng, { dtype: 'float64', requiresGrad: true });
  const f = (): Tensor => {
    const { output, state } = scan(cell, x, { state: { h: h0 }, lengths: [5, 2] });
    return F.concat([F.reshape(output, [output.size]), F.reshape(state.h, [state.h.size])], 0);
  };
  const res = gradcheck(f, [x, h0, ...cell.parameters()]);
  assert.ok(res.ok, `${res.worst} (max abs err ${res.maxAbsErr})`);
});

test('scan: past its length a sequence keeps its state and outputs zeros', () => {
  const { cell } = gruPair(2, 3);
  const x = randn([4, 2, 2], new Rng(1), { dtype: 'float64' });
  const { output, state } = scan(cell, x, { lengths: [4, 2] });
  const short = scan(cell, F.slice(x, 0, 0, 2), {});
  for (let j = 0; j < 3; j++) assert.equal(state.h.data[3 + j], short.state.h.data[3 + j]);
  for (let t = 2; t < 4; t++) for (let j = 0; j < 3; j++) assert.ok(output.data[t * 6 + 3 + j] === 0);
  assert.throws(() => scan(cell, x, { lengths: [5, 2] }), /lengths/);
  assert.throws(() => scan(cell, x, { inputs: { mask: randn([3, 2, 2], new Rng(1)) } }), /inputs\.mask/);
});

function grudInputs(T: number, B: number, I: number, rng: Rng): { x: Tensor; mask: Tensor; delta: Tensor; xLast: Tensor } {
  const n = T * B * I;
  const m = new Float64Array(n);
  const d = new Float64Array(n);
  const xl = new Float64Array(n);
  const xv = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    m[i] = rng.random() < 0.5 ? 1 : 0;
    xv[i] = m[i] ? rng.normal() : 0;
    d[i] = rng.uniform(0.1, 3); // away from the relu kink at 0 for finite differences
    xl[i] = rng.normal();
  }
  const mk = (b: Float64Array): Tensor => new Tensor(b, [T, B, I]);
  return { x: mk(xv), mask: mk(m), delta: mk(d), xLast: mk(xl) };
}

test('GRU-D cell: gradcheck of the decay parameters (and every other parameter) through time', () => {
  const cell = new GRUDCell(3, 4, { rng: new Rng(9), xMean: [0.5, -0.2, 0.1] }).toDType('float64');
  // Positive decay rates so γ is not clamped at 1 (exp(−max(0, ·)) has a kink at 0).
  for (const k of ['decay_x_weight', 'decay_h_weight']) cell.param(k).data.forEach((v, i, a) => { a[i] = Math.abs(v) + 0.2; });
  const inp = grudInputs(4, 2, 3, new Rng(4));
  const f = (): Tensor => {
    const { state } = scan(cell, inp.x, { inputs: { mask: inp.mask, delta: inp.delta, xLast: inp.xLast } });
    return state.h;
  };
  const decay = ['decay_x_weight', 'decay_x_bias', 'decay_h_weight', 'decay_h_bias'].map((k) => cell.param(k));
  const res = gradcheck(f, decay);
  assert.ok(res.ok, `decay: ${res.worst} (max abs err ${res.maxAbsErr})`);
  for (const p of decay) assert.ok(p.grad && p.grad.data.some((v) => v !== 0), 'non-zero decay gradients');
  const all = gradcheck(f, cell.parameters());
  assert.ok(all.ok, `all: ${all.worst}`);
});

test('GRU-D cell: a known answer — with all inputs missing and δ large, x̂ decays to x̄ and h to 0 before the update', () => {
  const cell = new GRUDCell(1, 1, { rng: new Rng(1), xMean: [2] }).toDType('float64');
  cell.param('decay_x_weight').data[0] = 1;
  cell.param('decay_x_bias').data[0] = 0;
  cell.param('decay_h_weight').data[0] = 1;
  cell.param('decay_h_bias').data[0] = 0;
  cell.param('weight_ih').data.set([0, 0, 0, 0, 1, 0]); // n-gate sees x̂ only
  cell.param('weight_hh').data.fill(0);
  cell.param('bias').data.set([0, 50, 0]); // z = 1: h' = h̃ = tanh(x̂)
  const one = (v: number): Tensor => tensor([[[v]]], undefined, { dtype: 'float64' });
  const run = (delta: number): number =>
    scan(cell, one(0), { state: { h: tensor([[0.7]], undefined, { dtype: 'float64' }) }, inputs: { mask: one(0), delta: one(delta), xLast: one(-1) } }).state.h.data[0]!;
  const gx = (d: number): number => Math.exp(-d);
  for (const d of [0, 0.5, 30]) {
    const xhat = gx(d) * -1 + (1 - gx(d)) * 2;
    assert.ok(Math.abs(run(d) - Math.tanh(xhat)) < 1e-9, `δ=${d}`);
  }
});

test('GRU-D cell: missing side inputs are a typed error', () => {
  const cell = new GRUDCell(2, 3);
  const x = randn([2, 1, 2], new Rng(1));
  assert.throws(() => scan(cell, x), /mask, delta and xLast/);
});
