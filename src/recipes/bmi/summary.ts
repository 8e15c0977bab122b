/**
 * Per-split summaries of the BMI folds: R² mean ± sd over folds per decoder, the recurrent
 * decoders' seed spread, fold-by-fold win counts against Wiener and Kalman, plainly worded
 * verdicts, and the streaming latency.
 */
import type { BmiFold } from './run.js';

export interface SystemSummary {
  name: string;
  /** Test R² per fold (recurrent decoders: mean over seeds). */
  perFold: number[];
  mean: number;
  /** Standard deviation over folds (0 for a single split). */
  sd: number;
  /** Recurrent decoders: mean over folds of the standard deviation over seeds. */
  seedSd?: number;
}

export interface SplitSummary {
  split: string;
  kind: 'cv' | 'cross';
  folds: number;
  systems: SystemSummary[];
  /** Per recurrent cell: folds where it beats Wiener / Kalman (seed-mean R²). */
  wins: { cell: string; vsWiener: number; vsKalman: number; folds: number }[];
  verdict: string[];
  streaming: { bins: number; medianMs: number; p99Ms: number; maxAbsDiff: number };
}

const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
const sd = (v: readonly number[]): number => {
  if (v.length < 2) return 0;
  const m = mean(v);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
};

/** The q-quantile (nearest rank) of `v`. */
export function quantile(v: readonly number[], q: number): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

function system(name: string, perFold: number[], seedSd?: number): SystemSummary {
  return { name, perFold, mean: mean(perFold), sd: sd(perFold), ...(seedSd === undefined ? {} : { seedSd }) };
}

function verdictOf(split: string, sys: SystemSummary[], wins: SplitSummary['wins']): string[] {
  const [w, k] = [sys[0]!, sys[1]!];
  return wins.map((x) => {
    const r = sys.find((s) => s.name === x.cell.toUpperCase())!;
    const all = x.vsWiener === x.folds && x.vsKalman === x.folds;
    const word = x.folds === 1
      ? `${r.name} ${r.mean.toFixed(3)} vs Wiener ${w.mean.toFixed(3)} vs Kalman ${k.mean.toFixed(3)}: ${r.mean > w.mean ? 'beats' : 'does not beat'} Wiener, ${r.mean > k.mean ? 'beats' : 'does not beat'} Kalman`
      : `${r.name} ${r.mean.toFixed(3)} ± ${r.sd.toFixed(3)} vs Wiener ${w.mean.toFixed(3)} ± ${w.sd.toFixed(3)} vs Kalman ${k.mean.toFixed(3)} ± ${k.sd.toFixed(3)} (mean ± sd over folds): beats Wiener on ${x.vsWiener} of ${x.folds} folds, Kalman on ${x.vsKalman} of ${x.folds}`;
    return `${split}: ${word}${all ? ' (every fold)' : ''}.`;
  });
}

/** Summaries per split, in split order. */
export function summarise(splits: readonly { name: string; kind: 'cv' | 'cross' }[], folds: readonly BmiFold[], cells: readonly string[]): SplitSummary[] {
  return splits.map((s) => {
    const fs = folds.filter((f) => f.split === s.name);
    const rnnOf = (f: BmiFold, cell: string) => f.rnn.find((r) => r.cell === cell)!;
    const systems = [
      system('Wiener', fs.map((f) => f.wiener.test)),
      system('Kalman', fs.map((f) => f.kalman.test)),
      ...cells.map((c) => system(c.toUpperCase(), fs.map((f) => mean(rnnOf(f, c).test)), mean(fs.map((f) => sd(rnnOf(f, c).test))))),
    ];
    const wins = cells.map((c) => ({
      cell: c, folds: fs.length,
      vsWiener: fs.filter((f) => mean(rnnOf(f, c).test) > f.wiener.test).length,
      vsKalman: fs.filter((f) => mean(rnnOf(f, c).test) > f.kalman.test).length,
    }));
    const lat = fs.flatMap((f) => f.streaming.latencies);
    return {
      split: s.name, kind: s.kind, folds: fs.length, systems, wins, verdict: verdictOf(s.name, systems, wins),
      streaming: { bins: lat.length, medianMs: quantile(lat, 0.5), p99Ms: quantile(lat, 0.99), maxAbsDiff: Math.max(...fs.map((f) => f.streaming.maxAbsDiff)) },
    };
  });
}

/** A plain-text table of the summaries (the command's stdout and table.txt). */
export function formatSummary(sum: readonly SplitSummary[]): string {
  const lines: string[] = [];
  for (const s of sum) {
    lines.push(`${s.split} (${s.kind === 'cv' ? `${s.folds}-fold contiguous-block CV` : 'train on one file, test on the other'}): velocity R², mean of x and y`);
    for (const y of s.systems) {
      const spread = s.folds > 1 ? ` ± ${y.sd.toFixed(3)} (sd over folds)` : '';
      const seeds = y.seedSd === undefined ? '' : `; seed sd ${y.seedSd.toFixed(3)}`;
      lines.push(`  ${y.name.padEnd(7)} ${y.mean.toFixed(3)}${spread}${seeds}`);
    }
    lines.push(...s.verdict.map((v) => `  ${v}`));
    lines.push(`  streaming (carried state, 1 bin per call): median ${s.streaming.medianMs.toFixed(3)} ms, p99 ${s.streaming.p99Ms.toFixed(3)} ms per bin over ${s.streaming.bins} bins; max |stream − window| ${s.streaming.maxAbsDiff.toExponential(1)}`, '');
  }
  return lines.join('\n').trimEnd();
}
