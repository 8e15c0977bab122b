/**
 * Nested hyperparameter selection (`select`): inside each outer training fold, the candidates
 * are trained on the fold's fit part and compared on its inner validation split (the same split
 * early stopping watches); the test fold is never looked at.
 *
 * Protocol, per fold:
 * 1. one network per architecture of {@link SELECT_GRID} (pooling × hidden); the one with the
 *    lowest validation error wins (ties: lower validation loss, then grid order);
 * 2. two more networks of the winner; ensemble 3 (their averaged probabilities) replaces the
 *    single network only when its validation error is lower (ties: validation loss).
 * Cost: 6 networks per fold (4 candidates + 2 members) against the default's 3; two of the
 * candidates have H=16 and cost about a third of an H=32 network.
 */
import type { Pooling } from './model.js';
import { predictProbs, type Classifier, type EncodedSet } from './train.js';

/** The architectures compared per fold. */
export const SELECT_GRID: readonly { pooling: Pooling; hidden: number }[] = Object.freeze([
  { pooling: 'center', hidden: 16 }, { pooling: 'center', hidden: 32 }, { pooling: 'max', hidden: 16 }, { pooling: 'max', hidden: 32 },
]);

/** Ensemble sizes compared for the winning architecture. */
export const SELECT_ENSEMBLES: readonly number[] = Object.freeze([1, 3]);

/** What a fold's selection chose and the validation scores it chose from. */
export interface FoldSelection {
  pooling: Pooling;
  hidden: number;
  ensemble: number;
  /** Validation error (0–1) of the chosen model. */
  valError: number;
  candidates: { pooling: Pooling; hidden: number; ensemble: number; valError: number; valLoss: number }[];
  /** Checkpoint member indices (from 0) of the chosen networks. */
  members: number[];
}

function score(probs: Float64Array, labels: Int32Array): { valError: number; valLoss: number } {
  const C = probs.length / Math.max(1, labels.length);
  let wrong = 0;
  let loss = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = probs.subarray(i * C, (i + 1) * C);
    let arg = 0;
    for (let c = 1; c < C; c++) if (p[c]! > p[arg]!) arg = c;
    if (arg !== labels[i]) wrong += 1;
    loss -= Math.log(Math.max(p[labels[i]!]!, 1e-12));
  }
  return { valError: wrong / Math.max(1, labels.length), valLoss: loss / Math.max(1, labels.length) };
}

const better = (a: { valError: number; valLoss: number }, b: { valError: number; valLoss: number }): boolean =>
  a.valError < b.valError || (a.valError === b.valError && a.valLoss < b.valLoss);

/**
 * Run the protocol above. `train(m, arch)` trains (or reloads) checkpoint member m of the fold
 * with that architecture; null (a stop) ends the selection with null.
 */
export async function selectMembers<T extends { net: Classifier }>(
  valSet: EncodedSet, train: (m: number, arch: { pooling: Pooling; hidden: number }) => Promise<T | null>,
): Promise<{ chosen: T[]; selection: FoldSelection; networks: number } | null> {
  const candidates: FoldSelection['candidates'] = [];
  const first: { got: T; probs: Float64Array }[] = [];
  for (const [k, arch] of SELECT_GRID.entries()) {
    const got = await train(k, arch);
    if (!got) return null;
    const probs = predictProbs(got.net, valSet).probs;
    first.push({ got, probs });
    candidates.push({ ...arch, ensemble: 1, ...score(probs, valSet.labels) });
  }
  let w = 0;
  for (let k = 1; k < candidates.length; k++) if (better(candidates[k]!, candidates[w]!)) w = k;
  const arch = SELECT_GRID[w]!;
  const members = [w];
  const nets = [first[w]!.got];
  const avg = Float64Array.from(first[w]!.probs);
  const extra = SELECT_ENSEMBLES[SELECT_ENSEMBLES.length - 1]! - 1;
  for (let j = 0; j < extra; j++) {
    const m = SELECT_GRID.length + j;
    const got = await train(m, arch);
    if (!got) return null;
    members.push(m);
    nets.push(got);
    const p = predictProbs(got.net, valSet).probs;
    for (let i = 0; i < avg.length; i++) avg[i]! += p[i]!;
  }
  for (let i = 0; i < avg.length; i++) avg[i]! /= nets.length;
  const ens = { ...arch, ensemble: nets.length, ...score(avg, valSet.labels) };
  candidates.push(ens);
  const useEnsemble = better(ens, candidates[w]!);
  const chosen = useEnsemble ? nets : [nets[0]!];
  const selection: FoldSelection = {
    ...arch, ensemble: chosen.length, valError: useEnsemble ? ens.valError : candidates[w]!.valError, candidates, members: useEnsemble ? members : [w],
  };
  return { chosen, selection, networks: SELECT_GRID.length + extra };
}
