/**
 * The printable result of a classification run on the user's own data (any class set): per
 * system the error of every true class, accuracy and macro-F1, the per-fold spread, and a
 * verdict of the model against the strongest baseline. (The splice preset prints table.ts's
 * table instead, with the published rows.)
 */
import { textTable, wrapText } from '../common/table.js';
import { meanSd } from './run.js';

/** What the table needs of a system (SpliceSystemResult has it). */
export interface ClassRow {
  label: string;
  perClassError: Record<string, number>;
  foldErrors: number[][];
  metrics: { accuracy: number; macroF1: number };
}

const WIDTH = 100;
const fmt = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '—' : v.toFixed(2));

/** Index of the strongest baseline (rows 1…: highest accuracy, the first on a tie), or null. */
export function strongestBaselineOf(rows: readonly ClassRow[]): number | null {
  let best: number | null = null;
  for (let i = 1; i < rows.length; i++) if (best === null || rows[i]!.metrics.accuracy > rows[best]!.metrics.accuracy) best = i;
  return best;
}

/** Model − baseline error of class c per fold: mean and sd, or null with fewer than two folds. */
function margin(a: ClassRow, b: ClassRow, c: number): [number, number] | null {
  const d = a.foldErrors.map((r, f) => r[c]! - b.foldErrors[f]![c]!).filter((v) => !Number.isNaN(v));
  return d.length < 2 ? null : meanSd(d);
}

function versus(model: number, base: number, m: [number, number] | null): string {
  if (!Number.isFinite(model) || !Number.isFinite(base)) return 'not comparable';
  const [d, sd] = m ?? [model - base, NaN];
  const size = Math.abs(d).toFixed(2);
  if (Number(size) === 0) return 'equal';
  const word = `${d < 0 ? 'better' : 'worse'} by ${size}${m ? ` ± ${sd.toFixed(2)}` : ' points'}`;
  return m && Math.abs(d) <= sd ? `${word}, within 1 sd` : word;
}

/** The verdict lines: per class the model against the strongest baseline, then accuracy. */
export function classVerdict(classes: readonly string[], rows: readonly ClassRow[]): string[] {
  const b = strongestBaselineOf(rows);
  if (b === null) return [];
  const [model, base] = [rows[0]!, rows[b]!];
  const perClass = classes.map((c, k) => ({ c, v: versus(model.perClassError[c]!, base.perClassError[c]!, margin(model, base, k)) }));
  const better = perClass.filter((x) => x.v.startsWith('better')).length;
  const [ma, ba] = [100 * model.metrics.accuracy, 100 * base.metrics.accuracy];
  const word = ma.toFixed(2) === ba.toFixed(2) ? 'the same as' : ma > ba ? 'better than' : 'worse than';
  const paired = model.foldErrors.length > 1 ? ' ("± sd": over folds, of the paired per-fold difference in points)' : '';
  return [
    `Verdict for ${model.label} against the strongest baseline, ${base.label.replace(/^baseline: /, '')} (error %, lower is better${paired}):`,
    ...perClass.map((x) => `  ${x.c}: ${fmt(model.perClassError[x.c])} against ${fmt(base.perClassError[x.c])}: ${x.v}`),
    `Lower error on ${better} of ${classes.length} classes; accuracy ${ma.toFixed(2)} % against ${ba.toFixed(2)} %: ${word} the baseline.`,
  ];
}

/**
 * The table as monospaced text.
 * @example console.log(formatClassifyTable('5-fold CV on 400 sequences', ['a', 'b'], rows));
 */
export function formatClassifyTable(title: string, classes: readonly string[], rows: readonly ClassRow[]): string {
  const cols = ['system', ...classes.map((c) => `err ${c}`), 'accuracy', 'macro-F1'];
  const body = rows.map((r) => [r.label, ...classes.map((c) => fmt(r.perClassError[c])), fmt(100 * r.metrics.accuracy), r.metrics.macroF1.toFixed(3)]);
  const out = [wrapText(title, WIDTH), textTable(cols, body)];
  if (rows[0] && rows[0].foldErrors.length > 1) {
    out.push(`per-fold error of each class, mean ± sd over the ${rows[0].foldErrors.length} folds:`);
    out.push(textTable(['system', ...classes], rows.map((r) => [r.label, ...classes.map((_, k) => {
      const [m, sd] = meanSd(r.foldErrors.map((f) => f[k]!));
      return `${fmt(m)} ± ${fmt(sd)}`;
    })])));
  }
  const v = classVerdict(classes, rows);
  if (v.length) out.push('', ...v.map((l) => wrapText(l, WIDTH, '  ')));
  return out.join('\n');
}
