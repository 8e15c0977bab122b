/**
 * The gait experiment's numbers: step F1 per window × model (mean ± sd over test subjects and
 * seeds), the LSTM − GRU difference paired by subject (seeds averaged first) with a 95 % t
 * interval over subjects, the same for the better recurrent model against the classical
 * detector, and the dependency lengths read from gradient flow. The verdict sentences are
 * computed from these numbers.
 */
import { fmtNum, textTable, wrapText } from '../common/table.js';
import { f1Of } from './events.js';
import type { Cell } from './model.js';
import type { GaitResult } from './run.js';

export interface Stat {
  mean: number;
  sd: number;
  n: number;
}

export interface Paired extends Stat {
  lo: number;
  hi: number;
}

export interface WindowSummary {
  W: number;
  models: Record<Cell, Stat & { reach1: number; reach10: number; lr: number[] }>;
  classical: Stat;
  lstmMinusGru: Paired;
  /** The better recurrent model (by mean F1) minus the classical detector, paired by subject. */
  bestMinusClassical: Paired & { cell: Cell };
}

export const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
export const sd = (v: readonly number[]): number => (v.length > 1 ? Math.sqrt(v.reduce((a, x) => a + (x - mean(v)) ** 2, 0) / (v.length - 1)) : NaN);
const stat = (v: readonly number[]): Stat => ({ mean: mean(v), sd: sd(v), n: v.length });

// Two-sided 95 % quantiles of Student's t for 1–30 degrees of freedom (then 1.96).
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];
export function t975(df: number): number {
  return df < 1 ? NaN : (T975[df - 1] ?? 1.96);
}

/** Mean of paired differences with its 95 % t interval. */
export function paired(d: readonly number[]): Paired {
  const s = stat(d);
  const half = t975(d.length - 1) * s.sd / Math.sqrt(d.length);
  return { ...s, lo: s.mean - half, hi: s.mean + half };
}

/** F1 per test subject for one (W, cell), averaged over seeds, keyed by subject. */
function bySubject(r: GaitResult, W: number, cell: Cell, tol: number): { all: number[]; perSubject: Map<number, number> } {
  const acc = new Map<number, number[]>();
  for (const f of r.folds) for (const run of f.rnn) if (run.W === W && run.cell === cell) for (const s of run.subjects) acc.set(s.subject, [...(acc.get(s.subject) ?? []), f1Of(s.counts[tol]!)]);
  return { all: [...acc.values()].flat(), perSubject: new Map([...acc].map(([k, v]) => [k, mean(v)])) };
}

export function summarise(r: GaitResult, tol = 0): WindowSummary[] {
  const cl = new Map(r.folds.flatMap((f) => f.classical.subjects.map((s) => [s.subject, f1Of(s.counts[tol]!)] as const)));
  return r.settings.windows.map((W) => {
    const per = Object.fromEntries(r.settings.cells.map((c) => [c, bySubject(r, W, c, tol)])) as Record<Cell, ReturnType<typeof bySubject>>;
    const models = Object.fromEntries(r.settings.cells.map((c) => {
      const runs = r.folds.flatMap((f) => f.rnn.filter((x) => x.W === W && x.cell === c));
      const reach = (k: 'reach1' | 'reach10'): number => mean(runs.filter((x) => x.flow).map((x) => x.flow![k]));
      return [c, { ...stat(per[c].all), reach1: reach('reach1'), reach10: reach('reach10'), lr: runs.map((x) => x.lr) }];
    })) as WindowSummary['models'];
    const subjects = [...cl.keys()].sort((a, b) => a - b);
    const diff = (a: Map<number, number>, b: Map<number, number>): number[] => subjects.filter((s) => a.has(s) && b.has(s)).map((s) => a.get(s)! - b.get(s)!);
    const best: Cell = models.lstm.mean >= models.gru.mean ? 'lstm' : 'gru';
    return {
      W, models, classical: stat([...cl.values()]),
      lstmMinusGru: paired(diff(per.lstm.perSubject, per.gru.perSubject)),
      bestMinusClassical: { cell: best, ...paired(diff(per[best].perSubject, cl)) },
    };
  });
}

const pm = (s: Stat): string => `${s.mean.toFixed(3)} ± ${Number.isFinite(s.sd) ? s.sd.toFixed(3) : '–'}`;
const ci = (p: Paired): string => `${p.mean >= 0 ? '+' : '−'}${Math.abs(p.mean).toFixed(3)} [${p.lo.toFixed(3)}, ${p.hi.toFixed(3)}]`;

export const TABLE_COLUMNS = ['window W', 'LSTM F1', 'GRU F1', 'classical F1', 'LSTM − GRU [95 % CI]', 'reach LSTM', 'reach GRU'];

export function tableRows(s: readonly WindowSummary[]): string[][] {
  return s.map((w) => [String(w.W), pm(w.models.lstm), pm(w.models.gru), pm(w.classical), ci(w.lstmMinusGru), fmtNum(w.models.lstm.reach1, 3), fmtNum(w.models.gru.reach1, 3)]);
}

/** The verdict sentences, worded from the numbers. */
export function verdict(s: readonly WindowSummary[], tol: number): string[] {
  const adv = s.filter((w) => w.lstmMinusGru.lo > 0).map((w) => w.W);
  const worse = s.filter((w) => w.lstmMinusGru.hi < 0).map((w) => w.W);
  const lines = [
    adv.length
      ? `The LSTM's advantage over the GRU appears at W = ${adv.join(', ')} samples (95 % interval of the subject-paired LSTM − GRU F1 above 0)${adv[0] === s[0]!.W ? '' : `, first at W = ${adv[0]}`}; at ${s.filter((w) => !adv.includes(w.W)).map((w) => w.W).join(', ') || 'no other window'} it does not.`
      : `No window length shows an LSTM advantage: at every W (${s.map((w) => w.W).join(', ')}) the 95 % interval of the subject-paired LSTM − GRU F1 includes 0${worse.length ? ` or lies below it (GRU better at W = ${worse.join(', ')})` : ''}.`,
  ];
  const beat = s.filter((w) => w.bestMinusClassical.lo > 0);
  const below = s.filter((w) => w.bestMinusClassical.hi < 0);
  const list = (ws: WindowSummary[]): string => ws.map((w) => `W = ${w.W} (${w.bestMinusClassical.cell.toUpperCase()} ${ci(w.bestMinusClassical)})`).join(', ');
  const rest = s.length - beat.length - below.length;
  lines.push(
    `Against the tuned zero-velocity detector (F1 ${pm(s[0]!.classical)}), the better recurrent model at each window ${[
      beat.length ? `beats it at ${list(beat)}` : '',
      below.length ? `falls below it at ${list(below)}` : '',
      rest ? `does not differ from it conclusively (95 % interval includes 0) at W = ${s.filter((w) => !beat.includes(w) && !below.includes(w)).map((w) => w.W).join(', ')}` : '',
    ].filter(Boolean).join('; ')}.`,
    `Step F1 at a tolerance of ${tol} samples (${tol * 10} ms) on both the start and the end of a step.`,
  );
  return lines;
}

/** The terminal table. */
export function formatGait(r: GaitResult): string {
  const s = summarise(r);
  const tol = r.settings.tols[0]!;
  return [
    `Step F1 (± sd over test subjects × seeds), leave-subjects-out, ${r.folds.length} fold(s) of ${r.settings.folds}, ${r.settings.seeds} seeds; LSTM H=${r.settings.hidden.lstm} (${r.settings.params.lstm} parameters), GRU H=${r.settings.hidden.gru} (${r.settings.params.gru}); reach = lag where the gradient falls below 1 % of lag 0 (samples).`,
    textTable(TABLE_COLUMNS, tableRows(s)),
    '',
    ...verdict(s, tol).map((l) => wrapText(l, 110)),
  ].join('\n');
}
