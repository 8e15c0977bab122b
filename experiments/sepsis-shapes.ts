/**
 * How many distinct glucose shapes (the glucose distribution given each diabetes value) the upper-bound points of a saved
 * bound (experiments/sepsis-bounds.ts --save) have, per (t, o) cell and per t, with the shape's entries rounded to `tol`:
 *   npx tsx experiments/sepsis-shapes.ts FILE [tol=1e-6]
 * Points of one shape differ only in P(diabetic), along which the value is convex (README, "Deciding 0.30, third part").
 */
import { readFileSync } from 'node:fs';
const x = (() => { const buf = readFileSync(process.argv[2]!); return new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8); })();
const tol = Number(process.argv[3] ?? 1e-6);
const shapeKey = (b: Float64Array): string => {
  const z0 = b[0]! + b[1]! + b[2]! + b[3]! + b[4]!, z1 = b[5]! + b[6]! + b[7]! + b[8]! + b[9]!;
  const r = (v: number): number => Math.round(v / tol);
  return [...Array.from(b.subarray(0, 5), (v) => (z0 > 0 ? r(v / z0) : 'x')), ...Array.from(b.subarray(5), (v) => (z1 > 0 ? r(v / z1) : 'x'))].join();
};
let pts = 0;
const cells = new Map<string, Map<string, number>>(), global = new Map<number, Set<string>>();
for (let i = 0; i < x.length; i += 14) {
  if (x[i] !== 1) continue;
  const t = x[i + 1]!, o = x[i + 2]!, b = x.slice(i + 4, i + 14), k = shapeKey(b);
  pts++;
  const c = `${t},${o}`;
  if (!cells.has(c)) cells.set(c, new Map());
  cells.get(c)!.set(k, (cells.get(c)!.get(k) ?? 0) + 1);
  if (!global.has(t)) global.set(t, new Set());
  global.get(t)!.add(k);
}
let shapes = 0, multi = 0;
for (const c of cells.values()) { shapes += c.size; for (const n of c.values()) if (n > 1) multi += n; }
console.log(`tol ${tol}: ${pts} ub points, ${cells.size} cells, ${shapes} distinct (cell, shape); points sharing a shape with another in their cell: ${multi}`);
console.log('distinct shapes per t:', [...global].sort((a, b) => a[0] - b[0]).map(([t, s]) => `${t}:${s.size}`).join(' '));
