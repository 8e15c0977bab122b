/**
 * Irregular clinical time series in long format (id, time, variable, value): parsing, the
 * PhysioNet/CinC 2012 set A loader, and hourly binning over the first 48 h.
 *
 * Binning (stated, as the GRU-D paper resamples PhysioNet to a regular grid): bin k holds the
 * observations with time in [k, k+1) hours (time 48:00 exactly goes to the last bin); a bin's
 * value is the mean of its observations, and the mask says whether there was any.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { FileError, FormatError, fileError } from '../../index.js';

/** One observation: time in hours since admission, variable index, value. */
export interface Obs { t: number; v: number; value: number }

/** One stay: its observations, static descriptors (NaN when missing) and the 0/1 outcome. */
export interface Stay { id: string; obs: Obs[]; statics: number[]; label: number }

export interface IrregularData {
  /** Time-series variable names (index = Obs.v). */
  variables: string[];
  /** Static descriptor names (index = Stay.statics index); categorical ones are listed in `categorical`. */
  staticNames: string[];
  /** Static descriptors to one-hot encode, with their category values. */
  categorical: Record<string, number[]>;
  stays: Stay[];
  /** Hours of history used (48 for PhysioNet 2012). */
  hours: number;
}

export interface LongFormatOptions {
  /** Variables read as static descriptors (their first value), not as time series. */
  staticNames?: string[];
  /** Static descriptors that are also time series: static only in a record's leading block (PhysioNet: the header's Weight). */
  headerOnlyStatics?: string[];
  /** Variables to drop entirely (e.g. PhysioNet's RecordID row). */
  ignore?: string[];
  /** Values that mean "missing" (PhysioNet: −1). */
  missingValues?: number[];
  /** Drop negative time-series values (no PhysioNet 2012 variable is negative; they are recording errors). */
  dropNegative?: boolean;
  /** Only observations with time ≤ hours are kept. */
  hours?: number;
}

/** "HH:MM" or a number of hours → hours; NaN if neither. */
export function parseTime(s: string): number {
  const c = s.indexOf(':');
  if (c < 0) return s.trim() === '' ? NaN : Number(s);
  const h = Number(s.slice(0, c));
  const m = Number(s.slice(c + 1));
  return Number.isInteger(h) && Number.isInteger(m) && m >= 0 && m < 60 ? h + m / 60 : NaN;
}

interface Raw { obs: Obs[]; statics: number[]; inHeader: boolean }

/**
 * Parse long-format CSV text with a header naming id, time, variable, value (in that order).
 * @returns stays by id (labels not yet attached), and the variable names in first-seen order
 */
export function parseLongFormat(text: string, file: string, opts: LongFormatOptions = {}): { variables: string[]; byId: Map<string, Raw> } {
  const staticNames = opts.staticNames ?? [];
  const ignore = new Set(opts.ignore ?? []);
  const missing = new Set(opts.missingValues ?? []);
  const hours = opts.hours ?? Infinity;
  const varIndex = new Map<string, number>();
  const byId = new Map<string, Raw>();
  let pos = 0;
  let line = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const row = text.slice(pos, end).replace(/\r$/, '');
    pos = end + 1;
    line++;
    if (line === 1) { checkHeader(row, file); continue; }
    if (row.trim() === '') continue;
    const f = row.split(',');
    if (f.length !== 4) throw new FormatError(`${file}:${line}:1`, '4 comma-separated fields (id, time, variable, value)', `${f.length} fields`);
    const [id, ts, name, vs] = f as [string, string, string, string];
    const t = parseTime(ts);
    if (!Number.isFinite(t)) throw new FormatError(`${file}:${line}:${id.length + 2}`, 'a time as HH:MM or hours', JSON.stringify(ts));
    const value = Number(vs);
    if (vs.trim() === '' || !Number.isFinite(value)) throw new FormatError(`${file}:${line}:${row.length - vs.length + 1}`, 'a numeric value', JSON.stringify(vs));
    let r = byId.get(id);
    if (!r) { r = { obs: [], statics: staticNames.map(() => NaN), inHeader: true }; byId.set(id, r); }
    if (ignore.has(name)) continue;
    const si = staticNames.indexOf(name);
    if (si >= 0 && (r.inHeader || !opts.headerOnlyStatics?.includes(name))) {
      if (Number.isNaN(r.statics[si]!)) r.statics[si] = missing.has(value) ? NaN : value;
      continue;
    }
    r.inHeader = false;
    if (t > hours || missing.has(value) || (opts.dropNegative && value < 0)) continue;
    let v = varIndex.get(name);
    if (v === undefined) { v = varIndex.size; varIndex.set(name, v); }
    r.obs.push({ t, v, value });
  }
  return { variables: [...varIndex.keys()], byId };
}

function checkHeader(row: string, file: string): void {
  const h = row.split(',').map((s) => s.trim().toLowerCase());
  if (h.length !== 4 || !/id/.test(h[0]!) || !/time/.test(h[1]!)) {
    throw new FormatError(`${file}:1:1`, 'a header id,time,variable,value (e.g. RecordID,Time,Parameter,Value)', JSON.stringify(row.slice(0, 80)));
  }
}

/** Read "id,label" (header first; extra columns allowed when `labelColumn` names the label's column). */
export function parseLabels(text: string, file: string, labelColumn?: string): Map<string, number> {
  const lines = text.split(/\r?\n/);
  const header = lines[0]!.split(',').map((s) => s.trim());
  const col = labelColumn ? header.indexOf(labelColumn) : 1;
  if (col < 1) throw new FormatError(`${file}:1:1`, `a header with a column ${labelColumn ?? 'label'}`, JSON.stringify(lines[0]!.slice(0, 80)));
  const out = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue;
    const f = lines[i]!.split(',');
    const y = Number(f[col]);
    if (y !== 0 && y !== 1) throw new FormatError(`${file}:${i + 1}:1`, 'a 0/1 label', JSON.stringify(f[col] ?? ''));
    out.set(f[0]!.trim(), y);
  }
  return out;
}

function readText(path: string, what: string): string {
  try {
    const buf = readFileSync(path);
    return (path.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
  } catch (e) {
    throw fileError(e, path, what);
  }
}

/** Attach labels; stays without a label or without any observation are an error / dropped. */
export function joinLabels(parsed: ReturnType<typeof parseLongFormat>, labels: Map<string, number>, file: string): Stay[] {
  const stays: Stay[] = [];
  for (const [id, r] of parsed.byId) {
    const y = labels.get(id);
    if (y === undefined) throw new FileError(file, `a label for every id in the series file`, `none for id ${JSON.stringify(id)}`);
    stays.push({ id, obs: r.obs, statics: r.statics, label: y });
  }
  return stays;
}

export const PHYSIONET_STATICS = ['Age', 'Gender', 'Height', 'ICUType', 'Weight'];

/**
 * PhysioNet/CinC 2012 set A from `dir` (set-a_long.csv.gz and Outcomes-a.txt): 4,000 stays,
 * 37 time series (Weight included), descriptors Age, Gender, Height, ICUType, Weight (the
 * header's Weight; later Weight rows are a time series), label In-hospital_death.
 */
export function loadPhysionet2012(dir: string): IrregularData {
  const series = join(dir, 'set-a_long.csv.gz');
  const outcomes = join(dir, 'Outcomes-a.txt');
  const parsed = parseLongFormat(readText(series, 'the PhysioNet 2012 set-A long table'), series, {
    staticNames: PHYSIONET_STATICS, headerOnlyStatics: ['Weight'], ignore: ['RecordID'], missingValues: [-1], dropNegative: true, hours: 48,
  });
  const labels = parseLabels(readText(outcomes, 'the PhysioNet 2012 outcomes file'), outcomes, 'In-hospital_death');
  return {
    variables: parsed.variables, staticNames: PHYSIONET_STATICS, categorical: { Gender: [0, 1], ICUType: [1, 2, 3, 4] },
    stays: joinLabels(parsed, labels, outcomes), hours: 48,
  };
}

/** A user's long-format CSV (id,time,variable,value) plus a labels CSV (id,label). */
export function loadIrregularCsv(csv: string, labelsFile: string, opts: { hours?: number; staticNames?: string[]; labelColumn?: string } = {}): IrregularData {
  const hours = opts.hours ?? 48;
  const parsed = parseLongFormat(readText(csv, 'a long-format CSV (id,time,variable,value)'), csv, { staticNames: opts.staticNames, hours });
  const labels = parseLabels(readText(labelsFile, 'a labels CSV (id,label)'), labelsFile, opts.labelColumn);
  return { variables: parsed.variables, staticNames: opts.staticNames ?? [], categorical: {}, stays: joinLabels(parsed, labels, labelsFile), hours };
}

/** Stays binned hourly: values (T·V, NaN where unobserved) per stay, time-major within a stay. */
export interface Binned { T: number; V: number; values: Float64Array[] }

export function binHourly(data: IrregularData): Binned {
  const T = Math.ceil(data.hours);
  const V = data.variables.length;
  const values = data.stays.map((s) => {
    const sum = new Float64Array(T * V);
    const cnt = new Float64Array(T * V);
    for (const o of s.obs) {
      const k = Math.min(T - 1, Math.floor(o.t)) * V + o.v;
      sum[k]! += o.value;
      cnt[k]! += 1;
    }
    for (let i = 0; i < sum.length; i++) sum[i] = cnt[i]! > 0 ? sum[i]! / cnt[i]! : NaN;
    return sum;
  });
  return { T, V, values };
}
