/**
 * The BMI run's report: per split the R² of Wiener, Kalman and the recurrent decoders (mean ± sd
 * over folds, seed spread), fold-by-fold R², the hyperparameters chosen on the validation blocks,
 * the published anchors (Glaser et al. 2020), velocity traces against the decoders' predictions,
 * and the streaming latency.
 */
import { bestCells, histogramChart, thin, type ReportChart, type ReportData, type ReportTable } from '../common/report.js';
import { runEnvironment } from '../common/environment.js';
import type { BmiResult } from './run.js';

/** Glaser et al. 2020, repo example notebooks (S1 data, single split, R² on the validation block) [src]. */
export const GLASER_S1 = [
  ['LSTM (400 units)', 0.848, 0.841],
  ['GRU (400 units)', 0.838, 0.836],
  ['Wiener filter', 0.725, 0.717],
  ['Kalman filter', 0.689, 0.673],
] as const;

const r3 = (v: number): number => Number(v.toFixed(3));

function splitTables(r: BmiResult): ReportTable[] {
  return r.summary.flatMap((s) => {
    const rows = s.systems.map((y) => [y.name, r3(y.mean), s.folds > 1 ? r3(y.sd) : null, y.seedSd === undefined ? null : r3(y.seedSd)]);
    const best = bestCells(rows, [{ col: 1, better: 'higher' }]);
    const top = rows.findIndex((x) => x[1] === Math.max(...rows.map((q) => q[1] as number)));
    const fs = r.folds.filter((f) => f.split === s.split);
    const foldRows = fs.map((f) => [
      String(f.fold + 1), r3(f.wiener.test), r3(f.kalman.test), ...f.rnn.flatMap((x) => [r3(x.ensemble), r3(x.blend.test)]),
      `λ=${f.wiener.lambda}`, `c=${f.kalman.c}`, f.rnn.map((x) => `${x.cell} H${x.hidden} p${x.dropout} α=${x.blend.alpha} ep ${x.epochs.join('/')}`).join('; '),
    ]);
    const cells = r.settings.cells.flatMap((c) => [c.toUpperCase(), `${c.toUpperCase()}+W`]);
    return [
      {
        title: `${s.split}: velocity R² (mean of x and y)`, columns: ['decoder', 'R² mean', 'sd over folds', 'sd over seeds'], rows, best, emphasise: top >= 2 ? [top] : [],
        verdict: s.verdict,
        caption: s.kind === 'cv'
          ? `${s.folds}-fold contiguous-block CV; each fold validates on the next block (hyperparameters) and tests on its own block. Recurrent rows: R² of the average of ${r.settings.seeds} seeds' predictions per fold (sd over seeds: of single seeds' R²); +W: that average blended with the Wiener filter, α·recurrent + (1 − α)·Wiener, α chosen on the validation block.`
          : 'Trained on the first 90 % of one file, validated on its last 10 %, tested on all of the other file (same units).',
      },
      {
        title: `${s.split}: per fold (test R²) and the hyperparameters chosen on the validation block`,
        columns: ['fold', 'Wiener', 'Kalman', ...cells, 'Wiener λ', 'Kalman c', 'recurrent (chosen; blend α; best epochs per seed)'], rows: foldRows, digits: 3,
      },
    ];
  });
}

function traceCharts(r: BmiResult): ReportChart[] {
  const charts: ReportChart[] = [];
  for (const s of r.splits) {
    const f = r.folds.find((x) => x.split === s.name)!;
    const K = s.targetNames.length;
    const n = Math.min(f.trace.bins.length, 400);
    const idx = Array.from({ length: n }, (_, i) => i);
    const cell = r.settings.cells[0]!.toUpperCase();
    s.targetNames.slice(0, 2).forEach((name, k) => {
      const col = (v: number[]): number[] => idx.map((i) => Number(v[i * K + k]!.toFixed(4)));
      charts.push({
        title: `${s.name}, fold ${f.fold + 1}: ${name} — truth vs decoders (first ${n} test bins)`, kind: 'lines', integerX: true, xLabel: 'bin', yLabel: name,
        x: idx.map((i) => f.trace.bins[i]!),
        series: [
          { label: 'truth', values: col(f.trace.truth) }, { label: 'Wiener', values: col(f.trace.wiener) },
          { label: 'Kalman', values: col(f.trace.kalman) }, { label: `${cell} (seed mean)`, values: col(f.trace.rnn) },
        ],
      });
    });
  }
  const lat = r.folds.flatMap((f) => f.streaming.latencies);
  charts.push(histogramChart('Streaming decode: latency per bin', [{ label: 'ms per bin', values: thin(lat, 20000).map((v) => Math.min(v, 2)) }], {
    xLabel: 'ms (clipped at 2)', caption: 'One recurrent step (batch L + 1 staggered states) and the head per bin, carried state; wall time on a shared machine.',
  }));
  return charts;
}

/** The report of a BMI run; `config` is the full resolved configuration. */
export function bmiReport(config: Record<string, unknown>, r: BmiResult): ReportData {
  const lat = r.summary.map((s) => `${s.split}: median ${s.streaming.medianMs.toFixed(3)} ms, p99 ${s.streaming.p99Ms.toFixed(3)} ms (max |stream − window| ${s.streaming.maxAbsDiff.toExponential(1)})`);
  return {
    title: `bmi — Wiener vs Kalman vs ${r.settings.cells.map((c) => c.toUpperCase()).join('/')} velocity decoding`, kind: 'decode', created: new Date().toISOString(),
    facts: [
      ['data', r.splits.map((s) => `${s.name}: ${s.bins} bins × ${s.units} units`).join('; ')],
      ['window', `causal: the current bin and ${r.settings.lags} before (${r.settings.lags + 1} bins)`],
      ['streaming latency per bin', lat.join('; ')],
      ['runtime', `${(r.timings.totalMs / 1000).toFixed(1)} s on the ${r.timings.backend} backend`],
    ],
    tables: [
      ...splitTables(r),
      {
        title: 'Anchor: Glaser et al. 2020 example notebook (S1 data — not this data set)', columns: ['decoder', 'R² vx', 'R² vy'], rows: GLASER_S1.map((x) => [...x]),
        caption: 'KordingLab/Neural_Decoding example notebooks: one split (70/15/15), R² on the validation block. A different recording (S1 somatosensory cortex, 50 ms bins, a window of 6 bins before and 6 after); only the ordering of the decoders is comparable.',
      },
    ],
    charts: traceCharts(r),
    config: { ...config, ...r.settings },
    environment: runEnvironment(r.settings.seed),
  };
}
