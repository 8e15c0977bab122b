/**
 * The saved state of experiments/sepsis-bounds.ts (belief points and upper-bound points) and a pool of
 * worker threads that sweeps the upper bound over both cores.
 *
 * File format: records of (kind 0 = belief point | 1 = upper-bound point, t, o, v, b[10]) as float64.
 *
 * The pool: every worker loads the same file, so all hold the same bound; a sweep step t hands each
 * worker a share of the cells of step t (sweepCell: a cell reads only step t + 1 and itself) and
 * sends every worker the others' results before the next step, so each copy, and the caller's, ends
 * as a sequential ubSweep would leave it (the same bits). Belief points the caller adds between
 * sweeps (episodes, siblings) are sent before the next sweep.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { HORIZON, N_OBS, buildModel } from '../src/recipes/sepsis/simulator.js';
import { N_HIDDEN } from '../src/recipes/sepsis/filter.js';
import { dot, emptyPoints, hiddenModel, type BeliefPoints } from '../src/recipes/sepsis/pomdp.js';
import { sweepCell, upperBound, withExactTail, type UpperBound } from '../src/recipes/sepsis/hsvi.js';

/** How a loaded bound evaluates: the LP's K and pricing rounds, the exact tail and its expansion. */
export interface BoundOptions { lp: number; price: number; tail: number; expand: number }

const REC = 4 + N_HIDDEN;
const m = buildModel('master');

export function saveBound(path: string, P: BeliefPoints, ub: UpperBound): void {
  const rows: number[] = [];
  P.forEach((row, t) => row.forEach((cell, o) => { for (const b of cell) rows.push(0, t, o, 0, ...b); }));
  ub.pts.forEach((row, t) => row.forEach((cell, o) => { for (const p of cell) rows.push(1, t, o, p.d + dot(ub.corner[t]![o]!, p.b), ...p.b); }));
  writeFileSync(path, new Float64Array(rows));
}

export function loadBound(path: string, o: BoundOptions): { P: BeliefPoints; ub: UpperBound } {
  const buf = readFileSync(path), x = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
  const P = emptyPoints(), ub = upperBound(hiddenModel(m), HORIZON, o.lp), byKey = new Map<string, { b: Float64Array; d: number }>();
  for (let i = 0; i < x.length; i += REC) {
    const [kind, t, ob, v] = [x[i]!, x[i + 1]!, x[i + 2]!, x[i + 3]!], b = x.slice(i + 4, i + REC);
    if (kind === 0) { P[t]![ob]!.push(b); continue; }
    const key = `${t},${ob},${b.join()}`, d = v - dot(ub.corner[t]![ob]!, b), p = byKey.get(key);
    if (p) p.d = Math.min(p.d, d);
    else { byKey.set(key, { b, d }); ub.pts[t]![ob]!.push(byKey.get(key)!); }
  }
  // The belief points' own arrays, so that ubSweep finds their stored upper-bound points.
  P.forEach((row, t) => row.forEach((cell, ob) => cell.forEach((b, k) => { const p = byKey.get(`${t},${ob},${b.join()}`); if (p) { cell[k] = p.b; ub.seen.set(p.b, p); } })));
  ub.price = o.price;
  if (o.tail) withExactTail(m, ub.om, ub, o.tail, o.expand);
  return { P, ub };
}

/** Results of cells of one step: per cell [o, n, corner (10), d of its n points]. */
function packCells(ub: UpperBound, t: number, cells: ArrayLike<number>): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < cells.length; i++) {
    const o = cells[i]!, pts = ub.pts[t]![o]!;
    out.push(o, pts.length, ...ub.corner[t]![o]!);
    for (const p of pts) out.push(p.d);
  }
  return Float64Array.from(out);
}

/** Take another copy's results for step t: corners, every point's value, and the points it appended (P's unseen beliefs, in order). */
function applyCells(ub: UpperBound, P: BeliefPoints, t: number, r: Float64Array): void {
  for (let i = 0; i < r.length;) {
    const o = r[i]!, n = r[i + 1]!, pts = ub.pts[t]![o]!;
    ub.corner[t]![o]!.set(r.subarray(i + 2, i + 2 + N_HIDDEN));
    for (const b of P[t]![o]!) if (!ub.seen.has(b)) { const p = { b, d: 0 }; ub.seen.set(b, p); pts.push(p); }
    if (pts.length !== n) throw new Error(`sweep pool: cell (${t}, ${o}) has ${pts.length} points here, ${n} in the worker`);
    for (let k = 0; k < n; k++) pts[k]!.d = r[i + 2 + N_HIDDEN + k]!;
    i += 2 + N_HIDDEN + n;
  }
}

/** Belief points added since `sent` (per cell counts, updated): records (t, o, b[10]). */
function newPoints(P: BeliefPoints, sent: number[][]): Float64Array {
  const out: number[] = [];
  P.forEach((row, t) => row.forEach((cell, o) => { for (let k = sent[t]![o]!; k < cell.length; k++) out.push(t, o, ...cell[k]!); sent[t]![o] = cell.length; }));
  return Float64Array.from(out);
}

type Msg = { kind: 'points'; x: Float64Array } | { kind: 'step'; t: number; cells: Int32Array; apply: Float64Array[]; corners: boolean };

export class SweepPool {
  private readonly sent: number[][];
  private constructor(private readonly workers: Worker[], P: BeliefPoints) {
    this.sent = P.map((row) => row.map((cell) => cell.length));
  }

  /** n workers, each loading `file` with the same options as the caller did. */
  static async start(file: string, o: BoundOptions, n: number, P: BeliefPoints): Promise<SweepPool> {
    // Each worker loads this file through tsx's loader, registered in the worker itself (as tools/fuzz.ts does).
    const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
    const workers = Array.from({ length: n }, () => new Worker(boot, { eval: true, workerData: { file, o } }));
    // A worker that fails ends the run (its cells' results would be missing).
    for (const w of workers) w.on('error', (e) => { console.error('sweep worker failed:', e); process.exit(1); });
    await Promise.all(workers.map((w) => new Promise<void>((ok) => w.once('message', () => ok()))));
    return new SweepPool(workers, P);
  }

  /** ubSweep over the workers: the caller's ub ends as ubSweep would leave it. */
  async sweep(P: BeliefPoints, ub: UpperBound, o: { corners?: boolean; onStep?: (t: number) => void } = {}): Promise<void> {
    const x = newPoints(P, this.sent);
    for (const w of this.workers) w.postMessage({ kind: 'points', x } satisfies Msg);
    let last: Float64Array[] = this.workers.map(() => new Float64Array(0));
    for (let t = Math.min(ub.pts.length, ub.exactFrom) - 1; t >= 0; t--) {
      o.onStep?.(t);
      // Cells by their number of belief points, largest first, each to the least loaded worker.
      const load = this.workers.map(() => 0), share: number[][] = this.workers.map(() => []);
      const order = Array.from({ length: N_OBS }, (_, ob) => ob).filter((ob) => P[t]![ob]!.length > 0 || o.corners).sort((a, b) => P[t]![b]!.length - P[t]![a]!.length || a - b);
      for (const ob of order) {
        let w = 0;
        for (let k = 1; k < load.length; k++) if (load[k]! < load[w]!) w = k;
        share[w]!.push(ob); load[w]! += P[t]![ob]!.length + 1;
      }
      const prev = last;
      last = await Promise.all(this.workers.map((w, k) => new Promise<Float64Array>((ok) => {
        w.once('message', (r: Float64Array) => ok(r));
        w.postMessage({ kind: 'step', t, cells: Int32Array.from(share[k]!.sort((a, b) => a - b)), apply: prev.filter((_, j) => j !== k), corners: o.corners ?? false } satisfies Msg);
      })));
      for (const r of last) applyCells(ub, P, t, r);
    }
    // Every worker takes step 0's results too, so the copies stay equal for the next sweep.
    for (const w of this.workers) w.postMessage({ kind: 'step', t: -1, cells: new Int32Array(0), apply: last, corners: false } satisfies Msg);
    await Promise.all(this.workers.map((w) => new Promise((ok) => w.once('message', ok))));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

if (!isMainThread) {
  const { file, o } = workerData as { file: string; o: BoundOptions };
  const { P, ub } = loadBound(file, o);
  const port = parentPort!;
  port.on('message', (msg: Msg) => {
    if (msg.kind === 'points') {
      for (let i = 0; i < msg.x.length; i += 2 + N_HIDDEN) P[msg.x[i]!]![msg.x[i + 1]!]!.push(msg.x.slice(i + 2, i + 2 + N_HIDDEN));
      return;
    }
    for (const r of msg.apply) applyCells(ub, P, msg.t + 1, r);
    if (msg.t < 0) return port.postMessage(new Float64Array(0));
    for (const ob of msg.cells) sweepCell(ub.om, ub, P, msg.t, ob, msg.corners);
    port.postMessage(packCells(ub, msg.t, msg.cells));
  });
  port.postMessage('ready');
}
