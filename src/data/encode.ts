/**
 * Alphabets and sequence encodings for biological and character sequences: DNA, RNA, protein
 * (IUPAC) and custom character vocabularies; one-hot (fractional for ambiguity codes), index
 * encoding for `Embedding`, and k-mer count vectors.
 *
 * Legend: L sequence length, K alphabet size (canonical symbols), B batch, T longest length.
 *
 * The ambiguity rule (one rule for one-hot and k-mers): an ambiguity code that stands for m
 * canonical symbols is the uniform mixture of them, so its one-hot row puts 1/m on each
 * (DNA `R` = A/G → A 0.5, G 0.5; `N` → 0.25 each; protein `X` → 1/20 each). A k-mer holding
 * ambiguity codes adds the product of those weights to every k-mer it expands to, so each
 * window still contributes a total count of 1. Index encoding gives every accepted symbol,
 * ambiguity codes included, its own id (an `Embedding` learns what `N` means).
 */
import { Tensor } from '../tensor/tensor.js';
import { allocBuf } from '../tensor/create.js';
import type { DType } from '../tensor/tensor.js';
import { OptionError, ValueError } from '../util/errors.js';

/** The built-in alphabets. */
export type AlphabetName = 'dna' | 'rna' | 'protein';

/**
 * A sequence alphabet: canonical symbols (the one-hot channels, in order) and ambiguity codes
 * mapped to the canonical symbols they stand for.
 */
export interface Alphabet {
  readonly name: string;
  /** Canonical symbols, one per one-hot channel (K = symbols.length). */
  readonly symbols: string;
  /** Ambiguity code → the canonical symbols it stands for (uniform weights). */
  readonly ambiguity: Readonly<Record<string, string>>;
  /** Upper-case lower-case input before lookup (true for dna/rna/protein: soft-masked bases). */
  readonly caseInsensitive: boolean;
  /** What a violation message calls a valid symbol, e.g. "a DNA symbol (ACGT or IUPAC code)". */
  readonly describe: string;
}

const NUC_CODES = { R: 'AG', Y: 'CT', S: 'CG', W: 'AT', K: 'GT', M: 'AC', B: 'CGT', D: 'AGT', H: 'ACT', V: 'ACG', N: 'ACGT' };

/** DNA: A C G T; IUPAC codes R Y S W K M B D H V N. */
export const DNA: Alphabet = Object.freeze({
  name: 'dna', symbols: 'ACGT', ambiguity: Object.freeze({ ...NUC_CODES }), caseInsensitive: true,
  describe: 'a DNA symbol (A, C, G, T or an IUPAC code R Y S W K M B D H V N)',
});

/** RNA: A C G U; the IUPAC codes with U for T. */
export const RNA: Alphabet = Object.freeze({
  name: 'rna', symbols: 'ACGU',
  ambiguity: Object.freeze(Object.fromEntries(Object.entries(NUC_CODES).map(([k, v]) => [k, v.replace('T', 'U')]))),
  caseInsensitive: true,
  describe: 'an RNA symbol (A, C, G, U or an IUPAC code R Y S W K M B D H V N)',
});

const AMINO = 'ACDEFGHIKLMNPQRSTVWY';

/**
 * Protein: the 20 standard amino acids; B = D/N, Z = E/Q, J = I/L, X = any; the rare
 * selenocysteine U is read as C and pyrrolysine O as K (single-symbol "codes").
 */
export const PROTEIN: Alphabet = Object.freeze({
  name: 'protein', symbols: AMINO,
  ambiguity: Object.freeze({ B: 'DN', Z: 'EQ', J: 'IL', X: AMINO, U: 'C', O: 'K' }),
  caseInsensitive: true,
  describe: 'an amino-acid symbol (the 20 standard letters or B, Z, J, X, U, O)',
});

/**
 * A custom character vocabulary (case-sensitive unless asked), e.g. for text or SMILES.
 * @example const abc = customAlphabet('abc', { ambiguity: { '?': 'abc' } });
 */
export function customAlphabet(chars: string, opts: { ambiguity?: Record<string, string>; caseInsensitive?: boolean; name?: string } = {}): Alphabet {
  const where = 'customAlphabet';
  for (const k of Object.keys(opts)) {
    if (!['ambiguity', 'caseInsensitive', 'name'].includes(k)) throw new OptionError(where, 'options among {ambiguity, caseInsensitive, name}', `unknown option '${k}'`);
  }
  const ci = opts.caseInsensitive ?? false;
  const norm = (s: string): string => (ci ? s.toUpperCase() : s);
  const symbols = [...norm(chars)];
  if (symbols.length === 0) throw new ValueError(where, 'at least one symbol', 'an empty string');
  if (new Set(symbols).size !== symbols.length) throw new ValueError(where, 'distinct symbols', JSON.stringify(chars));
  const amb: Record<string, string> = {};
  for (const [code, means] of Object.entries(opts.ambiguity ?? {})) {
    const c = norm(code);
    if ([...c].length !== 1 || symbols.includes(c)) throw new ValueError(where, 'ambiguity codes of one character outside the symbols', JSON.stringify(code));
    const m = [...norm(means)];
    if (m.length === 0 || m.some((s) => !symbols.includes(s))) throw new ValueError(where, `ambiguity code '${code}' to stand for symbols of ${JSON.stringify(chars)}`, JSON.stringify(means));
    amb[c] = m.join('');
  }
  return Object.freeze({
    name: opts.name ?? 'custom', symbols: symbols.join(''), ambiguity: Object.freeze(amb), caseInsensitive: ci,
    describe: `one of ${JSON.stringify(symbols.join('') + Object.keys(amb).join(''))}`,
  });
}

/** The alphabet named, or the one given. */
export function resolveAlphabet(a: AlphabetName | Alphabet): Alphabet {
  if (typeof a === 'object') return a;
  if (a === 'dna') return DNA;
  if (a === 'rna') return RNA;
  if (a === 'protein') return PROTEIN;
  throw new ValueError('alphabet', '"dna", "rna", "protein" or an Alphabet', JSON.stringify(a));
}

/** Per-alphabet lookup tables, built once. */
interface Tables {
  /** char → weights over the K symbols (a canonical symbol is a unit vector). */
  weights: Map<string, Float64Array>;
  /** char → index id (1-based; 0 is padding). */
  ids: Map<string, number>;
  tokens: string[];
}

const TABLES = new WeakMap<Alphabet, Tables>();

function tables(a: Alphabet): Tables {
  let t = TABLES.get(a);
  if (t) return t;
  const K = a.symbols.length;
  const weights = new Map<string, Float64Array>();
  const tokens = ['<pad>'];
  const ids = new Map<string, number>();
  [...a.symbols].forEach((s, i) => {
    const w = new Float64Array(K);
    w[i] = 1;
    weights.set(s, w);
  });
  for (const [code, means] of Object.entries(a.ambiguity)) {
    const w = new Float64Array(K);
    for (const s of means) w[a.symbols.indexOf(s)]! += 1 / means.length;
    weights.set(code, w);
  }
  for (const s of weights.keys()) {
    ids.set(s, tokens.length);
    tokens.push(s);
  }
  t = { weights, ids, tokens };
  TABLES.set(a, t);
  return t;
}

/** The character as looked up (upper-cased for case-insensitive alphabets). */
function key(a: Alphabet, ch: string): string {
  return a.caseInsensitive ? ch.toUpperCase() : ch;
}

const ASCII = new WeakMap<Alphabet, Uint8Array>();

/** 128 flags: 1 where the ASCII code is a symbol or code of `a` (fast validation of text). */
export function asciiSymbols(a: Alphabet): Uint8Array {
  let t = ASCII.get(a);
  if (!t) {
    t = new Uint8Array(128);
    for (let c = 0; c < 128; c++) t[c] = isSymbol(a, String.fromCharCode(c)) ? 1 : 0;
    ASCII.set(a, t);
  }
  return t;
}

/** True when `ch` (one character) is a canonical symbol or an ambiguity code of `a`. */
export function isSymbol(a: Alphabet, ch: string): boolean {
  return tables(a).weights.has(key(a, ch));
}

/** String (UTF-16) index of the first character of `seq` outside the alphabet, or −1. */
export function firstInvalid(seq: string, alphabet: AlphabetName | Alphabet): number {
  const a = resolveAlphabet(alphabet);
  const w = tables(a).weights;
  let i = 0;
  for (const ch of seq) {
    if (!w.has(key(a, ch))) return i;
    i += ch.length;
  }
  return -1;
}

function weightsOf(a: Alphabet, ch: string, where: string, pos: number): Float64Array {
  const w = tables(a).weights.get(key(a, ch));
  if (!w) throw new ValueError(where, a.describe, `'${ch}' at position ${pos}`);
  return w;
}

/**
 * One-hot rows (L, K), ambiguity codes as fractional rows (see the file comment).
 * @example oneHot('AR', 'dna') // [1,0,0,0, 0.5,0,0.5,0]
 */
export function oneHot(seq: string, alphabet: AlphabetName | Alphabet, opts: { dtype?: DType } = {}): Float32Array | Float64Array {
  const a = resolveAlphabet(alphabet);
  const K = a.symbols.length;
  const chars = [...seq];
  const out = allocBuf(opts.dtype ?? 'float32', chars.length * K);
  chars.forEach((ch, t) => out.set(weightsOf(a, ch, 'oneHot', t), t * K));
  return out;
}

/** The result of {@link oneHotBatch}. */
export interface EncodedBatch {
  /** (T, B, K), or (B, T, K) when batchFirst; padding rows are zero. */
  x: Tensor;
  /** (B) sequence lengths. */
  lengths: Int32Array;
}

/**
 * One-hot encode B sequences into one padded tensor for a recurrent layer.
 * @example const { x, lengths } = oneHotBatch(['ACGT', 'AC'], 'dna'); // x (4, 2, 4)
 */
export function oneHotBatch(seqs: readonly string[], alphabet: AlphabetName | Alphabet, opts: { batchFirst?: boolean; dtype?: DType } = {}): EncodedBatch {
  const a = resolveAlphabet(alphabet);
  const K = a.symbols.length;
  const B = seqs.length;
  if (B === 0) throw new ValueError('oneHotBatch', 'at least one sequence', 'none');
  const rows = seqs.map((s) => [...s]);
  const lengths = Int32Array.from(rows, (r) => r.length);
  const T = Math.max(...lengths);
  const x = allocBuf(opts.dtype ?? 'float32', T * B * K);
  const bf = opts.batchFirst ?? false;
  rows.forEach((r, b) => r.forEach((ch, t) => x.set(weightsOf(a, ch, `oneHotBatch: sequence ${b}`, t), (bf ? b * T + t : t * B + b) * K)));
  return { x: new Tensor(x, bf ? [B, T, K] : [T, B, K]), lengths };
}

/**
 * The token list of index encoding: `tokens[0]` is `<pad>`, then the canonical symbols, then
 * the ambiguity codes (the vocabulary size for `Embedding` is `tokens.length`).
 */
export function vocabulary(alphabet: AlphabetName | Alphabet): readonly string[] {
  return tables(resolveAlphabet(alphabet)).tokens;
}

/**
 * Index encoding (L) for `Embedding`: ids from {@link vocabulary}, 0 reserved for padding.
 * @example indexEncode('ACN', 'dna') // Int32Array [1, 2, 15]
 */
export function indexEncode(seq: string, alphabet: AlphabetName | Alphabet): Int32Array {
  const a = resolveAlphabet(alphabet);
  const ids = tables(a).ids;
  const chars = [...seq];
  return Int32Array.from(chars, (ch, t) => {
    const id = ids.get(key(a, ch));
    if (id === undefined) throw new ValueError('indexEncode', a.describe, `'${ch}' at position ${t}`);
    return id;
  });
}

/** The K^k k-mers of an alphabet in the order of {@link kmerCounts} (lexicographic by symbol order). */
export function kmerNames(k: number, alphabet: AlphabetName | Alphabet): string[] {
  const a = resolveAlphabet(alphabet);
  checkK('kmerNames', k);
  let out = [''];
  for (let j = 0; j < k; j++) out = out.flatMap((p) => [...a.symbols].map((s) => p + s));
  return out;
}

function checkK(where: string, k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > 8) throw new ValueError(where, 'k an integer in [1, 8]', String(k));
}

/**
 * Counts of the K^k overlapping k-mers of `seq` (L − k + 1 windows; fewer than k symbols → all
 * zeros). A window with ambiguity codes is spread over its expansions (see the file comment).
 * With `normalize`, counts are divided by the number of windows (frequencies).
 * @example kmerCounts('ACGA', 2, 'dna') // AC, CG, GA → 1 each, in kmerNames(2, 'dna') order
 */
export function kmerCounts(seq: string, k: number, alphabet: AlphabetName | Alphabet, opts: { normalize?: boolean } = {}): Float64Array {
  const a = resolveAlphabet(alphabet);
  checkK('kmerCounts', k);
  const K = a.symbols.length;
  const rows = [...seq].map((ch, t) => weightsOf(a, ch, 'kmerCounts', t));
  const out = new Float64Array(K ** k);
  const windows = rows.length - k + 1;
  for (let s = 0; s < windows; s++) {
    // Expand the window: a small list of (k-mer index, weight) pairs, one symbol at a time.
    let idx = [0];
    let wts = [1];
    for (let j = 0; j < k; j++) {
      const w = rows[s + j]!;
      const nIdx: number[] = [];
      const nW: number[] = [];
      for (let c = 0; c < K; c++) {
        if (w[c] === 0) continue;
        for (let p = 0; p < idx.length; p++) {
          nIdx.push(idx[p]! * K + c);
          nW.push(wts[p]! * w[c]!);
        }
      }
      idx = nIdx;
      wts = nW;
    }
    for (let p = 0; p < idx.length; p++) out[idx[p]!]! += wts[p]!;
  }
  if (opts.normalize && windows > 0) for (let i = 0; i < out.length; i++) out[i]! /= windows;
  return out;
}

/**
 * k-mer count features for several k, concatenated, for every sequence: (N, Σ K^k).
 * @example const X = kmerFeatures(seqs, [1, 2, 3], 'dna'); // (N, 4 + 16 + 64)
 */
export function kmerFeatures(seqs: readonly string[], ks: readonly number[], alphabet: AlphabetName | Alphabet, opts: { normalize?: boolean; dtype?: DType } = {}): Tensor {
  const a = resolveAlphabet(alphabet);
  const K = a.symbols.length;
  if (ks.length === 0) throw new ValueError('kmerFeatures', 'at least one k', '[]');
  ks.forEach((k) => checkK('kmerFeatures', k));
  const D = ks.reduce((s, k) => s + K ** k, 0);
  const out = allocBuf(opts.dtype ?? 'float32', seqs.length * D);
  seqs.forEach((s, n) => {
    let off = n * D;
    for (const k of ks) {
      out.set(kmerCounts(s, k, a, { normalize: opts.normalize }), off);
      off += K ** k;
    }
  });
  return new Tensor(out, [seqs.length, D]);
}
