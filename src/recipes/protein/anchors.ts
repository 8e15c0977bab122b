/**
 * The published per-protein correlations (Hermans et al. 2024, the authors' summary files
 * per_protein_baselines_{D,L}.csv), averaged over exactly the test proteins of a split, so the
 * anchors and our models are scored on the same proteins. Dataset L's file has Spearman only.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { columnIndex, readCsvFile } from '../../index.js';

/** The published predictors shown beside ours: label, column stem, whether it uses structure. */
export const ANCHORS: readonly { label: string; stem: string; structure: boolean }[] = [
  { label: 'LOR (published, sequence-only)', stem: 'LOR', structure: false },
  { label: 'GEMME epistatic (published, sequence-only)', stem: 'GEMME_epi', structure: false },
  { label: 'RSA × LOR (published)', stem: 'RSA*LOR', structure: true },
  { label: 'PoPMuSiC (published, structure)', stem: 'PoPMuSiC', structure: true },
];

export interface AnchorRow { label: string; structure: boolean; pearson: number; spearman: number; proteins: number }

function columnMean(file: string, idCol: string, col: string, ids: ReadonlySet<string>): { mean: number; n: number } {
  const t = readCsvFile(file);
  if (!t.header.includes(col)) return { mean: NaN, n: 0 };
  const i = columnIndex(t, idCol);
  const j = columnIndex(t, col);
  const vals = t.rows.filter((r) => ids.has(r[i]!.trim())).map((r) => Number(r[j])).filter(Number.isFinite);
  return { mean: vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : NaN, n: vals.length };
}

/**
 * The anchors over `proteinIds` of `dataset` ('D' or 'L'); empty when the summary file is absent.
 * @example publishedAnchors(dir, 'D', new Set(['1aoy_A_7-75']))
 */
export function publishedAnchors(dir: string, dataset: string, proteinIds: ReadonlySet<string>): AnchorRow[] {
  const file = join(dir, `per_protein_baselines_${dataset}.csv`);
  if (!existsSync(file)) return [];
  const idCol = dataset === 'L' ? 'sequence_id' : 'protein_id';
  return ANCHORS.map((a) => {
    const p = columnMean(file, idCol, `pearson_${a.stem}`, proteinIds);
    const s = columnMean(file, idCol, `spearman_${a.stem}`, proteinIds);
    return { label: a.label, structure: a.structure, pearson: p.mean, spearman: s.mean, proteins: Math.max(p.n, s.n) };
  }).filter((a) => a.proteins > 0);
}
