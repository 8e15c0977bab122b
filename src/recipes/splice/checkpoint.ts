/**
 * The saved networks of a splice run: one safetensors checkpoint per trained network,
 * `fold-<f>.member-<m>.safetensors` (1-based) in the run folder, written as soon as the network
 * is trained. The checkpoint's `extra` metadata (kind "splice-member") holds what rebuilding and
 * reusing it needs: the architecture, the class names, the input length and the training record
 * (best epoch, epochs run, history), so a resumed run reports exactly what an uninterrupted one would.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, Rng, loadCheckpointSync, resolveAlphabet, saveCheckpointSync, type AlphabetName, type JsonValue } from '../../index.js';
import { SpliceNet, type Pooling } from './model.js';
import type { EpochRecord } from './train.js';

/** The architecture of a splice network (SpliceNet options without the Rng). */
export interface SpliceNetSpec {
  cell: 'gru' | 'lstm';
  hidden: number;
  pooling: Pooling;
  convChannels: number;
  dropout: number;
}

/** What a member checkpoint's metadata holds. */
export interface MemberMeta {
  kind: 'splice-member';
  /** Fold and member, from 0. */
  fold: number;
  member: number;
  classes: string[];
  /** Input length in symbols (the longest, when the training sequences differ in length). */
  steps: number;
  /** The sequence alphabet (absent, as in runs from before it was recorded: DNA). */
  alphabet?: AlphabetName;
  net: SpliceNetSpec;
  bestEpoch: number;
  epochsRun: number;
  history: EpochRecord[];
}

/** Path of the checkpoint of fold `f`, member `m` (both from 0). */
export function memberFile(dir: string, f: number, m: number): string {
  return join(dir, `fold-${f + 1}.member-${m + 1}.safetensors`);
}

/** A new, untrained network of this architecture, for one-hot inputs of `inputSize` channels (4: DNA). */
export function buildNet(spec: SpliceNetSpec, rng: Rng, classes = 3, inputSize = 4, steps = 60): SpliceNet {
  return new SpliceNet(inputSize, classes, { rng, steps, ...spec });
}

/** Save a trained network with its metadata (atomically; non-finite losses become null). */
export function saveMember(path: string, net: SpliceNet, meta: MemberMeta): void {
  const extra = JSON.parse(JSON.stringify(meta, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))) as JsonValue;
  saveCheckpointSync(path, { model: net.stateDict(), extra });
}

function checkMeta(x: unknown, path: string): MemberMeta {
  const m = x as Partial<MemberMeta> | undefined;
  const ok = m?.kind === 'splice-member' && Number.isInteger(m.fold) && Number.isInteger(m.member) && Array.isArray(m.classes)
    && Number.isInteger(m.steps) && typeof m.net === 'object' && m.net !== null && Array.isArray(m.history) && Number.isInteger(m.bestEpoch);
  if (!ok) throw new FormatError(`${path}: __metadata__.extra`, 'the metadata of a splice network (kind "splice-member")', JSON.stringify(x)?.slice(0, 80) ?? 'none');
  return m as MemberMeta;
}

/**
 * Load a saved network: into `net` when given (resume, eval: the run rebuilt it), else into a
 * new one built from the metadata (predict).
 * @throws FormatError naming the file when it is missing, malformed, or not a splice network.
 */
export function loadMember(path: string, net?: SpliceNet): { net: SpliceNet; meta: MemberMeta } {
  if (!existsSync(path)) throw new FormatError(path, 'a saved network of this run', 'no such file');
  const ck = loadCheckpointSync(path);
  const meta = checkMeta(ck.extra, path);
  const target = net ?? buildNet(meta.net, new Rng(0), meta.classes.length, resolveAlphabet(meta.alphabet ?? 'dna').symbols.length, meta.steps);
  target.loadStateDict(ck.model);
  // JSON has no NaN: a non-finite loss was saved as null.
  meta.history = meta.history.map((h) => ({ ...h, trainLoss: h.trainLoss ?? NaN, valLoss: h.valLoss ?? NaN, valError: h.valError ?? NaN }));
  return { net: target, meta };
}
