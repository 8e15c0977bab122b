/**
 * Plot-ready data returned by the analysis tools, and a tiny dependency-free SVG line plot so
 * an experiment script can write a figure with one call (`writeFileSync('g.svg', plotSvg(p))`).
 */

export interface LineSeries {
  name: string;
  x: number[];
  y: number[];
}

/** Several named (x, y) series sharing axes; `logY` asks for a log10 y axis. */
export interface LinePlot {
  title: string;
  xLabel: string;
  yLabel: string;
  logY: boolean;
  series: LineSeries[];
}

export interface SvgOptions {
  width?: number;
  height?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number): string => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(1) : String(Number(v.toPrecision(3))));

function ticks(lo: number, hi: number, n: number): number[] {
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/**
 * Render a {@link LinePlot} as a standalone SVG document (axes, ticks, one polyline per series,
 * legend). Non-finite points, and non-positive ones on a log axis, are skipped.
 */
export function plotSvg(plot: LinePlot, opts: SvgOptions = {}): string {
  const W = opts.width ?? 520;
  const Hh = opts.height ?? 340;
  const m = { l: 64, r: 130, t: 30, b: 46 };
  const ty = (v: number): number => (plot.logY ? Math.log10(v) : v);
  const pts = plot.series.map((s) => s.x.map((x, i) => [x, s.y[i]!] as const).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!plot.logY || y > 0)));
  const all = pts.flat();
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => ty(y));
  let [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  let [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - 1, y1 + 1];
  const px = (x: number): number => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (y: number): number => Hh - m.b - ((y - y0) / (y1 - y0)) * (Hh - m.t - m.b);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${Hh}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${Hh}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${esc(plot.title)}</text>`,
    `<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${Hh - m.t - m.b}" fill="none" stroke="#333"/>`,
  ];
  for (const v of ticks(x0, x1, 6)) {
    parts.push(`<line x1="${px(v)}" x2="${px(v)}" y1="${Hh - m.b}" y2="${Hh - m.b + 4}" stroke="#333"/>`);
    parts.push(`<text x="${px(v)}" y="${Hh - m.b + 16}" text-anchor="middle">${fmt(v)}</text>`);
  }
  for (const v of ticks(y0, y1, 5)) {
    parts.push(`<line x1="${m.l - 4}" x2="${m.l}" y1="${py(v)}" y2="${py(v)}" stroke="#333"/>`);
    parts.push(`<text x="${m.l - 6}" y="${py(v) + 4}" text-anchor="end">${plot.logY ? `1e${fmt(v)}` : fmt(v)}</text>`);
  }
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${Hh - 8}" text-anchor="middle">${esc(plot.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${(m.t + Hh - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(plot.yLabel)}${plot.logY ? ' (log)' : ''}</text>`);
  pts.forEach((p, k) => {
    const color = PALETTE[k % PALETTE.length]!;
    const path = p.map(([x, y]) => `${px(x).toFixed(1)},${py(ty(y)).toFixed(1)}`).join(' ');
    if (p.length) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${path}"/>`);
    const ly = m.t + 14 + 16 * k;
    parts.push(`<line x1="${W - m.r + 10}" x2="${W - m.r + 28}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${W - m.r + 32}" y="${ly}">${esc(plot.series[k]!.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
