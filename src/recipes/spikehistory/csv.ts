/**
 * A user's spike trains as CSV (columns stimulus and spike, one row per 1 ms bin; an optional
 * trial column groups consecutive rows into trials, each started from a fresh model state), and
 * what a saved run does with them: held-out bits/spike of every model (`recur eval --csv`) and
 * each model's per-bin λ (`recur predict`). The PSTH model only knows the run's own frozen
 * stimulus, so it is scored only on trials of that stimulus (T bins each); elsewhere it is n/a.
 */
import { FormatError, cellWhere, columnIndex, numericColumn, readCsvFile, type CsvTable } from '../../index.js';
import { glmRate, poissonLL } from './models.js';
import { rnnRate } from './rnn.js';
import type { Fitted } from './saved.js';

export interface SpikeCsv {
  file: string;
  trials: { id: string; s: Float64Array; y: Uint8Array }[];
}

function trialIds(t: CsvTable): string[] {
  if (!t.header.includes('trial')) return t.rows.map(() => '1');
  const j = columnIndex(t, 'trial');
  const ids = t.rows.map((r) => r[j]!.trim());
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (id === '') throw new FormatError(cellWhere(t, i, j), 'a trial label in column "trial"', 'an empty cell');
    if (i > 0 && id !== ids[i - 1] && seen.has(id)) throw new FormatError(cellWhere(t, i, j), `the rows of trial ${JSON.stringify(id)} together (in time order)`, 'the trial again after another one');
    seen.add(id);
  });
  return ids;
}

/** Read and check a spike-train CSV. @throws FormatError at `file:line:col` of the first bad cell. */
export function readSpikeCsv(path: string, shown = path): SpikeCsv {
  const t = readCsvFile(path, { file: shown });
  if (!t.rows.length) throw new FormatError(`${shown}:2:1`, 'rows of stimulus,spike (one per 1 ms bin)', 'a header only');
  const s = numericColumn(t, 'stimulus');
  const sp = numericColumn(t, 'spike');
  const js = columnIndex(t, 'stimulus');
  const jy = columnIndex(t, 'spike');
  s.forEach((v, i) => {
    if (Number.isNaN(v)) throw new FormatError(cellWhere(t, i, js), 'a number in column "stimulus"', 'an empty or missing cell');
  });
  sp.forEach((v, i) => {
    if (v !== 0 && v !== 1) throw new FormatError(cellWhere(t, i, jy), 'a spike count of 0 or 1 per 1 ms bin in column "spike"', JSON.stringify(t.rows[i]![jy]));
  });
  const ids = trialIds(t);
  const trials: SpikeCsv['trials'] = [];
  for (let a = 0; a < ids.length;) {
    let b = a;
    while (b < ids.length && ids[b] === ids[a]) b++;
    trials.push({ id: ids[a]!, s: s.slice(a, b), y: Uint8Array.from(sp.subarray(a, b)) });
    a = b;
  }
  return { file: shown, trials };
}

/** Whether a trial is the run's own stimulus (so the PSTH applies); CSV digits allow a small difference. */
function isRunStimulus(s: Float64Array, stim: Float64Array): boolean {
  return s.length === stim.length && s.every((v, i) => Math.abs(v - stim[i]!) < 1e-3);
}

/** λ per bin of each model for every trial of the CSV: PSTH (or null), GLM, each GRU seed. */
export function csvRates(f: Fitted, stim: Float64Array, d: SpikeCsv): { psth: Float64Array[] | null; glm: Float64Array[]; grus: Float64Array[][] } {
  const psthOk = d.trials.every((tr) => isRunStimulus(tr.s, stim));
  return {
    psth: psthOk ? d.trials.map(() => f.psth.rate) : null,
    glm: d.trials.map((tr) => glmRate(f.glm, tr.s, tr.y)),
    grus: f.grus.map((g) => d.trials.map((tr) => rnnRate(g.model, tr.s, tr.y))),
  };
}

export interface CsvScore {
  file: string;
  trials: number;
  bins: number;
  spikes: number;
  /** bits/spike per model (GRU: per seed); null for the PSTH off the run's stimulus. */
  models: { name: string; bitsPerSpike: number[] | null }[];
}

/** Bits/spike of every saved model on the CSV's trains, against the run's homogeneous training rate. */
export function scoreSpikeCsv(f: Fitted, stim: Float64Array, d: SpikeCsv): CsvScore {
  const bins = d.trials.reduce((a, tr) => a + tr.y.length, 0);
  const spikes = d.trials.reduce((a, tr) => a + tr.y.reduce((u, v) => u + v, 0), 0);
  if (!spikes) throw new FormatError(d.file, 'at least one spike (bits per spike divide by the spike count)', `no spikes in ${bins} bins`);
  const base = d.trials.reduce((a, tr) => a + poissonLL(tr.y, new Float64Array(tr.y.length).fill(f.baseRate)), 0);
  const bits = (rates: Float64Array[]): number => (d.trials.reduce((a, tr, i) => a + poissonLL(tr.y, rates[i]!), 0) - base) / (spikes * Math.LN2);
  const r = csvRates(f, stim, d);
  return {
    file: d.file, trials: d.trials.length, bins, spikes,
    models: [
      { name: 'PSTH (inhomogeneous Poisson)', bitsPerSpike: r.psth ? [bits(r.psth)] : null },
      { name: 'GLM (stimulus + spike-history filters)', bitsPerSpike: [bits(r.glm)] },
      { name: 'GRU + linear skip', bitsPerSpike: r.grus.map(bits) },
    ],
  };
}

/** Per-bin λ (expected spikes per 1 ms bin) of every model as CSV text. */
export function predictSpikeCsv(f: Fitted, stim: Float64Array, d: SpikeCsv): { csv: string; rows: number } {
  const r = csvRates(f, stim, d);
  const K = r.grus.length;
  const head = ['trial', 'bin', 'stimulus', 'spike', ...(r.psth ? ['psth'] : []), 'glm', ...r.grus.map((_, k) => `gru_${k + 1}`), 'gru_mean'];
  const lines = [head.join(',')];
  const g = (v: number): string => v.toPrecision(6);
  d.trials.forEach((tr, i) => {
    for (let t = 0; t < tr.y.length; t++) {
      const gr = r.grus.map((x) => x[i]![t]!);
      const mean = gr.reduce((a, v) => a + v, 0) / K;
      lines.push([tr.id, t, tr.s[t], tr.y[t], ...(r.psth ? [g(r.psth[i]![t]!)] : []), g(r.glm[i]![t]!), ...gr.map(g), g(mean)].join(','));
    }
  });
  return { csv: `${lines.join('\n')}\n`, rows: lines.length - 1 };
}
