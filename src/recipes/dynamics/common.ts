/**
 * Shared pieces of the issue-5 experiments (E1–E6): run options and context, a recurrent
 * network with a linear read-out, a small training loop with early stopping and divergence
 * detection, and a Markdown + SVG report writer (figures drawn by `analysis.plotSvg`).
 * Recipes import the public entry only.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  F, GRU, LSTM, Linear, Module, RNN, Rng, Tensor, analysis, backendInfo, clipGradNorm, getBackend, gradNorm, noGrad,
  type Optimizer, type RecurrentState, type VariationalDropout,
} from '../../index.js';

/** Options every experiment's `run` takes. */
export interface RunOptions {
  /** A reduced configuration that runs in about a minute on the reference backend. */
  quick?: boolean;
  /** A toy configuration for the test suite (seconds); numbers are meaningless. Implies quick. */
  tiny?: boolean;
  /** Seed of every random choice (default 0). */
  seed?: number;
  /** Folder for report.md, the SVG figures and result.json (default experiments/results/<id>). */
  outDir?: string;
  /** Progress lines (default: none). */
  log?: (s: string) => void;
}

/** What every experiment returns besides its own numbers. */
export interface RunInfo {
  id: string;
  config: 'full' | 'quick' | 'tiny';
  seed: number;
  /** Backend name, plus CPU path and threads for the native one (backendInfo()). */
  backend: string;
  backendDetail: string;
  seconds: number;
  outDir: string;
  report: string;
}

export interface Ctx {
  id: string;
  config: RunInfo['config'];
  seed: number;
  outDir: string;
  log: (s: string) => void;
  start: number;
  /** A fresh generator derived from the seed and a label, so configurations don't share streams. */
  rng: (label: string) => Rng;
}

export function context(id: string, opts: RunOptions): Ctx {
  const seed = opts.seed ?? 0;
  const config = opts.tiny ? 'tiny' : opts.quick ? 'quick' : 'full';
  const outDir = opts.outDir ?? join('experiments', 'results', id);
  mkdirSync(outDir, { recursive: true });
  const rng = (label: string): Rng => {
    let h = 2166136261 ^ seed;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 16777619);
    return new Rng((h >>> 0) + seed * 7919);
  };
  return { id, config, seed, outDir, log: opts.log ?? (() => {}), start: performance.now(), rng };
}

/** Pick a value by configuration. */
export function pick<T>(ctx: Ctx, v: { full: T; quick: T; tiny: T }): T {
  return v[ctx.config];
}

export function info(ctx: Ctx): RunInfo {
  return {
    id: ctx.id, config: ctx.config, seed: ctx.seed, backend: getBackend().name, backendDetail: detail(),
    seconds: round((performance.now() - ctx.start) / 1000, 3), outDir: ctx.outDir, report: join(ctx.outDir, 'report.md'),
  };
}

function detail(): string {
  const b = backendInfo();
  return b.name === 'native' ? `native, ${b.cpuPath}, ${b.threads} threads, fused recurrent kernels: ${b.nativeRecurrent}` : b.name;
}

export type CellKind = 'rnn' | 'lstm' | 'gru';

export interface SeqModelOptions {
  rng: Rng;
  bidirectional?: boolean;
  variational?: VariationalDropout;
  numLayers?: number;
  dropout?: number;
  /** LSTM only: initial forget-gate bias (LSTM forgetBias). */
  forgetBias?: number;
}

/** A recurrent layer (RNN tanh / LSTM / GRU, time-major) and a linear read-out. */
export class SeqModel extends Module {
  readonly rnn: RNN | LSTM | GRU;
  readonly head: Linear;
  readonly kind: CellKind;
  readonly hidden: number;

  constructor(kind: CellKind, input: number, hidden: number, out: number, opts: SeqModelOptions) {
    super();
    const o = {
      rng: opts.rng, bidirectional: opts.bidirectional ?? false, numLayers: opts.numLayers ?? 1,
      ...(opts.variational ? { variational: opts.variational } : {}), ...(opts.dropout ? { dropout: opts.dropout } : {}),
      ...(opts.forgetBias !== undefined ? { forgetBias: opts.forgetBias } : {}),
    };
    const Ctor = kind === 'lstm' ? LSTM : kind === 'gru' ? GRU : RNN;
    this.kind = kind;
    this.hidden = hidden;
    this.rnn = this.registerModule('rnn', new Ctor(input, hidden, o));
    this.head = this.registerModule('head', new Linear(hidden * (o.bidirectional ? 2 : 1), out, { rng: opts.rng }));
  }

  /** Read-out of the last step's output: x (T, B, I) → (B, out). */
  last(x: Tensor): Tensor {
    return this.head.forward(analysis.lastStep(this.rnn.forward(x).output));
  }

  /** Read-out at every step: x (T, B, I) → (T·B, out), time-major rows. */
  every(x: Tensor, state?: RecurrentState | null): { y: Tensor; state: RecurrentState } {
    const r = this.rnn.forward(x, { state: state ?? null });
    const [T, B, Fd] = r.output.shape as [number, number, number];
    return { y: this.head.forward(F.reshape(r.output, [T * B, Fd])), state: r.state };
  }

  /** Read-out of the final states of both directions (h_n forward ‖ h_n backward): x → (B, out). */
  final(x: Tensor): Tensor {
    const { h } = this.rnn.forward(x).state; // (L·D, B, H)
    const [LD, B, H] = h.shape as [number, number, number];
    const D = this.rnn.bidirectional ? 2 : 1;
    const top = F.slice(h, 0, LD - D, LD); // (D, B, H)
    return this.head.forward(F.reshape(F.permute(top, [1, 0, 2]), [B, D * H]));
  }
}

export interface FitOptions {
  steps: number;
  opt: Optimizer;
  params: Tensor[];
  /** The training loss of step i (a fresh batch each time). */
  loss: (step: number) => Tensor;
  /** Clip the global gradient 2-norm to this (default: no clipping). */
  clip?: number;
  /** Validation metric every `evalEvery` steps (and at the end). */
  evaluate?: () => number;
  evalEvery?: number;
  /** Stop once the validation metric is below this. */
  stopBelow?: number;
  /** Early stopping: stop after this many evaluations in a row without a new best (default: never). */
  patience?: number;
  /** Restore the parameters of the best (lowest) evaluation at the end: a best-on-validation checkpoint. */
  keepBest?: boolean;
  /** Project or otherwise edit gradients before the update (OGD). */
  beforeStep?: () => void;
  log?: (s: string) => void;
  label?: string;
}

export interface FitResult {
  steps: number;
  seconds: number;
  /** Training loss and gradient norm (before clipping) per step. */
  loss: number[];
  gradNorm: number[];
  evals: { step: number; value: number }[];
  final: number;
  /** The lowest evaluation and its step (the restored checkpoint with keepBest). */
  best: { step: number; value: number } | null;
  /** The loss or the parameters became non-finite; training stopped. */
  diverged: boolean;
}

/** A plain training loop: fresh batch, backward, optional clip/projection, step. */
export function fit(o: FitOptions): FitResult {
  const t0 = performance.now();
  const loss: number[] = [];
  const norms: number[] = [];
  const evals: FitResult['evals'] = [];
  const every = o.evalEvery ?? 50;
  let diverged = false;
  let step = 0;
  let best: FitResult['best'] = null;
  let saved: Tensor['data'][] | null = null;
  const evaluate = (): number => {
    const v = o.evaluate ? noGrad(o.evaluate) : NaN;
    evals.push({ step, value: v });
    if (Number.isFinite(v) && (best === null || v < best.value)) {
      best = { step, value: v };
      if (o.keepBest) saved = o.params.map((p) => p.data.slice());
    }
    o.log?.(`${o.label ?? ''} step ${step}: loss ${fmt(loss.at(-1) ?? NaN)} eval ${fmt(v)}`);
    return v;
  };
  for (; step < o.steps; ) {
    o.opt.zeroGrad();
    let l: number;
    try {
      const lt = o.loss(step);
      l = lt.item();
      if (!Number.isFinite(l)) throw new Error('non-finite loss');
      lt.backward();
    } catch {
      diverged = true; // NaN/Inf reached the loss or an op's finiteness check
      break;
    }
    const n = o.clip !== undefined ? clipGradNorm(o.params, o.clip) : gradNorm(o.params);
    loss.push(l);
    norms.push(n);
    if (!Number.isFinite(n)) {
      diverged = true;
      break;
    }
    o.beforeStep?.();
    o.opt.step();
    step++;
    if (o.evaluate && step % every === 0) {
      if (evaluate() < (o.stopBelow ?? -Infinity)) break;
      const b = best as FitResult['best'];
      if (o.patience !== undefined && b && step - b.step >= o.patience * every) break;
    }
  }
  if (o.evaluate && evals.at(-1)?.step !== step && !diverged) evaluate();
  const kept = saved as Tensor['data'][] | null;
  if (o.keepBest && kept) o.params.forEach((p, i) => p.data.set(kept[i]!));
  const b = best as FitResult['best'];
  const final = o.keepBest && b ? b.value : diverged ? NaN : o.evaluate ? evals.at(-1)!.value : loss.at(-1) ?? NaN;
  return { steps: step, seconds: (performance.now() - t0) / 1000, loss, gradNorm: norms, evals, final, best: b, diverged };
}

export function round(v: number, digits = 4): number {
  if (!Number.isFinite(v)) return v;
  return Number(v.toPrecision(digits));
}

export function fmt(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) return v.toExponential(digits - 1);
  return String(Number(v.toPrecision(digits)));
}

export const mean = (a: ArrayLike<number>): number => (a.length ? Array.from(a).reduce((s, v) => s + v, 0) / a.length : NaN);

/** Two-sided 95% Student-t quantiles for 1…10 degrees of freedom (then the normal 1.96). */
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];

/** Mean, sample standard deviation and the 95% t-interval half-width over seeds (NaN spread for one value). */
export function meanCi(a: readonly number[]): { mean: number; sd: number; ci95: number; n: number } {
  const n = a.length;
  const m = mean(a);
  const sd = n > 1 ? Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / (n - 1)) : NaN;
  return { mean: m, sd, ci95: n > 1 ? (T95[n - 2] ?? 1.96) * sd / Math.sqrt(n) : NaN, n };
}

/** "m ± h (n = k)" for a report cell. */
export const fmtCi = (c: { mean: number; ci95: number; n: number }): string => (c.n > 1 ? `${fmt(c.mean)} ± ${fmt(c.ci95, 2)}` : fmt(c.mean));

/** Moving average (window w) for readable loss curves, evaluated every `stride` points. */
export function smooth(y: readonly number[], w: number, stride = 1): { x: number[]; y: number[] } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < y.length; i += stride) {
    const a = y.slice(Math.max(0, i - w + 1), i + 1).filter(Number.isFinite);
    xs.push(i);
    ys.push(mean(a));
  }
  return { x: xs, y: ys };
}

/** Parameters of a module, flat count. */
export const countParams = (m: Module): number => m.parameters().reduce((s, p) => s + p.size, 0);

/** A Markdown report with SVG figures written next to it. */
export class Report {
  private readonly lines: string[] = [];
  private readonly figures: { file: string; svg: string }[] = [];

  constructor(title: string) {
    this.lines.push(`# ${title}`, '');
  }

  h2(s: string): this {
    this.lines.push(`## ${s}`, '');
    return this;
  }

  p(s: string): this {
    this.lines.push(s, '');
    return this;
  }

  table(columns: string[], rows: (string | number | null)[][]): this {
    const cell = (v: string | number | null): string => (v === null ? '–' : typeof v === 'number' ? fmt(v) : v);
    this.lines.push(`| ${columns.join(' | ')} |`, `| ${columns.map(() => '---').join(' | ')} |`);
    for (const r of rows) this.lines.push(`| ${r.map(cell).join(' | ')} |`);
    this.lines.push('');
    return this;
  }

  plot(file: string, plot: analysis.LinePlot): this {
    return this.svg(file, plot.title, analysis.plotSvg(plot, { width: 640, height: 380 }));
  }

  svg(file: string, title: string, svg: string): this {
    this.figures.push({ file, svg });
    this.lines.push(`![${title}](${file})`, '');
    return this;
  }

  /** Write report.md, the figures and result.json; returns the report's path. */
  write(outDir: string, result: unknown): string {
    mkdirSync(outDir, { recursive: true });
    for (const f of this.figures) writeFileSync(join(outDir, f.file), f.svg);
    const path = join(outDir, 'report.md');
    writeFileSync(path, this.lines.join('\n'));
    writeFileSync(join(outDir, 'result.json'), JSON.stringify(result, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2));
    return path;
  }
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

/** A scatter plot (plotSvg draws lines only): named point groups in one 2-D frame. */
export function scatterSvg(title: string, xLabel: string, yLabel: string, groups: { name: string; pts: [number, number][]; r?: number }[]): string {
  const W = 560;
  const H = 420;
  const m = { l: 56, r: 150, t: 30, b: 44 };
  const all = groups.flatMap((g) => g.pts).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const span = (v: number[]): [number, number] => {
    const [a, b] = v.length ? [Math.min(...v), Math.max(...v)] : [0, 1];
    const pad = (b - a || 1) * 0.06;
    return [a - pad, b + pad];
  };
  const [x0, x1] = span(xs);
  const [y0, y1] = span(ys);
  const px = (x: number): number => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (y: number): number => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${esc(title)}</text>`,
    `<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#333"/>`,
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 10}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
    `<text x="${m.l}" y="${H - m.b + 14}">${fmt(x0)}</text><text x="${W - m.r}" y="${H - m.b + 14}" text-anchor="end">${fmt(x1)}</text>`,
    `<text x="${m.l - 4}" y="${H - m.b}" text-anchor="end">${fmt(y0)}</text><text x="${m.l - 4}" y="${m.t + 10}" text-anchor="end">${fmt(y1)}</text>`,
  ];
  groups.forEach((g, k) => {
    const c = PALETTE[k % PALETTE.length]!;
    for (const [x, y] of g.pts) if (Number.isFinite(x) && Number.isFinite(y)) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="${g.r ?? 3}" fill="${c}" fill-opacity="0.7"/>`);
    const ly = m.t + 14 + 16 * k;
    out.push(`<circle cx="${W - m.r + 16}" cy="${ly - 4}" r="4" fill="${c}"/><text x="${W - m.r + 26}" y="${ly}">${esc(g.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Project rows (N, S) onto their two leading principal axes (centred). */
export function pca2(rows: readonly (readonly number[])[], basisRows: readonly (readonly number[])[] = rows): { pts: [number, number][]; axes: number[][]; explained: number[] } {
  const S = basisRows[0]!.length;
  const mu = Array.from({ length: S }, (_, j) => mean(basisRows.map((r) => r[j]!)));
  const centred = basisRows.map((r) => r.map((v, j) => v - mu[j]!));
  const { s, V } = analysis.svd(centred);
  const tot = s.reduce((a, v) => a + v * v, 0) || 1;
  const axes = [0, 1].map((k) => Array.from({ length: S }, (_, j) => (k < V.cols ? V.data[j * V.cols + k]! : 0)));
  const pts = rows.map((r) => axes.map((a) => r.reduce((d, v, j) => d + (v - mu[j]!) * a[j]!, 0)) as [number, number]);
  return { pts, axes, explained: s.map((v) => (v * v) / tot) };
}
