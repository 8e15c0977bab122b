/**
 * Per-split summaries of the BMI folds: R² mean ± sd over folds per decoder, the recurrent
 * decoders' seed spread, fold-by-fold win counts against Wiener and Kalman, plainly worded
 * verdicts, and the streaming latency.
 */
import type { BmiFold } from './run.js';

export interface SystemSummary {
  name: string;
  /** Test R² per fold (recurrent decoders: of the seed-averaged prediction). */
  perFold: number[];
  mean: number;
  /** Standard deviation over folds (0 for a single split). */
  sd: number;
  /** Recurrent decoders: mean over folds of the standard deviation over single seeds' R². */
  seedSd?: number;
}

export interface SplitSummary {
  split: string;
  kind: 'cv' | 'cross';
  folds: number;
  systems: SystemSummary[];
  /**
   * Per recurrent decoder (the cell's seed average, and its blend with Wiener): folds where it
   * beats Wiener / Kalman, and the paired difference to Wiener over folds (mean, SEM; 0 for one fold).
   */
  wins: { decoder: string; vsWiener: number; vsKalman: number; folds: number; diff: number; sem: number }[];
  verdict: string[];
  streaming: { bins: number; medianMs: number; p99Ms: number; maxAbsDiff: number };
}

const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
const signed = (v: number): string => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(3)}`;
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
    const r = sys.find((s) => s.name === x.decoder)!;
    const all = x.vsWiener === x.folds && x.vsKalman === x.folds;
    const word = x.folds === 1
      ? `${r.name} ${r.mean.toFixed(3)} vs Wiener ${w.mean.toFixed(3)} vs Kalman ${k.mean.toFixed(3)}: ${r.mean > w.mean ? 'beats' : 'does not beat'} Wiener, ${r.mean > k.mean ? 'beats' : 'does not beat'} Kalman`
      : `${r.name} ${r.mean.toFixed(3)} ± ${r.sd.toFixed(3)} vs Wiener ${w.mean.toFixed(3)} ± ${w.sd.toFixed(3)} vs Kalman ${k.mean.toFixed(3)} ± ${k.sd.toFixed(3)} (mean ± sd over folds): beats Wiener on ${x.vsWiener} of ${x.folds} folds (paired difference ${signed(x.diff)} ± ${x.sem.toFixed(3)} SEM), Kalman on ${x.vsKalman} of ${x.folds}`;
    return `${split}: ${word}${all ? ' (every fold)' : ''}.`;
  });
}

/** Summaries per split, in split order. */
export function summarise(splits: readonly { name: string; kind: 'cv' | 'cross' }[], folds: readonly BmiFold[], cells: readonly string[]): SplitSummary[] {
  return splits.map((s) => {
    const fs = folds.filter((f) => f.split === s.name);
    const rnnOf = (f: BmiFold, cell: string) => f.rnn.find((r) => r.cell === cell)!;
    const wiener = fs.map((f) => f.wiener.test);
    const kalman = fs.map((f) => f.kalman.test);
    const systems = [system('Wiener', wiener), system('Kalman', kalman)];
    for (const c of cells) {
      systems.push(system(c.toUpperCase(), fs.map((f) => rnnOf(f, c).ensemble), mean(fs.map((f) => sd(rnnOf(f, c).test)))));
      systems.push(system(`${c.toUpperCase()}+W`, fs.map((f) => rnnOf(f, c).blend.test)));
    }
    const wins = systems.slice(2).map((y) => {
      const d = y.perFold.map((v, i) => v - wiener[i]!);
      return {
        decoder: y.name, folds: fs.length, vsWiener: d.filter((v) => v > 0).length, vsKalman: y.perFold.filter((v, i) => v > kalman[i]!).length,
        diff: mean(d), sem: sd(d) / Math.sqrt(d.length),
      };
    });
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
