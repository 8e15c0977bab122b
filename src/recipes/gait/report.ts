/**
 * The gait report: step F1 per window length × model with the paired LSTM − GRU comparison and
 * the computed verdict, F1 at the other tolerances, the chosen settings per fold, and charts of
 * F1 against W and of gradient flow against lag (the dependency length each model uses).
 */
import type { ReportChart, ReportData, ReportTable } from '../common/report.js';
import { runEnvironment } from '../common/environment.js';
import { f1Of } from './events.js';
import type { Cell } from './model.js';
import type { GaitResult } from './run.js';
import { mean, summarise, verdict, type WindowSummary } from './summary.js';

const CELLS: Cell[] = ['lstm', 'gru'];

function mainTable(r: GaitResult, s: WindowSummary[]): ReportTable {
  const rows = s.map((w) => [
    w.W, w.models.lstm.mean, w.models.lstm.sd, w.models.gru.mean, w.models.gru.sd, w.classical.mean, w.classical.sd,
    w.lstmMinusGru.mean, w.lstmMinusGru.lo, w.lstmMinusGru.hi, w.models.lstm.reach1, w.models.gru.reach1, w.models.lstm.reach10, w.models.gru.reach10,
  ]);
  return {
    title: `Step F1 at ±${r.settings.tols[0]} samples: window length × model`,
    columns: ['W', 'LSTM', 'sd', 'GRU', 'sd', 'classical', 'sd', 'LSTM − GRU', 'CI lo', 'CI hi', 'reach 1 % LSTM', 'reach 1 % GRU', 'reach 10 % LSTM', 'reach 10 % GRU'],
    rows, digits: 3, verdict: verdict(s, r.settings.tols[0]!),
    caption: `F1 mean and sd over test subjects × ${r.settings.seeds} seeds (classical: over subjects; it does not depend on W). LSTM − GRU: mean of per-subject differences (seeds averaged first) with a 95 % t interval over subjects. Reach: first lag (samples) where ‖∂L/∂s‖ falls below 1 % / 10 % of its value at lag 0, on ${r.settings.flowLength}-sample test windows, mean over folds × seeds.`,
  };
}

function tolTable(r: GaitResult): ReportTable {
  const tols = r.settings.tols;
  const s = tols.map((_, j) => summarise(r, j));
  return {
    title: 'Step F1 at every tolerance (mean over test subjects × seeds)',
    columns: ['W', ...tols.flatMap((t) => [`LSTM ±${t}`, `GRU ±${t}`, `classical ±${t}`])],
    rows: r.settings.windows.map((W, i) => [W, ...s.flatMap((x) => [x[i]!.models.lstm.mean, x[i]!.models.gru.mean, x[i]!.classical.mean])]),
    digits: 3,
    caption: 'Detectors are tuned at the first tolerance only.',
  };
}

function settingsTable(r: GaitResult): ReportTable {
  return {
    title: 'Settings chosen on training subjects (classical) and validation subjects (recurrent), per fold',
    columns: ['fold', 'test subjects', 'val subjects', 'ZV gyr thr (rad/s)', 'acc thr', 'smooth', 'min len', 'shifts', 'ZV train F1', 'RNN lr (mode)', 'RNN threshold (mean)', 'RNN best epoch (mean)'],
    rows: r.folds.map((f) => {
      const p = f.classical.params;
      const lrs = f.rnn.map((x) => x.lr);
      const mode = lrs.sort((a, b) => lrs.filter((v) => v === b).length - lrs.filter((v) => v === a).length)[0] ?? null;
      return [f.fold + 1, f.subjects.test.join(' '), f.subjects.val.join(' '), p.gyrThr, p.accThr >= 1000 ? 'off' : p.accThr, p.smooth, p.minLen, `${p.shiftStart}, ${p.shiftEnd}`, f.classical.trainF1, mode, mean(f.rnn.map((x) => x.threshold)), mean(f.rnn.map((x) => x.bestEpoch + 1))];
    }),
    digits: 3,
  };
}

/** log10 of the gradient ratio per lag, mean over runs (every 4th lag past 40); log10 on a linear axis, as it spans tens of decades. */
function flowChart(r: GaitResult, cell: Cell): ReportChart {
  const L = r.settings.flowLength;
  const lags = Array.from({ length: L }, (_, k) => k).filter((k) => k < 40 || k % 4 === 0);
  return {
    title: `${cell.toUpperCase()}: gradient reaching the state k samples back, log10 ‖∂L/∂s_{T−1−k}‖ / ‖∂L/∂s_{T−1}‖`, kind: 'lines', integerX: true, xLabel: 'lag k (samples)', yLabel: 'log10 ratio',
    x: lags,
    series: r.settings.windows.map((W) => {
      const curves = r.folds.flatMap((f) => f.rnn.filter((x) => x.W === W && x.cell === cell && x.flow).map((x) => x.flow!.ratio));
      return { label: `trained on W = ${W}`, values: lags.map((k) => (curves.length ? mean(curves.map((c) => Math.log10(Math.max(c[k]!, 1e-300)))) : null)) };
    }),
    caption: `Mean over folds × seeds; loss = BCE at the last step of ${L}-sample test windows. −2 is the 1 % level that defines the reach.`,
  };
}

export function gaitReport(config: Record<string, unknown>, r: GaitResult): ReportData {
  const s = summarise(r);
  const W = r.settings.windows;
  const pooled = (cell: Cell | 'classical'): number => {
    const c = r.folds.flatMap((f) => (cell === 'classical' ? f.classical.subjects : f.rnn.filter((x) => x.cell === cell).flatMap((x) => x.subjects)).map((x) => x.counts[0]!));
    return f1Of(c.reduce((a, b) => ({ tp: a.tp + b.tp, detected: a.detected + b.detected, annotated: a.annotated + b.annotated }), { tp: 0, detected: 0, annotated: 0 }));
  };
  return {
    title: 'gait — LSTM vs GRU footstep segmentation over window lengths, against a zero-velocity detector', kind: 'gait', created: new Date().toISOString(),
    facts: [
      ['data', `gait-imu (Voisard et al. 2023, IPOL; AGPL-3.0, read in place): ${r.data.trials} trials, ${r.data.subjects} subjects, ${r.data.samples} samples at 100 Hz, ${r.data.steps} annotated steps (both feet)`],
      ['protocol', `leave-subjects-out, ${r.settings.folds} folds${r.settings.onlyFolds ? ` (run: folds ${r.settings.onlyFolds.map((f) => f + 1).join(', ')} only)` : ''}, ${r.settings.valSubjects} validation subjects inside each training split; ${r.settings.seeds} seeds`],
      ['models', `LSTM H=${r.settings.hidden.lstm} (${r.settings.params.lstm} parameters) vs GRU H=${r.settings.hidden.gru} (${r.settings.params.gru}), 12 IMU channels → 2 feet, causal; windows ${W.join(', ')} samples`],
      ['pooled F1', `${CELLS.map((c) => `${c.toUpperCase()} ${pooled(c).toFixed(3)}`).join(', ')} (all windows), classical ${pooled('classical').toFixed(3)}`],
      ['runtime', `${(r.timings.totalMs / 60000).toFixed(1)} min on the ${r.timings.backend} backend`],
    ],
    tables: [mainTable(r, s), tolTable(r), settingsTable(r)],
    charts: [
      {
        title: 'Step F1 against window length', kind: 'lines', xLabel: 'window W (samples)', yLabel: 'F1', x: W,
        series: [...CELLS.map((c) => ({ label: c.toUpperCase(), values: s.map((w) => w.models[c].mean) })), { label: 'classical (zero velocity)', values: s.map((w) => w.classical.mean) }],
      },
      {
        title: 'Dependency length (gradient below 1 % of lag 0) against window length', kind: 'lines', xLabel: 'window W (samples)', yLabel: 'lag (samples)', x: W,
        series: CELLS.map((c) => ({ label: c.toUpperCase(), values: s.map((w) => w.models[c].reach1) })),
      },
      ...CELLS.map((c) => flowChart(r, c)),
    ],
    config: { ...config, ...r.settings },
    environment: runEnvironment(r.settings.seed),
  };
}
