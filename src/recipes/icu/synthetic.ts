/**
 * Synthetic irregular series with informative missingness: the values are label-free noise,
 * only how often a variable is measured depends on the label (as sicker patients are measured
 * more often). A model that sees the mask and Δt (GRU-D) can read the label; one that sees
 * mean-imputed values only (GRU-Mean) mostly cannot.
 */
import { Rng } from '../../index.js';
import type { IrregularData, Stay } from './data.js';

export interface SyntheticIrregularOptions {
  n?: number;
  hours?: number;
  variables?: number;
  /** Hourly measurement probability for label 0 and label 1 (variable 0; the others at `baseRate`). */
  rates?: [number, number];
  baseRate?: number;
  seed?: number;
}

export function syntheticIrregular(opts: SyntheticIrregularOptions = {}): IrregularData {
  const n = opts.n ?? 400;
  const hours = opts.hours ?? 16;
  const V = opts.variables ?? 2;
  const [r0, r1] = opts.rates ?? [0.15, 0.45];
  const base = opts.baseRate ?? 0.3;
  const rng = new Rng(opts.seed ?? 1);
  const stays: Stay[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const obs: Stay['obs'] = [];
    for (let v = 0; v < V; v++) {
      const rate = v === 0 ? (label ? r1 : r0) : base;
      for (let h = 0; h < hours; h++) if (rng.random() < rate) obs.push({ t: h + rng.random() * 0.99, v, value: 50 + 10 * rng.normal() });
    }
    obs.push({ t: 0, v: 0, value: 50 + 10 * rng.normal() }); // every stay has at least one observation
    stays.push({ id: `s${i}`, obs: obs.sort((a, b) => a.t - b.t), statics: [rng.normal()], label });
  }
  return { variables: Array.from({ length: V }, (_, v) => `var${v}`), staticNames: ['noise'], categorical: {}, stays, hours };
}

/** The same data as long-format CSV text (id,time,variable,value) and labels CSV (id,label). */
export function toLongCsv(d: IrregularData): { csv: string; labels: string } {
  const rows = ['id,time,variable,value'];
  for (const s of d.stays) {
    rows.push(`${s.id},0,${d.staticNames[0]},${s.statics[0]!.toFixed(4)}`);
    for (const o of s.obs) rows.push(`${s.id},${o.t.toFixed(3)},${d.variables[o.v]},${o.value.toFixed(3)}`);
  }
  return { csv: rows.join('\n') + '\n', labels: ['id,label', ...d.stays.map((s) => `${s.id},${s.label}`)].join('\n') + '\n' };
}
