/**
 * ONNX export checked by running the exported models in ONNX Runtime (onnxruntime-node, CPU) against
 * recur's own forward pass: seeded random RNN/LSTM/GRU configurations (layers, directions, batch-first,
 * bias, lengths, initial state), Linear/Conv1d/Embedding heads, the refusals, and `recur export` on
 * tiny splice and forecast runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import protobuf from 'protobufjs/light.js';
import {
  Conv1d, Embedding, F, GRU, LSTM, Linear, Module, OnnxExportError, OptionError, RNN, Rng, Tensor, exportOnnx, noGrad, onnxLinear, onnxRecurrent, randn,
} from '../src/index.js';
import { ONNX_SCHEMA } from '../src/io/onnx-schema.js';
import { SpliceNet, loadMember } from '../src/recipes/splice/index.js';
import { spliceOnnx } from '../src/recipes/splice/onnx.js';
import { loadForecastRun, loadSeries, normalise } from '../src/recipes/forecast/index.js';
import { modelForecast } from '../src/recipes/forecast/model.js';
import { forecastOnnx } from '../src/recipes/forecast/onnx.js';
import { runInProcess, smallForecastArgs, tempDir } from './cli-helpers.js';

/** numpy.allclose: |a − b| ≤ atol + rtol·|b| everywhere, with b recur's value. */
function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol = 1e-5): void {
  assert.equal(got.length, want.length, `${what}: size`);
  for (let i = 0; i < want.length; i++) {
    const excess = Math.abs(got[i]! - want[i]!) - (tol + tol * Math.abs(want[i]!));
    if (!(excess <= 0)) assert.fail(`${what}: element ${i}: ONNX Runtime ${got[i]} vs recur ${want[i]}`);
  }
}

async function runOnnx(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(bytes);
  const r = await s.run(feeds);
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.data as Float32Array]));
}

const f32 = (t: Tensor): ort.Tensor => new ort.Tensor('float32', Float32Array.from(t.data), [...t.shape]);

/** Decode a model back with the same schema (to look at opset, operators and attributes). */
function decode(bytes: Uint8Array): { opset_import: { version: number }[]; graph: { node: { op_type: string; attribute: { name: string; i?: number }[] }[] } } {
  const T = protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType('onnx.ModelProto');
  return T.toObject(T.decode(bytes), { longs: Number, defaults: true }) as ReturnType<typeof decode>;
}

interface Config {
  kind: 'rnn' | 'lstm' | 'gru';
  I: number; H: number; T: number; B: number; numLayers: number;
  bidirectional: boolean; batchFirst: boolean; bias: boolean; relu: boolean; lengths: boolean; initialState: boolean;
  /** LSTM projection size (0 = none); decomposed into a Scan per layer and direction. */
  proj: number;
}

function randomConfig(rng: Rng): Config {
  return {
    kind: (['rnn', 'lstm', 'gru'] as const)[rng.int(3)]!,
    I: 1 + rng.int(6), H: 1 + rng.int(8), T: 1 + rng.int(9), B: 1 + rng.int(5), numLayers: 1 + rng.int(3),
    bidirectional: rng.bernoulli(0.5), batchFirst: rng.bernoulli(0.5), bias: rng.bernoulli(0.7), relu: rng.bernoulli(0.5),
    lengths: rng.bernoulli(0.5), initialState: rng.bernoulli(0.4), proj: 0,
  };
}

function build(c: Config, rng: Rng): RNN | LSTM | GRU {
  const opts = { numLayers: c.numLayers, bidirectional: c.bidirectional, batchFirst: c.batchFirst, bias: c.bias, rng };
  const m = c.kind === 'lstm' ? new LSTM(c.I, c.H, { ...opts, projSize: c.proj }) : c.kind === 'gru' ? new GRU(c.I, c.H, opts) : new RNN(c.I, c.H, { ...opts, nonlinearity: c.relu ? 'relu' : 'tanh' });
  return m.eval();
}

async function checkRecurrent(c: Config, rng: Rng): Promise<void> {
  const m = build(c, rng);
  const shape = c.batchFirst ? [c.B, c.T, c.I] : [c.T, c.B, c.I];
  const x = randn(shape, rng);
  const LD = c.numLayers * (c.bidirectional ? 2 : 1);
  // One sequence always runs the full length so that T is really exercised.
  const lengths = c.lengths ? Int32Array.from({ length: c.B }, (_, b) => (b === 0 ? c.T : 1 + rng.int(c.T))) : null;
  const state = c.initialState ? { h: randn([LD, c.B, c.proj || c.H], rng), ...(c.kind === 'lstm' ? { c: randn([LD, c.B, c.H], rng) } : {}) } : null;
  const want = noGrad(() => m.forward(x, { lengths, state }));
  // Dynamic time and batch axes: the model is exported at one shape and run at that shape.
  const bytes = exportOnnx(m, { inputShape: shape, dynamicAxes: c.batchFirst ? { 0: 'batch', 1: 'time' } : { 0: 'time', 1: 'batch' }, lengths: c.lengths, initialState: c.initialState });
  const feeds: Record<string, ort.Tensor> = { input: f32(x) };
  if (lengths) feeds.lengths = new ort.Tensor('int32', lengths, [c.B]);
  if (state) feeds.h0 = f32(state.h);
  if (state?.c) feeds.c0 = f32(state.c);
  const got = await runOnnx(bytes, feeds);
  const what = JSON.stringify(c);
  assertClose(got.output!, want.output.data, `${what} output`);
  assertClose(got.h_n!, want.state.h.data, `${what} h_n`);
  if (c.kind === 'lstm') assertClose(got.c_n!, want.state.c!.data, `${what} c_n`);
  else assert.equal(got.c_n, undefined);
}

test('random RNN/LSTM/GRU configurations: ONNX Runtime equals recur within 1e-5 (outputs and final states)', async () => {
  const rng = new Rng(20261206);
  const seen = new Set<string>();
  for (let k = 0; k < 36; k++) {
    const c = randomConfig(rng);
    if (c.kind === 'lstm' && c.H > 1 && rng.bernoulli(0.5)) c.proj = 1 + rng.int(c.H - 1);
    seen.add(c.kind);
    await checkRecurrent(c, rng);
  }
  assert.deepEqual([...seen].sort(), ['gru', 'lstm', 'rnn']);
});

test('LSTM with projSize (decomposed: a Scan per layer and direction): every layout, with lengths and initial state', async () => {
  const rng = new Rng(99);
  for (let numLayers = 1; numLayers <= 3; numLayers++) {
    for (const bidirectional of [false, true]) {
      for (const lengths of [false, true]) {
        const c: Config = { ...randomConfig(rng), kind: 'lstm', H: 6, proj: 1 + rng.int(5), numLayers, bidirectional, lengths, T: 6, B: 3 };
        await checkRecurrent(c, rng);
      }
    }
  }
  const m = decode(exportOnnx(new LSTM(3, 8, { projSize: 4, bidirectional: true, rng }), { inputShape: [5, 2, 3] }));
  assert.deepEqual(m.graph.node.filter((n) => n.op_type === 'Scan').length, 2, 'one Scan per direction');
  assert.equal(m.graph.node.filter((n) => n.op_type === 'LSTM').length, 0);
});

test('every mode × layers 1–3 × direction × lengths, one configuration each', async () => {
  const rng = new Rng(7);
  for (const kind of ['rnn', 'lstm', 'gru'] as const) {
    for (let numLayers = 1; numLayers <= 3; numLayers++) {
      for (const bidirectional of [false, true]) {
        await checkRecurrent({ ...randomConfig(rng), kind, numLayers, bidirectional, lengths: true, T: 7, B: 3 }, rng);
      }
    }
  }
});

test('the exported graph: the stated opset, ONNX recurrent operators, GRU linear_before_reset = 1', () => {
  const rng = new Rng(3);
  for (const opset of [14, 17]) {
    const m = decode(exportOnnx(new GRU(3, 4, { numLayers: 2, rng }), { inputShape: [5, 2, 3], opset }));
    assert.equal(m.opset_import[0]!.version, opset);
    const grus = m.graph.node.filter((n) => n.op_type === 'GRU');
    assert.equal(grus.length, 2, 'one ONNX GRU per layer');
    for (const n of grus) assert.equal(n.attribute.find((a) => a.name === 'linear_before_reset')?.i, 1);
  }
  const lstm = decode(exportOnnx(new LSTM(3, 4, { bidirectional: true, rng }), { inputShape: [5, 2, 3] }));
  assert.deepEqual(lstm.graph.node.filter((n) => n.op_type === 'LSTM').length, 1, 'both directions in one operator');
});

test('dynamic axes: exported at one (T, B), run at another', async () => {
  const rng = new Rng(8);
  for (const m of [new GRU(3, 4, { numLayers: 2, bidirectional: true, rng }), new LSTM(3, 5, { projSize: 2, bidirectional: true, rng })]) {
    const bytes = exportOnnx(m.eval(), { inputShape: [5, 2, 3], dynamicAxes: { 0: 'time', 1: 'batch' }, lengths: true });
    const x = randn([9, 4, 3], rng);
    const lengths = Int32Array.from([9, 2, 7, 1]);
    const want = noGrad(() => m.forward(x, { lengths }));
    const got = await runOnnx(bytes, { input: f32(x), lengths: new ort.Tensor('int32', lengths, [4]) });
    assertClose(got.output!, want.output.data, `${m.constructor.name} output`);
    assertClose(got.h_n!, want.state.h.data, `${m.constructor.name} h_n`);
  }
});

test('Linear, Conv1d and Embedding heads', async () => {
  const rng = new Rng(11);
  for (let k = 0; k < 6; k++) {
    const lin = new Linear(1 + rng.int(7), 1 + rng.int(5), { bias: rng.bernoulli(0.5), rng });
    const x = randn([2 + rng.int(3), 1 + rng.int(4), lin.inFeatures], rng);
    const got = await runOnnx(exportOnnx(lin, { example: x, dynamicAxes: { 0: 'a' } }), { input: f32(x) });
    assertClose(got.output!, noGrad(() => lin.forward(x)).data, `Linear ${k}`);

    const groups = 1 + rng.int(2);
    const conv = new Conv1d(2 * groups, 3 * groups, 1 + rng.int(4), { stride: 1 + rng.int(2), padding: rng.int(3), dilation: 1 + rng.int(2), groups, bias: rng.bernoulli(0.5), rng });
    const xc = randn([1 + rng.int(3), 2 * groups, 12], rng);
    const gotC = await runOnnx(exportOnnx(conv, { inputShape: xc.shape }), { input: f32(xc) });
    assertClose(gotC.output!, noGrad(() => conv.forward(xc)).data, `Conv1d ${k}`);

    const emb = new Embedding(5 + rng.int(5), 1 + rng.int(4), { rng });
    const idx = Int32Array.from({ length: 6 }, () => rng.int(emb.numEmbeddings));
    const gotE = await runOnnx(exportOnnx(emb, { inputShape: [2, 3] }), { indices: new ort.Tensor('int64', BigInt64Array.from(idx, (i) => BigInt(i)), [2, 3]) });
    assertClose(gotE.output!, noGrad(() => emb.forward(idx, [2, 3])).data, `Embedding ${k}`);
  }
});

test('a composite model through build: GRU → center steps → Linear', async () => {
  const rng = new Rng(5);
  const gru = new GRU(4, 6, { bidirectional: true, rng }).eval();
  const head = new Linear(24, 3, { rng });
  const x = randn([10, 2, 4], rng);
  const want = noGrad(() => {
    const { output } = gru.forward(x);
    const mid = new Tensor(new Float32Array(2 * 24), [2, 24]);
    for (let b = 0; b < 2; b++) for (let t = 0; t < 2; t++) for (let j = 0; j < 12; j++) mid.data[b * 24 + t * 12 + j] = output.data[((4 + t) * 2 + b) * 12 + j]!;
    return head.forward(mid);
  });
  const bytes = exportOnnx(gru, {
    inputShape: x.shape,
    build: (g, input) => {
      const { output } = onnxRecurrent(g, gru, input);
      const mid = g.op('Slice', [output, g.int64s('s', [4]), g.int64s('e', [6]), g.int64s('a', [0])], [2, 2, 12]);
      const flat = g.op('Reshape', [g.op('Transpose', [mid], [2, 2, 12], { perm: { ints: [1, 0, 2] } }), g.int64s('shape', [0, -1])], [2, 24]);
      return { logits: onnxLinear(g, head, flat) };
    },
  });
  const got = await runOnnx(bytes, { input: f32(x) });
  assertClose(got.logits!, want.data, 'composite');
});

test('refused with a typed error: unknown modules, bad opset, lengths on a head, bad shapes', () => {
  const rng = new Rng(1);
  class Custom extends Module {}
  assert.throws(() => exportOnnx(new Custom(), { inputShape: [1, 2] }), (e: unknown) => e instanceof OnnxExportError && /Custom/.test(e.message));
  assert.throws(() => exportOnnx(new GRU(3, 4, { rng }), { inputShape: [5, 2, 3], opset: 12 }), OptionError);
  assert.throws(() => exportOnnx(new Linear(3, 4, { rng }), { inputShape: [5, 3], lengths: true }), OptionError);
  assert.throws(() => exportOnnx(new GRU(3, 4, { rng }), { inputShape: [5, 2, 7] }), /inputShape/);
  assert.throws(() => exportOnnx(new GRU(3, 4, { rng }), {}), /one of inputShape or example, got neither/);
});

/** Random one-hot sequences: (T, B, 4) time-major for SpliceNet and (B, T, 4) for the ONNX model. */
function oneHots(T: number, B: number, rng: Rng): { tm: Tensor; bf: Float32Array } {
  const tm = new Float32Array(T * B * 4);
  const bf = new Float32Array(B * T * 4);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) {
    const c = rng.int(4);
    tm[(t * B + b) * 4 + c] = 1;
    bf[(b * T + t) * 4 + c] = 1;
  }
  return { tm: new Tensor(tm, [T, B, 4]), bf };
}

async function checkSplice(net: SpliceNet, T: number, rng: Rng, what: string, bytes = spliceOnnx(net, { steps: T, classes: ['EI', 'IE', 'N'] })): Promise<void> {
  const B = 5;
  const x = oneHots(T, B, rng);
  net.eval();
  const logits = noGrad(() => net.forward(x.tm));
  const got = await runOnnx(bytes, { onehot: new ort.Tensor('float32', x.bf, [B, T, 4]) });
  assertClose(got.logits!, logits.data, `${what} logits`);
  assertClose(got.probs!, noGrad(() => F.softmax(logits, -1)).data, `${what} probs`);
}

test('splice networks, every pooling mode, with and without the conv front end, GRU and LSTM', async () => {
  const rng = new Rng(21);
  for (const pooling of ['max', 'mean', 'last', 'max+last', 'center', 'flatten'] as const) {
    for (const [cell, convChannels] of [['gru', 0], ['lstm', 3]] as const) {
      const net = new SpliceNet(4, 3, { cell, hidden: 5, pooling, convChannels, convKernel: 3, steps: 12, rng });
      await checkSplice(net, 12, rng, `${pooling}/${cell}/conv ${convChannels}`);
    }
  }
});

test('recur export on a tiny splice run: the first network by default, --member, bad options', async () => {
  const cwd = tempDir();
  const train = await runInProcess(['train', '--limit', '90', '--cv', '2', '--ensemble', '1', '--epochs', '1', '--hidden', '6', '--cell', 'lstm', '--conv-channels', '4', '--pooling', 'center', '--seed', '3', '--quiet', '--name', 's'], cwd);
  assert.equal(train.code, 0, train.stderr);
  const run = join(cwd, 'runs', 's');
  const first = await runInProcess(['export', '--run', run, '--onnx', 'first.onnx'], cwd);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /fold 1, member 1 .*the first.*averages all 2 networks/);
  const second = await runInProcess(['export', '--run', run, '--onnx', 'second.onnx', '--member', '2.1', '--opset', '14'], cwd);
  assert.equal(second.code, 0, second.stderr);
  const rng = new Rng(4);
  for (const [file, ck] of [['first.onnx', 'fold-1.member-1'], ['second.onnx', 'fold-2.member-1']] as const) {
    const { net, meta } = loadMember(join(run, `${ck}.safetensors`));
    await checkSplice(net, meta.steps, rng, ck, readFileSync(join(cwd, file)));
  }
  const bad = await runInProcess(['export', '--run', run, '--onnx', 'x.onnx', '--member', '3.1'], cwd);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--member: expected fold\.member of a saved network of this run \(1\.1, 2\.1\), got "3\.1"/);
  const opset = await runInProcess(['export', '--run', run, '--onnx', 'x.onnx', '--opset', '12'], cwd);
  assert.equal(opset.code, 2);
  assert.match(opset.stderr, /--opset: expected an integer in \[14, 17\]/);
  const notRun = await runInProcess(['export', '--run', cwd, '--onnx', 'x.onnx'], cwd);
  assert.equal(notRun.code, 2, notRun.stderr);
  assert.doesNotMatch(bad.stderr + opset.stderr + notRun.stderr, /\n\s+at |unexpected error/, 'no stack trace');
  const help = await runInProcess(['export', '--help'], cwd);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: recur export[\s\S]*Examples:\n {2}\$ recur export --run /);
});

test('recur export on a tiny forecast run: data units in and out, equal to the model with its normaliser and clipping', async () => {
  const cwd = tempDir();
  const args = [...smallForecastArgs(join(cwd, 'runs'), 'f'), '--cell', 'lstm', '--layers', '2', '--clip-output', '--quiet'];
  const train = await runInProcess(args, cwd);
  assert.equal(train.code, 0, train.stderr);
  const run = join(cwd, 'runs', 'f');
  const ex = await runInProcess(['export', '--run', run, '--onnx', 'f.onnx'], cwd);
  assert.equal(ex.code, 0, ex.stderr);
  assert.match(ex.stdout, /forecast model \(LSTM 8×2\); input features \(batch, 12, \d+\), output forecast \(batch, 3, 1\)/);
  const member = await runInProcess(['export', '--run', run, '--onnx', 'g.onnx', '--member', '1.1'], cwd);
  assert.equal(member.code, 2);

  const r = loadForecastRun(run);
  const s = loadSeries(r.config.csv, r.config);
  const w = { L: r.config.lookback, H: r.config.horizon, season: null };
  const origins = Int32Array.from([w.L - 1, w.L + 20, s.n - 1]);
  const want = modelForecast(r.model, normalise(s, r.norm), s, w, origins, r.norm, r.bounds);
  const xs = new Float32Array(origins.length * w.L * s.F);
  origins.forEach((t, b) => xs.set(s.raw.subarray((t - w.L + 1) * s.F, (t + 1) * s.F), b * w.L * s.F));
  const got = await runOnnx(readFileSync(join(cwd, 'f.onnx')), { features: new ort.Tensor('float32', xs, [origins.length, w.L, s.F]) });
  assertClose(got.forecast!, want, 'forecast (data units)');
  // Clipping exercised: a range around the middle forecast clips values on both sides.
  const sorted = Array.from(want).sort((a, b) => a - b);
  const bounds: [number, number][] = [[sorted[2]!, sorted[sorted.length - 3]!]];
  const clipped = modelForecast(r.model, normalise(s, r.norm), s, w, origins, r.norm, bounds);
  const bytes = forecastOnnx(r.model, { lookback: w.L, features: r.features, norm: r.norm, bounds });
  const gotC = await runOnnx(bytes, { features: new ort.Tensor('float32', xs, [origins.length, w.L, s.F]) });
  assertClose(gotC.forecast!, clipped, 'clipped forecast');
  assert.ok(clipped.some((v, i) => v !== want[i]), 'some values were clipped');
});
