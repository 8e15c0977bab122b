/** `recur eval` and `recur predict` on a finished splice run. */
import { resolve } from 'node:path';
import { OptionError } from '../../index.js';
import { csvSequences, evalSpliceRun, fastaSequences, predictSpliceRun, runAlphabet } from '../../recipes/splice/index.js';
import { onlyFor, type EvalOpts, type PredictOpts } from './run-options.js';
import type { Io } from './io.js';

export async function evalSplice(o: EvalOpts): Promise<{ json: unknown; text: string }> {
  onlyFor('splice', o, ['csv', 'part']);
  const r = await evalSpliceRun(o.run);
  return { json: { run: resolve(o.run), protocol: r.protocol, systems: r.systems, comparison: r.comparison }, text: r.table };
}

export function predictSplice(o: PredictOpts, io: Io): { csv: string; rows: number } {
  onlyFor('splice', o, ['all', 'calcium']);
  if (!o.fasta === !o.csv) throw new OptionError('recur predict', 'one input for a splice run: --fasta FILE, or --csv FILE --seq-col NAME', o.fasta ? 'both' : 'neither');
  if (o.csv && !o.seqCol) throw new OptionError('--seq-col', 'the column of --csv holding the sequences', 'none');
  if (o.fasta && (o.seqCol || o.idCol)) throw new OptionError(o.seqCol ? '--seq-col' : '--id-col', 'a column option together with --csv', 'it with --fasta');
  const alphabet = runAlphabet(o.run);
  const seqs = o.fasta ? fastaSequences(resolve(io.cwd, o.fasta), alphabet) : csvSequences(resolve(io.cwd, o.csv!), o.seqCol!, o.idCol, alphabet);
  const r = predictSpliceRun(o.run, seqs, o.out ? { out: resolve(io.cwd, o.out) } : {});
  return { csv: r.csv, rows: r.rows.length };
}
