/**
 * The PhysioNet 2012 set-A runs of the ICU recipe (the same code as `recur train --preset physionet2012`),
 * split into processes by method so they can run side by side:
 *   npx tsx experiments/icu-physionet2012.ts OUT.json METHODS [epochs] [patience] [batchSize]
 * e.g. METHODS = logistic,logistic-mean,gru-mean,gru-forward,gru-simple  or  grud; FOLDS=0,1,2 runs only those folds
 */
import { DEFAULT_CONFIG, runIcu, type MethodKind } from '../src/recipes/icu/run.js';
import { loadPhysionet2012 } from '../src/recipes/icu/data.js';
import { saveResults } from '../src/recipes/icu/results-io.js';

const [out, methods, epochs, patience, batch] = process.argv.slice(2);
const dir = process.env['RECUR_DATA_DIR'] ?? '../shared/data/icu-physionet2012';
const t0 = Date.now();
const data = loadPhysionet2012(dir);
const cfg = { ...DEFAULT_CONFIG, methods: methods!.split(',') as MethodKind[], epochs: Number(epochs ?? DEFAULT_CONFIG.epochs), patience: Number(patience ?? DEFAULT_CONFIG.patience), batchSize: Number(batch ?? DEFAULT_CONFIG.batchSize),
  ...(process.env['FOLDS'] ? { onlyFolds: process.env['FOLDS'].split(',').map(Number) } : {}) };
// Saved after every fold result, so a stopped run keeps what it finished.
const r = runIcu(data, cfg, (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(0)} s] ${m}`), (_f, sofar) => saveResults(out!, sofar));
saveResults(out!, r);
console.log(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s → ${out}`);
