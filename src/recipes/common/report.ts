/**
 * The run report: ONE self-contained HTML file (opens offline, no network) with the metrics
 * tables, loss curves, line charts (predictions against truth, residuals), histograms and a
 * confusion matrix. Charts are drawn by uPlot, read from node_modules at run time and inlined
 * into a <script>; tables and the confusion matrix are static HTML.
 *
 * Any recipe fills a {@link ReportData} (also saved as report-data.json, so `recur report`
 * can redraw it) and calls {@link writeReport}. After drawing, the page checks its own canvases
 * and sets `<body data-charts="N" data-charts-drawn="M">` (M = canvases with non-blank pixels),
 * which tests read through headless Chromium.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { writeFileAtomicSync } from '../../index.js';
import type { RunEnvironment } from './environment.js';

/** A table of numbers and labels; `null` cells print as "–". */
export interface ReportTable {
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
  caption?: string;
  /** Row indices drawn highlighted (the model, only where it is the best row). */
  emphasise?: number[];
  /** Cells [row, column] drawn in bold: the best value of their column. */
  best?: [number, number][];
  /** Plain-worded comparisons shown under the table (e.g. "model vs best baseline: … (worse)"). */
  verdict?: string[];
  /** Significant digits for numbers (default 4). */
  digits?: number;
}

/** A chart: lines (or bars) over a shared x axis. */
export interface ReportChart {
  title: string;
  kind?: 'lines' | 'bars' | 'points';
  xLabel: string;
  yLabel: string;
  /** x values are Unix seconds (draws dates on the axis). */
  time?: boolean;
  /** Log-scale y axis (positive values only). */
  logY?: boolean;
  /** x takes integer values only (epochs, horizon steps): no fractional ticks. */
  integerX?: boolean;
  x: number[];
  series: { label: string; values: (number | null)[] }[];
  caption?: string;
}

/** A confusion matrix: `matrix[true][predicted]` counts. */
export interface ReportConfusion {
  title: string;
  labels: string[];
  matrix: number[][];
  caption?: string;
}

/** A heatmap of values (diverging colours around 0; `null` cells blank), drawn as static HTML. */
export interface ReportHeatmap {
  title: string;
  rowLabels: string[];
  colLabels: string[];
  /** values[row][col]. */
  values: (number | null)[][];
  caption?: string;
}

/** Everything a report shows. */
export interface ReportData {
  title: string;
  /** e.g. 'forecast', 'classification'. */
  kind: string;
  /** ISO time the run was made. */
  created: string;
  /** Short facts shown under the title (data file, rows, runtime, backend). */
  facts?: [string, string][];
  tables?: ReportTable[];
  /** Training and validation loss per epoch. */
  loss?: { epoch: number[]; train: (number | null)[]; val: (number | null)[]; label?: string };
  charts?: ReportChart[];
  confusion?: ReportConfusion[];
  heatmaps?: ReportHeatmap[];
  /** The run's full resolved configuration, shown at the end. */
  config?: unknown;
  /** What produced the run, shown with the configuration. */
  environment?: RunEnvironment;
  notes?: string[];
}

const require = createRequire(import.meta.url);

/** uPlot's script and stylesheet, from the installed package. */
function uplotAssets(): { js: string; css: string } {
  const js = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  return { js, css };
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Text safe inside a <script> element. */
function scriptSafe(s: string): string {
  return s.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

function fmtCell(v: string | number | null, digits: number): string {
  if (v === null || (typeof v === 'number' && !Number.isFinite(v))) return '–';
  if (typeof v === 'string') return esc(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(digits - 1) : String(Number(v.toPrecision(digits)));
}

function tableHtml(t: ReportTable): string {
  const d = t.digits ?? 4;
  const em = new Set(t.emphasise ?? []);
  const best = new Set((t.best ?? []).map(([i, j]) => `${i},${j}`));
  const cls = (i: number, j: number, v: string | number | null): string => {
    const c = [j && typeof v !== 'string' ? 'num' : '', best.has(`${i},${j}`) ? 'best' : ''].filter(Boolean).join(' ');
    return c ? ` class="${c}"` : '';
  };
  const head = t.columns.map((c, j) => `<th${j ? ' class="num"' : ''}>${esc(c)}</th>`).join('');
  const body = t.rows
    .map((r, i) => `<tr${em.has(i) ? ' class="em"' : ''}>${r.map((v, j) => `<td${cls(i, j, v)}>${fmtCell(v, d)}</td>`).join('')}</tr>`)
    .join('\n');
  const verdict = (t.verdict ?? []).map((v) => `<p class="verdict">${esc(v)}</p>`).join('');
  return `<section class="card"><h2>${esc(t.title)}</h2><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>${verdict}${t.caption ? `<p class="cap">${esc(t.caption)}</p>` : ''}</section>`;
}

/** The configuration card: what produced the run (recur version, backend, threads, seed) and every setting. */
function configHtml(d: ReportData): string {
  if (d.config === undefined && !d.environment) return '';
  const e = d.environment;
  const facts = e ? `<dl class="facts"><dt>recur</dt><dd>${esc(e.recur)}</dd><dt>backend</dt><dd>${esc(e.backend)} (${e.threads} thread${e.threads === 1 ? '' : 's'})</dd><dt>seed</dt><dd>${esc(String(e.seed))}</dd></dl>` : '';
  const json = d.config === undefined ? '' : `<details open><summary>Full resolved configuration</summary><pre>${esc(JSON.stringify(d.config, null, 2))}</pre></details>`;
  return `<section class="card"><h2>Configuration</h2>${facts}${json}</section>`;
}

/**
 * Cells holding the best value of each listed column among the rows `eligible` allows (ties all count).
 * @example bestCells([['a', 2], ['b', 1]], [{ col: 1, better: 'lower' }]) // [[1, 1]]
 */
export function bestCells(rows: readonly (string | number | null)[][], cols: { col: number; better: 'lower' | 'higher' }[], eligible: (row: number) => boolean = () => true): [number, number][] {
  return cols.flatMap(({ col, better }) => {
    const vals = rows.map((r, i) => (eligible(i) && typeof r[col] === 'number' && Number.isFinite(r[col]) ? (r[col] as number) : null));
    const finite = vals.filter((v): v is number => v !== null);
    if (!finite.length) return [];
    const target = better === 'lower' ? Math.min(...finite) : Math.max(...finite);
    return vals.flatMap((v, i) => (v === target ? [[i, col] as [number, number]] : []));
  });
}

/**
 * Loss charts over every trained network (fold × member): one series per network, so no run
 * is left out. A single network gets the standard loss chart instead (see ReportData.loss).
 */
export function historyCharts(runs: { label: string; epochs: number[]; train: (number | null)[]; val: (number | null)[] }[], what = 'loss'): ReportChart[] {
  const n = Math.max(0, ...runs.map((r) => r.epochs.length ? Math.max(...r.epochs) : 0));
  const x = Array.from({ length: n }, (_, i) => i + 1);
  const series = (k: 'train' | 'val') => runs.map((r) => ({ label: r.label, values: x.map((e) => { const i = r.epochs.indexOf(e); return i < 0 ? null : r[k][i] ?? null; }) }));
  const caption = `Every network of the run (${runs.length}); a line ends where early stopping ended that network.`;
  return [
    { title: `Training ${what} per epoch — every fold and member`, kind: 'lines', integerX: true, logY: true, xLabel: 'epoch', yLabel: what, x, series: series('train'), caption },
    { title: `Validation ${what} per epoch — every fold and member`, kind: 'lines', integerX: true, logY: true, xLabel: 'epoch', yLabel: what, x, series: series('val'), caption },
  ];
}

function confusionHtml(c: ReportConfusion): string {
  const max = Math.max(1, ...c.matrix.flat());
  const rowsum = c.matrix.map((r) => r.reduce((a, b) => a + b, 0));
  const head = `<tr><th>true \\ predicted</th>${c.labels.map((l) => `<th class="num">${esc(l)}</th>`).join('')}<th class="num">recall</th></tr>`;
  const body = c.matrix.map((r, i) => {
    const cells = r.map((v, j) => {
      const a = (v / max).toFixed(3);
      const colour = i === j ? `rgba(31,119,180,${a})` : `rgba(214,39,40,${a})`;
      return `<td class="num cm" style="background:${colour};color:${v / max > 0.5 ? '#fff' : '#111'}">${v}</td>`;
    }).join('');
    const recall = rowsum[i] ? (r[i]! / rowsum[i]!).toFixed(3) : '–';
    return `<tr><th>${esc(c.labels[i]!)}</th>${cells}<td class="num">${recall}</td></tr>`;
  }).join('\n');
  return `<section class="card"><h2>${esc(c.title)}</h2><table class="confusion">${head}${body}</table>${c.caption ? `<p class="cap">${esc(c.caption)}</p>` : ''}</section>`;
}

function heatmapHtml(h: ReportHeatmap): string {
  const max = Math.max(1e-12, ...h.values.flat().map((v) => (v === null || !Number.isFinite(v) ? 0 : Math.abs(v))));
  const cell = (v: number | null): string => {
    if (v === null || !Number.isFinite(v)) return '<td class="hm"></td>';
    const a = Math.min(1, Math.abs(v) / max).toFixed(3);
    return `<td class="hm" title="${fmtCell(v, 3)}" style="background:${v >= 0 ? `rgba(214,39,40,${a})` : `rgba(31,119,180,${a})`}"></td>`;
  };
  const head = `<tr><th></th>${h.colLabels.map((c) => `<th class="hmc">${esc(c)}</th>`).join('')}</tr>`;
  const body = h.values.map((r, i) => `<tr><th>${esc(h.rowLabels[i] ?? '')}</th>${r.map(cell).join('')}</tr>`).join('\n');
  const scale = `<p class="cap">colour scale: ±${fmtCell(max, 3)} at full intensity</p>`;
  return `<section class="card"><h2>${esc(h.title)}</h2><div style="overflow-x:auto"><table class="heatmap">${head}${body}</table></div>${scale}${h.caption ? `<p class="cap">${esc(h.caption)}</p>` : ''}</section>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1b1f24}
header{background:#1b1f24;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}header .sub{opacity:.75}
main{max-width:1100px;margin:0 auto;padding:16px}
.card{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:14px 18px;margin:14px 0}
h2{font-size:16px;margin:0 0 10px}table{border-collapse:collapse;width:100%}
th,td{padding:4px 8px;border-bottom:1px solid #eceff3;text-align:left}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.em td{font-weight:600;background:#f0f6ff}.cap{color:#57606a;font-size:12.5px;margin:8px 0 0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}dl.facts dt{color:#57606a}dl.facts dd{margin:0}
table.confusion{width:auto}table.confusion td.cm{min-width:56px}
pre{background:#f6f8fa;padding:10px;overflow:auto;font-size:12px}.chart{min-height:50px}
table.heatmap{width:auto;border-collapse:collapse}table.heatmap td.hm{width:9px;height:12px;padding:0;border:0}table.heatmap th{padding:0 3px;font-size:10px;border:0}th.hmc{writing-mode:vertical-rl;font-weight:400}
.warn{color:#b00020;font-weight:600}td.best{font-weight:700}.verdict{margin:8px 0 0;font-weight:600}`;

/** The page script: draws every chart with uPlot, then counts non-blank canvases. */
const PAGE_SCRIPT = String.raw`
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#17becf', '#bcbd22'];
  var charts = [];
  if (data.loss) charts.push({ title: 'Loss per epoch' + (data.loss.label ? ' (' + data.loss.label + ')' : ''), kind: 'lines', xLabel: 'epoch', yLabel: 'loss', logY: true, integerX: true,
    x: data.loss.epoch, series: [{ label: 'train', values: data.loss.train }, { label: 'validation', values: data.loss.val }] });
  (data.charts || []).forEach(function (c) { charts.push(c); });
  var host = document.getElementById('charts');
  var width = Math.max(360, Math.min(1060, (host.clientWidth || 1000) - 40));
  charts.forEach(function (c, k) {
    var card = document.createElement('section'); card.className = 'card';
    var h = document.createElement('h2'); h.textContent = c.title; card.appendChild(h);
    var div = document.createElement('div'); div.className = 'chart'; card.appendChild(div);
    if (c.caption) { var p = document.createElement('p'); p.className = 'cap'; p.textContent = c.caption; card.appendChild(p); }
    host.appendChild(card);
    var bars = c.kind === 'bars' && uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.9, 40] }) : null;
    var series = [{ label: c.xLabel }];
    c.series.forEach(function (s, i) {
      var col = palette[i % palette.length];
      var o = { label: s.label, stroke: col, width: 1.25, spanGaps: false };
      if (c.kind === 'bars') { o.fill = col + '55'; o.paths = bars; o.points = { show: false }; }
      if (c.kind === 'points') { o.paths = function () { return null; }; o.points = { show: true, size: 3, fill: col, stroke: col }; }
      series.push(o);
    });
    var opts = { width: width, height: 300, series: series,
      scales: { x: { time: !!c.time }, y: c.logY ? { distr: 3 } : {} },
      axes: [c.integerX ? { label: c.xLabel, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] } : { label: c.xLabel }, { label: c.yLabel, size: 70 }],
      cursor: { drag: { x: true, y: false } } };
    var cols = [c.x].concat(c.series.map(function (s) {
      return s.values.map(function (v) { return v === null || (c.logY && !(v > 0)) ? null : v; });
    }));
    try { new uPlot(opts, cols, div); } catch (e) { div.innerHTML = '<p class="warn">chart failed: ' + String(e).replace(/</g, '&lt;') + '</p>'; }
  });
  function check() {
    var canvases = document.querySelectorAll('canvas'); var drawn = 0;
    canvases.forEach(function (cv) {
      try {
        var px = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data; var n = 0;
        for (var i = 3; i < px.length; i += 16) if (px[i] > 0) { n++; if (n > 50) break; }
        if (n > 50) drawn++;
      } catch (e) {}
    });
    document.body.setAttribute('data-charts', String(charts.length));
    document.body.setAttribute('data-charts-drawn', String(drawn));
  }
  requestAnimationFrame(function () { setTimeout(check, 0); });
})();`;

/**
 * Render a report to one HTML string (uPlot inlined; no external resources).
 * @example
 * const html = renderReport({ title: 'wind-t1', kind: 'forecast', created: new Date().toISOString(), tables: [...] });
 */
export function renderReport(d: ReportData): string {
  const { js, css } = uplotAssets();
  const facts = d.facts?.length ? `<section class="card"><dl class="facts">${d.facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl></section>` : '';
  const notes = d.notes?.length ? `<section class="card"><h2>Notes</h2><ul>${d.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></section>` : '';
  const config = configHtml(d);
  const payload = scriptSafe(JSON.stringify({ loss: d.loss ?? null, charts: d.charts ?? [] }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="generator" content="recur"><title>${esc(d.title)}</title>
<style>${css}</style><style>${STYLE}</style></head>
<body data-charts="0" data-charts-drawn="0">
<header><h1>${esc(d.title)}</h1><div class="sub">${esc(d.kind)} run · ${esc(d.created)}</div></header>
<main>
${facts}
${(d.tables ?? []).map(tableHtml).join('\n')}
${(d.confusion ?? []).map(confusionHtml).join('\n')}
${(d.heatmaps ?? []).map(heatmapHtml).join('\n')}
<div id="charts"></div>
${notes}
${config}
</main>
<script type="application/json" id="report-data">${payload}</script>
<script>${scriptSafe(js)}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}

/** Render and write a report atomically; returns the path. */
export function writeReport(path: string, d: ReportData): string {
  writeFileAtomicSync(path, renderReport(d));
  return path;
}

/**
 * Every `step`-th point, at most `max` points (keeps the charts light).
 * @example thin([1, 2, 3, 4, 5], 3) // [1, 3, 5]
 */
export function thin<T>(xs: readonly T[], max: number): T[] {
  if (xs.length <= max) return [...xs];
  const step = Math.ceil(xs.length / max);
  return xs.filter((_, i) => i % step === 0);
}

/** A histogram chart of one or more samples on shared bins. */
export function histogramChart(title: string, samples: { label: string; values: ArrayLike<number> }[], opts: { bins?: number; xLabel: string; caption?: string }): ReportChart {
  const all = samples.flatMap((s) => Array.from(s.values)).filter(Number.isFinite);
  const bins = opts.bins ?? 40;
  // Clip the range to the 0.5 %–99.5 % quantiles so a few outliers do not flatten the plot.
  const sorted = all.sort((a, b) => a - b);
  const lo = sorted[Math.floor(sorted.length * 0.005)] ?? 0;
  const hi = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.995))] ?? 1;
  const w = hi > lo ? (hi - lo) / bins : 1;
  const x = Array.from({ length: bins }, (_, i) => lo + (i + 0.5) * w);
  const series = samples.map((s) => {
    const counts = new Array<number>(bins).fill(0);
    for (const v of Array.from(s.values)) {
      if (!Number.isFinite(v)) continue;
      counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / w)))]! += 1;
    }
    return { label: s.label, values: counts };
  });
  return { title, kind: 'bars', xLabel: opts.xLabel, yLabel: 'count', x, series, ...(opts.caption ? { caption: opts.caption } : {}) };
}
