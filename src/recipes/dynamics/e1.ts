/**
 * E1 — vanishing and exploding gradients on the adding problem (Hochreiter & Schmidhuber 1997;
 * Bengio et al. 1994; Pascanu et al. 2013).
 *
 * Part A: a vanilla (tanh) RNN, an LSTM and a GRU of the same width are trained with Adam on the
 * adding problem for each sequence length T; "learns" means validation MSE < 0.01 (the trivial
 * predictor, always 1, scores 1/6 ≈ 0.167). The exact ‖∂L/∂s_t‖ for every lag T−1−t
 * (analysis.gradientFlow, float64) is measured at initialisation and after training: it shows
 * whether the loss at the last step can reach the marked inputs at all.
 *
 * Every model is trained at every T of the grid on the first seed, and at the long T (`longT`,
 * batch `longBatch`) on `seeds` seeds (the full grid on every seed did not fit the shared machine). The LSTM runs twice per seed, with PyTorch's
 * init (forget bias ≈ 0) and with the forget-gate bias started at 1 ("lstm-fb1", Jozefowicz et al.
 * 2015) on the same weights and data stream otherwise. The report's findings are computed from
 * the rows.
 *
 * Part B: a GRU whose recurrent weights are drawn with a large gain (W_hh ~ N(0, g²/H), g = 5)
 * has gradients that grow with the lag; trained with SGD + momentum, the updates blow up.
 * Clipping the global gradient norm to 1 (same optimizer, same seed) restores training.
 */
import { Adam, F, Rng, SGD, Tensor, addingProblem, analysis, type AddingProblem } from '../../index.js';
import { Report, SeqModel, context, fit, fmt, fmtCi, info, meanCi, pick, round, smooth, type CellKind, type Ctx, type FitResult, type RunInfo, type RunOptions } from './common.js';

/** The models of Part A: the three cells plus the LSTM with forget bias 1. */
export type E1Model = CellKind | 'lstm-fb1';

export interface E1Row {
  model: E1Model;
  T: number;
  seed: number;
  batch: number;
  valMse: number;
  learned: boolean;
  steps: number;
  seconds: number;
  /** log10 ‖∂L/∂s_0‖ / ‖∂L/∂s_{T−1}‖: gradient reaching the first step relative to the last, at init and trained. */
  gradRatioInit: number;
  gradRatioTrained: number;
}

export interface E1Result extends RunInfo {
  hidden: number;
  batch: number;
  maxSteps: number;
  threshold: number;
  baselineMse: number;
  seeds: number[];
  rows: E1Row[];
  /** Sentences computed from the rows (the report's conclusions). */
  findings: string[];
  /** ‖∂L/∂s_t‖ per lag (index = lag T−1−t) at T = flowT, per model, at init and after training (first seed). */
  flowT: number;
  gradNormPerLag: Partial<Record<E1Model, { init: number[]; trained: number[] }>>;
  explode: {
    T: number;
    gain: number;
    steps: number;
    /** ‖∂L/∂s_t‖ per lag at the large initialisation. */
    gradNormPerLagInit: number[];
    runs: { name: string; clip: number | null; valMse: number; learned: boolean; diverged: boolean; maxGradNorm: number; steps: number }[];
  };
}

const MODELS: E1Model[] = ['rnn', 'lstm', 'lstm-fb1', 'gru'];
const THRESHOLD = 0.01;
const LR = 1e-2;

interface Cfg {
  Ts: number[];
  hidden: number;
  batch: number;
  maxSteps: number;
  evalEvery: number;
  nVal: number;
  flowT: number;
  explodeSteps: number;
  seeds: number;
  /** The long sequence length, trained on every seed with batch longBatch (the grid Ts on the first seed only). */
  longT: number;
  longBatch: number;
  /** The tanh RNN is trained up to this T only (it fails from T = 50 on; its long runs cost the most). */
  rnnMaxT: number;
}

function config(ctx: Ctx): Cfg {
  return pick<Cfg>(ctx, {
    full: { Ts: [10, 50, 100], hidden: 32, batch: 32, maxSteps: 2000, evalEvery: 100, nVal: 512, flowT: 400, explodeSteps: 2000, seeds: 3, longT: 400, longBatch: 8, rnnMaxT: 100 },
    quick: { Ts: [10, 50], hidden: 16, batch: 16, maxSteps: 300, evalEvery: 50, nVal: 128, flowT: 50, explodeSteps: 300, seeds: 1, longT: 100, longBatch: 16, rnnMaxT: 100 },
    tiny: { Ts: [5], hidden: 4, batch: 4, maxSteps: 3, evalEvery: 2, nVal: 8, flowT: 8, explodeSteps: 3, seeds: 2, longT: 8, longBatch: 4, rnnMaxT: 8 },
  });
}

const f64 = analysis.f64;

/** ‖∂L/∂s_t‖ per lag for the model's MSE on a validation batch (index = lag). */
function flow(m: SeqModel, d: AddingProblem, spans?: number[]): { perLag: number[]; ratio: number; result: analysis.GradientFlowResult } {
  const W = f64(m.head.param('weight'));
  const b = f64(m.head.param('bias'));
  const y = f64(d.y);
  const result = analysis.gradientFlow(m.rnn, d.x, {
    loss: (out: Tensor) => F.mseLoss(F.linear(analysis.lastStep(out), W, b), y),
    ...(spans ? { spans } : {}),
  });
  const perLag = [...result.gradNorm].reverse();
  return { perLag, ratio: Math.log10(perLag.at(-1)! / perLag[0]!), result };
}

function valBatch(T: number, n: number, seed: number): AddingProblem {
  return addingProblem(T, n, { rng: new Rng(1000 + seed * 31 + T) });
}

function trainOne(ctx: Ctx, cfg: Cfg, model: E1Model, T: number, k: number, batch: number): { row: E1Row; init: number[]; trained: number[]; fit: FitResult } {
  const kind: CellKind = model === 'lstm-fb1' ? 'lstm' : model;
  const seed = ctx.seed + k;
  // lstm-fb1 shares lstm's generator: the same weights and batches, only the forget bias differs.
  const rng = ctx.rng(`e1-${kind}-${T}${k ? `-s${k}` : ''}`);
  const m = new SeqModel(kind, 2, cfg.hidden, 1, { rng, ...(model === 'lstm-fb1' ? { forgetBias: 1 } : {}) });
  const val = valBatch(T, cfg.nVal, seed);
  const probe = valBatch(T, Math.min(32, cfg.nVal), seed + 1);
  const f0 = flow(m, probe, [1]);
  const params = m.parameters();
  const r = fit({
    steps: cfg.maxSteps, opt: new Adam(params, { lr: LR }), params, evalEvery: cfg.evalEvery, stopBelow: THRESHOLD / 2,
    loss: () => {
      const d = addingProblem(T, batch, { rng });
      return F.mseLoss(m.last(d.x), d.y);
    },
    evaluate: () => F.mseLoss(m.last(val.x), val.y).item(),
    log: ctx.config === 'tiny' ? undefined : ctx.log, label: `e1 ${model} T=${T} seed ${seed}`,
  });
  const f1 = flow(m, probe, [1]);
  const row: E1Row = {
    model, T, seed, batch, valMse: round(r.final), learned: r.final < THRESHOLD, steps: r.steps, seconds: round(r.seconds, 3),
    gradRatioInit: round(f0.ratio, 3), gradRatioTrained: round(f1.ratio, 3),
  };
  ctx.log(`e1 ${model} T=${T} seed ${seed}: val MSE ${fmt(r.final)} (${row.learned ? 'learned' : 'not learned'}) in ${r.steps} steps, ${r.seconds.toFixed(1)} s; log10 grad ratio init ${fmt(f0.ratio)} trained ${fmt(f1.ratio)}`);
  return { row, init: f0.perLag, trained: f1.perLag, fit: r };
}

/** Part B: large recurrent init, SGD, with and without clipping. */
function explode(ctx: Ctx, cfg: Cfg): { out: E1Result['explode']; fits: { name: string; fit: FitResult }[] } {
  const T = ctx.config === 'tiny' ? 8 : 50;
  const gain = 5;
  const H = cfg.hidden;
  const val = valBatch(T, cfg.nVal, ctx.seed);
  const variants: { name: string; gain: number; clip?: number }[] = [
    { name: 'default init', gain: 0 },
    { name: `gain ${gain}`, gain },
    { name: `gain ${gain} + clip 1`, gain, clip: 1 },
  ];
  let perLag: number[] = [];
  const runs: E1Result['explode']['runs'] = [];
  const fits: { name: string; fit: FitResult }[] = [];
  for (const v of variants) {
    const rng = ctx.rng('e1-explode'); // same init and data stream for every variant of one gain
    const m = new SeqModel('gru', 2, H, 1, { rng });
    if (v.gain) {
      const w = m.rnn.param('weight_hh_l0');
      for (let i = 0; i < w.size; i++) w.data[i] = (rng.normal() * v.gain) / Math.sqrt(H);
      if (!perLag.length) perLag = flow(m, valBatch(T, Math.min(32, cfg.nVal), ctx.seed + 1), [1]).perLag;
    }
    const params = m.parameters();
    const r = fit({
      steps: cfg.explodeSteps, opt: new SGD(params, { lr: 0.1, momentum: 0.9 }), params, clip: v.clip, evalEvery: cfg.evalEvery * 2,
      loss: () => {
        const d = addingProblem(T, cfg.batch, { rng });
        return F.mseLoss(m.last(d.x), d.y);
      },
      evaluate: () => F.mseLoss(m.last(val.x), val.y).item(),
    });
    const maxGradNorm = Math.max(...r.gradNorm.filter(Number.isFinite), 0);
    runs.push({ name: v.name, clip: v.clip ?? null, valMse: round(r.final), learned: r.final < THRESHOLD, diverged: r.diverged, maxGradNorm: round(maxGradNorm), steps: r.steps });
    fits.push({ name: v.name, fit: r });
    ctx.log(`e1 explode (GRU, T=${T}) ${v.name}: val MSE ${fmt(r.final)}${r.diverged ? ' (diverged: non-finite loss)' : ''}, max grad norm ${fmt(maxGradNorm)}`);
  }
  return { out: { T, gain, steps: cfg.explodeSteps, gradNormPerLagInit: perLag, runs }, fits };
}

export async function run(opts: RunOptions = {}): Promise<E1Result> {
  const ctx = context('e1', opts);
  const cfg = config(ctx);
  const rows: E1Row[] = [];
  const allTs = [...cfg.Ts, cfg.longT];
  const flowT = allTs.includes(cfg.flowT) ? cfg.flowT : cfg.longT;
  const perLag = {} as E1Result['gradNormPerLag'];
  const seeds = Array.from({ length: cfg.seeds }, (_, k) => ctx.seed + k);
  for (let k = 0; k < cfg.seeds; k++) {
    for (const [T, batch] of [...(k === 0 ? cfg.Ts.map((t) => [t, cfg.batch]) : []), [cfg.longT, cfg.longBatch]] as [number, number][]) {
      for (const model of MODELS.filter((m) => m !== 'rnn' || T <= cfg.rnnMaxT)) {
        const r = trainOne(ctx, cfg, model, T, k, batch);
        rows.push(r.row);
        if (T === flowT && k === 0) perLag[model] = { init: r.init.map((v) => round(v)), trained: r.trained.map((v) => round(v)) };
      }
    }
  }
  const ex = explode(ctx, cfg);
  const result: E1Result = {
    ...info(ctx), hidden: cfg.hidden, batch: cfg.batch, maxSteps: cfg.maxSteps, threshold: THRESHOLD, baselineMse: round(1 / 6),
    seeds, rows, findings: [], flowT, gradNormPerLag: perLag,
    explode: { ...ex.out, gradNormPerLagInit: ex.out.gradNormPerLagInit.map((v) => round(v)) },
  };
  result.findings = findings(result, allTs);
  writeE1(ctx, cfg, result, ex.fits);
  return result;
}

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};

/** The report's conclusions, computed from the rows. */
export function findings(r: E1Result, Ts: number[]): string[] {
  const n = r.seeds.length;
  const at = (m: E1Model, T: number): E1Row[] => r.rows.filter((x) => x.model === m && x.T === T);
  const learnedCount = (m: E1Model, T: number): number => at(m, T).filter((x) => x.learned).length;
  const list = (v: number[]): string => (v.length ? v.join(', ') : 'none');
  const first = r.seeds[0]!;
  const firstLearned = (m: E1Model, T: number): boolean => at(m, T).some((x) => x.seed === first && x.learned);
  const ran = (m: E1Model): number[] => Ts.filter((T) => at(m, T).length > 0);
  const out = MODELS.map((m) => `${m} (seed ${first}): learned at T = ${list(ran(m).filter((T) => firstLearned(m, T)))}; not at T = ${list(ran(m).filter((T) => !firstLearned(m, T)))}.`);
  const Tmax = Ts.at(-1)!;
  out.push(`At T = ${Tmax} (${n} seeds): ` + MODELS.filter((m) => at(m, Tmax).length).map((m) => `${m} ${learnedCount(m, Tmax)}/${at(m, Tmax).length} learned, val MSE ${fmtCi(meanCi(at(m, Tmax).map((x) => x.valMse)))}`).join('; ') + '.');
  const learned = r.rows.filter((x) => x.learned && x.T >= 50);
  const failed = r.rows.filter((x) => !x.learned && x.T >= 50);
  out.push(`log10 gradient ratio (first step / last step), runs with T ≥ 50: at initialisation median ${fmt(median(r.rows.filter((x) => x.T >= 50).map((x) => x.gradRatioInit)))}; `
    + `after training, median ${fmt(median(learned.map((x) => x.gradRatioTrained)))} over the ${learned.length} runs that learned and ${fmt(median(failed.map((x) => x.gradRatioTrained)))} over the ${failed.length} that did not.`);
  const [plain, big, clipped] = r.explode.runs as [E1Result['explode']['runs'][number], E1Result['explode']['runs'][number], E1Result['explode']['runs'][number]];
  out.push(`Large init (gain ${r.explode.gain}), SGD, one seed: without clipping val MSE ${fmt(big.valMse)} (max ‖g‖ ${fmt(big.maxGradNorm)}, ${big.learned ? 'learned' : 'not learned'}); `
    + `clipped to 1: ${fmt(clipped.valMse)} (${clipped.learned ? 'learned' : 'not learned'}); default init: ${fmt(plain.valMse)}.`);
  return out;
}

function writeE1(ctx: Ctx, cfg: Cfg, r: E1Result, fits: { name: string; fit: FitResult }[]): void {
  const rep = new Report('E1 — RNN vs LSTM vs GRU on the adding problem; exploding gradients and clipping');
  rep.p(`Config ${ctx.config}, seeds ${r.seeds.join(', ')}, backend ${r.backend}. Hidden ${cfg.hidden}, batch ${cfg.batch} (T = ${cfg.longT}: batch ${cfg.longBatch}, every seed; shorter T: seed ${r.seeds[0]} only; tanh RNN up to T = ${cfg.rnnMaxT}), Adam lr ${LR}, at most ${cfg.maxSteps} steps `
    + `(stop once validation MSE < ${THRESHOLD / 2}), validation on ${cfg.nVal} fresh sequences. Learned = validation MSE < ${THRESHOLD}; the trivial predictor scores ${fmt(1 / 6)}.`);
  rep.h2(`Which models learn (seeds ${r.seeds.join(', ')})`);
  rep.p('Each cell: seeds that learned, then validation MSE mean ± 95% t-interval over seeds, then mean steps. lstm-fb1 = LSTM with forget-gate bias 1 (same weights and data as lstm otherwise).');
  const byT = [...cfg.Ts, cfg.longT].map((T) => [T === cfg.longT ? `${T} (batch ${cfg.longBatch})` : String(T), ...MODELS.map((k) => {
    const rs = r.rows.filter((x) => x.model === k && x.T === T);
    if (!rs.length) return 'not run';
    return `${rs.filter((x) => x.learned).length}/${rs.length}: ${fmtCi(meanCi(rs.map((x) => x.valMse)))} (${Math.round(rs.reduce((a, x) => a + x.steps, 0) / rs.length)} steps)`;
  })]);
  rep.table(['T', 'RNN (tanh)', 'LSTM', 'LSTM forget bias 1', 'GRU'], byT);
  rep.h2('Findings (computed from the rows)');
  rep.p(r.findings.map((f) => `- ${f}`).join('\n'));
  rep.h2('Why: the gradient that reaches each lag');
  rep.p(`log10 of ‖∂L/∂s₀‖ / ‖∂L/∂s_{T−1}‖ — how much of the loss gradient at the last step reaches the first step (the first marker lies in the first half); seed ${r.seeds[0]}.`);
  rep.table(['T', ...MODELS.flatMap((k) => [`${k} init`, `${k} trained`])], [...cfg.Ts, cfg.longT].map((T) => [String(T), ...MODELS.flatMap((k) => {
    const row = r.rows.find((x) => x.model === k && x.T === T && x.seed === r.seeds[0]);
    return [row?.gradRatioInit ?? null, row?.gradRatioTrained ?? null];
  })]));
  for (const when of ['init', 'trained'] as const) {
    rep.plot(`grad-per-lag-${when}.svg`, {
      title: `‖∂L/∂s_t‖ per lag, T = ${r.flowT}, ${when === 'init' ? 'at initialisation' : 'after training'}`, xLabel: 'lag T−1−t', yLabel: '‖∂L/∂s_t‖', logY: true,
      series: MODELS.flatMap((k) => { const g = r.gradNormPerLag[k]; return g ? [{ name: k, x: g[when].map((_, i) => i), y: g[when] }] : []; }),
    });
  }
  rep.h2(`Exploding gradients: GRU, T = ${r.explode.T}, W_hh ~ N(0, ${r.explode.gain}²/H), SGD lr 0.1 momentum 0.9, ${r.explode.steps} steps`);
  rep.p('Variants: PyTorch\'s default initialisation; W_hh drawn with the large gain; the same with the global gradient norm clipped to 1 (clipGradNorm) before every update.');
  rep.table(['variant', 'val MSE', 'learned', 'diverged', 'max ‖g‖ (before clipping)', 'steps'], r.explode.runs.map((x) => [x.name, x.valMse, x.learned ? 'yes' : 'no', x.diverged ? 'yes' : 'no', x.maxGradNorm, x.steps]));
  rep.plot('explode-grad-per-lag.svg', {
    title: `Large init: ‖∂L/∂s_t‖ grows with the lag (T = ${r.explode.T})`, xLabel: 'lag T−1−t', yLabel: '‖∂L/∂s_t‖', logY: true,
    series: [{ name: `gain ${r.explode.gain}`, x: r.explode.gradNormPerLagInit.map((_, i) => i), y: r.explode.gradNormPerLagInit }],
  });
  const w = Math.max(1, Math.floor(cfg.explodeSteps / 100));
  rep.plot('explode-gradnorm.svg', {
    title: 'Global gradient norm per step (before clipping), moving average', xLabel: 'step', yLabel: '‖g‖', logY: true,
    series: fits.map((f) => ({ name: f.name, ...smooth(f.fit.gradNorm, w, w) })),
  });
  rep.plot('explode-loss.svg', {
    title: 'Training loss, moving average', xLabel: 'step', yLabel: 'MSE', logY: true,
    series: fits.map((f) => ({ name: f.name, ...smooth(f.fit.loss, w, w) })),
  });
  rep.write(ctx.outDir, r);
}
