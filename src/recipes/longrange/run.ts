/**
 * `runLongRange`: the accuracy-vs-distance sweep, as a curriculum. Each of `seeds` networks per
 * model is trained first at the shortest distance (`warmup` updates: learning the donor motif
 * and the pairing from scratch) and then, stage by stage, `updates` more at each longer d, in
 * order; after every stage it is scored on that d's held-out set (top-k accuracy and PR-AUC of
 * the acceptor). Every model gets the same budget (updates × batch fresh sequences per stage).
 * Beside accuracy: training speed per stage, the memory of one step at each d, and (recurrent
 * models, first seed) the gradient reaching the donor at each d.
 */
import { FormatError, Rng, ValueError, getBackend } from '../../index.js';
import { MAX_D, MIN_D, seqLength } from './generate.js';
import { CNN_RF, MODEL_KINDS, makeModel, type ModelKind } from './models.js';
import { flowProbe, memoryProbe, type FlowProbe, type MemoryProbe } from './probe.js';
import { scoreModel, testSet, trainStage } from './train.js';

export interface LongRangeSettings {
  distances: number[];
  models: ModelKind[];
  seeds: number;
  seed: number;
  /** Updates at the first (shortest) distance, and at every later one. */
  warmup: number;
  updates: number;
  batch: number;
  lr: number;
  testSize: number;
  /** Positive sequences per gradient-flow probe (0: none). */
  flowSequences: number;
}

/** The two documented sizes: `quick` for tests and smoke runs, `full` for the reported figures. */
export const MODES: Record<'quick' | 'full', Omit<LongRangeSettings, 'seed'>> = {
  quick: { distances: [40, 400], models: [...MODEL_KINDS], seeds: 1, warmup: 30, updates: 10, batch: 8, lr: 1e-2, testSize: 64, flowSequences: 2 },
  full: { distances: [100, 300, 1000, 3000, 10000], models: [...MODEL_KINDS], seeds: 3, warmup: 2000, updates: 60, batch: 8, lr: 1e-2, testSize: 100, flowSequences: 4 },
};

export interface CellResult {
  model: ModelKind;
  d: number;
  T: number;
  /** Per seed. */
  topK: number[];
  prAuc: number[];
  seqPerSec: number[];
  trainMs: number[];
  lossCurve: number[][];
  memory: MemoryProbe;
  flow: FlowProbe | null;
}

export interface LongRangeResult {
  /** False when stopped early (Ctrl-C): the cells hold what finished. */
  complete: boolean;
  settings: LongRangeSettings;
  params: Record<string, number>;
  describe: Record<string, string>;
  cnnReceptiveField: number;
  cells: CellResult[];
  timings: { totalMs: number; backend: string; maxRssMb: number };
}

export function checkSettings(s: LongRangeSettings): void {
  const bad = (what: string, got: unknown): never => {
    throw new ValueError(`longrange: ${what}`, what === 'distances' ? `integers in [${MIN_D}, ${MAX_D}]` : 'a positive integer', JSON.stringify(got));
  };
  if (!s.distances.length || s.distances.some((d) => !Number.isInteger(d) || d < MIN_D || d > MAX_D)) bad('distances', s.distances);
  for (const k of ['seeds', 'warmup', 'updates', 'batch', 'testSize'] as const) if (!Number.isInteger(s[k]) || s[k] < 1) bad(k, s[k]);
  if (!(s.lr > 0 && s.lr < 1)) throw new ValueError('longrange: lr', 'a learning rate in (0, 1)', String(s.lr));
  if (!s.models.length || s.models.some((m) => !MODEL_KINDS.includes(m))) throw new ValueError('longrange: models', `some of ${MODEL_KINDS.join(', ')}`, JSON.stringify(s.models));
}

export interface RunHooks {
  onProgress?: (line: string) => void;
  /** Polled between updates; true ends the run early (Ctrl-C). */
  stop?: () => boolean;
}

/**
 * Run the sweep. Seeds: the test set of distance d comes from (seed, d); network k of a model
 * from (seed, model, k), so adding a model leaves the others' numbers unchanged.
 * @example const r = await runLongRange({ ...MODES.quick, seed: 0 }); r.cells.map((c) => c.topK);
 */
export async function runLongRange(s: LongRangeSettings, hooks: RunHooks = {}): Promise<LongRangeResult> {
  checkSettings(s);
  const t0 = performance.now();
  const sub = (...keys: number[]): Rng => new Rng(keys.reduce((h, k) => (Math.imul(h ^ k, 0x9e3779b1) + 0x7f4a7c15) | 0, s.seed));
  const ds = [...s.distances].sort((a, b) => a - b);
  const tests = new Map(ds.map((d) => [d, testSet(d, s.testSize, Math.min(64, s.batch * 4), sub(1, d))]));
  const cells: CellResult[] = [];
  for (const kind of s.models) {
    const mk = MODEL_KINDS.indexOf(kind);
    const row = ds.map((d): CellResult => ({ model: kind, d, T: seqLength(d), topK: [], prAuc: [], seqPerSec: [], trainMs: [], lossCurve: [], memory: memoryProbe(kind, d, s.batch, sub(2, d, mk)), flow: null }));
    cells.push(...row);
    for (let k = 0; k < s.seeds; k++) {
      const rng = sub(3, mk, k);
      // Chrono T_max = the first stage's length: T_max = 10 k would start every gate near 1 (no
      // state change), and the networks did not learn the pairing at d = 100 in 1500 updates.
      const model = makeModel(kind, seqLength(ds[0]!), rng.fork());
      for (const [i, d] of ds.entries()) {
        if (hooks.stop?.()) return finish(false);
        const out = await trainStage(model, d, { updates: i ? s.updates : s.warmup, batch: s.batch, lr: s.lr }, rng.fork(), hooks.stop);
        const sc = scoreModel(model, tests.get(d)!);
        const c = row[i]!;
        c.topK.push(sc.topK);
        c.prAuc.push(sc.prAuc);
        c.seqPerSec.push(out.seqPerSec);
        c.trainMs.push(out.trainMs);
        c.lossCurve.push(out.lossCurve);
        if (k === 0 && s.flowSequences > 0 && kind.startsWith('bi')) c.flow = flowProbe(model, d, s.flowSequences, sub(4, d));
        hooks.onProgress?.(`${kind} seed ${k + 1}/${s.seeds}, d ${d}: top-k ${sc.topK.toFixed(3)}, PR-AUC ${sc.prAuc.toFixed(3)}, ${out.seqPerSec.toFixed(1)} seq/s`);
      }
    }
  }
  return finish(!hooks.stop?.());

  function finish(complete: boolean): LongRangeResult {
    const params: Record<string, number> = {};
    const describe: Record<string, string> = {};
    for (const kind of s.models) {
      const m = makeModel(kind, seqLength(ds[ds.length - 1]!), new Rng(0));
      params[kind] = m.numParameters();
      describe[kind] = m.describe;
    }
    return { complete, settings: s, params, describe, cnnReceptiveField: CNN_RF, cells, timings: { totalMs: performance.now() - t0, backend: getBackend().name, maxRssMb: process.resourceUsage().maxRSS / 1024 } };
  }
}

/**
 * One result from sweeps of disjoint model sets run apart (e.g. one process per model) with the
 * same settings otherwise. Each network's seed depends only on (seed, model, k), so the merged
 * cells equal those of one combined run; timings are per part (total = the longest part).
 * @param where names each part in errors (its run folder)
 */
export function mergeResults(parts: readonly LongRangeResult[], where: readonly string[]): LongRangeResult {
  const first = parts[0]!;
  const key = (r: LongRangeResult): string => JSON.stringify({ ...r.settings, models: [] });
  const models: ModelKind[] = [];
  parts.forEach((r, i) => {
    if (!r.complete) throw new FormatError(where[i]!, 'a finished longrange run', 'a stopped one');
    if (key(r) !== key(first)) throw new FormatError(where[i]!, `the settings of ${where[0]} apart from --models`, key(r));
    for (const m of r.settings.models) {
      if (models.includes(m)) throw new FormatError(where[i]!, 'models no other part has', `${m} twice`);
      models.push(m);
    }
  });
  const order = (m: ModelKind): number => MODEL_KINDS.indexOf(m);
  models.sort((a, b) => order(a) - order(b));
  return {
    complete: true,
    settings: { ...first.settings, models },
    params: Object.assign({}, ...parts.map((r) => r.params)),
    describe: Object.assign({}, ...parts.map((r) => r.describe)),
    cnnReceptiveField: first.cnnReceptiveField,
    cells: parts.flatMap((r) => r.cells.map((c) => ({ ...c, lossCurve: c.lossCurve ?? [] }))).sort((a, b) => order(a.model) - order(b.model) || a.d - b.d),
    timings: { totalMs: Math.max(...parts.map((r) => r.timings.totalMs)), backend: first.timings.backend, maxRssMb: Math.max(...parts.map((r) => r.timings.maxRssMb)) },
  };
}
