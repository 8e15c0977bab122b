/**
 * The synthetic long-range splice-pairing task (APPLICATIONS.md §7, "suggested goals").
 *
 * Every sequence has the same layout, T = d + LEAD + ACCEPTOR.length + EXON nucleotides:
 *
 *   [background … donor-or-decoy (8 nt) … background … ACCEPTOR (pyrimidine tract + AG) | exon (16 nt)]
 *
 * - The scored site is the acceptor's G (index `acceptorIndex(d)`), always the same motif, so
 *   nothing near it tells a positive from a negative.
 * - Positive (label 1): the consensus donor DONOR = GT + AAGTAT starts `dist` nt upstream of
 *   that G, dist uniform in [⌈d/2⌉, d].
 * - Negative (label 0, a decoy acceptor): a decoy donor, GT + a random 6-mer at Hamming distance
 *   ≥ 2 from AAGTAT, at the same kind of distance. Both classes thus carry one planted GT-motif
 *   at distance d/2…d; only its 6-mer says whether the acceptor is paired.
 * - Background: i.i.d. uniform A/C/G/T; accidental copies of DONOR are broken (one base changed),
 *   so the planted motif is the only consensus donor in a sequence. Plenty of GT dinucleotides
 *   and 1-mismatch donors remain as background decoys.
 * A model must therefore detect the donor and carry that bit over d/2…d steps to the acceptor;
 * a convolution whose receptive field ends before the donor sees the same input in both classes.
 * Classes are balanced (each sequence positive with probability 1/2). Same seed → same data.
 */
import { Rng, ValueError } from '../../index.js';

export const DONOR = 'GTAAGT';
export const ACCEPTOR = 'TTCCTTTCTCAG';
/** Exon nucleotides after the acceptor, and background before the farthest donor. */
export const EXON = 16;
export const LEAD = 8;
/** d/2 must clear the acceptor motif (12 nt) and the donor (8 nt). */
export const MIN_D = 40;
export const MAX_D = 100_000;
const BASES = 'ACGT';
const code = (s: string): Uint8Array => Uint8Array.from(s, (c) => BASES.indexOf(c));
const DONOR_CODE = code(DONOR);
const ACCEPTOR_CODE = code(ACCEPTOR);

export interface SpliceBatch {
  /** Pairing distance d the batch was drawn for. */
  d: number;
  /** Sequence length T and batch size B. */
  T: number;
  B: number;
  /** Bases 0..3 (A, C, G, T), sequence-major (B, T). */
  bases: Uint8Array;
  /** 1 = paired acceptor (true donor upstream), 0 = decoy acceptor. */
  labels: Uint8Array;
  /** Distance from the planted donor's G to the acceptor's G, per sequence. */
  dist: Int32Array;
  /** Per-position donor labels, time-major (T, B): 1 at the last base of the consensus donor. */
  donor: Uint8Array;
}

export const seqLength = (d: number): number => LEAD + d + ACCEPTOR.length + EXON;
/** Index of the acceptor's G (the last base of AG), the position every model scores. */
export const acceptorIndex = (d: number): number => LEAD + d + ACCEPTOR.length - 1;

function isDonorAt(s: Uint8Array, i: number): boolean {
  for (let k = 0; k < DONOR_CODE.length; k++) if (s[i + k] !== DONOR_CODE[k]) return false;
  return true;
}

function decoyTail(rng: Rng): Uint8Array {
  for (;;) {
    const tail = Uint8Array.from({ length: DONOR_CODE.length - 2 }, () => rng.int(4));
    let mismatches = 0;
    for (let k = 0; k < tail.length; k++) if (tail[k] !== DONOR_CODE[k + 2]) mismatches++;
    if (mismatches >= 2) return tail;
  }
}

/** One sequence into `s` (length T); returns the planted motif's distance. */
function fillSequence(s: Uint8Array, d: number, positive: boolean, rng: Rng): number {
  const T = s.length;
  for (let t = 0; t < T; t++) s[t] = rng.int(4);
  const g = acceptorIndex(d);
  const acc = g - ACCEPTOR.length + 1;
  s.set(ACCEPTOR_CODE, acc);
  const lo = Math.ceil(d / 2);
  const dist = lo + rng.int(d - lo + 1);
  const at = g - dist;
  s.set(positive ? DONOR_CODE : [DONOR_CODE[0]!, DONOR_CODE[1]!, ...decoyTail(rng)], at);
  const fixed = (j: number): boolean => (j >= at && j < at + DONOR_CODE.length) || (j >= acc && j <= g);
  // Break every other consensus donor at a base outside the planted motifs (a change can make a
  // new one nearby, hence the rescan).
  for (let changed = true; changed;) {
    changed = false;
    for (let i = 0; i + DONOR_CODE.length <= T; i++) {
      if (i === at || !isDonorAt(s, i)) continue;
      let j = i;
      while (fixed(j)) j++;
      s[j] = (s[j]! + 1) % 4;
      changed = true;
    }
  }
  return dist;
}

/**
 * A batch of B sequences for pairing distance d.
 * @example const b = spliceBatch(1000, 16, new Rng(0)); // b.bases (16 × 1036), b.labels
 */
export function spliceBatch(d: number, B: number, rng: Rng): SpliceBatch {
  if (!Number.isInteger(d) || d < MIN_D || d > MAX_D) throw new ValueError('longrange: d', `an integer pairing distance in [${MIN_D}, ${MAX_D}]`, String(d));
  if (!Number.isInteger(B) || B < 1) throw new ValueError('longrange: batch', 'a positive integer', String(B));
  const T = seqLength(d);
  const bases = new Uint8Array(B * T);
  const labels = new Uint8Array(B);
  const dist = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    labels[b] = rng.random() < 0.5 ? 1 : 0;
    dist[b] = fillSequence(bases.subarray(b * T, (b + 1) * T), d, labels[b] === 1, rng);
  }
  const donor = new Uint8Array(T * B);
  const g = acceptorIndex(d);
  for (let b = 0; b < B; b++) if (labels[b]) donor[(g - dist[b]! + DONOR.length - 1) * B + b] = 1;
  return { d, T, B, bases, labels, dist, donor };
}

/** One-hot, time-major (T, B, 4) float32, the input every model reads. */
export function oneHot(batch: SpliceBatch): Float32Array {
  const { T, B, bases } = batch;
  const x = new Float32Array(T * B * 4);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) x[(t * B + b) * 4 + bases[b * T + t]!] = 1;
  return x;
}

/** The sequence of row b as a string (for tests and examples). */
export function sequenceText(batch: SpliceBatch, b: number): string {
  let out = '';
  for (let t = 0; t < batch.T; t++) out += BASES[batch.bases[b * batch.T + t]!];
  return out;
}
