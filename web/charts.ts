/**
 * The dashboard's charts: line charts with uPlot (loss, gradient flow) and small canvas scatter plots
 * (PCA plane, eigenvalues against the unit circle). Each chart's element carries data-colors, the
 * colours its data are drawn in (the Chromium test counts pixels of those colours).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export const COLOR = {
  loss: '#1f77b4', grad: '#d62728', states: '#a0a0a0', eig: '#1f77b4',
  stable: '#2ca02c', unstable: '#d62728', saddle: '#ff7f0e', marginal: '#9467bd',
} as const;

const W = 420, H = 260;

export class LineChart {
  private readonly plot: uPlot;
  constructor(el: HTMLElement, opts: { title: string; x: string; y: string; color: string; log?: boolean }) {
    el.dataset.colors = opts.color;
    this.plot = new uPlot({
      title: opts.title, width: W, height: H, legend: { show: false }, cursor: { show: false },
      scales: { x: { time: false }, y: opts.log ? { distr: 3 } : {} },
      axes: [{ label: opts.x }, { label: opts.y }],
      series: [{}, { stroke: opts.color, width: 2, points: { show: false } }],
    }, [[], []], el);
  }
  set(xs: readonly number[], ys: readonly number[]): void {
    this.plot.setData([Array.from(xs), Array.from(ys)]);
  }
}

export interface ScatterGroup { color: string; points: readonly (readonly [number, number])[]; radius?: number }

/** A scatter plot on a canvas; `unitCircle` draws |z| = 1 and keeps the axes equal. */
export function scatter(canvas: HTMLCanvasElement, title: string, groups: readonly ScatterGroup[], opts: { unitCircle?: boolean; legend?: string } = {}): void {
  canvas.dataset.colors = [...new Set(groups.filter((g) => g.points.length).map((g) => g.color))].join(' ');
  canvas.width = W;
  canvas.height = H;
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, W, H);
  const all = groups.flatMap((g) => g.points).concat(opts.unitCircle ? [[-1, -1], [1, 1]] : []);
  if (all.length === 0) return;
  let [x0, x1, y0, y1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0])), Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  if (opts.unitCircle) [x0, x1, y0, y1] = [Math.min(x0, y0), Math.max(x1, y1), Math.min(x0, y0), Math.max(x1, y1)];
  const pad = 24;
  let sx = (W - 2 * pad) / (x1 - x0 || 1), sy = (H - 2 * pad - 16) / (y1 - y0 || 1);
  if (opts.unitCircle) sx = sy = Math.min(sx, sy);
  const px = (x: number): number => pad + (x - x0) * sx, py = (y: number): number => H - pad - (y - y0) * sy;
  ctx.fillStyle = '#333';
  ctx.font = '13px sans-serif';
  ctx.fillText(title, pad, 16);
  if (opts.legend) ctx.fillText(opts.legend, pad, H - 4);
  ctx.strokeStyle = '#ddd';
  ctx.beginPath();
  ctx.moveTo(px(x0), py(0)); ctx.lineTo(px(x1), py(0)); ctx.moveTo(px(0), py(y0)); ctx.lineTo(px(0), py(y1));
  if (opts.unitCircle) ctx.moveTo(px(1), py(0)), ctx.ellipse(px(0), py(0), sx, sy, 0, 0, 2 * Math.PI);
  ctx.stroke();
  for (const g of groups) {
    ctx.fillStyle = g.color;
    for (const [x, y] of g.points) {
      ctx.beginPath();
      ctx.arc(px(x), py(y), g.radius ?? 3, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
}
