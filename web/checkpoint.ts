/**
 * Run a network saved by `recur train` (the splice task: fold-F.member-M.safetensors in the run
 * folder) on the splice data, in the page: decoded from the file's bytes, rebuilt from its metadata
 * with the recipe's own SpliceNet, evaluated on every sequence.
 */
import { FormatError, Rng, decodeCheckpoint, noGrad, type Tensor } from 'recur';
import { SpliceNet, type SpliceNetOptions } from '../src/recipes/splice/model.js';
import { SPLICE_CLASSES, gather, type SpliceSet } from './tasks.js';

export interface CheckpointRun {
  name: string;
  net: string;
  n: number;
  accuracy: number;
  perClass: { cls: string; n: number; correct: number }[];
  /** Logits of the first rows of the data, for comparison with the same network run in Node. */
  firstLogits: number[][];
}

interface MemberExtra { kind: 'splice-member'; classes: string[]; net: Omit<SpliceNetOptions, 'rng'> }

function memberExtra(extra: unknown, name: string): MemberExtra {
  const m = extra as Partial<MemberExtra> | undefined;
  if (m?.kind === 'splice-member' && typeof m.net === 'object' && m.net !== null && Array.isArray(m.classes) && m.classes.join() === SPLICE_CLASSES.join()) return m as MemberExtra;
  throw new FormatError(`${name}: __metadata__.extra`, 'a splice network saved by `recur train` (kind "splice-member", classes EI, IE, N)', JSON.stringify(extra)?.slice(0, 80) ?? 'none');
}

export function runSpliceCheckpoint(bytes: ArrayBuffer, name: string, d: SpliceSet): CheckpointRun {
  const ck = decodeCheckpoint(bytes, name);
  const meta = memberExtra(ck.extra, name);
  const net = new SpliceNet(4, 3, { ...meta.net, rng: new Rng(0) });
  net.loadStateDict(ck.model);
  net.eval();
  const perClass = SPLICE_CLASSES.map((cls) => ({ cls, n: 0, correct: 0 }));
  const firstLogits: number[][] = [];
  noGrad(() => {
    for (let at = 0; at < d.n; at += 256) {
      const idx = Array.from({ length: Math.min(256, d.n - at) }, (_, i) => at + i);
      const logits: Tensor = net.forward(gather(d.x, 60, d.n, 4, idx));
      idx.forEach((row, b) => {
        const z = Array.from(logits.data.subarray(b * 3, b * 3 + 3));
        if (firstLogits.length < 8) firstLogits.push(z);
        const c = perClass[d.labels[row]!]!;
        c.n++;
        if (z.indexOf(Math.max(...z)) === d.labels[row]) c.correct++;
      });
    }
  });
  const correct = perClass.reduce((a, c) => a + c.correct, 0);
  return { name, net: JSON.stringify(meta.net), n: d.n, accuracy: correct / d.n, perClass, firstLogits };
}
