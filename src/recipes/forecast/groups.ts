/**
 * Several series in one file (`--group-col`, e.g. one per turbine of a wind farm): rows are
 * regrouped series by series (file order within each series), missing values are filled within a
 * series, times are read per series (from one column, or from several such as `Day` + `Tmstamp`),
 * and the chronological split cuts every series at the same times, so no series trains on a
 * period that another is tested on. Windows never cross series: each series starts a segment.
 *
 * Fleet inputs (`--farm-mean`, `--neighbours k`) are values of the other series at the same time,
 * read like any covariate: up to the forecast origin only.
 */
import {
  FormatError, ValueError, cellWhere, fillMissing, numericColumn, timeColumn, type CsvTable, type Filled, type TimeFormat,
} from '../../index.js';
import type { ForecastConfig } from './config.js';
import { rollingOriginSplits, type Series } from './dataset.js';

/** A half-open row range [start, end). */
export type Range = [number, number];

/** Rows of one train/validation/test split: one range for a single series, one per series otherwise. */
export interface Split {
  train: Range | Range[];
  val: Range | Range[];
  test: Range | Range[];
}

/** The ranges of a split part, as a list. */
export function rangesOf(p: Range | readonly Range[]): Range[] {
  return typeof p[0] === 'number' ? [p as Range] : [...(p as Range[])];
}

/** Rows in a part. */
export function rowCount(p: Range | readonly Range[]): number {
  return rangesOf(p).reduce((a, [s, e]) => a + e - s, 0);
}

function sliceTable(t: CsvTable, a: number, b: number): CsvTable {
  const H = t.header.length;
  return { ...t, rows: t.rows.slice(a, b), lines: t.lines.slice(a, b), cols: t.cols.slice(a * H, b * H) };
}

/** The table with rows regrouped by series; `bounds[g]…bounds[g+1]` are series g's rows. */
export interface Grouped {
  t: CsvTable;
  names: string[];
  bounds: number[];
}

/**
 * Regroup rows by the series id column (order of first appearance; file order within a series).
 * With `c.series`, only that series is kept.
 * @throws FormatError at an empty id cell; ValueError for an unknown --series.
 */
export function groupTable(t: CsvTable, c: ForecastConfig, col: string | null): Grouped {
  if (!col) {
    if (c.series !== undefined) throw new ValueError('--series', 'a --group-col naming the series', 'none');
    return { t, names: [], bounds: [0, t.rows.length] };
  }
  const j = t.header.indexOf(col);
  const idx = new Map<string, number[]>();
  t.rows.forEach((r, i) => {
    const k = r[j]!.trim();
    if (k === '') throw new FormatError(cellWhere(t, i, j), `a series id in column "${col}" (--group-col)`, 'an empty cell');
    let list = idx.get(k);
    if (!list) idx.set(k, (list = []));
    list.push(i);
  });
  let names = [...idx.keys()];
  if (c.series !== undefined) {
    if (!idx.has(c.series)) throw new ValueError('--series', `a value of column "${col}" (${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''})`, JSON.stringify(c.series));
    names = [c.series];
  }
  const order = names.flatMap((n) => idx.get(n)!);
  const bounds = [0];
  for (const n of names) bounds.push(bounds.at(-1)! + idx.get(n)!.length);
  const H = t.header.length;
  const cols = new Int32Array(order.length * H);
  order.forEach((r, i) => cols.set(t.cols.subarray(r * H, (r + 1) * H), i * H));
  return { t: { ...t, rows: order.map((r) => t.rows[r]!), lines: Int32Array.from(order, (r) => t.lines[r]!), cols }, names, bounds };
}

/** Missing values filled within each series (never carried from one series into the next). */
export function fillBySeries(g: Grouped, used: string[], policy: ForecastConfig['fill']): Filled & { group: Int32Array } {
  const parts: (Filled & { offset: number })[] = [];
  for (let i = 0; i + 1 < g.bounds.length; i++) {
    const [a, b] = [g.bounds[i]!, g.bounds[i + 1]!];
    const sub = g.bounds.length === 2 ? g.t : sliceTable(g.t, a, b);
    parts.push({ ...fillMissing(sub, used, used.map((u) => numericColumn(sub, u)), policy), offset: a });
  }
  const n = parts.reduce((s, p) => s + p.rows.length, 0);
  const columns = used.map(() => new Float64Array(n));
  const rows = new Int32Array(n);
  const group = new Int32Array(n);
  let at = 0;
  parts.forEach((p, gi) => {
    p.columns.forEach((c, k) => columns[k]!.set(c, at));
    p.rows.forEach((r, i) => {
      rows[at + i] = r + p.offset;
      group[at + i] = gi;
    });
    at += p.rows.length;
  });
  return { columns, rows, group };
}

const DAY_CLOCK_RE = /^([+-]?\d+) (\d{1,2}):(\d{2})(?::(\d{2}))?$/;

/** Times of the kept rows, read per series; `dayClock` when built from a day number and a clock time. */
export interface SeriesTimes {
  times: Float64Array;
  format: TimeFormat;
  dayClock: boolean;
}

/** The time column(s) as one column of the table (several joined by a space). */
function timeSource(t: CsvTable, cols: string[]): { t: CsvTable; name: string } {
  if (cols.length === 1) return { t, name: cols[0]! };
  const js = cols.map((n) => t.header.indexOf(n));
  const name = cols.join(' + ');
  const H = t.header.length;
  const cellCols = new Int32Array(t.rows.length * (H + 1));
  t.rows.forEach((_, i) => {
    cellCols.set(t.cols.subarray(i * H, (i + 1) * H), i * (H + 1));
    cellCols[i * (H + 1) + H] = t.cols[i * H + js[0]!]!;
  });
  return {
    name,
    t: { ...t, header: [...t.header, name], rows: t.rows.map((r) => [...r, js.map((j) => r[j]!.trim()).join(' ')]), cols: cellCols, headerCols: Int32Array.from([...t.headerCols, t.headerCols[js[0]!]!]) },
  };
}

/**
 * Read the times of `rows` (kept rows, series by series), checking they increase within each series.
 * @throws FormatError at the first bad or non-increasing cell.
 */
export function seriesTimes(t: CsvTable, cols: string[], format: ForecastConfig['timeFormat'], rows: Int32Array, group: Int32Array): SeriesTimes {
  const src = timeSource(t, cols);
  const j = src.t.header.indexOf(src.name);
  const first = src.t.rows[rows[0]!]![j]!.trim();
  const dayClock = format === 'day-clock' || (format === 'auto' && cols.length > 1 && DAY_CLOCK_RE.test(first));
  const times = new Float64Array(rows.length);
  let fmt: TimeFormat = 'iso';
  for (let a = 0; a < rows.length;) {
    let b = a;
    while (b < rows.length && group[b] === group[a]) b++;
    const part = rows.subarray(a, b);
    if (dayClock) times.set(dayClockTimes(src.t, j, src.name, part), a);
    else {
      const r = timeColumn(src.t, src.name, format as TimeFormat, part);
      times.set(r.times, a);
      fmt = r.format;
    }
    a = b;
  }
  return { times, format: fmt, dayClock };
}

function dayClockTimes(t: CsvTable, j: number, name: string, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length);
  rows.forEach((r, k) => {
    const s = t.rows[r]![j]!.trim();
    const m = DAY_CLOCK_RE.exec(s);
    const [d, h, mi, sec] = m ? [m[1], m[2], m[3], m[4] ?? '0'].map(Number) as number[] : [];
    if (!m || h! > 23 || mi! > 59 || sec! > 59) throw new FormatError(cellWhere(t, r, j), `a day number and a clock time in "${name}" (e.g. "3" and "10:20")`, JSON.stringify(s));
    out[k] = d! * 86_400_000 + ((h! * 60 + mi!) * 60 + sec!) * 1000;
    if (k > 0 && !(out[k]! > out[k - 1]!)) throw new FormatError(cellWhere(t, r, j), `times increasing down "${name}" within each series`, `${JSON.stringify(s)} after a later or equal time`);
  });
  return out;
}

/** Rows of each series: `[start, end)` per series index. */
export function seriesBounds(group: Int32Array, G: number): Range[] {
  const out: Range[] = Array.from({ length: G }, () => [0, 0]);
  for (let i = group.length - 1; i >= 0; i--) out[group[i]!]![0] = i;
  for (let i = 0; i < group.length; i++) out[group[i]!]![1] = i + 1;
  return out;
}

/** What splits need of a series. */
interface SplitInput {
  n: number;
  times: Float64Array | null;
  groups: string[];
  group: Int32Array;
}

/**
 * Rolling-origin splits for one or several series. Several series with times are cut at the same
 * times (cut points chosen over the sorted distinct times of all series); without times each
 * series is cut at its own row fractions.
 */
export function seriesSplits(s: SplitInput, folds: number, fractions: readonly [number, number, number]): Split[] {
  if (s.groups.length <= 1) return rollingOriginSplits(s.n, folds, fractions);
  const bounds = seriesBounds(s.group, s.groups.length);
  if (!s.times) {
    const per = bounds.map(([a, b], g) => {
      try {
        return rollingOriginSplits(b - a, folds, fractions).map((sp) => shift(sp, a));
      } catch (e) {
        throw e instanceof ValueError ? new ValueError(`series "${s.groups[g]}"`, 'enough rows to split', `${b - a} rows`) : e;
      }
    });
    return per[0]!.map((_, f) => ({ train: per.map((p) => p[f]!.train as Range), val: per.map((p) => p[f]!.val as Range), test: per.map((p) => p[f]!.test as Range) }));
  }
  const times = s.times;
  const keys = Float64Array.from(new Set(times)).sort();
  const cut = (k: number): number => (k >= keys.length ? Infinity : keys[k]!);
  const lower = ([a, b]: Range, v: number): number => {
    while (a < b) {
      const m = (a + b) >> 1;
      if (times[m]! < v) a = m + 1;
      else b = m;
    }
    return a;
  };
  const map = ([ka, kb]: Range): Range[] => bounds.map((r) => [lower(r, cut(ka)), lower(r, cut(kb))] as Range).filter(([a, b]) => b > a);
  return rollingOriginSplits(keys.length, folds, fractions).map((sp) => ({ train: map(sp.train as Range), val: map(sp.val as Range), test: map(sp.test as Range) }));
}

function shift(sp: Split, d: number): Split {
  const m = (r: Range | Range[]): Range => [(r as Range)[0] + d, (r as Range)[1] + d];
  return { train: m(sp.train), val: m(sp.val), test: m(sp.test) };
}

/** Alignment key of every row across series: its time, or its position within its series. */
function alignKeys(s: SplitInput): Float64Array {
  if (s.times) return s.times;
  const out = new Float64Array(s.n);
  for (let i = 1; i < s.n; i++) out[i] = s.group[i] === s.group[i - 1] ? out[i - 1]! + 1 : 0;
  return out;
}

/** Mean over the series present at each key of one column. */
function meanByKey(keys: Float64Array, v: Float64Array, use: (i: number) => boolean = () => true): Map<number, number> {
  const sum = new Map<number, [number, number]>();
  for (let i = 0; i < v.length; i++) {
    if (!use(i)) continue;
    const e = sum.get(keys[i]!);
    if (e) {
      e[0] += v[i]!;
      e[1]++;
    } else sum.set(keys[i]!, [v[i]!, 1]);
  }
  return new Map([...sum].map(([k, [a, n]]) => [k, a / n]));
}

/**
 * Fleet inputs: with `farmMean` the mean over all series at the same time of every given column
 * (`farm mean: name`); with `neighbours` k, per series the mean target of the k other series whose
 * target correlates best with its own over the first fold's training times (`nearest k: target`).
 */
export function fleetColumns(s: SplitInput, c: ForecastConfig, cols: { name: string; values: Float64Array }[], target: Float64Array, targetName: string): { name: string; values: Float64Array }[] {
  if (!c.farmMean && !c.neighbours) return [];
  if (s.groups.length < 2) throw new ValueError(c.farmMean ? '--farm-mean' : '--neighbours', 'several series (--group-col) to take fleet inputs from', `${s.groups.length} series`);
  const keys = alignKeys(s);
  const out: { name: string; values: Float64Array }[] = [];
  if (c.farmMean) {
    for (const col of cols) {
      const m = meanByKey(keys, col.values);
      out.push({ name: `farm mean: ${col.name}`, values: Float64Array.from(keys, (k) => m.get(k)!) });
    }
  }
  if (c.neighbours) out.push({ name: `nearest ${c.neighbours}: ${targetName}`, values: neighbourMean(s, c, keys, target) });
  return out;
}

function neighbourMean(s: SplitInput, c: ForecastConfig, keys: Float64Array, y: Float64Array): Float64Array {
  const G = s.groups.length;
  if (c.neighbours >= G) throw new ValueError('--neighbours', `fewer than the ${G} series`, String(c.neighbours));
  const train = rangesOf(seriesSplits(s, Math.max(1, c.backtest), c.split)[0]!.train);
  const byGroup: Map<number, number>[] = Array.from({ length: G }, () => new Map());
  for (const [a, b] of train) for (let i = a; i < b; i++) byGroup[s.group[i]!]!.set(keys[i]!, y[i]!);
  const corr = (g: number, h: number): number => {
    let [n, sx, sy, sxx, syy, sxy] = [0, 0, 0, 0, 0, 0];
    for (const [k, x] of byGroup[g]!) {
      const v = byGroup[h]!.get(k);
      if (v === undefined) continue;
      n++;
      sx += x; sy += v; sxx += x * x; syy += v * v; sxy += x * v;
    }
    const d = Math.sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
    return n > 2 && d > 0 ? (n * sxy - sx * sy) / d : -Infinity;
  };
  const near = Array.from({ length: G }, (_, g) => Array.from({ length: G }, (_, h) => h).filter((h) => h !== g)
    .map((h) => [h, corr(g, h)] as const).sort((a, b) => b[1] - a[1]).slice(0, c.neighbours).map(([h]) => h));
  const all: Map<number, number>[] = Array.from({ length: G }, () => new Map());
  for (let i = 0; i < s.n; i++) all[s.group[i]!]!.set(keys[i]!, y[i]!);
  return Float64Array.from({ length: s.n }, (_, i) => {
    const vals = near[s.group[i]!]!.map((h) => all[h]!.get(keys[i]!)).filter((v): v is number => v !== undefined);
    return vals.length ? vals.reduce((a, v) => a + v, 0) / vals.length : y[i]!;
  });
}

/** Times going back in a file without --group-col are often the start of the next series: say so. */
export function timesWithHint<T>(read: () => T, single: boolean): T {
  try {
    return read();
  } catch (e) {
    if (single && e instanceof FormatError && /expected times increasing/.test(e.message)) e.message += ' (several series in one file, e.g. one per turbine? name their id column with --group-col)';
    throw e;
  }
}

/** One series of a multi-series file, its fleet inputs computed from all of them (a per-series fleet model). */
export function onlySeries(s: Series, name: string): Series {
  const g = s.groups.indexOf(name);
  if (g < 0) throw new ValueError('--series', `one of the series (${s.groups.slice(0, 8).join(', ')}${s.groups.length > 8 ? ', …' : ''})`, JSON.stringify(name));
  const [a, b] = seriesBounds(s.group, s.groups.length)[g]!;
  return {
    ...s, n: b - a, times: s.times?.slice(a, b) ?? null, raw: s.raw.slice(a * s.F, b * s.F), reference: s.reference?.slice(a, b) ?? null,
    segment: s.segment.slice(a, b), segStart: s.segStart.slice(a, b).map((v) => v - a), lines: s.lines.slice(a, b), groups: [name], group: new Int32Array(b - a),
    notes: s.notes.filter((x) => !x.includes('series (column')),
  };
}
