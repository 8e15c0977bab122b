/**
 * EvoStability datasets D and L (see ../shared/data/protein-stability/SOURCE.md): single
 * substitutions with experimental ΔΔG (kcal/mol, positive = destabilising), the wild-type
 * sequences, and the relative solvent accessibility (RSA) of each mutated residue. The data are
 * read from --data-dir and never copied into the repository (their licence is unclear).
 *
 * Legend: P proteins, M mutations, L a protein's length, 20 amino acids (ACDEFGHIKLMNPQRSTVWY).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FormatError, fileError, cellWhere, columnIndex, decodeText, parseCsv, readFastaSync, type CsvTable } from '../../index.js';

export const AMINO = 'ACDEFGHIKLMNPQRSTVWY';

/** One wild-type protein. */
export interface Protein {
  id: string;
  sequence: string;
  /** 'D' or 'L'. */
  dataset: string;
  /** MSA-depth bin for D (D10, D100, D1000, D10000), 'L' for L. */
  subset: string;
  /** Residue indices into AMINO (L). */
  residues: Int32Array;
  /** RSA in [0, 1] per position (L); positions without a measured mutation take the protein's mean. */
  rsa: Float32Array;
}

/** Mutations as columns (M each); `protein` indexes `proteins`, `pos` is 0-based. */
export interface StabilityData {
  proteins: Protein[];
  protein: Int32Array;
  pos: Int32Array;
  wt: Int32Array;
  mut: Int32Array;
  ddg: Float64Array;
  /** RSA of the wild-type residue in [0, 1]. */
  rsa: Float64Array;
  /** Where the data came from (for messages and the report). */
  source: string;
}

export const STABILITY_DIR = 'protein-stability';
const MUTATION_RE = /^([A-Z])(\d+)([A-Z])$/;

/** Index of an amino-acid letter, -1 when not one of the 20. */
export function aminoIndex(c: string): number {
  return AMINO.indexOf(c.toUpperCase());
}

/** Encode a protein sequence; `where` names it in errors. */
export function encodeResidues(sequence: string, where: string): Int32Array {
  const out = new Int32Array(sequence.length);
  for (let i = 0; i < sequence.length; i++) {
    const a = aminoIndex(sequence[i]!);
    if (a < 0) throw new FormatError(`${where}, residue ${i + 1}`, `one of the 20 standard amino acids ${AMINO}`, JSON.stringify(sequence[i]));
    out[i] = a;
  }
  return out;
}

interface Columns { dataset: number; subset: number; id: number; mutation: number; ddg: number; rsa: number }

function columns(t: CsvTable): Columns {
  return {
    dataset: columnIndex(t, 'dataset'), subset: columnIndex(t, 'subset'), id: columnIndex(t, 'protein_id'),
    mutation: columnIndex(t, 'mutation'), ddg: columnIndex(t, 'ddG_kcal_per_mol'), rsa: columnIndex(t, 'RSA_percent'),
  };
}

function numberAt(t: CsvTable, r: number, c: number, what: string, allowMissing: boolean): number {
  const s = t.rows[r]![c]!.trim();
  if (allowMissing && (s === '' || s.toLowerCase() === 'nan')) return NaN;
  const v = Number(s);
  if (s === '' || !Number.isFinite(v)) throw new FormatError(cellWhere(t, r, c), what, JSON.stringify(s));
  return v;
}

/**
 * Parse the mutation table against the sequences: every mutation's wild-type letter must match
 * its sequence and both letters must be standard amino acids.
 * @throws FormatError at file:line:col of the first bad cell.
 */
export function parseStability(t: CsvTable, sequences: ReadonlyMap<string, string>): StabilityData {
  const c = columns(t);
  const index = new Map<string, number>();
  const proteins: Protein[] = [];
  const M = t.rows.length;
  const d: StabilityData = { proteins, protein: new Int32Array(M), pos: new Int32Array(M), wt: new Int32Array(M), mut: new Int32Array(M), ddg: new Float64Array(M), rsa: new Float64Array(M), source: t.file };
  for (let r = 0; r < M; r++) {
    const row = t.rows[r]!;
    const id = row[c.id]!.trim();
    if (!index.has(id)) {
      const seq = sequences.get(id);
      if (seq === undefined) throw new FormatError(cellWhere(t, r, c.id), 'a protein_id present in sequences.fasta', JSON.stringify(id));
      index.set(id, proteins.length);
      proteins.push({ id, sequence: seq, dataset: row[c.dataset]!.trim(), subset: row[c.subset]!.trim(), residues: encodeResidues(seq, id), rsa: new Float32Array(seq.length).fill(NaN) });
    }
    const p = index.get(id)!;
    const m = MUTATION_RE.exec(row[c.mutation]!.trim());
    const seq = proteins[p]!.sequence;
    const pos = m ? Number(m[2]) - 1 : -1;
    const wt = m ? aminoIndex(m[1]!) : -1;
    const mut = m ? aminoIndex(m[3]!) : -1;
    if (!m || pos < 0 || pos >= seq.length || wt < 0 || mut < 0 || wt === mut || seq[pos] !== m[1]) {
      throw new FormatError(cellWhere(t, r, c.mutation), `a substitution like Q1A with the wild-type letter of ${id} at a position in 1..${seq.length}`, JSON.stringify(row[c.mutation]));
    }
    d.protein[r] = p;
    d.pos[r] = pos;
    d.wt[r] = wt;
    d.mut[r] = mut;
    d.ddg[r] = numberAt(t, r, c.ddg, 'a finite ΔΔG in kcal/mol', false);
    d.rsa[r] = numberAt(t, r, c.rsa, 'an RSA in percent (or empty)', true) / 100;
  }
  fillRsa(d);
  return d;
}

/** Per-position RSA from the mutation rows; unmeasured positions (and rows) take the protein's mean. */
function fillRsa(d: StabilityData): void {
  for (let r = 0; r < d.ddg.length; r++) if (Number.isFinite(d.rsa[r]!)) d.proteins[d.protein[r]!]!.rsa[d.pos[r]!] = d.rsa[r]!;
  const means = d.proteins.map((p) => {
    const known = Array.from(p.rsa).filter(Number.isFinite);
    return known.length ? known.reduce((a, b) => a + b, 0) / known.length : 0.3;
  });
  d.proteins.forEach((p, i) => p.rsa.forEach((v, j) => { if (!Number.isFinite(v)) p.rsa[j] = means[i]!; }));
  for (let r = 0; r < d.ddg.length; r++) if (!Number.isFinite(d.rsa[r]!)) d.rsa[r] = d.proteins[d.protein[r]!]!.rsa[d.pos[r]!]!;
}

/**
 * Load ddg_mutations.csv.gz and sequences.fasta from `dir` (…/protein-stability).
 * @throws FileError when a file is missing; FormatError for a malformed one.
 */
export function loadStability(dir: string): StabilityData {
  const csvPath = join(dir, 'ddg_mutations.csv.gz');
  const fastaPath = join(dir, 'sequences.fasta');
  let raw: Uint8Array;
  try {
    raw = readFileSync(csvPath);
  } catch (e) {
    throw fileError(e, csvPath, 'the protein-stability mutation table (set --data-dir or RECUR_DATA_DIR)');
  }
  let bytes: Uint8Array;
  try {
    bytes = gunzipSync(raw);
  } catch (e) {
    throw new FormatError(csvPath, 'a gzip-compressed CSV file', (e as Error).message);
  }
  const records = readFastaSync(fastaPath, { alphabet: 'protein' });
  return parseStability(parseCsv(decodeText(bytes, csvPath, 'CSV'), { file: csvPath }), new Map(records.map((r) => [r.id, r.sequence.toUpperCase()])));
}

/** The mutation indices of dataset `name` ('D' or 'L'). */
export function rowsOf(d: StabilityData, name: string): number[] {
  const out: number[] = [];
  for (let r = 0; r < d.ddg.length; r++) if (d.proteins[d.protein[r]!]!.dataset === name) out.push(r);
  return out;
}
