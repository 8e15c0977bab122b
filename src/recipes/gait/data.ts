/**
 * The gait data set (../shared/data/gait-imu, AGPL, read in place): per trial the two foot IMUs
 * (accelerometer and gyroscope, 100 Hz) and the annotated footsteps of each foot as intervals
 * [start, end] in samples, taken from the metadata JSON (the CSV's step columns are derived from
 * it). Intervals past the end of the recorded samples are dropped.
 *
 * Legend: T samples, C = 12 channels (lf acc xyz, lf gyr xyz, rf acc xyz, rf gyr xyz).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { FormatError, cellWhere, columnIndex, fileError, numericColumn, parseCsv, type Rng } from '../../index.js';

export const FEET = ['lf', 'rf'] as const;
export type Foot = (typeof FEET)[number];
export const CHANNELS = FEET.flatMap((f) => ['acc_x', 'acc_y', 'acc_z', 'gyr_x', 'gyr_y', 'gyr_z'].map((c) => `${f}_${c}`));
export const C = CHANNELS.length;
/** Offset of a foot's gyroscope x channel in a row of CHANNELS. */
export const GYR = { lf: 3, rf: 9 } as const;

/** A step as inclusive sample indices [start, end]. */
export type Interval = [number, number];

export interface Trial {
  name: string;
  subject: number;
  T: number;
  /** (T, C) row-major raw signals. */
  X: Float32Array;
  steps: Record<Foot, Interval[]>;
}

export const DATA_FILES = { csv: 'gait-imu/gait_imu_feet.csv.gz', meta: 'gait-imu/gait_metadata.json' } as const;

function readBytes(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw fileError(e, path, what);
  }
}

interface Meta {
  subject: number;
  events: Record<Foot, Interval[]>;
}

function intervals(v: unknown, where: string): Interval[] {
  const ok = Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 2 && p.every(Number.isInteger) && p[0] <= p[1]);
  if (!ok) throw new FormatError(where, 'a list of [start, end] integer sample pairs', JSON.stringify(v).slice(0, 80));
  return (v as Interval[]).map(([s, e]) => [s, e]);
}

function readMeta(path: string): Map<string, Meta> {
  let list: unknown;
  try {
    // Python's json.dump writes missing numbers (a subject's weight) as the bare token NaN.
    list = JSON.parse(readBytes(path, 'the gait metadata JSON').toString('utf8').replace(/([:,[]\s*)NaN\b/g, '$1null'));
  } catch (e) {
    if (e instanceof SyntaxError) throw new FormatError(path, 'JSON', e.message);
    throw e;
  }
  if (!Array.isArray(list)) throw new FormatError(path, 'a JSON list of per-trial objects', typeof list);
  const out = new Map<string, Meta>();
  list.forEach((o: Record<string, unknown>, i) => {
    const where = `${path}: entry ${i}`;
    if (typeof o?.Filename !== 'string' || !Number.isInteger(o.Subject)) throw new FormatError(where, 'fields "Filename" (string) and "Subject" (integer)', JSON.stringify(o).slice(0, 80));
    out.set(o.Filename, { subject: o.Subject as number, events: { lf: intervals(o.LeftFootEvents, `${where} LeftFootEvents`), rf: intervals(o.RightFootEvents, `${where} RightFootEvents`) } });
  });
  return out;
}

/** Read the trials (CSV rows must be grouped by trial, samples 0, 1, 2, … in order). */
export function loadGait(csvPath: string, metaPath: string): Trial[] {
  const meta = readMeta(metaPath);
  const t = parseCsv(gunzipSync(readBytes(csvPath, 'the gzip CSV of the gait signals')).toString('utf8'), { file: csvPath });
  const cols = CHANNELS.map((c) => numericColumn(t, c));
  const trialCol = columnIndex(t, 'trial');
  const sample = numericColumn(t, 'sample');
  const trials: Trial[] = [];
  let from = 0;
  for (let i = 1; i <= t.rows.length; i++) {
    const name = t.rows[from]![trialCol]!;
    if (i < t.rows.length && t.rows[i]![trialCol] === name) continue;
    const m = meta.get(name);
    if (!m) throw new FormatError(cellWhere(t, from, trialCol), `a trial listed in ${metaPath}`, JSON.stringify(name));
    const T = i - from;
    const X = new Float32Array(T * C);
    for (let r = 0; r < T; r++) {
      if (sample[from + r] !== r) throw new FormatError(cellWhere(t, from + r, columnIndex(t, 'sample')), `sample ${r} of trial ${name}`, String(sample[from + r]));
      for (let c = 0; c < C; c++) {
        const v = cols[c]![from + r]!;
        if (!Number.isFinite(v)) throw new FormatError(cellWhere(t, from + r, columnIndex(t, CHANNELS[c]!)), 'a finite number', String(v));
        X[r * C + c] = v;
      }
    }
    const inside = (iv: Interval[]): Interval[] => iv.filter(([, e]) => e < T);
    trials.push({ name, subject: m.subject, T, X, steps: { lf: inside(m.events.lf), rf: inside(m.events.rf) } });
    from = i;
  }
  return trials;
}

/** Per-sample labels (T, 2) for the two feet: 1 inside an annotated step. */
export function labelsOf(tr: Trial): Float32Array {
  const y = new Float32Array(tr.T * 2);
  FEET.forEach((f, k) => {
    for (const [s, e] of tr.steps[f]) for (let t = s; t <= e; t++) y[t * 2 + k] = 1;
  });
  return y;
}

/** Channel means and standard deviations over the given trials. */
export function channelStats(trials: readonly Trial[]): { mean: Float64Array; sd: Float64Array } {
  const mean = new Float64Array(C);
  const sq = new Float64Array(C);
  let n = 0;
  for (const tr of trials) {
    for (let i = 0; i < tr.X.length; i++) {
      mean[i % C] += tr.X[i]!;
      sq[i % C] += tr.X[i]! ** 2;
    }
    n += tr.T;
  }
  const sd = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    mean[c] /= n;
    sd[c] = Math.sqrt(Math.max(sq[c]! / n - mean[c]! ** 2, 1e-12));
  }
  return { mean, sd };
}

/** Standardised copy of a trial's signals. */
export function standardised(tr: Trial, s: { mean: Float64Array; sd: Float64Array }): Float32Array {
  return tr.X.map((v, i) => (v - s.mean[i % C]!) / s.sd[i % C]!);
}

/**
 * Leave-subjects-out folds: subjects shuffled and dealt into k test groups; inside each fold's
 * training subjects, `val` subjects (drawn with the same rng) are held out for model selection.
 */
export function subjectFolds(subjects: readonly number[], k: number, val: number, rng: Rng): { test: number[]; val: number[]; train: number[] }[] {
  const order = rng.shuffle([...new Set(subjects)].sort((a, b) => a - b));
  return Array.from({ length: k }, (_, f) => {
    const test = order.filter((_, i) => i % k === f);
    const rest = rng.shuffle(order.filter((s) => !test.includes(s)));
    return { test: test.sort((a, b) => a - b), val: rest.slice(0, val).sort((a, b) => a - b), train: rest.slice(val).sort((a, b) => a - b) };
  });
}
