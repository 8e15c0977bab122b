/**
 * `recur train --preset protein-stability` (or `--task stability`): ΔΔG of single substitutions
 * from sequence (src/recipes/protein) on EvoStability D and L read from --data-dir, under four
 * splits side by side (random, leave-protein-out, leave-MSA-depth-bin-out, D → L), ridge baseline
 * against a BiGRU, sequence-only and with RSA, plus the confounder demonstration on simulated
 * proteins and an in-silico saturation map. The run folder gets config.json, events.jsonl,
 * metrics.json, table.txt, report.html, saturation-<id>.csv and the D → L networks
 * (net-<variant>-seed<k>.safetensors) that `recur predict` uses. Not resumable: rerun instead.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option } from 'commander';
import { z } from 'zod';
import { FormatError, OptionError, ValueError, getBackend, readFastaSync, writeFileAtomicSync } from '../../index.js';
import {
  SPLIT_KINDS, STABILITY_DIR, VARIANTS, confounderDemo, encodeResidues, formatStability, loadNets, loadStability, runStability,
  saturationCsv, saturationHeatmap, saturationMap, stabilityReport, type SaturationMap, type SplitKind, type StabilityData, type Variant,
} from '../../recipes/protein/index.js';
import { RUN_FILES, abortRunDir, appendJsonl, createRunDir, openFinishedRun, readJson, staleRunsWarning, writeJson, writeReport } from '../../recipes/common/index.js';
import { merge, validate } from '../config.js';
import { dataDir } from '../paths.js';
import { finishRun, progressLog, startRun } from './finish-run.js';
import type { Io } from './io.js';

const list = (v: string, prev: string[] = []): string[] => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

/** Options only this task reads (it also takes --folds, --folds-to-run, --seeds, --epochs, --hidden, --cell, --lr, --dropout, --patience, --seed). */
export function proteinOptions(): Option[] {
  return [
    new Option('--splits <list>', `stability task: comma-list of ${SPLIT_KINDS.join(', ')} (default all)`).argParser(list),
    new Option('--variants <list>', 'stability task: seq (sequence only), rsa (with relative solvent accessibility); default both').argParser(list),
    new Option('--saturation-protein <id>', 'stability task: protein whose saturation map goes in the report (default the first of dataset L)'),
  ].map((o) => o.helpGroup('Protein stability options (--preset protein-stability, --task stability):'));
}

const int = (min: number) => z.number().int().min(min);
const schema = z.strictObject({
  task: z.literal('stability'),
  preset: z.literal('protein-stability').optional(),
  splits: z.array(z.enum(SPLIT_KINDS as unknown as [SplitKind, ...SplitKind[]])).min(1).optional(),
  variants: z.array(z.enum(VARIANTS as unknown as [Variant, ...Variant[]])).min(1).optional(),
  saturationProtein: z.string().min(1).optional(),
  folds: int(2).optional(),
  foldsToRun: int(1).optional(),
  seeds: int(1).optional(),
  epochs: int(1).optional(),
  patience: int(1).optional(),
  hidden: int(1).optional(),
  cell: z.enum(['gru', 'lstm']).optional(),
  lr: z.number().gt(0).lt(1).optional(),
  dropout: z.number().min(0).lt(1).optional(),
  seed: int(0).optional(),
  dataDir: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  runsDir: z.string().min(1).default('runs'),
  quiet: z.boolean().default(false),
});
export const STABILITY_KEYS = Object.keys(schema.shape);
type StabilityCli = z.output<typeof schema>;

/** The saturation map of protein `id` of the data with the run's saved networks. */
function mapOf(d: StabilityData, id: string, dir: string, variant: Variant, where: string): SaturationMap {
  const p = d.proteins.find((q) => q.id === id);
  if (!p) throw new ValueError(where, `a protein id of the data (e.g. ${d.proteins.slice(0, 3).map((q) => q.id).join(', ')})`, JSON.stringify(id));
  return saturationMap(loadNets(dir, variant), p.id, p.sequence, p);
}

export async function runStabilityTask(opts: Record<string, unknown>, file: Record<string, unknown>, configPath: string, io: Io): Promise<number> {
  const flags = Object.fromEntries(Object.entries(opts).filter(([k]) => !['config', 'resume', 'backend', 'json'].includes(k)));
  const layered = merge({ values: file, source: { kind: 'file', path: configPath } }, { values: { ...flags, task: 'stability' }, source: { kind: 'flag' } });
  const c: StabilityCli = validate(schema, layered, STABILITY_KEYS, 'recur train (stability task)');
  const source = join(dataDir(c.dataDir), STABILITY_DIR);
  const t0 = Date.now();
  const d = loadStability(source);
  const run = startRun(resolve(io.cwd, c.runsDir), c.name, { ...c, dataSource: source }, io);
  try {
    const events = join(run.path, RUN_FILES.events);
    appendJsonl(events, { type: 'run_start', task: 'stability', time: Date.now() });
    const onProgress = progressLog(events, c.quiet, io);
    const { splits, options } = runStability(d, {
      dataDir: source, splits: c.splits, variants: c.variants, folds: c.folds, foldsToRun: c.foldsToRun, seeds: c.seeds, seed: c.seed,
      epochs: c.epochs, patience: c.patience, lr: c.lr, spec: { ...(c.hidden ? { hidden: c.hidden } : {}), ...(c.cell ? { cell: c.cell } : {}), ...(c.dropout !== undefined ? { dropout: c.dropout } : {}) },
      saveDir: run.path, onProgress,
    });
    const conf = confounderDemo({ seed: options.seed });
    let sat: SaturationMap | null = null;
    if (options.splits.includes('d-to-l')) {
      const id = c.saturationProtein ?? d.proteins.find((p) => p.dataset === 'L')?.id ?? d.proteins[0]!.id;
      sat = mapOf(d, id, run.path, options.variants.includes('seq') ? 'seq' : 'rsa', '--saturation-protein');
      writeFileAtomicSync(join(run.path, `saturation-${id}.csv`), saturationCsv(sat));
    }
    const seconds = (Date.now() - t0) / 1000;
    const facts: [string, string][] = [['Data', `${source} (${d.proteins.length} proteins, ${d.ddg.length} mutations)`], ['Wall time', `${seconds.toFixed(0)} s`], ['Backend', getBackend().name], ['Seeds', String(options.seeds)]];
    const metrics = { task: 'stability', backend: getBackend().name, seconds, options, splits, confounder: conf, saturation: sat ? { protein: sat.id, variant: sat.variant, networks: sat.networks } : null };
    return finishRun(run, events, io, { metrics, table: formatStability(splits, options, conf), report: stabilityReport({ ...c, dataSource: source }, splits, options, conf, sat, facts), note: `wall time ${seconds.toFixed(0)} s` });
  } catch (e) {
    abortRunDir(run);
    throw e;
  }
}

/**
 * `recur predict --run DIR --protein ID | --fasta FILE [--variant seq|rsa]` on a stability run:
 * the saturation map(s) as CSV (`protein,position,wt,A…Y`); with --out also an HTML heatmap beside it.
 */
export function predictStability(o: { run: string; protein?: string; fasta?: string; variant?: string; out?: string; csv?: string; all?: boolean; calcium?: string; seqCol?: string; idCol?: string }, io: Io): { csv: string; rows: number } {
  const foreign = (['csv', 'all', 'calcium', 'seqCol', 'idCol'] as const).find((k) => o[k] !== undefined);
  if (foreign) throw new OptionError(`--${foreign.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`)}`, 'an option for this stability run (--protein ID or --fasta FILE, --variant, --out)', 'an option of another task');
  if (!o.protein === !o.fasta) throw new OptionError('recur predict', 'one input for a stability run: --protein ID or --fasta FILE', o.protein ? 'both' : 'neither');
  const run = openFinishedRun(o.run, 'predict');
  const variant = (o.variant ?? 'seq') as Variant;
  let maps: SaturationMap[];
  if (o.protein) {
    const cfgPath = join(run.path, RUN_FILES.config);
    const src = (readJson(cfgPath) as { dataSource?: unknown }).dataSource;
    if (typeof src !== 'string') throw new FormatError(`${cfgPath}: "dataSource"`, 'the data folder of the run', JSON.stringify(src));
    maps = [mapOf(loadStability(src), o.protein, run.path, variant, '--protein')];
  } else {
    if (variant === 'rsa') throw new OptionError('--variant rsa', '--protein ID (a FASTA file has no solvent accessibility; use --variant seq)', 'it with --fasta');
    const nets = loadNets(run.path, variant);
    maps = fastaProteins(resolve(io.cwd, o.fasta!)).map((p) => saturationMap(nets, p.id, p.sequence, { residues: p.residues, rsa: new Float32Array(p.residues.length) }));
  }
  const csv = maps.map((m, i) => {
    const lines = saturationCsv(m).trimEnd().split('\n');
    return [...(i ? [] : [`protein,${lines[0]}`]), ...lines.slice(1).map((l) => `${m.id},${l}`)].join('\n');
  }).join('\n') + '\n';
  if (o.out) {
    const out = resolve(io.cwd, o.out);
    writeFileSync(out, csv);
    writeReport(`${out.replace(/\.csv$/i, '')}.html`, { title: `Saturation maps (${o.run})`, kind: 'protein-stability predict', created: new Date().toISOString(), heatmaps: maps.map(saturationHeatmap) });
  }
  return { csv, rows: maps.reduce((a, m) => a + m.sequence.length, 0) };
}

function fastaProteins(path: string): { id: string; sequence: string; residues: Int32Array }[] {
  return readFastaSync(path, { alphabet: 'protein' }).map((r) => ({ id: r.id, sequence: r.sequence, residues: encodeResidues(r.sequence, `${r.file}:${r.line + 1}`) }));
}
