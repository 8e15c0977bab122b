/**
 * E2 — "the first token decides the label" at T ≥ 200: a forward-only LSTM must carry the first
 * token through T − 1 random distractors, so the loss gradient has to cross T steps; a
 * bidirectional LSTM's reverse direction reads the first token last, so its final state (read
 * out together with the forward one, as h_n of both directions) holds the answer after one step.
 * Also measured: ‖∂L/∂s_0‖ / ‖∂L/∂s_{T−1}‖ of the forward model (analysis.gradientFlow).
 */
import { Adam, F, Rng, Tensor, analysis, argmaxRows, firstTokenTask, noGrad, type FirstToken } from '../../index.js';
import { Report, SeqModel, context, fit, fmt, info, pick, round, smooth, type Ctx, type FitResult, type RunInfo, type RunOptions } from './common.js';

export interface E2Row {
  T: number;
  model: 'forward' | 'bidirectional';
  valAccuracy: number;
  learned: boolean;
  steps: number;
  seconds: number;
}

export interface E2Result extends RunInfo {
  hidden: number;
  batch: number;
  maxSteps: number;
  chance: number;
  rows: E2Row[];
  /** log10 ‖∂L/∂s_0‖ / ‖∂L/∂s_{T−1}‖ of the forward LSTM per T, at init and after training. */
  forwardGradRatio: { T: number; init: number; trained: number }[];
}

interface Cfg { Ts: number[]; hidden: number; batch: number; maxSteps: number; evalEvery: number; nVal: number }

function config(ctx: Ctx): Cfg {
  return pick<Cfg>(ctx, {
    full: { Ts: [200, 400], hidden: 32, batch: 32, maxSteps: 800, evalEvery: 50, nVal: 512 },
    quick: { Ts: [200], hidden: 16, batch: 16, maxSteps: 100, evalEvery: 25, nVal: 128 },
    tiny: { Ts: [6], hidden: 4, batch: 4, maxSteps: 3, evalEvery: 2, nVal: 8 },
  });
}

const LEARNED = 0.95;

function accuracy(m: SeqModel, d: FirstToken): number {
  const pred = argmaxRows(noGrad(() => m.final(d.x)).data, 2);
  let ok = 0;
  for (let b = 0; b < d.labels.length; b++) if (pred[b] === d.labels[b]) ok++;
  return ok / d.labels.length;
}

function gradRatio(m: SeqModel, d: FirstToken): number {
  const W = analysis.f64(m.head.param('weight'));
  const b = analysis.f64(m.head.param('bias'));
  const g = analysis.gradientFlow(m.rnn, d.x, { loss: (out: Tensor) => F.crossEntropy(F.linear(analysis.lastStep(out), W, b), d.labels), spans: [1] });
  return Math.log10(g.gradNorm[0]! / g.gradNorm.at(-1)!);
}

export async function run(opts: RunOptions = {}): Promise<E2Result> {
  const ctx = context('e2', opts);
  const cfg = config(ctx);
  const rows: E2Row[] = [];
  const ratios: E2Result['forwardGradRatio'] = [];
  const curves: { name: string; fit: FitResult }[] = [];
  for (const T of cfg.Ts) {
    const val = firstTokenTask(T, cfg.nVal, { rng: new Rng(2000 + ctx.seed * 31 + T) });
    const V = val.x.shape[2]!;
    for (const model of ['forward', 'bidirectional'] as const) {
      const rng = ctx.rng(`e2-${model}-${T}`);
      const m = new SeqModel('lstm', V, cfg.hidden, 2, { rng, bidirectional: model === 'bidirectional' });
      const probe = firstTokenTask(T, Math.min(32, cfg.nVal), { rng: new Rng(3000 + T) });
      const r0 = model === 'forward' ? gradRatio(m, probe) : NaN;
      const params = m.parameters();
      const r = fit({
        steps: cfg.maxSteps, opt: new Adam(params, { lr: 1e-2 }), params, evalEvery: cfg.evalEvery, stopBelow: -0.99,
        loss: () => {
          const d = firstTokenTask(T, cfg.batch, { rng });
          return F.crossEntropy(m.final(d.x), d.labels);
        },
        evaluate: () => -accuracy(m, val), // fit minimises; stop at accuracy ≥ 0.99
        log: ctx.config === 'tiny' ? undefined : ctx.log, label: `e2 ${model} T=${T}`,
      });
      const acc = -r.final;
      rows.push({ T, model, valAccuracy: round(acc), learned: acc >= LEARNED, steps: r.steps, seconds: round(r.seconds, 3) });
      if (model === 'forward') ratios.push({ T, init: round(r0, 3), trained: round(gradRatio(m, probe), 3) });
      curves.push({ name: `${model} T=${T}`, fit: r });
      ctx.log(`e2 ${model} T=${T}: val accuracy ${fmt(acc)} after ${r.steps} steps (${r.seconds.toFixed(1)} s)`);
    }
  }
  const result: E2Result = { ...info(ctx), hidden: cfg.hidden, batch: cfg.batch, maxSteps: cfg.maxSteps, chance: 0.5, rows, forwardGradRatio: ratios };
  const rep = new Report('E2 — first-token task: forward-only vs bidirectional LSTM');
  rep.p(`Config ${ctx.config}, seed ${ctx.seed}, backend ${result.backend}. LSTM hidden ${cfg.hidden} per direction, batch ${cfg.batch}, Adam lr 1e-2, `
    + `at most ${cfg.maxSteps} steps (stop at validation accuracy ≥ 0.99); 2 classes (chance 0.5), 10 token types; read-out from the final state h_n of each direction. Learned = accuracy ≥ ${LEARNED}.`);
  rep.table(['T', 'model', 'val accuracy', 'learned', 'steps', 'seconds'], rows.map((x) => [String(x.T), x.model, x.valAccuracy, x.learned ? 'yes' : 'no', x.steps, x.seconds]));
  rep.p('Forward LSTM: log10 ‖∂L/∂s₀‖ / ‖∂L/∂s_{T−1}‖ (how much of the loss gradient reaches the step that holds the label).');
  rep.table(['T', 'at init', 'after training'], ratios.map((x) => [String(x.T), x.init, x.trained]));
  rep.plot('accuracy.svg', {
    title: 'Validation accuracy during training', xLabel: 'step', yLabel: 'accuracy', logY: false,
    series: curves.map((c) => ({ name: c.name, x: c.fit.evals.map((e) => e.step), y: c.fit.evals.map((e) => -e.value) })),
  });
  const w = Math.max(1, Math.floor(cfg.maxSteps / 80));
  rep.plot('loss.svg', {
    title: 'Training cross-entropy, moving average', xLabel: 'step', yLabel: 'nats', logY: false,
    series: curves.map((c) => ({ name: c.name, ...smooth(c.fit.loss, w, w) })),
  });
  rep.write(ctx.outDir, result);
  return result;
}
