/** Trainer: determinism, full vs truncated BPTT, clipping, early stopping, schedules, events, learning, options. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor } from '../src/tensor/tensor.js';
import { tensor } from '../src/tensor/create.js';
import { Module } from '../src/nn/module.js';
import { LSTM } from '../src/nn/recurrent.js';
import { Linear } from '../src/nn/layers.js';
import { mseLoss } from '../src/ops/loss.js';
import { concat } from '../src/ops/shape.js';
import type { RecurrentState, VariationalDropout } from '../src/ops/recurrent.js';
import { Adam } from '../src/optim/adam.js';
import { SGD } from '../src/optim/sgd.js';
import { StepLR, ReduceLROnPlateau } from '../src/optim/schedule.js';
import { gradNorm } from '../src/optim/clip.js';
import { Rng } from '../src/util/rng.js';
import { OptionError, ValueError } from '../src/util/errors.js';
import { sliceTime, collateSequences, type SequenceBatch, type SequenceExample } from '../src/data/batch.js';
import { Trainer, type TrainerOptions, type TrainEvent, type LossFn } from '../src/train/index.js';

const T = 8;

/** LSTM(2, 8) + Linear(8, 1) per step. */
class Net extends Module {
  readonly lstm: LSTM;
  readonly head: Linear;
  constructor(rng: Rng, variational?: VariationalDropout) {
    super();
    this.lstm = this.registerModule('lstm', new LSTM(2, 8, { rng, ...(variational ? { variational } : {}) }));
    this.head = this.registerModule('head', new Linear(8, 1, { rng }));
  }
  forward(x: Tensor, state: RecurrentState | null): { y: Tensor; state: RecurrentState } {
    const r = this.lstm.forward(x, { state });
    return { y: this.head.forward(r.output), state: r.state };
  }
}

/** y_t = 0.3 · Σ_{s<=t} (x_s0 − x_s1): a running sum. */
function task(n: number, seed: number): SequenceExample[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    let acc = 0;
    const x: number[][] = [];
    const y: number[][] = [];
    for (let t = 0; t < T; t++) {
      const a = rng.uniform(-1, 1);
      const b = rng.uniform(-1, 1);
      acc += 0.3 * (a - b);
      x.push([a, b]);
      y.push([acc]);
    }
    return { x, y };
  });
}

const lossFn: LossFn<Net> = (m, b, ctx) => {
  const r = m.forward(b.x, ctx.state);
  return { loss: mseLoss(r.y, b.y), state: r.state };
};

const DATA = task(48, 1);
const VAL = task(16, 2);
const weights = (m: Module): number[][] => m.parameters().map((p) => Array.from(p.data));

type Extra = Partial<TrainerOptions<Net>>;

/** A trainer on the running-sum task; step losses and all events are recorded. */
function setup(extra: Extra = {}, seed = 0): { trainer: Trainer<Net>; model: Net; losses: number[]; events: TrainEvent[] } {
  const model = (extra.model as Net | undefined) ?? new Net(new Rng(100 + seed));
  const losses: number[] = [];
  const events: TrainEvent[] = [];
  const trainer = new Trainer<Net>({
    model, optimizer: new Adam(model.parameters(), { lr: 0.02 }), lossFn, data: DATA, batchSize: 16, epochs: 3, rng: new Rng(seed),
    events: (e) => {
      events.push(e);
      if (e.type === 'step') losses.push(e.loss);
    },
    ...extra,
  });
  return { trainer, model, losses, events };
}

test('determinism: the same seeds give the same losses and weights bit for bit', async () => {
  const run = async (seed: number) => {
    const rng = new Rng(100);
    const model = new Net(rng, { input: 0.1, hidden: 0.2, output: 0.1 });
    const s = setup({ model, rngs: { model: rng }, optimizer: new Adam(model.parameters(), { lr: 0.02 }) }, seed);
    await s.trainer.fit();
    return { losses: s.losses, w: weights(model) };
  };
  const a = await run(0);
  const b = await run(0);
  assert.equal(a.losses.length, 9);
  assert.deepEqual(a.losses, b.losses);
  assert.deepEqual(a.w, b.w);
  assert.notDeepEqual((await run(1)).losses, a.losses);
});

test('truncated BPTT with chunk = T equals full BPTT exactly', async () => {
  const full = setup({ bptt: { kind: 'full' } });
  const trunc = setup({ bptt: { kind: 'truncated', chunk: T } });
  await full.trainer.fit();
  await trunc.trainer.fit();
  assert.deepEqual(trunc.losses, full.losses);
  assert.deepEqual(weights(trunc.model), weights(full.model));
});

test('truncated BPTT: state carried (detached) equals the full-sequence state; no gradient crosses chunks', async () => {
  const chunk = 3; // windows [0,3) [3,6) [6,8)
  const model = new Net(new Rng(5));
  const seen: { batch: SequenceBatch; state: RecurrentState | null; chunk: number; y: Tensor }[] = [];
  const grads: number[][][] = [];
  class RecordingSGD extends SGD {
    override step(): void {
      grads.push(this.params.map((p) => Array.from(p.grad!.data)));
      super.step();
    }
  }
  const opt = new RecordingSGD(model.parameters(), { lr: 0 }); // lr 0: weights stay fixed, so we can recompute
  const { trainer, events } = setup({
    model, optimizer: opt, shuffle: false, epochs: 1, bptt: { kind: 'truncated', chunk },
    lossFn: (m, b, ctx) => {
      const r = m.forward(b.x, ctx.state);
      seen.push({ batch: b, state: ctx.state, chunk: ctx.chunk, y: r.y.detach() });
      return { loss: mseLoss(r.y, b.y), state: r.state };
    },
  });
  await trainer.fit();
  assert.equal(events.filter((e) => e.type === 'step').length, 3 * 3, 'one optimizer step per chunk');
  assert.deepEqual(seen.map((s) => s.chunk), [0, 1, 2, 0, 1, 2, 0, 1, 2]);
  for (let b = 0; b < 3; b++) {
    const full = collateSequences(DATA.slice(16 * b, 16 * b + 16));
    const [c0, c1, c2] = seen.slice(3 * b, 3 * b + 3);
    assert.equal(c0!.state, null);
    assert.equal(c1!.batch.x.shape[0], 3);
    assert.equal(c2!.batch.x.shape[0], 2);
    // forward: the carried state is the full-sequence state at the chunk boundary ...
    for (const [c, at] of [[c1!, 3], [c2!, 6]] as const) {
      const ref = model.forward(sliceTime(full, 0, at).x, null).state;
      assert.deepEqual(Array.from(c.state!.h.data), Array.from(ref.h.data));
      assert.deepEqual(Array.from(c.state!.c!.data), Array.from(ref.c!.data));
      assert.ok(c.state!.h.isLeaf && !c.state!.h.requiresGrad && c.state!.c!.isLeaf, 'state is detached');
    }
    // ... and the chunked outputs are the full-sequence outputs
    const joined = concat([c0!.y, c1!.y, c2!.y], 0);
    const ref = model.forward(full.x, null).y;
    assert.deepEqual(Array.from(joined.data), Array.from(ref.data));
    // backward: chunk 1's gradient is that of its own loss from a constant initial state
    model.zeroGrad();
    const constState = { h: new Tensor(c1!.state!.h.data.slice(), c1!.state!.h.shape), c: new Tensor(c1!.state!.c!.data.slice(), c1!.state!.c!.shape) };
    mseLoss(model.forward(c1!.batch.x, constState).y, c1!.batch.y).backward();
    assert.deepEqual(grads[3 * b + 1], model.parameters().map((p) => Array.from(p.grad!.data)));
    // while backpropagating through the carried state would have changed it
    model.zeroGrad();
    const h0 = model.forward(sliceTime(full, 0, 3).x, null).state;
    mseLoss(model.forward(c1!.batch.x, h0).y, c1!.batch.y).backward();
    assert.notDeepEqual(grads[3 * b + 1], model.parameters().map((p) => Array.from(p.grad!.data)));
  }
});

test('gradient clipping: by norm (event reports the norm before) and by value', async () => {
  for (const clip of [{ kind: 'norm', maxNorm: 0.01 }, { kind: 'value', value: 0.001 }] as const) {
    const model = new Net(new Rng(3));
    const applied: number[][] = [];
    class Rec extends SGD {
      override step(): void {
        applied.push(this.params.flatMap((p) => Array.from(p.grad!.data)));
        super.step();
      }
    }
    const { trainer, events } = setup({ model, optimizer: new Rec(model.parameters(), { lr: 0.1 }), epochs: 1, clip });
    await trainer.fit();
    const steps = events.filter((e) => e.type === 'step');
    assert.equal(applied.length, 3);
    applied.forEach((g, i) => {
      const norm = Math.hypot(...g);
      if (clip.kind === 'norm') {
        assert.ok(steps[i]!.gradNorm > 0.01, 'the raw norm is reported');
        assert.ok(Math.abs(norm - 0.01) < 1e-5, `clipped norm ${norm}`);
      } else {
        assert.ok(Math.max(...g.map(Math.abs)) <= 0.001 + 1e-9);
        assert.ok(g.some((v) => Math.abs(v) === Math.fround(0.001)), 'some entries were clamped');
      }
    });
  }
  assert.equal(gradNorm([]), 0);
});

/** A lossFn whose validation loss follows a crafted sequence (indexed by epoch). */
function crafted(vals: number[]): LossFn<Net> {
  return (m, b, ctx) => (ctx.training ? lossFn(m, b, ctx) : { loss: tensor([vals[ctx.epoch]!], []) });
}

test('early stopping triggers at the right epoch (patience, minDelta)', async () => {
  // best 0.8 at epoch 1; 0.78 is not better by minDelta 0.05; bad epochs 2, 3, 4 → stop after epoch 4
  const vals = [1.0, 0.8, 0.78, 0.9, 0.79, 0.1, 0.1];
  const { trainer, events } = setup({
    epochs: 7, lossFn: crafted(vals), validation: { data: VAL.slice(0, 16) },
    earlyStopping: { patience: 3, minDelta: 0.05, monitor: 'val_loss' },
  });
  const res = await trainer.fit();
  assert.equal(res.reason, 'early_stop');
  assert.equal(res.epoch, 5);
  assert.equal(res.history.length, 5);
  const stop = events.find((e) => e.type === 'early_stop');
  assert.deepEqual(stop && { epoch: stop.epoch, bestEpoch: stop.bestEpoch }, { epoch: 4, bestEpoch: 1 });
  assert.equal(events.at(-1)!.type, 'done');
  assert.deepEqual(events.filter((e) => e.type === 'validation').map((e) => e.type === 'validation' && e.epoch), [0, 1, 2, 3, 4]);
});

test('schedules step once per epoch; ReduceLROnPlateau gets the validation loss', async () => {
  const model = new Net(new Rng(0));
  const opt = new Adam(model.parameters(), { lr: 0.1 });
  const a = setup({ model, optimizer: opt, schedule: new StepLR(opt, { stepSize: 1, gamma: 0.5 }) });
  const res = await a.trainer.fit();
  assert.deepEqual(res.history.map((h) => h.lr), [0.05, 0.025, 0.0125]);
  const stepLrs = a.events.flatMap((e) => (e.type === 'step' ? [e.lr] : []));
  assert.deepEqual(stepLrs, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025]);

  const m2 = new Net(new Rng(0));
  const o2 = new Adam(m2.parameters(), { lr: 0.1 });
  const b = setup({
    model: m2, optimizer: o2, epochs: 4, lossFn: crafted([1, 2, 0.5, 0.6]), validation: { data: VAL },
    schedule: new ReduceLROnPlateau(o2, { patience: 0, factor: 0.5 }),
  });
  const r2 = await b.trainer.fit();
  assert.deepEqual(r2.history.map((h) => h.lr), [0.1, 0.05, 0.05, 0.025]);
  assert.throws(() => setup({ schedule: new ReduceLROnPlateau(o2) }), OptionError);
});

test('JSONL events: one valid JSON object per line with the expected types', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recur-train-'));
  const file = join(dir, 'events.jsonl');
  const { trainer } = setup({ events: file, validation: { data: VAL }, checkpoint: { dir }, epochs: 2 });
  await trainer.fit();
  const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
  const evs = lines.map((l) => JSON.parse(l) as TrainEvent);
  const count = (t: string): number => evs.filter((e) => e.type === t).length;
  assert.deepEqual(
    { epoch_start: count('epoch_start'), step: count('step'), validation: count('validation'), epoch_end: count('epoch_end'), checkpoint: count('checkpoint'), done: count('done') },
    { epoch_start: 2, step: 6, validation: 2, epoch_end: 2, checkpoint: 4, done: 1 }, // checkpoints: best + last per epoch
  );
  for (const e of evs) assert.ok(Number.isFinite(e.time) && e.time > 1.6e12, 'time in ms');
  assert.deepEqual(evs.slice(0, 2).map((e) => e.type), ['epoch_start', 'step']);
  assert.equal(evs.at(-1)!.type, 'done');
  const step = evs.find((e) => e.type === 'step')!;
  assert.deepEqual(Object.keys(step).sort(), ['batch', 'chunk', 'epoch', 'gradNorm', 'loss', 'lr', 'step', 'time', 'type']);
});

test('a training run learns the running sum', async () => {
  const { trainer } = setup({ epochs: 25, validation: { data: VAL } });
  const res = await trainer.fit();
  const first = res.history[0]!.valLoss!;
  const last = res.history.at(-1)!.valLoss!;
  assert.ok(last < 0.2 * first, `val loss ${first} → ${last}`);
  assert.ok(res.best!.valLoss <= last);
});

test('options: unknown or inconsistent options are OptionErrors, bad values ValueErrors', () => {
  assert.throws(() => setup({ epoch: 3 } as Extra), OptionError);
  assert.throws(() => setup({ clip: { kind: 'norm', maxNorm: 1, normType: 2 } as never }), OptionError);
  assert.throws(() => setup({ clip: { kind: 'l2' } as never }), OptionError);
  assert.throws(() => setup({ bptt: { kind: 'truncated' } as never }), OptionError);
  assert.throws(() => setup({ bptt: { kind: 'truncated', chunk: 0 } }), ValueError);
  assert.throws(() => setup({ earlyStopping: { patience: 2 } }), OptionError);
  assert.throws(() => setup({ validation: { data: VAL, every: 1, shuffle: true } as never }), OptionError);
  assert.throws(() => setup({ checkpoint: { dir: '/tmp/x', keep: 3 } as never }), OptionError);
  assert.throws(() => setup({ batchSize: 0 }), ValueError);
  assert.throws(() => setup({ rng: 1 as never }), ValueError);
});
