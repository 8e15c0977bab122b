/**
 * The spikefinder run's report: per-dataset LONO correlations of the network candidates and the
 * OASIS baselines beside the published figures (test cells, and the in-sample training-cell
 * figures), the learned γ and τ, held-out traces against predictions, and the γ fit's loss.
 */
import { runEnvironment } from '../common/environment.js';
import type { ReportChart, ReportData, ReportTable } from '../common/report.js';
import { PUBLISHED } from './published.js';
import { specLabel, type SpikefinderResult } from './run.js';

function scoreTable(r: SpikefinderResult): ReportTable {
  const ids = r.datasets.map((d) => d.id);
  const rows: (string | number | null)[][] = [];
  r.candidates.forEach((c, i) => rows.push([`${i === r.selected ? 'selected: ' : ''}${specLabel(c.spec)} (ours, LONO)`, ...ids.map((id) => c.perDataset[id]!.mean), ...ids.map((id) => c.perDataset[id]!.sd)]));
  rows.push(['OASIS AR(1), γ from autocov (ours, LONO)', ...ids.map((id) => r.baselines[id]!.ar1.mean), ...ids.map(() => null)]);
  rows.push(['OASIS AR(2), g1, g2 from autocov (ours, LONO)', ...ids.map((id) => r.baselines[id]!.ar2.mean), ...ids.map(() => null)]);
  for (const p of PUBLISHED) rows.push([`[test cells] ${p.label}`, ...ids.map((id) => p.test[id] ?? null), ...ids.map(() => null)]);
  for (const p of PUBLISHED) rows.push([`[train cells, in-sample] ${p.label}`, ...ids.map((id) => p.train[id] ?? null), ...ids.map(() => null)]);
  return {
    title: 'Mean Pearson r per neuron at 25 Hz, per dataset',
    columns: ['system', ...ids.map((id) => `ds ${id} r`), ...ids.map((id) => `ds ${id} sd over seeds`)],
    rows, emphasise: [r.selected], digits: 3,
    caption: `Ours: leave-one-neuron-out on the training cells (${r.folds} neuron groups per dataset, ${r.seeds} seed(s)); the network is trained on the other groups of all three datasets, the OASIS settings (baseline quantile, λ) are chosen on the dataset's other neurons. Published: Berens et al. 2018 (baseline_results_24_07_17.csv). Test-cell figures are other neurons; training-cell figures were scored after the entries were fitted to those cells. Neither is like for like with our cross-validated figures.`,
  };
}

function gammaTable(r: SpikefinderResult): ReportTable {
  return {
    title: 'Calcium decay: learned γ (linear recurrence) and the AR(1) estimate',
    columns: ['dataset', 'learned γ', 'τ (s)', 'OASIS AR(1) γ (median)', 'τ (s)'],
    rows: r.datasets.map((d) => {
      const g = r.baselines[d.id]!.ar1.coefs.map((c) => c[0]).sort((a, b) => a - b);
      const gm = g[g.length >> 1]!;
      return [d.id, r.gamma[d.id]!.gamma, r.gamma[d.id]!.tau, gm, -1 / (100 * Math.log(gm))];
    }),
    digits: 5,
    caption: 'Learned γ: one shared recurrent weight per dataset of y ≈ b_i + a_i·c, c_t = γ c_{t−1} + s_t, fitted from the true spikes to the calcium by BPTT. AR(1) γ: from the autocovariance of each calcium trace alone (no spikes). τ = −Δt / ln γ with Δt = 10 ms.',
  };
}

function traceCharts(r: SpikefinderResult): ReportChart[] {
  return Object.entries(r.excerpts).map(([id, e]) => {
    const n = e.pred.length;
    const x = Array.from({ length: n }, (_, i) => i / 100);
    const scale = Math.max(...e.spikes, 1e-9) / Math.max(...e.pred, 1e-9);
    return {
      title: `Dataset ${id}: a held-out neuron, first ${(n / 100).toFixed(0)} s`, kind: 'lines' as const, xLabel: 'time (s)', yLabel: 'a.u.',
      x, series: [
        { label: 'calcium (normalised, shifted)', values: e.calcium.map((v) => v / 4 + 2) },
        { label: 'true spikes per 10 ms', values: e.spikes },
        { label: `predicted rate ×${scale.toFixed(1)}`, values: e.pred.map((v) => v * scale) },
      ],
      caption: 'Network trained without this neuron (its LONO fold, seed 1).',
    };
  });
}

/** The report of a spikefinder run; `config` is the full resolved configuration. */
export function spikefinderReport(config: Record<string, unknown>, r: SpikefinderResult): ReportData {
  const gammaCharts: ReportChart[] = [{
    title: 'Linear recurrence fit: loss (MSE / var y) every 10 iterations', kind: 'lines', xLabel: 'iteration', yLabel: 'loss', logY: true,
    x: r.gamma[r.datasets[0]!.id]!.history.map((_, i) => 10 * i),
    series: r.datasets.map((d) => ({ label: `ds ${d.id}`, values: r.gamma[d.id]!.history })),
  }];
  return {
    title: `spikefinder — ${specLabel(r.candidates[r.selected]!.spec)}`, kind: 'spike-inference', created: new Date().toISOString(),
    facts: [
      ['data', r.datasets.map((d) => `ds ${d.id}: ${d.neurons} neurons, ${d.samples} samples`).join('; ')],
      ['protocol', `LONO by ${r.folds} neuron groups per dataset, ${r.seeds} seed(s); score = Pearson r of 4-sample block sums (25 Hz)`],
      ['runtime', `${(r.totalMs / 1000).toFixed(1)} s`],
    ],
    tables: [scoreTable(r), gammaTable(r)],
    charts: [...traceCharts(r), ...gammaCharts],
    config, environment: runEnvironment(Number(config.seed ?? 0)),
    notes: ['The test-set spikes of datasets 4 and 5 are not available here; predictions of the test calcium files are scored independently.'],
  };
}
