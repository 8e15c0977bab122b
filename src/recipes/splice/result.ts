/**
 * Assembling and printing a classification run's result: the comparison table (pooled per-class
 * errors, per-fold mean ± sd; for the splice preset the published rows with their protocol, for
 * the user's own data classify-table.ts's table), result.json/table.txt, and the text summary.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../../index.js';
import { formatClassifyTable } from './classify-table.js';
import { describeDedup, type SpliceData } from './data.js';
import { ownData } from './sequences.js';
import { PUBLISHED_SPLICE, bestPublished } from './published.js';
import type { FoldOutcome, Resolved, SpliceOptions, SpliceResult, SpliceSystemResult } from './run.js';
import { SELECT_GRID } from './select.js';
import { formatSpliceTable, matchesPublished, publishedProtocolNote, type ErrorRow } from './table.js';

/** Build the result from the folds' outcomes (and write result.json/table.txt to `o.outDir`). */
export function finish(
  o: SpliceOptions, h: Resolved, d: SpliceData, systems: SpliceSystemResult[],
  foldRes: FoldOutcome[], t0: number, backend: string,
): SpliceResult {
  if (ownData(o)) return finishOwn(o, h, d, systems, foldRes, t0, backend);
  const nf = foldRes.length;
  const n = d.labels.length.toLocaleString('en-US');
  const protocol = { examples: d.labels.length, cv: h.cv };
  const dedup = d.dedup!;
  const dataNote = dedup.applied ? 'deduplicated' : 'DUPLICATES KEPT (--keep-duplicates, old protocol)';
  const sel = h.select ? `; architecture chosen per fold on the inner validation split (nested, ${SELECT_GRID.length} candidates)` : '';
  const description = h.cv
    ? `${h.cv}-fold stratified CV on ${n} examples (${dataNote})${sel}; ${publishedProtocolNote(protocol)}`
    : `one stratified 90/10 split of ${n} examples (${dataNote}), ${foldRes[0]!.test} tested${sel}; ${publishedProtocolNote(protocol)}`;
  const rows: ErrorRow[] = systems.map((s) => ({
    system: s.label, N: s.perClassError.N, EI: s.perClassError.EI, IE: s.perClassError.IE, accuracy: s.metrics.accuracy,
    ...(nf > 1 ? { folds: { EI: s.foldErrors.map((r) => r[0]!), IE: s.foldErrors.map((r) => r[1]!), N: s.foldErrors.map((r) => r[2]!) } } : {}),
  }));
  const title = `Splice-junction per-class error (%), pooled over test folds: ${description}. Data: ${describeDedup(dedup)}. Backend ${backend}.`;
  const comparison = (['N', 'EI', 'IE'] as const).map((cls) => {
    const b = bestPublished(cls);
    const model = systems[0]!.perClassError[cls]!;
    return { cls, model, bestPublished: b.error, system: b.system, better: model < b.error };
  });
  return done(o, {
    protocol: { cv: h.cv, folds: nf, examples: d.labels.length, valFraction: h.valFraction, seed: h.seed, description, select: h.select, matchesPublished: matchesPublished(protocol) },
    data: dedup, ...common(h, d, systems, foldRes, t0, backend), published: PUBLISHED_SPLICE, comparison,
    beatsAllPublished: comparison.every((c) => c.better),
    table: formatSpliceTable({ title, rows, protocol }),
  });
}

/** The parts of a result shared by the splice preset and the user's own data. */
function common(h: Resolved, d: SpliceData, systems: SpliceSystemResult[], foldRes: FoldOutcome[], t0: number, backend: string) {
  const modelMs = foldRes.reduce((a, f) => a + f.modelMs, 0);
  const baselineMs = foldRes.reduce((a, f) => a + f.baselineMs, 0);
  return {
    hyper: { epochs: h.epochs, hidden: h.hidden, cell: h.cell, pooling: h.pooling, convChannels: h.convChannels, batchSize: h.batchSize, lr: h.lr, weightDecay: h.weightDecay, dropout: h.dropout, ema: h.ema, ensemble: h.ensemble, patience: h.patience },
    classes: d.classes.slice(), systems,
    folds: foldRes.map(({ params: _p, errs: _e, ...rest }) => rest),
    history: foldRes.map((f) => f.members[0]!.history),
    timings: { totalMs: performance.now() - t0, modelMs, baselineMs, backend },
    parameters: foldRes[0]!.params,
  };
}

function done(o: SpliceOptions, r: SpliceResult): SpliceResult {
  // One key order for result.json, whichever data.
  const { protocol, data, hyper, classes, systems, published, comparison, beatsAllPublished, table, folds, history, timings, parameters } = r;
  const result: SpliceResult = {
    protocol, data, hyper, classes, systems, published, comparison, ...(beatsAllPublished === undefined ? {} : { beatsAllPublished }), table, folds, history, timings, parameters,
  };
  o.onProgress?.({ kind: 'done', ms: result.timings.totalMs });
  if (o.outDir) writeOutputs(o.outDir, result);
  return result;
}

/** The result of a run on the user's own data: no published rows to compare with. */
function finishOwn(o: SpliceOptions, h: Resolved, d: SpliceData, systems: SpliceSystemResult[], foldRes: FoldOutcome[], t0: number, backend: string): SpliceResult {
  const n = d.labels.length.toLocaleString('en-US');
  const how = d.groups ? 'grouped (every group in one fold)' : 'stratified';
  const what = `${n} sequences of ${d.classes.length} classes from ${o.fasta ?? o.csv} (${d.alphabet ?? 'dna'}${d.dedup!.applied ? ', deduplicated' : ', duplicates kept'})`;
  const sel = h.select ? '; architecture chosen per fold on the inner validation split (nested)' : '';
  const description = h.cv ? `${h.cv}-fold ${how} CV on ${what}${sel}` : `one ${how} 90/10 split of ${what}, ${foldRes[0]!.test} tested${sel}`;
  const title = `Per-class error (%), pooled over test folds: ${description}. Data: ${describeDedup(d.dedup!)}. Backend ${backend}.`;
  return done(o, {
    protocol: { cv: h.cv, folds: foldRes.length, examples: d.labels.length, valFraction: h.valFraction, seed: h.seed, description, select: h.select, matchesPublished: false },
    data: d.dedup!, ...common(h, d, systems, foldRes, t0, backend), published: [], comparison: [],
    table: formatClassifyTable(title, d.classes, systems),
  });
}

function writeOutputs(dir: string, r: SpliceResult): void {
  mkdirSync(dir, { recursive: true });
  const json = JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2);
  writeFileAtomicSync(join(dir, 'result.json'), json);
  writeFileAtomicSync(join(dir, 'table.txt'), `${r.table}\n`);
}

/** One line per fold of what nested selection chose (empty without `select`). */
export function selectionLines(r: SpliceResult): string[] {
  if (!r.protocol.select) return [];
  const nets = r.folds.reduce((a, f) => a + f.networks, 0);
  const lines = r.folds.map((f) => {
    const s = f.selection!;
    return `  fold ${f.fold + 1}: ${s.pooling}, H=${s.hidden}, ensemble ${s.ensemble} (inner validation error ${(100 * s.valError).toFixed(2)} %)`;
  });
  return [`nested selection (on each fold's inner validation split; ${nets} networks trained in all):`, ...lines];
}

/**
 * The whole result as text: the comparison table, then per system accuracy, macro-F1, macro
 * one-vs-rest AUC and per-class F1, the model's confusion matrix, and timings.
 * @example console.log(formatSpliceSummary(runSplice()));
 */
export function formatSpliceSummary(r: SpliceResult): string {
  const pct = (v: number): string => (100 * v).toFixed(2);
  const lines = [r.table, '', `data: ${describeDedup(r.data)}`, '', 'system metrics (pooled out-of-fold predictions):'];
  for (const s of r.systems) {
    const m = s.metrics;
    const f1 = m.perClass.map((c) => `${c.label} ${c.f1.toFixed(3)}`).join(', ');
    lines.push(`  ${s.label}: accuracy ${pct(m.accuracy)}%, macro-F1 ${m.macroF1.toFixed(3)}, macro AUC (one-vs-rest) ${m.macroAuc.toFixed(4)}; F1 ${f1}`);
  }
  if (r.folds.length > 1) {
    lines.push('', `per-fold error, mean ± sd over folds (${r.classes.join(' / ')}):`);
    for (const s of r.systems) lines.push(`  ${s.label}: ${r.classes.map((c) => `${s.foldMean[c]!.toFixed(2)} ± ${s.foldSd[c]!.toFixed(2)}`).join(' / ')}`);
  }
  lines.push('', `one-hot baseline L2 per fold (chosen on its validation split): ${r.folds.map((f) => f.onehotL2).join(', ')}`);
  const sel = selectionLines(r);
  if (sel.length) lines.push('', ...sel);
  const m = r.systems[0]!.metrics;
  const w = Math.max(...m.confusion.flat().map((v) => String(v).length), 4) + 2;
  lines.push('', `confusion matrix of ${r.systems[0]!.label} (rows true, columns predicted):`);
  lines.push(`  ${''.padEnd(6)}${m.classes.map((c) => c.padStart(w)).join('')}`);
  m.confusion.forEach((row, i) => lines.push(`  ${m.classes[i]!.padEnd(6)}${row.map((v) => String(v).padStart(w)).join('')}`));
  const t = r.timings;
  const epochs = r.folds.map((f) => f.members.map((x) => x.epochsRun).join('+')).join(', ');
  const nets = r.folds.reduce((a, f) => a + f.networks, 0);
  lines.push('', `time ${(t.totalMs / 1000).toFixed(1)} s (model ${(t.modelMs / 1000).toFixed(1)} s${r.protocol.select ? ' with selection' : ''}, baselines ${(t.baselineMs / 1000).toFixed(1)} s) on backend ${t.backend}; ${nets} networks trained; epochs per fold: ${epochs}; ${r.parameters} parameters`);
  return lines.join('\n');
}
