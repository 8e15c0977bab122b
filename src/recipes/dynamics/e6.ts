/**
 * E6 — LSTM vs GRU at an equal parameter budget (Chung et al. 2014; Jozefowicz et al. 2015).
 *
 * The GRU's width is chosen so its parameter count (recurrent layer + read-out) is the closest to
 * the LSTM's. Two tasks:
 *   - long dependency: the adding problem at T = 200 (hundreds of steps); accuracy = share of
 *     sequences with |prediction − target| < 0.04 (Hochreiter & Schmidhuber 1997), plus MSE;
 *   - short dependency: the copy task with 5 symbols over a delay of 10 (T = 20, tens of steps);
 *     accuracy = share of the recalled symbols that are right.
 * Same optimiser, batch, step budget and data stream for both; training stops early at the
 * target (validation accuracy ≥ 0.99). Reported: accuracy, parameters, steps, wall time and time
 * per step.
 */
import { Adam, F, Rng, Tensor, addingProblem, argmaxRows, copyTask, noGrad } from '../../index.js';
import { Report, SeqModel, context, fit, fmt, info, pick, round, type CellKind, type Ctx, type RunInfo, type RunOptions } from './common.js';

export interface E6Row {
  task: string;
  model: CellKind;
  hidden: number;
  params: number;
  accuracy: number;
  mse: number | null;
  steps: number;
  reachedTarget: boolean;
  seconds: number;
  msPerStep: number;
}

export interface E6Result extends RunInfo {
  batch: number;
  maxSteps: { long: number; short: number };
  rows: E6Row[];
}

interface Cfg { lstmHidden: number; batch: number; longT: number; delay: number; length: number; longSteps: number; shortSteps: number; nVal: number; evalEvery: number }

function config(ctx: Ctx): Cfg {
  return pick<Cfg>(ctx, {
    full: { lstmHidden: 48, batch: 32, longT: 200, delay: 10, length: 5, longSteps: 2500, shortSteps: 2500, nVal: 512, evalEvery: 100 },
    quick: { lstmHidden: 16, batch: 16, longT: 100, delay: 10, length: 5, longSteps: 300, shortSteps: 600, nVal: 128, evalEvery: 50 },
    tiny: { lstmHidden: 4, batch: 4, longT: 8, delay: 3, length: 2, longSteps: 3, shortSteps: 3, nVal: 8, evalEvery: 2 },
  });
}

/** Parameters of one recurrent layer (both biases) plus a linear read-out. */
export function paramCount(kind: CellKind, I: number, H: number, O: number): number {
  const g = kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1;
  return g * H * (I + H) + 2 * g * H + (H + 1) * O;
}

/** The GRU width whose parameter count is the closest to the LSTM's. */
export function matchGruWidth(I: number, lstmH: number, O: number): number {
  const target = paramCount('lstm', I, lstmH, O);
  let best = 1;
  for (let h = 1; h <= 2 * lstmH; h++) if (Math.abs(paramCount('gru', I, h, O) - target) < Math.abs(paramCount('gru', I, best, O) - target)) best = h;
  return best;
}

interface TaskSpec {
  name: string;
  I: number;
  O: number;
  steps: number;
  batch: (rng: Rng) => { loss: (m: SeqModel) => Tensor };
  /** Validation accuracy and MSE (adding only). */
  score: (m: SeqModel) => { accuracy: number; mse: number | null };
}

function tasks(ctx: Ctx, cfg: Cfg): TaskSpec[] {
  const T = cfg.longT;
  const valA = addingProblem(T, cfg.nVal, { rng: new Rng(7000 + ctx.seed) });
  const copyOpts = { length: cfg.length, alphabet: 8 };
  const valC = copyTask(cfg.delay, cfg.nVal, { rng: new Rng(8000 + ctx.seed), ...copyOpts });
  const Tc = valC.T;
  const K = valC.numClasses;
  return [
    {
      name: `long (adding, T=${T})`, I: 2, O: 1, steps: cfg.longSteps,
      batch: (rng) => {
        const d = addingProblem(T, cfg.batch, { rng });
        return { loss: (m) => F.mseLoss(m.last(d.x), d.y) };
      },
      score: (m) => {
        const p = noGrad(() => m.last(valA.x));
        let ok = 0;
        let se = 0;
        for (let b = 0; b < cfg.nVal; b++) {
          const e = p.data[b]! - valA.y.data[b]!;
          se += e * e;
          if (Math.abs(e) < 0.04) ok++;
        }
        return { accuracy: ok / cfg.nVal, mse: se / cfg.nVal };
      },
    },
    {
      name: `short (copy, T=${Tc})`, I: K, O: K, steps: cfg.shortSteps,
      batch: (rng) => {
        const d = copyTask(cfg.delay, cfg.batch, { rng, ...copyOpts });
        return { loss: (m) => F.crossEntropy(m.every(d.x).y, d.targets) };
      },
      score: (m) => {
        const pred = argmaxRows(noGrad(() => m.every(valC.x).y).data, K);
        let ok = 0;
        const B = cfg.nVal;
        for (let t = Tc - cfg.length; t < Tc; t++) for (let b = 0; b < B; b++) if (pred[t * B + b] === valC.targets[t * B + b]) ok++;
        return { accuracy: ok / (cfg.length * B), mse: null };
      },
    },
  ];
}

export async function run(opts: RunOptions = {}): Promise<E6Result> {
  const ctx = context('e6', opts);
  const cfg = config(ctx);
  const rows: E6Row[] = [];
  for (const task of tasks(ctx, cfg)) {
    const widths: Record<'lstm' | 'gru', number> = { lstm: cfg.lstmHidden, gru: matchGruWidth(task.I, cfg.lstmHidden, task.O) };
    for (const kind of ['lstm', 'gru'] as const) {
      const H = widths[kind];
      const m = new SeqModel(kind, task.I, H, task.O, { rng: ctx.rng(`e6-init-${kind}-${task.name}`) });
      const data = ctx.rng(`e6-data-${task.name}`); // the same batches for both models
      const params = m.parameters();
      const r = fit({
        steps: task.steps, opt: new Adam(params, { lr: 1e-2 }), params, clip: 1, evalEvery: cfg.evalEvery, stopBelow: -0.99,
        loss: () => task.batch(data).loss(m),
        evaluate: () => -task.score(m).accuracy,
        log: ctx.config === 'tiny' ? undefined : ctx.log, label: `e6 ${kind} ${task.name}`,
      });
      const s = task.score(m);
      const row: E6Row = {
        task: task.name, model: kind, hidden: H, params: m.numParameters(), accuracy: round(s.accuracy), mse: s.mse === null ? null : round(s.mse),
        steps: r.steps, reachedTarget: s.accuracy >= 0.99, seconds: round(r.seconds, 3), msPerStep: round((1000 * r.seconds) / Math.max(1, r.steps), 3),
      };
      if (row.params !== paramCount(kind, task.I, H, task.O)) throw new Error(`e6: parameter count ${row.params} ≠ formula ${paramCount(kind, task.I, H, task.O)}`);
      rows.push(row);
      ctx.log(`e6 ${task.name} ${kind} (H=${H}, ${row.params} params): accuracy ${fmt(s.accuracy)}${s.mse !== null ? `, MSE ${fmt(s.mse)}` : ''}, ${r.steps} steps, ${r.seconds.toFixed(1)} s (${fmt(row.msPerStep)} ms/step)`);
    }
  }
  const result: E6Result = { ...info(ctx), batch: cfg.batch, maxSteps: { long: cfg.longSteps, short: cfg.shortSteps }, rows };
  const rep = new Report('E6 — LSTM vs GRU at an equal parameter budget');
  rep.p(`Config ${ctx.config}, seed ${ctx.seed}, backend ${result.backend}. LSTM width ${cfg.lstmHidden}; GRU width chosen for the closest parameter count. `
    + `Adam lr 1e-2, gradient norm clipped to 1, batch ${cfg.batch}, at most ${cfg.longSteps} (long) / ${cfg.shortSteps} (short) steps, stop at validation accuracy ≥ 0.99. `
    + `Long: adding problem, accuracy = |error| < 0.04. Short: copy task, ${cfg.length} symbols of 8 over a delay of ${cfg.delay}, accuracy over the recalled symbols (chance 1/8).`);
  rep.table(['task', 'model', 'hidden', 'parameters', 'accuracy', 'MSE', 'steps', 'reached 0.99', 'seconds', 'ms/step'],
    rows.map((x) => [x.task, x.model, x.hidden, x.params, x.accuracy, x.mse, x.steps, x.reachedTarget ? 'yes' : 'no', x.seconds, x.msPerStep]));
  rep.write(ctx.outDir, result);
  return result;
}
