/**
 * `recur predict` for spikefinder runs: spike rates for every neuron of a calcium file, in the
 * file's own layout (header 0..N-1, one row per 100 Hz sample, empty cells where the input is
 * padding). Each trace is normalised on its own and run through every final network of the run;
 * the rates (each network's scaled to spikes per sample on the training cells) are averaged over
 * the networks (one per seed).
 */
import { join } from 'node:path';
import { FormatError, writeFileAtomicSync } from '../../index.js';
import { readJson } from '../common/index.js';
import { normalise, readTraces, tracesCsv } from './data.js';
import { predictTrace, type NetSpec } from './model.js';
import { loadFinalNets } from './run.js';

/** What a finished run stores about its final networks (metrics.json). */
interface RunModel { spec: NetSpec; seeds: number }

function runModel(dir: string): RunModel {
  const path = join(dir, 'metrics.json');
  const m = readJson(path) as { model?: Partial<RunModel> };
  const s = m.model;
  if (!s || typeof s.spec !== 'object' || !Number.isInteger(s.seeds)) throw new FormatError(`${path}: "model"`, 'the final network spec and seed count of a spikefinder run', JSON.stringify(s)?.slice(0, 80) ?? 'none');
  return s as RunModel;
}

/** Predict the spike rates of every neuron in `calciumPath`; write them to `out` when given. */
export function predictSpikefinderRun(dir: string, calciumPath: string, out?: string): { csv: string; rows: number; neurons: number } {
  const { spec, seeds } = runModel(dir);
  const nets = loadFinalNets(dir, spec, seeds);
  const file = readTraces(calciumPath);
  const preds = file.traces.map((y) => {
    const x = normalise(y);
    const sum = new Float64Array(y.length);
    for (const { net, scale } of nets) predictTrace(net, x).forEach((v, t) => (sum[t] += (scale * v) / nets.length));
    return sum;
  });
  const csv = tracesCsv(preds, file.rows);
  if (out) writeFileAtomicSync(out, csv);
  return { csv, rows: file.rows, neurons: preds.length };
}
