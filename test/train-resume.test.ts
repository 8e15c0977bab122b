/** Trainer checkpoints: exact resume, stop(), the NaN guard keeping the last good checkpoint, resume errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor } from '../src/tensor/tensor.js';
import { tensor } from '../src/tensor/create.js';
import { Module } from '../src/nn/module.js';
import { LSTM } from '../src/nn/recurrent.js';
import { Linear } from '../src/nn/layers.js';
import { mseLoss } from '../src/ops/loss.js';
import { add, mulScalar, sqrt } from '../src/ops/elementwise.js';
import { sum } from '../src/ops/reduce.js';
import type { RecurrentState } from '../src/ops/recurrent.js';
import { Adam } from '../src/optim/adam.js';
import { StepLR } from '../src/optim/schedule.js';
import { Rng } from '../src/util/rng.js';
import { FormatError, NonFiniteError, ValueError } from '../src/util/errors.js';
import { saveCheckpoint } from '../src/io/checkpoint.js';
import type { SequenceExample } from '../src/data/batch.js';
import { Trainer, type TrainerOptions, type TrainEvent, type LossFn } from '../src/train/index.js';

const T = 6;

/** LSTM(2, 8) with variational dropout + Linear(8, 1); `rng` initialises it and draws its masks. */
class Net extends Module {
  readonly lstm: LSTM;
  readonly head: Linear;
  constructor(readonly rng: Rng) {
    super();
    this.lstm = this.registerModule('lstm', new LSTM(2, 8, { rng, variational: { input: 0.1, hidden: 0.25, output: 0.1 } }));
    this.head = this.registerModule('head', new Linear(8, 1, { rng }));
  }
  forward(x: Tensor, state: RecurrentState | null): { y: Tensor; state: RecurrentState } {
    const r = this.lstm.forward(x, { state });
    return { y: this.head.forward(r.output), state: r.state };
  }
}

function task(n: number, seed: number): SequenceExample[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const x = Array.from({ length: T }, () => [rng.uniform(-1, 1), rng.uniform(-1, 1)]);
    let acc = 0;
    return { x, y: x.map(([a, b]) => [(acc += 0.3 * (a! - b!))]) };
  });
}

const DATA = task(40, 1); // batches of 16, 16, 8
const VAL = task(12, 2);
const lossFn: LossFn<Net> = (m, b, ctx) => {
  const r = m.forward(b.x, ctx.state);
  return { loss: mseLoss(r.y, b.y), state: r.state };
};
const weights = (m: Module): number[][] => m.parameters().map((p) => Array.from(p.data));

/** A full trainer (shuffle, dropout, Adam, StepLR, validation, checkpoints) from its own seeds. */
function make(seed: number, dir: string, extra: Partial<TrainerOptions<Net>> = {}, onEvent?: (e: TrainEvent, t: Trainer<Net>) => void) {
  const modelRng = new Rng(1000 + seed);
  const model = new Net(modelRng);
  const optimizer = new Adam(model.parameters(), { lr: 0.02 });
  const losses: number[] = [];
  const events: TrainEvent[] = [];
  const trainer = new Trainer<Net>({
    model, optimizer, lossFn, data: DATA, batchSize: 16, epochs: 4, rng: new Rng(seed), rngs: { model: modelRng },
    schedule: new StepLR(optimizer, { stepSize: 1, gamma: 0.7 }), validation: { data: VAL }, checkpoint: { dir },
    events: (e) => {
      events.push(e);
      if (e.type === 'step') losses.push(e.loss);
      onEvent?.(e, trainer);
    },
    ...extra,
  });
  return { trainer, model, losses, events };
}

const tmp = (): Promise<string> => mkdtemp(join(tmpdir(), 'recur-resume-'));

test('exact resume: 4 epochs straight == 2 epochs, save, resume into a fresh trainer, 2 more', async () => {
  const straight = make(0, await tmp());
  const r4 = await straight.trainer.fit();

  const dir = await tmp();
  const first = make(0, dir, { epochs: 2 });
  await first.trainer.fit();
  const second = make(77, await tmp(), { epochs: 4 }); // different init, different generator seeds
  assert.notDeepEqual(weights(second.model), weights(first.model));
  await second.trainer.resume(join(dir, 'last.safetensors'));
  assert.equal(second.trainer.epoch, 2);
  const r = await second.trainer.fit();

  assert.equal(straight.losses.length, 12);
  assert.deepEqual([...first.losses, ...second.losses], straight.losses);
  assert.deepEqual(weights(second.model), weights(straight.model));
  assert.deepEqual(r.history, r4.history);
  assert.deepEqual(r.best, r4.best);
  assert.equal(r.step, 12);
  assert.deepEqual(second.model.rng.getState(), straight.model.rng.getState());
});

test('stop() finishes the current batch, saves, returns; resuming mid-epoch continues exactly', async () => {
  const bptt = { kind: 'truncated', chunk: 4 } as const;
  const straight = make(1, await tmp(), { bptt });
  await straight.trainer.fit();

  const dir = await tmp();
  // 2 chunks per batch, 3 batches per epoch; stop requested at step 7 = epoch 1, batch 0, chunk 0
  const first = make(1, dir, { bptt }, (e, t) => e.type === 'step' && e.step === 7 && t.stop());
  const r1 = await first.trainer.fit();
  assert.equal(r1.reason, 'stopped');
  assert.equal(r1.step, 8, 'the batch in flight (two chunks) was finished');
  assert.equal(r1.checkpoint, join(dir, 'last.safetensors'));
  assert.deepEqual(first.events.slice(-2).map((e) => e.type), ['checkpoint', 'done']);

  const second = make(2, await tmp(), { bptt });
  await second.trainer.resume(r1.checkpoint!);
  await second.trainer.fit();
  assert.deepEqual([...first.losses, ...second.losses], straight.losses);
  assert.deepEqual(weights(second.model), weights(straight.model));
});

/** Run until a NaN is injected at global step `at`; return the error, events and checkpoint bytes. */
async function nanRun(inject: 'loss' | 'grad', at: number) {
  const dir = await tmp();
  const file = join(dir, 'events.jsonl');
  const ckpt = join(dir, 'last.safetensors');
  let good: Buffer | null = null;
  const { trainer, model } = make(3, dir, {
    events: file,
    lossFn: (m, b, ctx) => {
      if (ctx.step + 1 === at) {
        good = readFileSync(ckpt); // the last good checkpoint, just before the bad step
        const r = m.forward(b.x, ctx.state);
        if (inject === 'loss') return { loss: mulScalar(mseLoss(r.y, b.y), NaN) };
        return { loss: add(mseLoss(r.y, b.y), sqrt(mulScalar(sum(r.y), 0))) }; // finite loss, NaN gradient
      }
      return lossFn(m, b, ctx);
    },
  });
  const err = await trainer.fit().then(() => null, (e: unknown) => e);
  const after = await readFile(ckpt);
  const events = (await readFile(file, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { err, good: good as Buffer | null, after, events, ckpt, w: weights(model) };
}

for (const inject of ['loss', 'grad'] as const) {
  test(`NaN ${inject}: NonFiniteError, a nan_stop event, and the last good checkpoint kept byte-identical`, async () => {
    const at = 8; // epoch 2, batch 1 (3 steps per epoch)
    const r = await nanRun(inject, at);
    assert.ok(r.err instanceof NonFiniteError, String(r.err));
    const msg = (r.err as Error).message;
    assert.match(msg, /epoch 2, step 8/);
    assert.match(msg, inject === 'loss' ? /loss of NaN/ : /gradient norm of NaN/);
    assert.ok(msg.includes(`last good checkpoint is kept at ${r.ckpt}`), msg);
    assert.ok(r.good, 'a checkpoint existed before the bad step');
    assert.deepEqual(r.after, r.good, 'byte-identical');
    const types = r.events.map((e) => e.type);
    assert.equal(types.at(-1), 'nan_stop');
    const nan = r.events.at(-1)!;
    assert.deepEqual({ what: nan.what, value: nan.value, step: nan.step, checkpoint: nan.checkpoint }, { what: inject === 'loss' ? 'loss' : 'grad_norm', value: 'NaN', step: at, checkpoint: r.ckpt });
    // the bad step never reached the parameters
    assert.ok(r.w.flat().every(Number.isFinite));
  });
}

test('NaN before any checkpoint says so', async () => {
  const { trainer } = make(4, await tmp(), { checkpoint: undefined, lossFn: () => ({ loss: tensor([NaN], []) }) });
  await assert.rejects(trainer.fit(), /epoch 0, step 1.*no checkpoint had been saved/);
});

test('resume errors: not a trainer checkpoint, mismatched rngs or schedule', async () => {
  const dir = await tmp();
  const a = make(0, dir, { epochs: 1 });
  await a.trainer.fit();
  const path = join(dir, 'last.safetensors');
  const plain = join(dir, 'plain.safetensors');
  await saveCheckpoint(plain, { model: a.model.stateDict(), optimizer: a.trainer.options.optimizer.stateDict() });
  await assert.rejects(make(0, await tmp()).trainer.resume(plain), FormatError);
  await assert.rejects(make(0, await tmp(), { rngs: {} }).trainer.resume(path), ValueError);
  await assert.rejects(make(0, await tmp(), { schedule: undefined }).trainer.resume(path), ValueError);
  const done = make(0, await tmp());
  await done.trainer.resume(path);
  assert.equal(done.trainer.step, 3);
  assert.equal(done.trainer.history.length, 1);
});

test('maxSteps stops after that many optimizer steps; a resume with a larger budget continues exactly', async () => {
  const straight = make(5, await tmp(), { maxSteps: 7 });
  const rs = await straight.trainer.fit();
  assert.deepEqual({ reason: rs.reason, step: rs.step, epoch: rs.epoch }, { reason: 'max_steps', step: 7, epoch: 2 });

  const dir = await tmp();
  const first = make(5, dir, { maxSteps: 4 });
  const r1 = await first.trainer.fit();
  assert.deepEqual({ reason: r1.reason, step: r1.step }, { reason: 'max_steps', step: 4 });
  const again = make(6, await tmp(), { maxSteps: 4 });
  await again.trainer.resume(r1.checkpoint!);
  assert.equal((await again.trainer.fit()).step, 4, 'no step beyond the budget');
  const second = make(6, await tmp(), { maxSteps: 7 });
  await second.trainer.resume(r1.checkpoint!);
  await second.trainer.fit();
  assert.deepEqual([...first.losses, ...second.losses], straight.losses);
  assert.deepEqual(weights(second.model), weights(straight.model));
});
