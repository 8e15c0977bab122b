/**
 * W5 batches with the CPU time of every thread of the process (/proc/self/task/<id>/stat utime + stime,
 * clock ticks of 10 ms): whether 2 threads spend more CPU than 1 on the same batches, and on which thread.
 * Linux only; not part of the test suite. Alternate thread counts in back-to-back processes, the VM's
 * speed drifts:
 *
 *   for th in 1 2 1 2; do RECUR_NUM_THREADS=$th npx tsx bench/w5-threads.ts 60; done
 */
import { readFileSync, readdirSync } from 'node:fs';
import { randn, Rng } from '../src/index.js';
import { inferStep, inferenceModel } from './jobs.js';
import { SHAPES } from './workloads.js';
const s = SHAPES.W5;
const run = inferStep(inferenceModel(s), randn([s.T, s.B, s.I], new Rng(3)));
const ticks = () => Object.fromEntries(readdirSync('/proc/self/task').map((t) => {
  const f = readFileSync(`/proc/self/task/${t}/stat`, 'utf8'); const a = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return [`${t}:${f.slice(f.indexOf('(') + 1, f.lastIndexOf(')'))}`, +a[11]! + +a[12]!];
}));
for (let i = 0; i < 5; i++) run();
const n = +(process.argv[2] ?? 100);
const t0 = ticks(), w0 = performance.now();
const times: number[] = [];
for (let i = 0; i < n; i++) { const a = performance.now(); run(); times.push(performance.now() - a); }
const wall = performance.now() - w0, t1 = ticks();
times.sort((a, b) => a - b);
console.log(`threads ${process.env['RECUR_NUM_THREADS'] ?? 'default'}, ${n} batches: wall/batch ${(wall / n).toFixed(1)} ms (median ${times[n >> 1]!.toFixed(1)}, min ${times[0]!.toFixed(1)})`);
for (const k of Object.keys(t1)) { const d = t1[k]! - (t0[k] ?? 0); if (d > 0) console.log(`  ${k.padEnd(28)} ${(d * 10 / n).toFixed(1)} ms CPU/batch`); }
