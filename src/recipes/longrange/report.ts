/**
 * The long-range report: top-k accuracy and PR-AUC against d per model (seeds' mean and sd),
 * training speed and the memory of one step against d, the gradient reaching the donor, and
 * verdict lines worded to what the numbers show.
 */
import type { ReportChart, ReportData } from '../common/report.js';
import { runEnvironment } from '../common/environment.js';
import { textTable } from '../common/table.js';
import type { CellResult, LongRangeResult } from './run.js';

const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const sd = (v: readonly number[]): number | null => (v.length > 1 ? Math.sqrt(v.reduce((a, x) => a + (x - mean(v)) ** 2, 0) / (v.length - 1)) : null);
const pm = (v: readonly number[], dg = 3): string => `${mean(v).toFixed(dg)}${v.length > 1 ? ` ± ${sd(v)!.toFixed(dg)}` : ''}`;
/** Mean log10 ratio as 1e±x; float64 underflow (a gradient of exactly 0) reads "< 1e-308". */
const donorGrad = (c: CellResult): string => {
  if (!c.flow) return '–';
  // metrics.json stores −Infinity (a gradient of exactly 0) as null.
  const v = mean(c.flow.donorLog10.map((x) => x ?? -Infinity));
  return Number.isFinite(v) ? `1e${v.toFixed(1)}` : '< 1e-308';
};

/** Top-k at which a model counts as solving a distance (APPLICATIONS.md §7's BiGRU/BiLSTM target at d = 10 k). */
export const SOLVED = 0.9;

function rows(r: LongRangeResult): (string | number | null)[][] {
  return r.cells.map((c) => [
    c.model, c.d, c.T, mean(c.topK), sd(c.topK), mean(c.prAuc), sd(c.prAuc), mean(c.seqPerSec),
    // Heap growth at or below zero is garbage collection within the pass, not a measurement.
    c.memory.forwardMb > 0 ? c.memory.forwardMb : null, c.memory.boundMb, donorGrad(c),
  ]);
}
const COLUMNS = ['model', 'd', 'T', 'top-k', 'sd', 'PR-AUC', 'sd', 'train seq/s', 'step MB (fwd)', 'bound MB', '∂ℓ/∂s donor ÷ site'];

/** Plain-text table. */
export function formatLongRange(r: LongRangeResult): string {
  const s = r.settings;
  const head = `long-range splice pairing: ${s.seeds} seed(s), ${s.updates} updates × ${s.batch} sequences per network, ${s.testSize} test sequences per d; CNN receptive field ${r.cnnReceptiveField} nt`;
  const body = rows(r).map((row) => row.map((v, i) => (v === null ? '–' : typeof v === 'number' ? ([3, 4, 5, 6].includes(i) ? v.toFixed(3) : i >= 7 && i <= 9 ? v.toFixed(1) : String(v)) : v)));
  return `${head}\n${textTable(COLUMNS, body)}`;
}

/** The largest d at which the model's mean top-k is ≥ SOLVED with every shorter d solved too (null: not even the shortest). */
export function reach(r: LongRangeResult, model: string): number | null {
  let last: number | null = null;
  for (const c of r.cells.filter((x) => x.model === model).sort((a, b) => a.d - b.d)) {
    if (mean(c.topK) < SOLVED) break;
    last = c.d;
  }
  return last;
}

export function longRangeVerdict(r: LongRangeResult): string[] {
  const ds = [...new Set(r.cells.map((c) => c.d))].sort((a, b) => a - b);
  const lines = r.settings.models.map((m) => {
    const got = reach(r, m);
    const next = ds.find((d) => got === null || d > got);
    const at = (d: number): CellResult => r.cells.find((c) => c.model === m && c.d === d)!;
    const fails = next === undefined ? `solves every d up to ${got}` : `${got === null ? `does not reach top-k ${SOLVED} even at d = ${ds[0]}` : `reaches top-k ≥ ${SOLVED} up to d = ${got}`}; at d = ${next} top-k ${pm(at(next).topK)}`;
    return `${m} (${r.params[m]} parameters): ${fails}.`;
  });
  const cnnPast = ds.filter((d) => d / 2 > r.cnnReceptiveField);
  if (cnnPast.length && r.settings.models.includes('cnn')) {
    lines.push(`Beyond its receptive field (${r.cnnReceptiveField} nt < d/2 for d ≥ ${cnnPast[0]}) the CNN sees the same input in both classes; its top-k there is ${cnnPast.map((d) => pm(r.cells.find((c) => c.model === 'cnn' && c.d === d)?.topK ?? [NaN])).join(', ')} (chance 0.5).`);
  }
  const flows = r.cells.filter((c) => c.flow);
  if (flows.length) {
    lines.push(`Gradient reaching the donor (‖∂ℓ/∂s‖ at the donor ÷ at the site, forward direction, first seed): ${flows.map((c) => `${c.model} d ${c.d}: ${donorGrad(c)}`).join('; ')}.`);
  }
  return lines;
}

function byModel(r: LongRangeResult, value: (c: CellResult) => number | null): { x: number[]; series: ReportChart['series'] } {
  const ds = [...new Set(r.cells.map((c) => c.d))].sort((a, b) => a - b);
  return {
    x: ds.map((d) => Number(Math.log10(d).toFixed(3))),
    series: r.settings.models.map((m) => ({ label: m, values: ds.map((d) => {
      const c = r.cells.find((x) => x.model === m && x.d === d);
      return c ? value(c) : null;
    }) })),
  };
}

function charts(r: LongRangeResult): ReportChart[] {
  const xl = 'log10 d (pairing distance, nt)';
  const out: ReportChart[] = [
    { title: 'Top-k accuracy of the acceptor vs pairing distance (mean over seeds)', kind: 'lines', xLabel: xl, yLabel: 'top-k', ...byModel(r, (c) => mean(c.topK)), caption: `Chance is 0.5. The CNN's receptive field is ${r.cnnReceptiveField} nt (log10 = ${Math.log10(r.cnnReceptiveField).toFixed(2)}); the donor lies d/2 … d upstream.` },
    { title: 'PR-AUC of the acceptor vs pairing distance', kind: 'lines', xLabel: xl, yLabel: 'PR-AUC', ...byModel(r, (c) => mean(c.prAuc)) },
    { title: 'Training speed vs distance (sequences/s, forward + backward + Adam)', kind: 'lines', logY: true, xLabel: xl, yLabel: 'sequences/s', ...byModel(r, (c) => mean(c.seqPerSec)), caption: 'Measured on a shared machine; read the ratios, not the absolute figures.' },
    { title: 'Memory held for backward by one step (heap + array buffers after forward), MB', kind: 'lines', logY: true, xLabel: xl, yLabel: 'MB', ...byModel(r, (c) => Math.max(c.memory.forwardMb, 1e-3)), caption: `Batch ${r.settings.batch}. Recurrent bound T·B·gates·H·2 directions float32 in the table.` },
  ];
  for (const c of r.cells.filter((x) => x.flow && x.d === Math.max(...r.cells.map((y) => y.d)))) {
    out.push({
      title: `Gradient flow in the trained ${c.model} (forward direction), d = ${c.d}`, kind: 'lines', logY: true, integerX: true, xLabel: 'lag from the acceptor (steps)', yLabel: '‖∂ℓ/∂s_t‖ ÷ ‖∂ℓ/∂s_site‖',
      x: c.flow!.lags, series: [{ label: c.model, values: c.flow!.relGrad.map((v) => (v > 0 ? v : null)) }],
      caption: 'ℓ = the forward direction\'s share of the acceptor logit; from src/analysis/gradient-flow.ts on the trained weights.',
    });
  }
  return out;
}

export function longRangeReport(config: Record<string, unknown>, r: LongRangeResult): ReportData {
  return {
    title: 'long-range splice pairing — CNN vs BiGRU vs BiLSTM vs RNN vs attention against distance', kind: 'longrange', created: new Date().toISOString(),
    facts: [
      ['data', `synthetic (src/recipes/longrange/generate.ts): donor GT… paired with an acceptor d nt downstream, d/2 … d; decoy acceptors have a decoy donor; d ∈ {${r.settings.distances.join(', ')}}`],
      ['budget', `${r.settings.updates} updates × ${r.settings.batch} fresh sequences per network, Adam lr ${r.settings.lr}, clip 1; ${r.settings.seeds} seed(s); parameters ${Object.entries(r.params).map(([k, v]) => `${k} ${v}`).join(', ')}`],
      ...Object.entries(r.describe).map(([k, v]): [string, string] => [k, v]),
      ['runtime', `${(r.timings.totalMs / 1000).toFixed(0)} s on the ${r.timings.backend} backend; process peak RSS ${r.timings.maxRssMb.toFixed(0)} MB`],
    ],
    tables: [{
      title: 'Accuracy, speed, memory and gradient flow per model and distance', columns: COLUMNS, rows: rows(r), digits: 3,
      verdict: longRangeVerdict(r),
      caption: 'top-k: SpliceAI\'s top-k accuracy of the acceptor on the held-out set (k = number of paired acceptors); sd over seeds. step MB: heap + array-buffer growth over one forward pass at the training batch. Last column: gradient norm at the donor relative to the site (10^x).',
    }],
    charts: charts(r),
    config: { ...config, ...r.settings },
    environment: runEnvironment(r.settings.seed),
  };
}
