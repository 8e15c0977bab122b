/** The options of `recur eval` and `recur predict`, as each task's handler receives them. */
import { OptionError, type BackendName } from '../../index.js';

export interface EvalOpts { run: string; csv?: string; part?: 'train' | 'val' | 'test'; seed?: number; out?: string; json?: boolean; backend?: BackendName }

export interface PredictOpts {
  run: string; protein?: string; variant?: string; calcium?: string; csv?: string; all?: boolean; out?: string; fasta?: string; seqCol?: string; idCol?: string; backend?: BackendName;
}

/** Refuse options that belong to other tasks' runs (rather than ignoring them). */
export function onlyFor(task: string, o: object, foreign: string[]): void {
  const k = foreign.find((f) => (o as Record<string, unknown>)[f] !== undefined);
  if (k) throw new OptionError(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, `an option for this ${task} run`, 'an option for runs of another task');
}
