/** Plain-text tables for terminal summaries. */

/** Format a number for a table: 4 significant digits, "–" for null/NaN. */
export function fmtNum(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (Number.isInteger(v) && Math.abs(v) < 1e7) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e7) ? v.toExponential(digits - 1) : String(Number(v.toPrecision(digits)));
}

/**
 * Columns padded to their widest cell; numbers right-aligned.
 * @example textTable(['method', 'MAE'], [['model', 1.5]]) // "method  MAE\nmodel   1.5"
 */
export function textTable(columns: readonly string[], rows: readonly (string | number | null)[][]): string {
  const cells = rows.map((r) => r.map((v) => (typeof v === 'string' ? v : fmtNum(v))));
  const width = columns.map((c, j) => Math.max(c.length, ...cells.map((r) => r[j]!.length)));
  const line = (r: readonly string[], raw: readonly (string | number | null)[] | null): string =>
    r.map((v, j) => (raw && typeof raw[j] !== 'string' ? v.padStart(width[j]!) : v.padEnd(width[j]!))).join('  ').trimEnd();
  return [line(columns, null), line(width.map((w) => '-'.repeat(w)), null), ...cells.map((r, i) => line(r, rows[i]!))].join('\n');
}

/**
 * Word-wrap text to lines of at most `width` characters (a longer word stays whole), indenting
 * continuation lines; keeps terminal output from wrapping mid-word on 80–120-column screens.
 * @example wrapText('a b c', 3) // "a b\nc"
 */
export function wrapText(text: string, width = 100, indent = ''): string {
  const lines: string[] = [];
  let cur = '';
  for (const word of text.split(/ +/)) {
    const next = cur ? `${cur} ${word}` : (lines.length ? indent : '') + word;
    if (cur && next.length > width) {
      lines.push(cur);
      cur = indent + word;
    } else cur = next;
  }
  if (cur) lines.push(cur);
  return lines.join('\n');
}

/**
 * A relative change as a signed percentage, "+1.9 %" / "−2.2 %" (a real minus sign).
 * @example signedPct(-0.0221) // "−2.2 %"
 */
export function signedPct(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return '–';
  const v = (100 * x).toFixed(digits);
  return Number(v) === 0 ? `${(0).toFixed(digits)} %` : x > 0 ? `+${v} %` : `−${v.slice(1)} %`;
}
