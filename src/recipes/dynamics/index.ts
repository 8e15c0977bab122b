/**
 * Issue-5 experiments on recurrent dynamics (E1–E6). Each `run` trains small networks on a
 * synthetic task (or tiny shakespeare), measures what the issue asks, writes a Markdown report
 * with SVG figures and result.json to `outDir`, and resolves to the numbers.
 * Launcher: `npx tsx experiments/run.ts e1 [--quick] [--seed N]` (docs/experiments.md).
 */
import type { RunInfo, RunOptions } from './common.js';
import { run as e1 } from './e1.js';
import { run as e2 } from './e2.js';
import { run as e3 } from './e3.js';
import { run as e4 } from './e4.js';
import { run as e5 } from './e5.js';
import { run as e6 } from './e6.js';

export type { RunInfo, RunOptions } from './common.js';
export type { E1Result, E1Row } from './e1.js';
export type { E2Result, E2Row } from './e2.js';
export type { E3Result, E3Options } from './e3.js';
export type { E4Result } from './e4.js';
export type { E5Result } from './e5.js';
export type { E6Result } from './e6.js';

export interface Experiment {
  id: string;
  title: string;
  run: (opts?: RunOptions) => Promise<RunInfo>;
}

export const EXPERIMENTS: readonly Experiment[] = [
  { id: 'e1', title: 'RNN vs LSTM vs GRU on the adding problem; exploding gradients and clipping', run: e1 },
  { id: 'e2', title: 'First-token task: forward-only vs bidirectional', run: e2 },
  { id: 'e3', title: 'Variational vs per-step dropout vs none, char-level tiny shakespeare', run: e3 },
  { id: 'e4', title: 'Catastrophic interference: plain vs EWC vs gradient projection', run: e4 },
  { id: 'e5', title: 'Fixed points: 3-bit flip-flop attractors, delayed-response line attractor', run: e5 },
  { id: 'e6', title: 'LSTM vs GRU at equal parameter budget, long and short dependencies', run: e6 },
];

export { e1 as runE1, e2 as runE2, e3 as runE3, e4 as runE4, e5 as runE5, e6 as runE6 };
