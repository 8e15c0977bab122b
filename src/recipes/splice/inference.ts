/**
 * Using a finished classification run (the splice preset or the user's own data): `recur eval`
 * re-scores the saved networks on the run's own test folds (rebuilding the folds from the seed
 * and the data files, recomputing the baselines) and gives the training table again;
 * `recur predict` labels new sequences (of the run's alphabet; of its length for center and
 * flatten pooling, e.g. the splice preset's 60 nt).
 *
 * Which networks predict: every saved network of every fold (folds × ensemble members), their
 * class probabilities averaged with equal weights. Each fold's networks saw a different 90 % of
 * the data, so the average uses all of it (the usual cross-validation ensemble).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  FormatError, ValueError, columnIndex, csvWhere, isSymbol, readCsvFile, readFastaSync, resolveAlphabet, writeFileAtomicSync, type AlphabetName,
} from '../../index.js';
import { RUN_FILES, openFinishedRun, readJson } from '../common/run-dir.js';
import { loadMember, memberFile } from './checkpoint.js';
import type { SpliceNet } from './model.js';
import { SOURCE_KEYS, encode, runSplice, type SpliceOptions, type SpliceResult } from './run.js';
import { predictProbs } from './train.js';

/** The recipe options a run's config.json holds (the CLI's own keys left out). */
const OPTION_KEYS = ['cv', 'epochs', 'hidden', 'cell', 'pooling', 'convChannels', 'batchSize', 'lr', 'weightDecay', 'dropout', 'ema', 'ensemble', 'patience', 'valFraction', 'limit', 'seed', 'dataPath', 'keepDuplicates', 'select', ...SOURCE_KEYS];

/**
 * The recipe options stored in a splice run's config.json. A config without `keepDuplicates`
 * comes from before deduplication (the CLI now always writes the key), so its folds are rebuilt
 * from the data as read.
 */
export function spliceRunOptions(dir: string): SpliceOptions {
  const cfg = readJson(join(dir, RUN_FILES.config)) as Record<string, unknown>;
  const o = Object.fromEntries(Object.entries(cfg).filter(([k]) => OPTION_KEYS.includes(k))) as SpliceOptions;
  return 'keepDuplicates' in cfg ? o : { ...o, keepDuplicates: true };
}

/** The alphabet of a run's sequences (runs from before it was an option: DNA). */
export function runAlphabet(dir: string): AlphabetName {
  return spliceRunOptions(dir).alphabet ?? 'dna';
}

/**
 * Re-score a finished run's saved networks on its test folds: the same table as training.
 * @throws OptionError when the run is not finished; FormatError for a missing or bad checkpoint.
 */
export async function evalSpliceRun(dir: string): Promise<SpliceResult> {
  const run = openFinishedRun(dir, 'eval');
  return (await runSplice({ ...spliceRunOptions(run.path), stateDir: run.path, savedOnly: true }))!;
}

/** A sequence to label and where it came from (for messages). */
export interface SequenceInput {
  id: string;
  sequence: string;
  /** `file:line:col` of its first nucleotide. */
  where: string;
}

/** Read sequences from a FASTA file (the alphabet checked by the reader). */
export function fastaSequences(path: string, alphabet: AlphabetName = 'dna'): SequenceInput[] {
  if (!existsSync(path)) throw new FormatError(path, 'a readable FASTA file', 'no such file');
  return readFastaSync(path, { alphabet }).map((r) => ({ id: r.id, sequence: r.sequence, where: `${r.file}:${r.line + 1}:1` }));
}

/**
 * Read sequences from the column `seqCol` of a CSV file; ids from `idCol`, else the data row
 * number (from 1).
 * @throws FormatError at file:line:col for a missing column or a non-DNA character.
 */
export function csvSequences(path: string, seqCol: string, idCol?: string, alphabet: AlphabetName = 'dna'): SequenceInput[] {
  const a = resolveAlphabet(alphabet);
  const t = readCsvFile(path);
  const c = columnIndex(t, seqCol, 'sequence column (--seq-col)');
  const idc = idCol === undefined ? -1 : columnIndex(t, idCol, 'id column (--id-col)');
  return t.rows.map((row, r) => {
    const raw = row[c]!;
    const lead = raw.length - raw.trimStart().length;
    const seq = raw.trim().toUpperCase();
    const col = t.cols[r * t.header.length + c]! + lead;
    if (!seq) throw new FormatError(csvWhere(t.file, t.lines[r]!, col), `a sequence in column "${seqCol}"`, 'an empty cell');
    for (let j = 0; j < seq.length; j++) {
      if (!isSymbol(a, seq[j]!)) throw new FormatError(csvWhere(t.file, t.lines[r]!, col + j), a.describe, `'${seq[j]}'`);
    }
    return { id: idc < 0 ? String(r + 1) : row[idc]!, sequence: seq, where: csvWhere(t.file, t.lines[r]!, col) };
  });
}

/** Every saved network of a finished run (fold-major), checked against its metrics.json. */
function loadNetworks(dir: string): { nets: SpliceNet[]; classes: string[]; steps: number; alphabet: AlphabetName } {
  const m = readJson(join(dir, RUN_FILES.metrics)) as { protocol?: { folds?: unknown }; hyper?: { ensemble?: unknown }; folds?: { selection?: { members?: unknown } }[] };
  const folds = m.protocol?.folds;
  const ensemble = m.hyper?.ensemble;
  if (!Number.isInteger(folds) || !Number.isInteger(ensemble)) throw new FormatError(join(dir, RUN_FILES.metrics), 'protocol.folds and hyper.ensemble (integers)', `${String(folds)}, ${String(ensemble)}`);
  // With nested selection only the chosen networks of each fold predict.
  const chosen = (f: number): number[] => {
    const sel = m.folds?.[f]?.selection?.members;
    return Array.isArray(sel) ? (sel as number[]) : Array.from({ length: ensemble as number }, (_, k) => k);
  };
  const loaded = Array.from({ length: folds as number }, (_, f) => chosen(f).map((k) => loadMember(memberFile(dir, f, k)))).flat();
  return { nets: loaded.map((l) => l.net), classes: loaded[0]!.meta.classes, steps: loaded[0]!.meta.steps, alphabet: loaded[0]!.meta.alphabet ?? 'dna' };
}

/** Labels and class probabilities of new sequences, as rows and as CSV text `id,label,p_<class>…`. */
export interface SplicePrediction {
  classes: string[];
  rows: { id: string; label: string; probs: number[] }[];
  csv: string;
}

const quote = (v: string): string => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/**
 * Label sequences with a finished run's networks (see the module comment); the CSV is written
 * atomically to `out` when given.
 * @throws ValueError for no sequences, FormatError at a sequence of the wrong length.
 */
export function predictSpliceRun(dir: string, seqs: readonly SequenceInput[], opts: { out?: string } = {}): SplicePrediction {
  const run = openFinishedRun(dir, 'predict');
  if (!seqs.length) throw new ValueError('recur predict', 'at least one sequence', 'none');
  const { nets, classes, steps, alphabet } = loadNetworks(run.path);
  // Center and flatten pooling read fixed positions: only the trained length means anything.
  const fixed = nets.some((n) => n.pooling === 'center' || n.pooling === 'flatten');
  const bad = fixed ? seqs.find((s) => s.sequence.length !== steps) : undefined;
  const unit = alphabet === 'protein' ? 'amino acids' : 'nucleotides';
  if (bad) throw new FormatError(bad.where, `a sequence of ${steps} ${unit} (the length the run was trained on; its pooling reads fixed positions)`, `${bad.sequence.length} (${JSON.stringify(bad.id)})`);
  const C = classes.length;
  const set = encode({ sequences: seqs.map((s) => s.sequence), labels: seqs.map(() => 0), alphabet });
  const avg = new Float64Array(seqs.length * C);
  for (const net of nets) {
    const p = predictProbs(net, set).probs;
    for (let i = 0; i < avg.length; i++) avg[i]! += p[i]! / nets.length;
  }
  const rows = seqs.map((s, i) => {
    const probs = Array.from(avg.subarray(i * C, (i + 1) * C));
    return { id: s.id, label: classes[probs.indexOf(Math.max(...probs))]!, probs };
  });
  const lines = [['id', 'label', ...classes.map((c) => `p_${c}`)].join(','), ...rows.map((r) => [quote(r.id), r.label, ...r.probs.map((p) => String(Number(p.toPrecision(6))))].join(','))];
  const csv = `${lines.join('\n')}\n`;
  if (opts.out) writeFileAtomicSync(opts.out, csv);
  return { classes, rows, csv };
}
