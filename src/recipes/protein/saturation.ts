/**
 * In-silico saturation mutagenesis: every single substitution of a protein scored by a run's
 * networks (averaged over seeds), the L × 20 ΔΔG map (the wild-type cell 0), as CSV and as a
 * report heatmap.
 */
import { ValueError } from '../../index.js';
import type { ReportHeatmap } from '../common/index.js';
import type { LoadedNet } from './checkpoint.js';
import { AMINO } from './data.js';
import { predictRows } from './fit.js';
import type { MutInput, SeqInput } from './model.js';

/** The map: `ddg[pos * 20 + aa]` in kcal/mol (positive = destabilising), 0 at the wild type. */
export interface SaturationMap { id: string; sequence: string; ddg: Float64Array; networks: number; variant: string }

/**
 * Score all L × 19 substitutions of `seq` with every network in `nets` and average.
 * @throws ValueError for no networks or an empty sequence.
 */
export function saturationMap(nets: readonly LoadedNet[], id: string, sequence: string, seq: SeqInput): SaturationMap {
  if (!nets.length) throw new ValueError('saturationMap', 'at least one network', 'none');
  const L = seq.residues.length;
  if (!L) throw new ValueError('saturationMap', 'a non-empty sequence', `${JSON.stringify(id)} of length 0`);
  const muts: MutInput = { seq: new Int32Array(L * 19), pos: new Int32Array(L * 19), wt: new Int32Array(L * 19), mut: new Int32Array(L * 19) };
  for (let p = 0, k = 0; p < L; p++) {
    for (let a = 0; a < 20; a++) {
      if (a === seq.residues[p]) continue;
      muts.pos[k] = p;
      muts.wt[k] = seq.residues[p]!;
      muts.mut[k++] = a;
    }
  }
  const rows = Array.from({ length: L * 19 }, (_, i) => i);
  const ddg = new Float64Array(L * 20);
  for (const n of nets) {
    const y = predictRows(n, { seqs: [seq], muts }, rows);
    rows.forEach((r) => { ddg[muts.pos[r]! * 20 + muts.mut[r]!]! += y[r]! / nets.length; });
  }
  return { id, sequence, ddg, networks: nets.length, variant: nets[0]!.variant };
}

/** CSV text: `position,wt,A,C,…,Y` (1-based positions; 0 in the wild-type column). */
export function saturationCsv(m: SaturationMap): string {
  const lines = [['position', 'wt', ...AMINO].join(',')];
  for (let p = 0; p < m.sequence.length; p++) {
    lines.push([p + 1, m.sequence[p], ...Array.from(m.ddg.subarray(p * 20, p * 20 + 20), (v) => Number(v.toFixed(4)))].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** The map as a report heatmap: rows the 20 mutant residues, columns the positions. */
export function saturationHeatmap(m: SaturationMap): ReportHeatmap {
  const L = m.sequence.length;
  return {
    title: `In-silico saturation mutagenesis of ${m.id} (${L} residues, ${m.variant === 'rsa' ? 'sequence + RSA' : 'sequence only'}, mean of ${m.networks} network${m.networks === 1 ? '' : 's'})`,
    rowLabels: [...AMINO],
    colLabels: Array.from(m.sequence, (c, p) => `${c}${p + 1}`),
    values: Array.from(AMINO, (_, a) => Array.from({ length: L }, (_, p) => (m.sequence[p] === AMINO[a] ? null : m.ddg[p * 20 + a]!))),
    caption: 'Predicted ΔΔG in kcal/mol (red: destabilising, blue: stabilising; blank: the wild-type residue). Columns are wild-type residue and position.',
  };
}
