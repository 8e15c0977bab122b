/**
 * The fitted models of a spike-history run, as files in its run folder: models.json (the PSTH
 * rate and width, the GLM's weights, the training mean rate) and gru-K.safetensors (GRU seed K's
 * weights, with its shape and fit summary in the checkpoint's extra). A resumed run reuses the
 * files it finds; `recur eval` and `recur predict` read them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, Rng, loadCheckpointSync, saveCheckpointSync } from '../../index.js';
import { readJson, writeJson } from '../common/index.js';
import { historyBasis, type Glm } from './models.js';
import { SpikeRnn, type SpikeRnnShape } from './rnn.js';

export interface FittedGru {
  model: SpikeRnn;
  bestEpoch: number;
  valNll: number;
  /** Validation NLL per bin of each hidden size tried (the lowest was kept). */
  candidates: { hidden: number; valNll: number }[];
}

export interface Fitted {
  psth: { sigma: number; rate: Float64Array };
  glm: Glm;
  /** Training trials' mean spike count per bin (the homogeneous baseline of bits/spike). */
  baseRate: number;
  grus: FittedGru[];
}

const MODELS = 'models.json';
const gruFile = (dir: string, k: number): string => join(dir, `gru-${k + 1}.safetensors`);

/** The GLM rebuilt from its weights (the basis is fixed). */
export function glmOf(D: number, beta: readonly number[]): Glm {
  const basis = historyBasis();
  const history = new Float64Array(basis[0]!.length);
  for (let l = 1; l < history.length; l++) for (let b = 0; b < basis.length; b++) history[l]! += beta[D + b]! * basis[b]![l]!;
  return { D, beta: Float64Array.from(beta), basis, history };
}

export function saveBaselines(dir: string, f: Omit<Fitted, 'grus'>): void {
  writeJson(join(dir, MODELS), { psth: { sigma: f.psth.sigma, rate: [...f.psth.rate] }, glm: { D: f.glm.D, beta: [...f.glm.beta] }, baseRate: f.baseRate });
}

/** The saved PSTH, GLM and base rate, or null when the run has not saved them yet. */
export function loadBaselines(dir: string): Omit<Fitted, 'grus'> | null {
  const path = join(dir, MODELS);
  if (!existsSync(path)) return null;
  const j = readJson(path) as { psth?: { sigma?: unknown; rate?: unknown }; glm?: { D?: unknown; beta?: unknown }; baseRate?: unknown };
  const nums = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  const D = j.glm?.D;
  if (!nums(j.psth?.rate) || typeof j.psth?.sigma !== 'number' || typeof D !== 'number' || !nums(j.glm?.beta) || j.glm.beta.length !== D + historyBasis().length + 1 || typeof j.baseRate !== 'number') {
    throw new FormatError(path, 'the fitted PSTH {sigma, rate}, GLM {D, beta} and baseRate written by recur train', 'a file missing one of them or with wrong lengths');
  }
  return { psth: { sigma: j.psth.sigma, rate: Float64Array.from(j.psth.rate) }, glm: glmOf(D, j.glm.beta), baseRate: j.baseRate };
}

export function saveGru(dir: string, k: number, g: FittedGru): void {
  const extra = { shape: { ...g.model.shape }, bestEpoch: g.bestEpoch, valNll: g.valNll, candidates: g.candidates };
  saveCheckpointSync(gruFile(dir, k), { model: g.model.stateDict(), extra });
}

/** GRU seed k as saved, or null when that seed has not finished. */
export function loadGru(dir: string, k: number): FittedGru | null {
  const path = gruFile(dir, k);
  if (!existsSync(path)) return null;
  const ck = loadCheckpointSync(path);
  const x = ck.extra as { shape?: SpikeRnnShape; bestEpoch?: number; valNll?: number; candidates?: FittedGru['candidates'] } | undefined;
  const sh = x?.shape;
  if (!sh || ![sh.hidden, sh.stimLags, sh.spikeLags].every((v) => Number.isInteger(v) && v >= 1) || typeof x.valNll !== 'number') {
    throw new FormatError(path, 'a GRU checkpoint with its shape {hidden, stimLags, spikeLags} and fit summary', JSON.stringify(x ?? null).slice(0, 120));
  }
  const model = new SpikeRnn(sh, new Rng(0));
  model.loadStateDict(ck.model);
  return { model, bestEpoch: x.bestEpoch ?? -1, valNll: x.valNll, candidates: x.candidates ?? [] };
}

/** Every saved GRU seed of a finished run (gru-1, gru-2, … until one is missing). */
export function loadAllGrus(dir: string): FittedGru[] {
  const out: FittedGru[] = [];
  for (let k = 0; ; k++) {
    const g = loadGru(dir, k);
    if (!g) return out;
    out.push(g);
  }
}
