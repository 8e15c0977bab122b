/**
 * Fuzz the parsers that read user files: CSV, FASTA, safetensors, checkpoints and config files.
 * Valid inputs are mutated (byte flips, truncation, insertions of special tokens such as 1e400,
 * NaN, quotes, NUL, huge numbers and deep nesting, duplicated lines) and fed to the real entry
 * points in a worker thread; each outcome is classified as ok, a typed error with a location, a
 * typed error without one, a crash (any other exception) or a hang (a case over the time limit).
 * Seeded: the same --seed gives the same cases; `--parser csv --only 123` replays one case.
 *
 * Run: npm run fuzz -- --cases 100000 [--seed 1] [--parser csv,fasta] [--limit-ms 5000] [--show 3]
 * Not part of `npm test` (it is a search, not a check with a fixed answer); exits 1 on any crash,
 * hang or error without a location.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { CASES, PARSERS, runCase, type Outcome } from './fuzz-targets.js';

interface Job {
  parser: string;
  seed: number;
  from: number;
  to: number;
  progress: SharedArrayBuffer;
  show: number;
}

interface Tally {
  ok: number;
  located: number;
  unlocated: number;
  crash: number;
  hang: number;
  examples: { kind: Outcome['kind'] | 'hang'; case: number; message: string }[];
}

const empty = (): Tally => ({ ok: 0, located: 0, unlocated: 0, crash: 0, hang: 0, examples: [] });

function workerMain(job: Job): void {
  const done = new Int32Array(job.progress);
  Atomics.store(done, 1, 1); // loaded: the time limit starts counting now
  const t = empty();
  for (let i = job.from; i < job.to; i++) {
    const o = runCase(job.parser, job.seed, i);
    t[o.kind]++;
    if (o.kind !== 'ok' && o.kind !== 'located' && t.examples.filter((e) => e.kind === o.kind).length < job.show) {
      t.examples.push({ kind: o.kind, case: i, message: o.message });
    }
    Atomics.store(done, 0, i + 1);
  }
  parentPort!.postMessage(t);
}

/** Run cases [from, to) in a worker; a case that runs past `limitMs` is a hang (the worker is ended). */
function runSpan(parser: string, seed: number, from: number, to: number, limitMs: number, show: number): Promise<{ tally: Tally; next: number }> {
  const progress = new SharedArrayBuffer(8); // [cases done, worker loaded]
  const done = new Int32Array(progress);
  Atomics.store(done, 0, from);
  const job: Job = { parser, seed, from, to, progress, show };
  // The worker loads this file through tsx's loader, registered in the worker itself.
  const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const w = new Worker(boot, { eval: true, workerData: job });
  return new Promise((resolve, reject) => {
    let last = from;
    let since = Date.now();
    const timer = setInterval(() => {
      const now = Atomics.load(done, 0);
      if (now !== last || !Atomics.load(done, 1)) [last, since] = [now, Date.now()];
      else if (Date.now() - since > limitMs) {
        clearInterval(timer);
        void w.terminate();
        const t = empty();
        t.hang = 1;
        t.examples.push({ kind: 'hang', case: now, message: `no result after ${limitMs} ms` });
        // Cases before the hung one ran but their tallies died with the worker: rerun them.
        resolve({ tally: t, next: -now - 1 });
      }
    }, 20);
    w.once('message', (t: Tally) => {
      clearInterval(timer);
      resolve({ tally: t, next: to });
    });
    w.once('error', (e) => {
      clearInterval(timer);
      reject(e);
    });
  });
}

function add(a: Tally, b: Tally): void {
  for (const k of ['ok', 'located', 'unlocated', 'crash', 'hang'] as const) a[k] += b[k];
  a.examples.push(...b.examples);
}

/** Cases [from, to) of one parser; after a hang, the cases before it are rerun (their tallies died with the worker). */
async function fuzzParser(parser: string, seed: number, from: number, to: number, limitMs: number, show: number): Promise<Tally> {
  const total = empty();
  while (from < to) {
    const r = await runSpan(parser, seed, from, to, limitMs, show);
    if (r.next >= 0) {
      add(total, r.tally);
      break;
    }
    const h = -r.next - 1;
    if (h > from) add(total, await fuzzParser(parser, seed, from, h, limitMs, show));
    add(total, r.tally);
    from = h + 1;
  }
  return total;
}

async function cli(): Promise<number> {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string', default: '1000' }, seed: { type: 'string', default: '1' }, parser: { type: 'string', default: PARSERS.join(',') },
      'limit-ms': { type: 'string', default: '5000' }, show: { type: 'string', default: '3' }, only: { type: 'string' },
    },
  });
  const seed = Number(values.seed);
  const parsers = values.parser.split(',');
  for (const p of parsers) if (!PARSERS.includes(p)) throw new Error(`--parser: expected some of ${PARSERS.join(', ')}, got ${p}`);
  if (values.only !== undefined) {
    for (const p of parsers) console.log(p, JSON.stringify(runCase(p, seed, Number(values.only), true)));
    return 0;
  }
  const cases = Number(values.cases);
  console.log(`fuzz: ${cases} cases per parser, seed ${seed}, time limit ${values['limit-ms']} ms per case; seeds: ${parsers.map((p) => `${p} ${CASES[p]!().length}`).join(', ')}`);
  console.log('parser       cases   ok        typed+loc  no-loc  crash  hang  wall s');
  let bad = 0;
  const examples: string[] = [];
  for (const p of parsers) {
    const t0 = performance.now();
    const t = await fuzzParser(p, seed, 0, cases, Number(values['limit-ms']), Number(values.show));
    const wall = (performance.now() - t0) / 1000;
    console.log(`${p.padEnd(12)} ${String(cases).padEnd(7)} ${String(t.ok).padEnd(9)} ${String(t.located).padEnd(10)} ${String(t.unlocated).padEnd(7)} ${String(t.crash).padEnd(6)} ${String(t.hang).padEnd(5)} ${wall.toFixed(1)}`);
    bad += t.unlocated + t.crash + t.hang;
    for (const e of t.examples) examples.push(`  ${p} case ${e.case} (${e.kind}): ${e.message.slice(0, 300)}`);
  }
  if (examples.length) console.log(`examples (replay with --parser P --only N):\n${examples.join('\n')}`);
  return bad ? 1 : 0;
}

if (isMainThread) process.exitCode = await cli();
else workerMain(workerData as Job);
