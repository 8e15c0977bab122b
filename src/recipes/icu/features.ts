/**
 * Per-fold preprocessing, fitted on the training stays only: winsorised z-scores for the time
 * series, encoded static descriptors, and the GRU-D inputs (mask, Δt, last observation).
 */
import type { Binned, IrregularData, Stay } from './data.js';

/** Per-variable clipping bounds and z-score parameters (training stays only). */
export interface Scaler { lo: Float64Array; hi: Float64Array; mean: Float64Array; std: Float64Array }

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const p = q * (sorted.length - 1);
  const i = Math.floor(p);
  return sorted[i]! + (sorted[Math.min(i + 1, sorted.length - 1)]! - sorted[i]!) * (p - i);
}

/** Clip at the training stays' 0.5th/99.5th percentiles, then z-score with the clipped mean/std. */
export function fitScaler(stays: readonly Stay[], train: readonly number[], V: number): Scaler {
  const vals: number[][] = Array.from({ length: V }, () => []);
  for (const i of train) for (const o of stays[i]!.obs) vals[o.v]!.push(o.value);
  const s: Scaler = { lo: new Float64Array(V), hi: new Float64Array(V), mean: new Float64Array(V), std: new Float64Array(V) };
  for (let v = 0; v < V; v++) {
    const sorted = Float64Array.from(vals[v]!).sort();
    const lo = quantile(sorted, 0.005);
    const hi = quantile(sorted, 0.995);
    let sum = 0;
    let sq = 0;
    for (const x of sorted) { const c = Math.min(hi, Math.max(lo, x)); sum += c; sq += c * c; }
    const n = sorted.length;
    const mean = n ? sum / n : 0;
    const sd = n > 1 ? Math.sqrt(Math.max(0, sq / n - mean * mean)) : 1;
    s.lo[v] = n ? lo : -Infinity;
    s.hi[v] = n ? hi : Infinity;
    s.mean[v] = mean;
    s.std[v] = sd > 1e-12 ? sd : 1;
  }
  return s;
}

export function scaleValue(s: Scaler, v: number, x: number): number {
  return (Math.min(s.hi[v]!, Math.max(s.lo[v]!, x)) - s.mean[v]!) / s.std[v]!;
}

/**
 * Static descriptors as a feature matrix: numeric ones z-scored on the training stays with
 * missing → 0 plus a missing indicator; categorical ones one-hot (all zeros when missing).
 * @param names which descriptors to use (default all)
 */
export function staticMatrix(data: IrregularData, train: readonly number[], names = data.staticNames): { cols: string[]; rows: Float64Array[] } {
  const cols: string[] = [];
  const enc: ((s: Stay) => number[])[] = [];
  for (const name of names) {
    const j = data.staticNames.indexOf(name);
    if (j < 0) continue;
    const cats = data.categorical[name];
    if (cats) {
      cols.push(...cats.map((c) => `${name}=${c}`));
      enc.push((s) => cats.map((c) => (s.statics[j] === c ? 1 : 0)));
      continue;
    }
    const xs = train.map((i) => data.stays[i]!.statics[j]!).filter((x) => !Number.isNaN(x));
    const mean = xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length)) || 1;
    const anyMissing = data.stays.some((s) => Number.isNaN(s.statics[j]!));
    cols.push(name, ...(anyMissing ? [`${name} missing`] : []));
    enc.push((s) => {
      const x = s.statics[j]!;
      const z = Number.isNaN(x) ? 0 : Math.max(-5, Math.min(5, (x - mean) / sd));
      return anyMissing ? [z, Number.isNaN(x) ? 1 : 0] : [z];
    });
  }
  return { cols, rows: data.stays.map((s) => Float64Array.from(enc.flatMap((e) => e(s)))) };
}

/**
 * One stay's recurrent inputs, each (T·V) time-major: z-scored values (0 = the training mean
 * where unobserved), the mask, the last observation carried forward (0 before the first), and
 * δ in hours as Che et al.: δ_0 = 0; δ_t = 1 + δ_{t−1} if the variable was missed at t−1, else 1.
 */
export interface SeqInputs { x: Float32Array; mask: Float32Array; xLast: Float32Array; delta: Float32Array }

export function sequenceInputs(b: Binned, i: number, s: Scaler): SeqInputs {
  const { T, V } = b;
  const raw = b.values[i]!;
  const out: SeqInputs = { x: new Float32Array(T * V), mask: new Float32Array(T * V), xLast: new Float32Array(T * V), delta: new Float32Array(T * V) };
  for (let v = 0; v < V; v++) {
    let last = 0;
    for (let t = 0; t < T; t++) {
      const k = t * V + v;
      if (t > 0) out.delta[k] = out.mask[k - V] ? 1 : 1 + out.delta[k - V]!;
      out.xLast[k] = last; // the value before this step (GRU-D decays it when x_t is missing)
      const r = raw[k]!;
      if (!Number.isNaN(r)) {
        out.x[k] = scaleValue(s, v, r);
        out.mask[k] = 1;
        last = out.x[k]!;
      }
    }
  }
  return out;
}
