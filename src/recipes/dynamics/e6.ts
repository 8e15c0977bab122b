/**
 * E6 — LSTM vs GRU at an equal parameter budget (Chung et al. 2014; Jozefowicz et al. 2015).
 *
 * The GRU's width is chosen so its parameter count (recurrent layer + read-out) is the closest to
 * the LSTM's. Three cells: LSTM with PyTorch's init (effective forget bias ~0), LSTM with the
 * forget bias started at 1 (Jozefowicz et al. 2015), GRU. Two tasks:
 *   - long dependency: the adding problem at T = 100 (200 in the first, one-seed version); accuracy = share of sequences with
 *     |prediction − target| < 0.04 (Hochreiter & Schmidhuber 1997), plus MSE;
 *   - short dependency: the copy task with 5 symbols over a delay of 10 (T = 20);
 *     accuracy = share of the recalled symbols that are right.
 * Protocol: per (task, cell) the learning rate is picked from a small grid on the validation
 * accuracy of the first seed; every seed then keeps its best-on-validation checkpoint (evaluated
 * every `evalEvery` steps, training stops at validation accuracy ≥ 0.99), and that checkpoint is
 * scored on a separate test set. Reported: test accuracy mean ± 95% t-interval over seeds.
 */
import { Adam, F, Rng, Tensor, addingProblem, argmaxRows, copyTask, noGrad } from '../../index.js';
import { Report, SeqModel, context, fit, fmt, fmtCi, info, meanCi, pick, round, type CellKind, type Ctx, type RunInfo, type RunOptions } from './common.js';

/** One training run: a cell at one learning rate and seed. */
export interface E6Run {
  task: string;
  cell: E6Cell;
  lr: number;
  seed: number;
  hidden: number;
  params: number;
  /** Best validation accuracy (the kept checkpoint) and its step. */
  valAccuracy: number;
  bestStep: number;
  /** The kept checkpoint on the test set. */
  testAccuracy: number;
  testMse: number | null;
  steps: number;
  reachedTarget: boolean;
  seconds: number;
  msPerStep: number;
}

/** A (task, cell) summary at the learning rate chosen on validation. */
export interface E6Row {
  task: string;
  cell: E6Cell;
  hidden: number;
  params: number;
  lr: number;
  seeds: number;
  testAccuracy: { mean: number; sd: number; ci95: number; n: number };
  reached: number;
  meanSteps: number;
}

export type E6Cell = 'lstm' | 'lstm-fb1' | 'gru';

export interface E6Result extends RunInfo {
  batch: number;
  lrs: number[];
  seeds: number[];
  maxSteps: { long: number; short: number };
  runs: E6Run[];
  rows: E6Row[];
  /** Sentences computed from the rows (the report's conclusions). */
  findings: string[];
}

interface Cfg { lstmHidden: number; batch: number; longT: number; delay: number; length: number; longSteps: number; shortSteps: number; nVal: number; evalEvery: number; lrs: number[]; seeds: number }

function config(ctx: Ctx): Cfg {
  return pick<Cfg>(ctx, {
    full: { lstmHidden: 32, batch: 32, longT: 100, delay: 10, length: 5, longSteps: 1500, shortSteps: 2500, nVal: 512, evalEvery: 100, lrs: [3e-3, 1e-2, 3e-2], seeds: 3 },
    quick: { lstmHidden: 16, batch: 16, longT: 50, delay: 10, length: 5, longSteps: 300, shortSteps: 600, nVal: 128, evalEvery: 50, lrs: [1e-2], seeds: 2 },
    tiny: { lstmHidden: 4, batch: 4, longT: 8, delay: 3, length: 2, longSteps: 3, shortSteps: 3, nVal: 8, evalEvery: 2, lrs: [1e-2, 3e-2], seeds: 2 },
  });
}

const CELLS: { cell: E6Cell; kind: CellKind; forgetBias?: number }[] = [
  { cell: 'lstm', kind: 'lstm' }, { cell: 'lstm-fb1', kind: 'lstm', forgetBias: 1 }, { cell: 'gru', kind: 'gru' },
];

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
  /** Accuracy and MSE (adding only) on the validation or the test set. */
  score: (m: SeqModel, set: 'val' | 'test') => { accuracy: number; mse: number | null };
}

function tasks(ctx: Ctx, cfg: Cfg): TaskSpec[] {
  const T = cfg.longT;
  const adding = { val: addingProblem(T, cfg.nVal, { rng: new Rng(7000 + ctx.seed) }), test: addingProblem(T, cfg.nVal, { rng: new Rng(7500 + ctx.seed) }) };
  const copyOpts = { length: cfg.length, alphabet: 8 };
  const copy = { val: copyTask(cfg.delay, cfg.nVal, { rng: new Rng(8000 + ctx.seed), ...copyOpts }), test: copyTask(cfg.delay, cfg.nVal, { rng: new Rng(8500 + ctx.seed), ...copyOpts }) };
  const Tc = copy.val.T;
  const K = copy.val.numClasses;
  return [
    {
      name: `long (adding, T=${T})`, I: 2, O: 1, steps: cfg.longSteps,
      batch: (rng) => {
        const d = addingProblem(T, cfg.batch, { rng });
        return { loss: (m) => F.mseLoss(m.last(d.x), d.y) };
      },
      score: (m, set) => {
        const valA = adding[set];
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
      score: (m, set) => {
        const valC = copy[set];
        const pred = argmaxRows(noGrad(() => m.every(valC.x).y).data, K);
        let ok = 0;
        const B = cfg.nVal;
        for (let t = Tc - cfg.length; t < Tc; t++) for (let b = 0; b < B; b++) if (pred[t * B + b] === valC.targets[t * B + b]) ok++;
        return { accuracy: ok / (cfg.length * B), mse: null };
      },
    },
  ];
}

function trainOne(ctx: Ctx, cfg: Cfg, task: TaskSpec, c: (typeof CELLS)[number], H: number, lr: number, seed: number): E6Run {
  const m = new SeqModel(c.kind, task.I, H, task.O, { rng: ctx.rng(`e6-init-${c.kind}-${task.name}-${seed}`), ...(c.forgetBias !== undefined ? { forgetBias: c.forgetBias } : {}) });
  const data = ctx.rng(`e6-data-${task.name}-${seed}`); // the same batches for every cell and learning rate of a seed
  const params = m.parameters();
  const r = fit({
    steps: task.steps, opt: new Adam(params, { lr }), params, clip: 1, evalEvery: cfg.evalEvery, stopBelow: -0.99, keepBest: true,
    loss: () => task.batch(data).loss(m),
    evaluate: () => -task.score(m, 'val').accuracy,
    log: ctx.config === 'tiny' ? undefined : ctx.log, label: `e6 ${c.cell} lr ${lr} seed ${seed} ${task.name}`,
  });
  const s = task.score(m, 'test');
  if (m.numParameters() !== paramCount(c.kind, task.I, H, task.O)) throw new Error(`e6: parameter count ${m.numParameters()} ≠ formula ${paramCount(c.kind, task.I, H, task.O)}`);
  const valAccuracy = r.best ? -r.best.value : NaN;
  const run: E6Run = {
    task: task.name, cell: c.cell, lr, seed, hidden: H, params: m.numParameters(), valAccuracy: round(valAccuracy), bestStep: r.best?.step ?? 0,
    testAccuracy: round(s.accuracy), testMse: s.mse === null ? null : round(s.mse), steps: r.steps, reachedTarget: valAccuracy >= 0.99,
    seconds: round(r.seconds, 3), msPerStep: round((1000 * r.seconds) / Math.max(1, r.steps), 3),
  };
  ctx.log(`e6 ${task.name} ${c.cell} lr ${lr} seed ${seed} (H=${H}): val ${fmt(valAccuracy)} at step ${run.bestStep}, test ${fmt(s.accuracy)}, ${r.steps} steps, ${r.seconds.toFixed(1)} s`);
  return run;
}

/** Learning rate on the first seed's validation accuracy, then the remaining seeds at that rate. */
function runCell(ctx: Ctx, cfg: Cfg, task: TaskSpec, c: (typeof CELLS)[number], seeds: number[]): { runs: E6Run[]; row: E6Row } {
  const H = c.kind === 'gru' ? matchGruWidth(task.I, cfg.lstmHidden, task.O) : cfg.lstmHidden;
  const sweep = cfg.lrs.map((lr) => trainOne(ctx, cfg, task, c, H, lr, seeds[0]!));
  const chosen = sweep.reduce((a, b) => (b.valAccuracy > a.valAccuracy || (b.valAccuracy === a.valAccuracy && b.steps < a.steps) ? b : a));
  const runs = [...sweep, ...seeds.slice(1).map((s) => trainOne(ctx, cfg, task, c, H, chosen.lr, s))];
  const at = runs.filter((x) => x.lr === chosen.lr);
  const row: E6Row = {
    task: task.name, cell: c.cell, hidden: H, params: chosen.params, lr: chosen.lr, seeds: at.length,
    testAccuracy: meanCi(at.map((x) => x.testAccuracy)), reached: at.filter((x) => x.reachedTarget).length, meanSteps: round(at.reduce((s, x) => s + x.steps, 0) / at.length, 3),
  };
  return { runs, row };
}

/** Non-overlapping 95% intervals are called a difference; anything else is not. */
function compare(a: E6Row, b: E6Row): string {
  const [x, y] = [a.testAccuracy, b.testAccuracy];
  const lo = (c: typeof x): number => c.mean - (Number.isFinite(c.ci95) ? c.ci95 : 0);
  const hi = (c: typeof x): number => c.mean + (Number.isFinite(c.ci95) ? c.ci95 : 0);
  const verdict = lo(x) > hi(y) ? `${a.cell} is better` : lo(y) > hi(x) ? `${b.cell} is better` : 'the 95% intervals overlap: no difference shown';
  return `${a.task}: ${a.cell} ${fmtCi(x)} vs ${b.cell} ${fmtCi(y)} test accuracy (${x.n} seeds) — ${verdict}.`;
}

function findings(rows: E6Row[]): string[] {
  const out: string[] = [];
  for (const task of [...new Set(rows.map((r) => r.task))]) {
    const get = (c: E6Cell): E6Row => rows.find((r) => r.task === task && r.cell === c)!;
    out.push(compare(get('lstm'), get('gru')), compare(get('lstm-fb1'), get('gru')), compare(get('lstm-fb1'), get('lstm')));
  }
  return out;
}

export async function run(opts: RunOptions = {}): Promise<E6Result> {
  const ctx = context('e6', opts);
  const cfg = config(ctx);
  const seeds = Array.from({ length: cfg.seeds }, (_, k) => ctx.seed + k);
  const runs: E6Run[] = [];
  const rows: E6Row[] = [];
  for (const task of tasks(ctx, cfg)) {
    for (const c of CELLS) {
      const r = runCell(ctx, cfg, task, c, seeds);
      runs.push(...r.runs);
      rows.push(r.row);
    }
  }
  const result: E6Result = { ...info(ctx), batch: cfg.batch, lrs: cfg.lrs, seeds, maxSteps: { long: cfg.longSteps, short: cfg.shortSteps }, runs, rows, findings: findings(rows) };
  const rep = new Report('E6 — LSTM vs GRU at an equal parameter budget');
  rep.p(`Config ${ctx.config}, seeds ${seeds.join(', ')}, backend ${result.backend}. LSTM width ${cfg.lstmHidden}; GRU width chosen for the closest parameter count. `
    + `Adam, gradient norm clipped to 1, batch ${cfg.batch}, at most ${cfg.longSteps} (long) / ${cfg.shortSteps} (short) steps, validation every ${cfg.evalEvery} steps, stop at validation accuracy ≥ 0.99, `
    + `best-on-validation checkpoint scored on a separate test set (${cfg.nVal} sequences each). Learning rate per (task, cell) chosen from ${cfg.lrs.join(', ')} on the validation accuracy of seed ${seeds[0]}. `
    + `Long: adding problem, accuracy = |error| < 0.04. Short: copy task, ${cfg.length} symbols of 8 over a delay of ${cfg.delay}, accuracy over the recalled symbols (chance 1/8). `
    + 'lstm = PyTorch init (forget bias ≈ 0); lstm-fb1 = forget-gate bias started at 1 (LSTM forgetBias: 1).');
  rep.h2('Test accuracy at the chosen learning rate (mean ± 95% t-interval over seeds)');
  rep.table(['task', 'cell', 'hidden', 'parameters', 'lr', 'test accuracy', 'reached 0.99 (val)', 'mean steps'],
    rows.map((x) => [x.task, x.cell, x.hidden, x.params, x.lr, fmtCi(x.testAccuracy), `${x.reached}/${x.seeds}`, x.meanSteps]));
  rep.h2('Findings (computed from the table)');
  rep.p(result.findings.map((f) => `- ${f}`).join('\n'));
  rep.h2('Every run');
  rep.table(['task', 'cell', 'lr', 'seed', 'best val acc', 'at step', 'test acc', 'test MSE', 'steps', 'seconds', 'ms/step'],
    runs.map((x) => [x.task, x.cell, x.lr, x.seed, x.valAccuracy, x.bestStep, x.testAccuracy, x.testMse, x.steps, x.seconds, x.msPerStep]));
  rep.write(ctx.outDir, result);
  return result;
}
