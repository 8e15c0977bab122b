/**
 * Write two synthetic labelled DNA sets with known answers, for `recur train --task classify`:
 *   motif-fixed.fa   300 sequences of 30 nt; the "yes" half hold ACGTTGCA at position 10
 *                    (a task the position-aware one-hot LR solves);
 *   motif-any.csv    600 sequences of 24–40 nt; the "m" half hold ACGTTGCA anywhere, groups of 4
 *                    consecutive rows (a task one-hot LR cannot solve: the motif has two of each
 *                    base, so a sum of per-position weights barely sees it; k-mer counts can).
 * Usage: npx tsx examples/motif-data.ts [out-dir]   (default: the working directory; seed 0)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../src/index.js';

const MOTIF = 'ACGTTGCA';
const rng = new Rng(0);
const dna = (n: number): string => Array.from({ length: n }, () => 'ACGT'[rng.int(4)]!).join('');
const plant = (s: string, p: number): string => s.slice(0, p) + MOTIF + s.slice(p + MOTIF.length);

const out = process.argv[2] ?? '.';
const fixed = Array.from({ length: 300 }, (_, i) => `>f${i} label=${i % 2 ? 'yes' : 'no'}\n${i % 2 ? plant(dna(30), 10) : dna(30)}\n`);
writeFileSync(join(out, 'motif-fixed.fa'), fixed.join(''));
const any = Array.from({ length: 600 }, (_, i) => {
  const L = 24 + rng.int(17);
  const s = i % 2 ? plant(dna(L), rng.int(L - MOTIF.length + 1)) : dna(L);
  return `a${i},${s},${i % 2 ? 'm' : 'bg'},g${Math.floor(i / 4)}`;
});
writeFileSync(join(out, 'motif-any.csv'), `id,seq,cls,grp\n${any.join('\n')}\n`);
console.log(`wrote ${join(out, 'motif-fixed.fa')} and ${join(out, 'motif-any.csv')}`);
