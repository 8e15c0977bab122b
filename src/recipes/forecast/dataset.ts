/**
 * From a CSV file to forecasting windows: columns → features (angles as sin/cos), segments
 * (a new one at every time gap or dropped row, so no window spans a gap), chronological splits,
 * a normaliser fitted on the training rows only, and window origins per split.
 *
 * Legend: n rows, F model features per step, k targets, L lookback, H horizon.
 * A window with origin t (the last observed row) has inputs rows t−L+1 … t and targets rows
 * t+1 … t+H, all in one segment; it belongs to the split holding t and t+H.
 */
import {
  FormatError, ValueError, cellWhere, columnIndex, readCsvFile, type CsvTable, type TimeFormat,
} from '../../index.js';
import { COLUMN_ALIASES, type ForecastConfig } from './config.js';
import { fillBySeries, fleetColumns, groupTable, onlySeries, rangesOf, rowCount, seriesTimes, timesWithHint, type Range, type Split } from './groups.js';

export type { Range, Split } from './groups.js';

/** The series used by the recipe. */
export interface Series {
  file: string;
  n: number;
  /** Per-row time (ms since epoch, or the raw numbers), or null without a time column. */
  times: Float64Array | null;
  timeFormat: TimeFormat | null;
  /** Typical step between rows (median difference; 1 without a time column). */
  step: number;
  /**
   * Feature names in order: targets first, then covariates (angles as `name:sin`, `name:cos`),
   * then the reference column (with `referenceInput`), then `time of day:sin/cos` (with `timeOfDay`).
   */
  features: string[];
  /** Raw feature values, row-major (n, F). */
  raw: Float64Array;
  F: number;
  /** Number of targets (the first k features). */
  k: number;
  targets: string[];
  /** Reference forecast column (e.g. a power curve), raw, or null. */
  reference: Float64Array | null;
  referenceName: string | null;
  /** Segment id of every row. */
  segment: Int32Array;
  /** First row of every row's segment. */
  segStart: Int32Array;
  /** Source CSV line of every row. */
  lines: Int32Array;
  /** Notes for the user (aliases used, rows dropped, gaps). */
  notes: string[];
  /** Series names (--group-col) in order of first appearance; [] for a file of one series. */
  groups: string[];
  /** Series index of every row (all 0 for one series). */
  group: Int32Array;
  /** Times built from a day number and a clock time (printed as "day D HH:MM"). */
  dayClock: boolean;
}

/** The header name to use for `name`, following {@link COLUMN_ALIASES}; throws like columnIndex if none. */
export function resolveColumn(t: CsvTable, name: string, role: string, notes: string[]): string {
  if (t.header.includes(name)) return name;
  const alias = (COLUMN_ALIASES[name] ?? []).find((a) => t.header.includes(a));
  if (alias) {
    if (!notes.some((n) => n.includes(`"${name}" read as`))) notes.push(`column "${name}" read as "${alias}"`);
    return alias;
  }
  columnIndex(t, name, role);
  return name;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : 1;
}

interface Columns {
  targets: string[];
  covariates: string[];
  angular: Set<string>;
  reference: string | null;
  time: string[];
  group: string | null;
}

function resolveColumns(t: CsvTable, c: ForecastConfig, notes: string[]): Columns {
  const targets = c.target.map((n) => resolveColumn(t, n, 'target column', notes));
  const covariates = c.covariate.map((n) => resolveColumn(t, n, 'covariate column', notes));
  const angular = new Set(c.angular.map((n) => resolveColumn(t, n, 'angular column', notes)));
  for (const a of angular) {
    if (!covariates.includes(a)) throw new ValueError('--angular', `a name also given as --covariate (${covariates.map((s) => JSON.stringify(s)).join(', ') || 'none'})`, JSON.stringify(a));
  }
  const all = [...targets, ...covariates];
  const dup = all.find((n, i) => all.indexOf(n) !== i);
  if (dup) throw new ValueError('--target/--covariate', 'each column once', `"${dup}" twice`);
  const reference = c.referenceCol ? resolveColumn(t, c.referenceCol, 'reference column', notes) : null;
  if (reference && targets.length !== 1) throw new ValueError('--reference-col', 'exactly one --target (the reference forecasts it)', `${targets.length} targets`);
  if (c.timeCol && c.timeCols) throw new ValueError('--time-cols', 'either --time-col or --time-cols', 'both');
  const time = (c.timeCols ?? (c.timeCol ? [c.timeCol] : [])).map((n) => resolveColumn(t, n, 'time column', notes));
  const clash = time.find((n) => all.includes(n));
  if (clash) throw new ValueError(c.timeCols ? '--time-cols' : '--time-col', 'a column that is not a target or covariate', JSON.stringify(clash));
  const group = c.groupCol ? resolveColumn(t, c.groupCol, 'series id column (--group-col)', notes) : null;
  if (group && [...all, ...time].includes(group)) throw new ValueError('--group-col', 'a column that is not a target, covariate or time', JSON.stringify(group));
  return { targets, covariates, angular, reference, time, group };
}

/** Segments: a new one at each series, and where the time step differs from the typical one or rows were dropped. */
function segments(n: number, times: Float64Array | null, rows: Int32Array, step: number, group: Int32Array): { segment: Int32Array; segStart: Int32Array; gaps: number } {
  const segment = new Int32Array(n);
  const segStart = new Int32Array(n);
  let s = 0;
  let start = 0;
  let gaps = 0;
  for (let i = 1; i < n; i++) {
    const other = group[i] !== group[i - 1];
    const gap = !other && (rows[i]! !== rows[i - 1]! + 1 || (times !== null && Math.abs(times[i]! - times[i - 1]! - step) > 1e-9 * Math.max(1, step)));
    if (gap) gaps++;
    const jump = other || gap;
    if (jump) {
      s++;
      start = i;
    }
    segment[i] = s;
    segStart[i] = start;
  }
  return { segment, segStart, gaps };
}

/** Median step between consecutive rows of the same series (1 without times). */
function typicalStep(times: Float64Array | null, group: Int32Array): number {
  if (!times) return 1;
  const d: number[] = [];
  for (let i = 1; i < times.length && d.length < 10_000; i++) if (group[i] === group[i - 1]) d.push(times[i]! - times[i - 1]!);
  return median(d);
}

/**
 * Read and prepare the CSV named by the config (`csvPath` resolved by the caller).
 * @throws FormatError (`file:line:col`) for malformed files, missing columns, non-numeric or
 *   missing cells; ValueError for inconsistent column choices.
 */
export function loadSeries(csvPath: string, c: ForecastConfig): Series {
  const notes: string[] = [];
  const opts = c.delimiter ? { delimiter: c.delimiter } : {};
  let t = readCsvFile(csvPath, opts);
  if (c.maxRows !== undefined && t.rows.length > c.maxRows) {
    notes.push(`read the first ${c.maxRows} of ${t.rows.length} rows (--max-rows)`);
    t = { ...t, rows: t.rows.slice(0, c.maxRows), lines: t.lines.slice(0, c.maxRows), cols: t.cols.slice(0, c.maxRows * t.header.length) };
  }
  const cols = resolveColumns(t, c, notes);
  const fleetOnly = c.series !== undefined && (c.farmMean || c.neighbours > 0);
  const grouped = groupTable(t, fleetOnly ? { ...c, series: undefined } : c, cols.group);
  t = grouped.t;
  const used = [...cols.targets, ...cols.covariates, ...(cols.reference ? [cols.reference] : [])];
  const filled = fillBySeries(grouped, used, c.fill);
  used.forEach((u, i) => checkOutliers(t, u, filled.columns[i]!, filled.rows, notes));
  const n = filled.rows.length;
  if (n < t.rows.length) notes.push(`dropped ${t.rows.length - n} rows with missing values (--fill drop)`);
  const time = cols.time.length ? timesWithHint(() => seriesTimes(t, cols.time, c.timeFormat, filled.rows, filled.group), !cols.group) : null;
  const times = time?.times ?? null;
  const step = typicalStep(times, filled.group);
  const features: string[] = [];
  const colData: Float64Array[] = [];
  const byName = new Map(used.map((u, i) => [u, filled.columns[i]!]));
  for (const name of [...cols.targets, ...cols.covariates]) {
    const v = byName.get(name)!;
    if (cols.angular.has(name)) {
      features.push(`${name}:sin`, `${name}:cos`);
      colData.push(v.map((d) => Math.sin((d * Math.PI) / 180)), v.map((d) => Math.cos((d * Math.PI) / 180)));
    } else {
      features.push(name);
      colData.push(v);
    }
  }
  const groups = grouped.names;
  const fleet = fleetColumns({ n, times, groups, group: filled.group }, c, features.map((name, f) => ({ name, values: colData[f]! })), colData[0]!, features[0]!);
  for (const f of fleet) {
    features.push(f.name);
    colData.push(f.values);
  }
  if (c.referenceInput) {
    // The reference (e.g. the power curve of the measured wind speed) as an input: windows read
    // rows up to their origin only, so the model sees it at the origin and before, never after.
    if (!cols.reference) throw new ValueError('--reference-input', 'a --reference-col to feed to the model', 'none');
    features.push(cols.reference);
    colData.push(byName.get(cols.reference)!);
  }
  if (c.timeOfDay) {
    if (!times || time!.format === 'number') throw new ValueError('--time-of-day', 'a --time-col of dates and times', times ? 'plain numbers' : 'no time column');
    const day = 86_400_000;
    const phase = (i: number): number => (2 * Math.PI * (((times[i]! % day) + day) % day)) / day;
    features.push('time of day:sin', 'time of day:cos');
    colData.push(Float64Array.from({ length: n }, (_, i) => Math.sin(phase(i))), Float64Array.from({ length: n }, (_, i) => Math.cos(phase(i))));
  }
  const F = features.length;
  const raw = new Float64Array(n * F);
  for (let i = 0; i < n; i++) for (let f = 0; f < F; f++) raw[i * F + f] = colData[f]![i]!;
  const need = c.lookback + c.horizon + (c.season ?? 0);
  if (n < need) {
    throw new FormatError(`${t.file}:${t.lines[t.rows.length - 1]}:1`, `at least ${need} data rows for one window (--lookback ${c.lookback} + --horizon ${c.horizon}${c.season ? ` + --season ${c.season}` : ''})`, `${n}`);
  }
  const seg = segments(n, times, filled.rows, step, filled.group);
  if (seg.gaps) notes.push(`${seg.gaps} gap${seg.gaps > 1 ? 's' : ''} in the rows: no window spans one`);
  if (groups.length > 1) notes.push(`${groups.length} series (column "${cols.group}"): no window crosses from one series into another`);
  const s: Series = {
    file: t.file, n, times, timeFormat: time?.format ?? null, step, features, raw, F, k: cols.targets.length, targets: cols.targets,
    reference: cols.reference ? byName.get(cols.reference)! : null, referenceName: cols.reference,
    segment: seg.segment, segStart: seg.segStart, lines: Int32Array.from(filled.rows, (r) => t.lines[r]!), notes,
    groups, group: filled.group, dayClock: time?.dayClock ?? false,
  };
  return fleetOnly ? onlySeries(s, c.series!) : s;
}

/** A value this many robust deviations from its column's median is refused (a sentinel or corruption). */
export const OUTLIER_REFUSE = 1e6;
/** ... and this many gets a note: it will dominate the normalisation. */
export const OUTLIER_NOTE = 1e3;

/**
 * Refuse a value absurdly far from the rest of its column (1e30 in a series of order 1: a
 * missing-value sentinel or a corrupt cell would swamp the mean and standard deviation, and the
 * model would see every other value as 0), and note merely extreme ones. The scale is the median
 * absolute deviation from the median (the mean absolute deviation for mostly-constant columns),
 * so it is the same at any unit.
 * @throws FormatError at the cell (`file:line:col`).
 */
export function checkOutliers(t: CsvTable, name: string, v: Float64Array, rows: Int32Array, notes: string[]): void {
  const sorted = Float64Array.from(v).sort();
  const med = sorted[sorted.length >> 1]!;
  const dev = Float64Array.from(v, (x) => Math.abs(x - med)).sort();
  const scale = dev[dev.length >> 1]! || dev.reduce((a, d) => a + d, 0) / dev.length;
  if (!(scale > 0)) return; // constant: fitNormaliser speaks for targets
  let worst = 0;
  for (let i = 1; i < v.length; i++) if (Math.abs(v[i]! - med) > Math.abs(v[worst]! - med)) worst = i;
  const ratio = Math.abs(v[worst]! - med) / scale;
  if (!(ratio > OUTLIER_NOTE)) return;
  const j = t.header.indexOf(name);
  const what = `${v[worst]} in column "${name}", ${ratio.toExponential(1)} typical deviations (${scale.toPrecision(3)}) from its median ${med.toPrecision(4)}`;
  if (ratio > OUTLIER_REFUSE) {
    throw new FormatError(cellWhere(t, rows[worst]!, j), `values on the scale of the rest of column "${name}" (median ${med.toPrecision(4)}, typical deviation ${scale.toPrecision(3)})`,
      `${what}; a missing-value sentinel or a corrupt cell? Empty the cell and choose a --fill policy`);
  }
  notes.push(`extreme value ${what} (line ${t.lines[rows[worst]!]}): it will dominate the normalisation`);
}

/**
 * Rolling-origin (expanding-window) backtest splits over n rows: the last `fractions[2]` of the
 * rows are cut into `folds` consecutive test blocks; fold i trains on everything before its
 * block except the `fractions[1]·n` rows just before it, which validate. With folds = 1 this is
 * the plain chronological split.
 * @throws ValueError when a part would be empty.
 * @example
 * rollingOriginSplits(100, 2, [0.6, 0.1, 0.3]); // test blocks [70,85) and [85,100); first train [0,60), val [60,70)
 */
export function rollingOriginSplits(n: number, folds: number, fractions: readonly [number, number, number]): Split[] {
  const testLen = Math.floor(n * fractions[2]);
  const block = Math.floor(testLen / folds);
  const valLen = Math.floor(n * fractions[1]);
  if (block < 1 || valLen < 1) throw new ValueError('split', `at least one row per test block and validation part (n = ${n}, folds = ${folds})`, `${block} and ${valLen}`);
  const out: Split[] = [];
  for (let i = 0; i < folds; i++) {
    const origin = n - (folds - i) * block;
    const trainEnd = origin - valLen;
    if (trainEnd < 1) throw new ValueError('split', 'training rows before every fold', `none for fold ${i + 1}`);
    out.push({ train: [0, trainEnd], val: [trainEnd, origin], test: [origin, i === folds - 1 ? n : origin + block] });
  }
  return out;
}

/** Per-feature mean and standard deviation (with several series: each series' own, in `groups`). */
export interface Normaliser {
  mean: number[];
  std: number[];
  /** Series-level normalisation: per series (by index), fitted on that series' training rows. */
  groups?: { mean: number[]; std: number[] }[];
}

/**
 * A standard deviation this small relative to the mean is rounding noise: the feature is constant.
 * Relative, so that a series around 1e-6 or 1e6 is normalised as one around 1.
 */
const CONSTANT_REL = 1e-9;

function moments(s: Series, ranges: readonly Range[], only = -1): { mean: number[]; std: number[]; m: number } {
  const mean = new Array<number>(s.F).fill(0);
  const sq = new Array<number>(s.F).fill(0);
  const use = (i: number): boolean => only < 0 || s.group[i] === only;
  let m = 0;
  for (const [a, b] of ranges) for (let i = a; i < b; i++) if (use(i)) m++;
  for (const [a, b] of ranges) for (let i = a; i < b; i++) if (use(i)) for (let f = 0; f < s.F; f++) mean[f]! += s.raw[i * s.F + f]! / m;
  for (const [a, b] of ranges) for (let i = a; i < b; i++) if (use(i)) for (let f = 0; f < s.F; f++) sq[f]! += (s.raw[i * s.F + f]! - mean[f]!) ** 2 / m;
  const std = sq.map((v, f) => (Math.sqrt(v) > CONSTANT_REL * Math.abs(mean[f]!) && v > 0 ? Math.sqrt(v) : NaN));
  return { mean, std, m };
}

/**
 * Fit mean/std per feature on the training rows only. A constant covariate gets std 1 (it
 * centres to 0 and carries nothing); a constant target is refused: there is nothing to forecast
 * and the range that scales nMAE is 0. With several series, each series also gets its own
 * mean/std (series-level normalisation); a series without training rows, or flat on them, uses
 * the pooled values.
 * @throws FormatError at the target's header cell when a target is constant on the rows.
 * @example const norm = fitNormaliser(series, split.train);
 */
export function fitNormaliser(s: Series, part: Range | readonly Range[]): Normaliser {
  const ranges = rangesOf(part);
  const { mean, std } = moments(s, ranges);
  const flat = std.findIndex((v, f) => f < s.k && Number.isNaN(v));
  if (flat >= 0) {
    const [start, end] = ranges[0]!;
    throw new FormatError(`${s.file}:${s.lines[start] ?? 1}:1`, `a target column "${s.targets[flat]}" that varies over the training rows (${start + 1}–${end}${ranges.length > 1 ? ' and the other series\' ones' : ''}) to learn from`,
      `the constant ${s.raw[start * s.F + flat]}; nothing to forecast (and nMAE, scaled by the range, is undefined)`);
  }
  const pooled = { mean, std: std.map((v) => (Number.isNaN(v) ? 1 : v)) };
  if (s.groups.length < 2) return pooled;
  const groups = s.groups.map((_, g) => {
    const x = moments(s, ranges, g);
    if (x.m === 0) return pooled;
    return { mean: x.mean, std: x.std.map((v, f) => (Number.isNaN(v) ? pooled.std[f]! : v)) };
  });
  return { ...pooled, groups };
}

/** The mean/std that row `t` is normalised with (its series' own with series-level normalisation). */
export function rowNorm(norm: Normaliser, s: Series, t: number): { mean: number[]; std: number[] } {
  return norm.groups ? norm.groups[s.group[t]!]! : norm;
}

/** The normalised features, row-major (n, F), float32 for the model. */
export function normalise(s: Series, norm: Normaliser): Float32Array {
  const out = new Float32Array(s.n * s.F);
  for (let i = 0; i < s.n; i++) {
    const { mean, std } = rowNorm(norm, s, i);
    for (let f = 0; f < s.F; f++) out[i * s.F + f] = (s.raw[i * s.F + f]! - mean[f]!) / std[f]!;
  }
  return out;
}

/** Window geometry. */
export interface WindowSpec {
  L: number;
  H: number;
  /** Seasonal period in rows (for the seasonal-naive baseline), or null. */
  season: number | null;
}

/** Row holding the seasonal-naive value for target row `target` seen from origin `t`, or -1. */
export function seasonalRow(s: Series, t: number, target: number, season: number, rowOfTime: Map<number, number> | null): number {
  const k = Math.ceil((target - t) / season);
  if (!s.times) {
    const r = target - k * season;
    return r >= 0 && s.group[r] === s.group[target] ? r : -1;
  }
  const want = s.times[target]! - k * season * s.step;
  return rowOfTime!.get(timeKey(s, want, s.group[target]!)) ?? -1;
}

/** The look-up key of a time in series g (the time itself for one series). */
function timeKey(s: Series, time: number, g: number): number {
  return s.groups.length > 1 ? time * s.groups.length + g : time;
}

/** time → row (per series), for seasonal look-ups across gaps. */
export function rowIndexOfTimes(s: Series): Map<number, number> | null {
  return s.times ? new Map(Array.from(s.times, (v, i) => [timeKey(s, v, s.group[i]!), i])) : null;
}

/**
 * Origins of all windows inside `range` (inputs and targets within one segment, targets inside
 * the range, and — with a season — a seasonal-naive value for every horizon step).
 */
export function windowOrigins(s: Series, part: Range | readonly Range[], w: WindowSpec, rowOfTime: Map<number, number> | null): Int32Array {
  const out: number[] = [];
  for (const [start, end] of rangesOf(part)) for (let t = Math.max(start, w.L - 1); t + w.H < end; t++) {
    if (t - w.L + 1 < s.segStart[t]! || s.segment[t + w.H] !== s.segment[t]) continue;
    if (w.season !== null) {
      let ok = true;
      for (let h = 1; h <= w.H && ok; h++) ok = seasonalRow(s, t, t + h, w.season, rowOfTime) >= 0;
      if (!ok) continue;
    }
    out.push(t);
  }
  return Int32Array.from(out);
}

/** Windows per split, with a clear error when one is empty. */
export function splitWindows(s: Series, split: Split, w: WindowSpec, fold: string): { train: Int32Array; val: Int32Array; test: Int32Array } {
  const rot = rowIndexOfTimes(s);
  const out = { train: windowOrigins(s, split.train, w, rot), val: windowOrigins(s, split.val, w, rot), test: windowOrigins(s, split.test, w, rot) };
  for (const [part, o] of Object.entries(out)) {
    if (o.length === 0) {
      const ranges = rangesOf(split[part as keyof Split]);
      const [a, b] = ranges[0] ?? [0, 0];
      const need = `${w.L} lookback + ${w.H} horizon rows${w.season ? ` and a season of ${w.season}` : ''}`;
      const where = ranges.length > 1 ? `${ranges.length} series, ${rowCount(ranges)} rows in all` : `rows ${a + 1}–${b}`;
      throw new FormatError(`${s.file}:${s.lines[a] ?? 1}:1`, `a ${part} part (${where}${fold}) long enough for one window (${need}) within a gap-free stretch`,
        `${ranges.length > 1 ? `at most ${Math.max(...ranges.map(([x, y]) => y - x))}` : b - a} rows; shorten --lookback/--horizon/--season, lengthen the data or change --split`);
    }
  }
  return out;
}
