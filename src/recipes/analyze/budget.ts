/**
 * How much work each instrument may do. `quick` is for a first look (seconds on a small model),
 * `normal` the default, `full` for a figure worth keeping (minutes on a 64-unit LSTM).
 */
import { OptionError } from '../../index.js';

export type BudgetName = 'quick' | 'normal' | 'full';

export interface Budget {
  name: BudgetName;
  /** Sequences in the gradient-flow batch (and the fixed-point seeds are drawn from their states). */
  batch: number;
  /** Steps run before the Lyapunov sums start (the state forgets its start) and skipped by DMD. */
  warmup: number;
  /** Lyapunov accumulation steps at most (fewer when the real inputs run out). */
  lyapunovSteps: number;
  /** Fixed-point seeds (visited states plus noise) and Adam iterations per seed. */
  seeds: number;
  iterations: number;
  /** Hidden-state snapshots given to DMD at most. */
  snapshots: number;
}

export const BUDGETS: Record<BudgetName, Budget> = {
  quick: { name: 'quick', batch: 16, warmup: 50, lyapunovSteps: 500, seeds: 32, iterations: 500, snapshots: 500 },
  normal: { name: 'normal', batch: 64, warmup: 100, lyapunovSteps: 2000, seeds: 128, iterations: 2000, snapshots: 2000 },
  full: { name: 'full', batch: 256, warmup: 200, lyapunovSteps: 10000, seeds: 512, iterations: 5000, snapshots: 5000 },
};

/** The budget called `name`. */
export function budgetOf(name: string): Budget {
  const b = (BUDGETS as Record<string, Budget | undefined>)[name];
  if (!b) throw new OptionError('--budget', `one of ${Object.keys(BUDGETS).join(', ')}`, JSON.stringify(name));
  return b;
}
