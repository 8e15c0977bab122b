/**
 * Pool the runs of a benchmark session into per-workload summaries (medians over every timed
 * repetition of every round), evaluate the targets, and print the table.
 */
import {
  DESCRIPTION, SHAPES, TARGETS, figureOf, gflopsOf, median, memoryBound, speedRatio, unitOf,
  type MemoryBound, type PeerName, type RepUnits, type WorkloadId,
} from './workloads.js';

/** One child-process run as bench/run.ts records it. */
export interface Run {
  round: number;
  workload: WorkloadId | 'peak' | 'baseline';
  peer: 'recur' | PeerName;
  label: string;
  error: string | null;
  wall_s: number;
  cpu_s: number | null;
  max_rss_kb: number | null;
  foreign_cores: number | null;
  rec: Record<string, unknown> | null;
}

export interface Figure {
  label: string;
  /** seq/s or µs/step, median over the pooled repetitions. */
  median: number;
  min: number;
  max: number;
  reps: number;
  gflops: number;
  variant?: string | null;
  foreign_cores: number | null;
  /** Largest peak RSS of the runs (getrusage via /usr/bin/time), MB; null when unknown. */
  rss_mb: number | null;
}

export interface TargetResult {
  text: string;
  status: 'met' | 'missed' | 'n/a';
  detail: string;
}

export interface WorkloadSummary {
  workload: WorkloadId;
  description: string;
  unit: string;
  recur: (Figure & { pct_peak: number | null; max_rss_mb: number | null }) | null;
  recur_error: string | null;
  memory_bound_mb: { data: number; activations: number; params: number; baseline: number; total: number };
  peers: Figure[];
  best_per_peer: Partial<Record<PeerName, Figure>>;
  /** recur / peer speed (> 1 = recur faster), per peer's best variant. */
  ratios: Partial<Record<PeerName, number>>;
  peer_errors: Record<string, string>;
  targets: TargetResult[];
}

function repUnits(rec: Record<string, unknown>): RepUnits {
  return { seqs_per_rep: rec['seqs_per_rep'] as number | undefined, steps_per_rep: rec['steps_per_rep'] as number | undefined };
}

/** Pool times of the runs (optionally one W4 variant) into a Figure. */
function pool(w: WorkloadId, label: string, runs: Run[], variant?: string): Figure | null {
  const s = SHAPES[w];
  const vals: number[] = [];
  const foreign: number[] = [];
  const rss: number[] = [];
  for (const r of runs) {
    if (!r.rec) continue;
    const kb = (r.rec['max_rss_kb'] as number | undefined) ?? r.max_rss_kb;
    if (typeof kb === 'number') rss.push(kb / 1024);
    const variants = r.rec['variants'] as Record<string, number[]> | undefined;
    const ts = variant !== undefined && variants ? variants[variant] ?? [] : ((r.rec['times_s'] as number[] | undefined) ?? []);
    for (const t of ts) vals.push(figureOf(s, t, repUnits(r.rec)));
    if (r.foreign_cores !== null) foreign.push(r.foreign_cores);
  }
  if (!vals.length) return null;
  const m = median(vals);
  return {
    label, median: m, min: Math.min(...vals), max: Math.max(...vals), reps: vals.length, gflops: gflopsOf(s, m),
    variant: variant ?? null, foreign_cores: foreign.length ? median(foreign) : null, rss_mb: rss.length ? Math.max(...rss) : null,
  };
}

/** Better figure of two: higher seq/s or lower µs/step. */
function better(w: WorkloadId, a: Figure, b: Figure): Figure {
  const lowerIsBetter = SHAPES[w].mode === 'stream';
  return (lowerIsBetter ? a.median <= b.median : a.median >= b.median) ? a : b;
}

const MB = 1024 * 1024;

export function summarize(w: WorkloadId, runs: Run[], peakGflops: number | null, baselineKb: number): WorkloadSummary {
  const s = SHAPES[w];
  const mine = runs.filter((r) => r.workload === w);
  const rec = mine.filter((r) => r.peer === 'recur');
  let recurFig: Figure | null = null;
  if (s.mode === 'stream') {
    const names = new Set(rec.flatMap((r) => Object.keys((r.rec?.['variants'] as object | undefined) ?? {})));
    for (const v of names) {
      const f = pool(w, 'recur', rec, v);
      if (f) recurFig = recurFig ? better(w, recurFig, f) : f;
    }
  } else recurFig = pool(w, 'recur', rec);
  const rss = rec.map((r) => (r.rec?.['max_rss_kb'] as number | undefined) ?? r.max_rss_kb).filter((v): v is number => typeof v === 'number');
  const mb = memoryBound(s, baselineKb * 1024);
  const peers: Figure[] = [];
  const best: Partial<Record<PeerName, Figure>> = {};
  const peerErrors: Record<string, string> = {};
  for (const label of [...new Set(mine.filter((r) => r.peer !== 'recur').map((r) => r.label))]) {
    const rs = mine.filter((r) => r.label === label);
    const f = pool(w, label, rs);
    if (!f) {
      peerErrors[label] = rs.find((r) => r.error)?.error ?? 'no timings';
      continue;
    }
    f.variant = (rs.find((r) => r.rec)?.rec?.['variant'] as string | null | undefined) ?? null;
    peers.push(f);
    const peer = rs[0]!.peer as PeerName;
    best[peer] = best[peer] ? better(w, best[peer]!, f) : f;
  }
  const ratios: Partial<Record<PeerName, number>> = {};
  if (recurFig) for (const [p, f] of Object.entries(best) as [PeerName, Figure][]) ratios[p] = speedRatio(s, recurFig.median, f.median);
  const maxRss = rss.length ? Math.max(...rss) / 1024 : null;
  const summary: WorkloadSummary = {
    workload: w, description: DESCRIPTION[w], unit: unitOf(s),
    recur: recurFig ? { ...recurFig, pct_peak: peakGflops ? (100 * recurFig.gflops) / peakGflops : null, max_rss_mb: maxRss } : null,
    recur_error: rec.find((r) => r.error)?.error ?? null,
    memory_bound_mb: { data: mb.dataBytes / MB, activations: mb.activationBytes / MB, params: mb.paramBytes / MB, baseline: mb.baselineBytes / MB, total: mb.totalBytes / MB },
    peers, best_per_peer: best, ratios, peer_errors: peerErrors, targets: [],
  };
  summary.targets = evaluateTargets(w, summary, mb, runs);
  return summary;
}

function evaluateTargets(w: WorkloadId, s: WorkloadSummary, mb: MemoryBound, runs: Run[]): TargetResult[] {
  return TARGETS[w].map((t): TargetResult => {
    if (!s.recur) return { text: t.text, status: 'n/a', detail: 'recur did not run' };
    if (t.kind === 'vsOwn') {
      const other = pool(t.of, 'recur', runs.filter((r) => r.workload === t.of && r.peer === 'recur'));
      if (!other) return { text: t.text, status: 'n/a', detail: `needs ${t.of} in --workloads` };
      const ratio = other.median / s.recur.median; // seq/s of the other over this one = time ratio (same B)
      return { text: t.text, status: ratio <= t.maxTimeRatio ? 'met' : 'missed', detail: `${fmtRatio(ratio)} the time of ${t.of}` };
    }
    if (t.kind === 'maxUsPerStep') {
      return { text: t.text, status: s.recur.median <= t.max ? 'met' : 'missed', detail: `${fmt(s.recur.median)} µs/step` };
    }
    if (t.kind === 'rss') {
      if (s.recur.max_rss_mb === null) return { text: t.text, status: 'n/a', detail: 'RSS unknown' };
      const lim = (t.factor * mb.totalBytes) / MB;
      return { text: t.text, status: s.recur.max_rss_mb <= lim ? 'met' : 'missed', detail: `${s.recur.max_rss_mb.toFixed(0)} MB vs ${lim.toFixed(0)} MB` };
    }
    const have = t.vs.filter((p) => s.ratios[p] !== undefined);
    if (!have.length) return { text: t.text, status: 'n/a', detail: `needs --peers with ${t.vs.join('/')}` };
    const worst = Math.min(...have.map((p) => s.ratios[p]!)); // vs the fastest peer listed
    const missing = t.vs.filter((p) => !have.includes(p));
    return {
      text: t.text, status: worst >= t.min ? 'met' : 'missed',
      detail: `${fmtRatio(worst)}${missing.length ? ` (without ${missing.join(', ')})` : ''}`,
    };
  });
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (v >= 1000) return Math.round(v).toLocaleString('en-US');
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

export function fmtRatio(r: number): string {
  return r >= 10 ? `${r.toFixed(0)}×` : r >= 0.1 ? `${r.toFixed(2)}×` : `${r.toPrecision(2)}×`;
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** The main table (markdown, readable in a terminal), one row per workload. */
export function table(sums: WorkloadSummary[], peerNames: PeerName[]): string {
  const head = ['workload', 'recur', 'GFLOP/s', '% peak', 'peak RSS MB (bound)', 'other load', ...peerNames.map((p) => `${p} (recur/peer)`), 'targets'];
  const lines = [row(head), row(head.map(() => '---'))];
  for (const s of sums) {
    const r = s.recur;
    const peerCells = peerNames.map((p) => {
      const f = s.best_per_peer[p];
      if (!f) return Object.keys(s.peer_errors).some((l) => l.startsWith(p)) ? 'failed' : '–';
      return `${fmt(f.median)}${f.variant && s.unit === 'µs/step' ? ` ${f.variant}` : ''} (${fmtRatio(s.ratios[p]!)})`;
    });
    const targets = s.targets.map((t) => `${t.text}: ${t.status.toUpperCase()} ${t.detail}`).join('; ');
    lines.push(row([
      `${s.workload} ${s.unit}`,
      r ? `**${fmt(r.median)}**${r.variant ? ` ${r.variant}` : ''}` : s.recur_error ? `failed: ${s.recur_error.slice(0, 60)}` : '–',
      r ? fmt(r.gflops) : '–',
      r && r.pct_peak !== null ? `${r.pct_peak.toFixed(1)}%` : '–',
      r && r.max_rss_mb !== null ? `${r.max_rss_mb.toFixed(0)} (${s.memory_bound_mb.total.toFixed(0)})` : '–',
      r && r.foreign_cores !== null ? r.foreign_cores.toFixed(2) : '–',
      ...peerCells,
      targets,
    ]));
  }
  return lines.join('\n');
}

/** Every peer label (all variants) with its spread, for the detail listing. */
export function detail(sums: WorkloadSummary[]): string {
  const out: string[] = [];
  for (const s of sums) {
    const all = [...(s.recur ? [s.recur] : []), ...s.peers];
    for (const f of all) {
      out.push(`  ${s.workload} ${f.label.padEnd(22)} ${fmt(f.median).padStart(8)} ${s.unit}  [${fmt(f.min)}–${fmt(f.max)}, ${f.reps} reps]  ${fmt(f.gflops)} GFLOP/s` +
        `${f.variant ? `  ${f.variant}` : ''}${f.rss_mb !== null ? `  RSS ${f.rss_mb.toFixed(0)} MB` : ''}` +
        `${f.foreign_cores !== null ? `  other load ${f.foreign_cores.toFixed(2)} cores` : ''}`);
    }
    for (const [l, e] of Object.entries(s.peer_errors)) out.push(`  ${s.workload} ${l.padEnd(22)} failed: ${e.slice(0, 200)}`);
    const m = s.memory_bound_mb;
    out.push(`  ${s.workload} memory bound ${m.total.toFixed(1)} MB = data ${m.data.toFixed(1)} + activations ${m.activations.toFixed(1)} + params ${m.params.toFixed(1)} + Node baseline ${m.baseline.toFixed(1)}`);
  }
  return out.join('\n');
}
