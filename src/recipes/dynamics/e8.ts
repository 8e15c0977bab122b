/**
 * E8 — Lyapunov spectra of trained RNN / LSTM / GRU on a memory task vs at initialisation
 * (the "edge of chaos": Bertschinger & Natschläger 2004; Engelken, Wolf & Abbott 2020).
 *
 * Each network is trained on the 3-bit flip-flop (E5's task and training loop). At every
 * evaluation the leading Lyapunov exponent λ1 is measured (analysis.lyapunovExponents, QR
 * method) on two systems: the network driven by a fixed flip-flop input sequence (the dynamics
 * it sees on the task) and the autonomous network at input 0 (the dynamics that holds the bits
 * between pulses). The full driven spectrum is recorded at initialisation and after training.
 * Four models: tanh RNN, LSTM, GRU with PyTorch's init, and a tanh RNN whose W_hh is drawn with
 * gain 2 (N(0, 4/H): chaotic at initialisation, Sompolinsky et al. 1988).
 * Reported: λ1 at init and trained (mean ± 95% t-interval over seeds) and λ1 against the
 * validation MSE over all checkpoints (Spearman rank correlation).
 */
import { Rng, Tensor, analysis } from '../../index.js';
import { Report, context, fmt, fmtCi, info, meanCi, pick, round, scatterSvg, type CellKind, type Ctx, type RunInfo, type RunOptions } from './common.js';
import { flipFlop8, trainFlipFlop, type Cfg as FlipFlopCfg } from './e5.js';
import { spearman } from '../common/stats.js';

export type E8Model = 'rnn' | 'lstm' | 'gru' | 'rnn-gain2';

export interface E8Checkpoint {
  step: number;
  valMse: number;
  /** λ1 (nats/step) driven by the flip-flop input, and autonomous at input 0. */
  lambdaDriven: number;
  lambdaAuto: number;
}

export interface E8Run {
  model: E8Model;
  seed: number;
  checkpoints: E8Checkpoint[];
  /** Full driven spectra (descending) at initialisation and after training. */
  spectrumInit: number[];
  spectrumTrained: number[];
}

export interface E8Summary {
  model: E8Model;
  valMse: ReturnType<typeof meanCi>;
  lambdaDrivenInit: ReturnType<typeof meanCi>;
  lambdaDrivenTrained: ReturnType<typeof meanCi>;
  lambdaAutoInit: ReturnType<typeof meanCi>;
  lambdaAutoTrained: ReturnType<typeof meanCi>;
  /** Spearman ρ between λ1 (driven) and validation MSE over this model's checkpoints. */
  spearmanDriven: number;
}

export interface E8Result extends RunInfo {
  seeds: number[];
  hidden: number;
  steps: number;
  runs: E8Run[];
  summary: E8Summary[];
  /** Spearman ρ (λ1 driven vs val MSE) over every checkpoint of every model. */
  spearmanAll: number;
  findings: string[];
}

export interface Cfg extends FlipFlopCfg { seeds: number; warmup: number; lyapSteps: number }

export function config(ctx: Ctx): Cfg {
  const none = { lineHidden: 0, lineSteps: 0, lineNetworks: 0, candidates: 0, maxIters: 0 };
  return pick<Cfg>(ctx, {
    full: { ...none, hidden: 16, T: 100, batch: 32, steps: 1500, evalEvery: 250, seeds: 3, warmup: 100, lyapSteps: 500 },
    quick: { ...none, hidden: 16, T: 60, batch: 16, steps: 400, evalEvery: 100, seeds: 1, warmup: 50, lyapSteps: 200 },
    tiny: { ...none, hidden: 4, T: 10, batch: 4, steps: 4, evalEvery: 2, seeds: 2, warmup: 5, lyapSteps: 20 },
  });
}

const MODELS: E8Model[] = ['rnn', 'lstm', 'gru', 'rnn-gain2'];

export { spearman } from '../common/stats.js';

function lyapunov(cell: analysis.Cell, drive: Tensor, cfg: Cfg, k: number): { driven: number[]; auto: number } {
  const opts = { warmup: cfg.warmup, maxSteps: cfg.lyapSteps, minSteps: cfg.lyapSteps, rng: new Rng(1) };
  const s0 = new Float64Array(cell.stateSize);
  const driven = analysis.lyapunovExponents(analysis.cellSystem(cell, { inputs: drive, sample: 0 }), s0, { ...opts, k }).exponents;
  // Autonomous: start from the end of a driven stretch (a state holding bits), input 0.
  const S = cell.stateSize;
  const held = analysis.trajectory(cell, drive).slice(-S);
  const auto = analysis.lyapunovExponents(analysis.cellSystem(cell, { input: [0, 0, 0] }), held, { ...opts, k: 1 }).exponents[0]!;
  return { driven, auto };
}

function trainOne(ctx: Ctx, cfg: Cfg, model: E8Model, seed: number, k: number): E8Run {
  const kind: CellKind = model === 'rnn-gain2' ? 'rnn' : model;
  const drive = analysis.f64(flipFlop8(cfg.warmup + cfg.lyapSteps + 1, 1, new Rng(9100 + seed)).x);
  const checkpoints: E8Checkpoint[] = [];
  let spectrumInit: number[] = [];
  let last: number[] = [];
  trainFlipFlop(ctx, cfg, {
    kind, label: `e8-${model}-${k}`,
    prepare: model === 'rnn-gain2' ? (m, rng) => {
      const w = m.rnn.param('weight_hh_l0');
      for (let i = 0; i < w.size; i++) w.data[i] = (rng.normal() * 2) / Math.sqrt(cfg.hidden);
    } : undefined,
    onEval: (m, step, valMse) => {
      const ly = lyapunov(analysis.cellOf(m.rnn), drive, cfg, analysis.cellOf(m.rnn).stateSize);
      if (step === 0) spectrumInit = ly.driven;
      last = ly.driven;
      checkpoints.push({ step, valMse: round(valMse), lambdaDriven: round(ly.driven[0]!), lambdaAuto: round(ly.auto) });
      ctx.log(`e8 ${model} seed ${seed} step ${step}: val MSE ${fmt(valMse)}, λ1 driven ${fmt(ly.driven[0]!)}, autonomous ${fmt(ly.auto)}`);
    },
  });
  return { model, seed, checkpoints, spectrumInit: spectrumInit.map((v) => round(v)), spectrumTrained: last.map((v) => round(v)) };
}

function summarise(runs: E8Run[]): E8Summary[] {
  return MODELS.map((model) => {
    const rs = runs.filter((r) => r.model === model);
    const first = rs.map((r) => r.checkpoints[0]!);
    const end = rs.map((r) => r.checkpoints.at(-1)!);
    const all = rs.flatMap((r) => r.checkpoints);
    return {
      model, valMse: meanCi(end.map((c) => c.valMse)),
      lambdaDrivenInit: meanCi(first.map((c) => c.lambdaDriven)), lambdaDrivenTrained: meanCi(end.map((c) => c.lambdaDriven)),
      lambdaAutoInit: meanCi(first.map((c) => c.lambdaAuto)), lambdaAutoTrained: meanCi(end.map((c) => c.lambdaAuto)),
      spearmanDriven: round(spearman(all.map((c) => c.lambdaDriven), all.map((c) => c.valMse)), 3),
    };
  });
}

export function findings(s: E8Summary[], rhoAll: number, runs: E8Run[]): string[] {
  const out = s.map((x) => `${x.model}: λ1 driven ${fmtCi(x.lambdaDrivenInit)} at init → ${fmtCi(x.lambdaDrivenTrained)} trained; autonomous ${fmtCi(x.lambdaAutoInit)} → ${fmtCi(x.lambdaAutoTrained)}; `
    + `trained val MSE ${fmtCi(x.valMse)}; Spearman ρ(λ1 driven, val MSE) over checkpoints ${fmt(x.spearmanDriven)}.`);
  const moved = s.filter((x) => Math.abs(x.lambdaDrivenTrained.mean) < Math.abs(x.lambdaDrivenInit.mean)).map((x) => x.model);
  out.push(`Training moved the driven λ1 towards 0 for: ${moved.join(', ') || 'none'}; away from 0 for: ${s.filter((x) => !moved.includes(x.model)).map((x) => x.model).join(', ') || 'none'}.`);
  const end = runs.map((r) => r.checkpoints.at(-1)!);
  const neg = end.filter((c) => c.lambdaDriven < 0 && c.lambdaAuto < 0).length;
  out.push(`Trained networks with λ1 < 0 both driven and autonomous: ${neg}/${end.length}; largest trained λ1 driven ${fmt(Math.max(...end.map((c) => c.lambdaDriven)))}, autonomous ${fmt(Math.max(...end.map((c) => c.lambdaAuto)))}.`);
  const sense = rhoAll > 0 ? 'more contracting checkpoints (more negative λ1) fit better' : rhoAll < 0 ? 'checkpoints with λ1 closer to 0 or above fit better' : 'no monotone relation';
  out.push(`Over every checkpoint of every model, Spearman ρ(λ1 driven, val MSE) = ${fmt(rhoAll)}: ${sense}.`);
  return out;
}

export async function run(opts: RunOptions = {}): Promise<E8Result> {
  const ctx = context('e8', opts);
  const cfg = config(ctx);
  const seeds = Array.from({ length: cfg.seeds }, (_, k) => ctx.seed + k);
  const runs = seeds.flatMap((seed, k) => MODELS.map((model) => trainOne(ctx, cfg, model, seed, k)));
  const summary = summarise(runs);
  const all = runs.flatMap((r) => r.checkpoints);
  const spearmanAll = round(spearman(all.map((c) => c.lambdaDriven), all.map((c) => c.valMse)), 3);
  const result: E8Result = { ...info(ctx), seeds, hidden: cfg.hidden, steps: cfg.steps, runs, summary, spearmanAll, findings: findings(summary, spearmanAll, runs) };
  write(ctx, cfg, result);
  return result;
}

/** Write report.md, the figures and result.json (also used to re-render a stored result.json). */
export function write(ctx: Ctx, cfg: Cfg, r: E8Result): void {
  const rep = new Report('E8 — Lyapunov spectra of trained RNN / LSTM / GRU on the 3-bit flip-flop');
  rep.p(`Config ${ctx.config}, seeds ${r.seeds.join(', ')}, backend ${r.backend}. Hidden ${cfg.hidden}, flip-flop T = ${cfg.T}, batch ${cfg.batch}, Adam lr 1e-2, clip 1, ${cfg.steps} steps; `
    + `checkpoints every ${cfg.evalEvery} steps. λ1 by the QR method in nats/step: driven = the network fed one fixed flip-flop input sequence (${cfg.warmup} warm-up + ${cfg.lyapSteps} steps); `
    + 'autonomous = input 0 from the state reached after the drive. rnn-gain2: tanh RNN with W_hh ~ N(0, 4/H). LSTM exponents are over its 2H-dimensional state [h, c].');
  rep.table(['model', 'val MSE (trained)', 'λ1 driven, init', 'λ1 driven, trained', 'λ1 autonomous, init', 'λ1 autonomous, trained', 'Spearman ρ(λ1, MSE)'],
    r.summary.map((x) => [x.model, fmtCi(x.valMse), fmtCi(x.lambdaDrivenInit), fmtCi(x.lambdaDrivenTrained), fmtCi(x.lambdaAutoInit), fmtCi(x.lambdaAutoTrained), x.spearmanDriven]));
  rep.h2('Findings (computed from the runs)');
  rep.p(r.findings.map((f) => `- ${f}`).join('\n'));
  const s0 = r.runs.filter((x) => x.seed === r.seeds[0]);
  rep.plot('spectra.svg', {
    title: `Driven Lyapunov spectra, seed ${r.seeds[0]}: initialisation vs trained`, xLabel: 'index i', yLabel: 'λ_i (nats/step)', logY: false,
    series: s0.flatMap((x) => [
      { name: `${x.model} init`, x: x.spectrumInit.map((_, i) => i + 1), y: x.spectrumInit },
      { name: `${x.model} trained`, x: x.spectrumTrained.map((_, i) => i + 1), y: x.spectrumTrained },
    ]),
  });
  rep.svg('lambda-vs-mse.svg', 'λ1 against validation MSE', scatterSvg('λ1 (driven) vs validation MSE, every checkpoint and seed', 'λ1 driven (nats/step)', 'log10 val MSE',
    MODELS.map((m) => ({ name: m, pts: r.runs.filter((x) => x.model === m).flatMap((x) => x.checkpoints.map((c) => [c.lambdaDriven, Math.log10(c.valMse)] as [number, number])) }))));
  rep.h2('Every checkpoint');
  rep.table(['model', 'seed', 'step', 'val MSE', 'λ1 driven', 'λ1 autonomous'], r.runs.flatMap((x) => x.checkpoints.map((c) => [x.model, x.seed, c.step, c.valMse, c.lambdaDriven, c.lambdaAuto])));
  rep.write(ctx.outDir, r);
}
