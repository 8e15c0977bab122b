/**
 * `npm run bench` — recur on the workloads W1–W5 of ../shared/peers/README.md and its own W6–W8
 * (bench/workloads.ts), optionally side by side with the peers (PyTorch, ONNX Runtime,
 * TensorFlow.js cpu/wasm, brain.js) in the same run.
 * Not part of the test suite. See docs/benchmarks.md.
 *
 *   npx tsx bench/run.ts [--backend auto|native|ref] [--workloads W1,W3] [--reps N] [--warmup N]
 *                        [--threads N] [--rounds N] [--quick] [--peers [torch,ort,tfjs-cpu,...]]
 *                        [--gemm-n N] [--timeout S] [--json out.json]
 *
 * Every measurement is a fresh child process (bench/worker.ts for recur, the peers' own scripts
 * otherwise), so peak RSS is per workload. With --peers, each round runs, for each workload,
 * recur then every peer, so that load drifts on a shared machine hit all alike; figures are
 * medians over all timed repetitions of all rounds.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runProcess, waitQuiet, type ProcResult } from './proc.js';
import { ALL_PEERS, detectPeers, peerCommands, type Peers } from './peers.js';
import { detail, fmt, summarize, table, type Run } from './report.js';
import { SHAPES, WORKLOADS, checkShapes, median, type PeerName, type WorkloadId } from './workloads.js';

const ROOT = resolve(import.meta.dirname, '..');
const WORKER = join(ROOT, 'bench', 'worker.ts');
const TSX = import.meta.resolve('tsx');

interface Options {
  backend: string;
  workloads: WorkloadId[];
  reps: number | null;
  warmup: number | null;
  threads: number;
  rounds: number;
  quick: boolean;
  peers: PeerName[];
  gemmN: number;
  timeoutS: number;
  quietWait: number;
  json: string | null;
  from: string | null;
}

function cli(argv: string[]): Options {
  // `--peers` may stand alone (all peers) or take a list.
  const args = argv.flatMap((a, i) => (a === '--peers' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--')) ? ['--peers=all'] : [a]));
  const { values: v } = parseArgs({
    args, strict: true,
    options: {
      backend: { type: 'string', default: 'auto' }, workloads: { type: 'string', default: WORKLOADS.join(',') },
      reps: { type: 'string' }, warmup: { type: 'string' }, threads: { type: 'string' }, rounds: { type: 'string' },
      quick: { type: 'boolean', default: false }, peers: { type: 'string' }, 'gemm-n': { type: 'string', default: '0' },
      timeout: { type: 'string', default: '1800' }, 'quiet-wait': { type: 'string', default: '0' }, json: { type: 'string' }, from: { type: 'string' }, help: { type: 'boolean', default: false },
    },
  });
  if (v.help) {
    console.log('usage: npm run bench -- [--backend auto|native|wasm|ref] [--workloads W1,W3] [--reps N] [--warmup N] [--threads N]\n' +
      '       [--rounds N] [--quick] [--peers [torch,ort,tfjs-cpu,tfjs-wasm,brain.js]] [--gemm-n N] [--timeout S]\n' +
      '       [--quiet-wait S] [--json out.json] [--from earlier.json (re-print its table, measure nothing)]');
    process.exit(0);
  }
  const workloads = v.workloads!.split(',').map((w) => w.trim().toUpperCase());
  for (const w of workloads) if (!(WORKLOADS as readonly string[]).includes(w)) throw new Error(`--workloads: unknown "${w}" (${WORKLOADS.join(', ')})`);
  if (!['auto', 'native', 'wasm', 'ref'].includes(v.backend!)) throw new Error(`--backend: auto, native, wasm or ref, got "${v.backend}"`);
  const peers = v.peers === undefined ? [] : v.peers === 'all' ? [...ALL_PEERS] : v.peers.split(',').map((p) => p.trim());
  for (const p of peers) if (!(ALL_PEERS as readonly string[]).includes(p)) throw new Error(`--peers: unknown "${p}" (${ALL_PEERS.join(', ')})`);
  const int = (s: string | undefined, name: string, min: number): number | null => {
    if (s === undefined) return null;
    const n = Number(s);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: an integer ≥ ${min}, got "${s}"`);
    return n;
  };
  const quick = v.quick!;
  return {
    backend: v.backend!, workloads: workloads as WorkloadId[], reps: int(v.reps, 'reps', 1), warmup: int(v.warmup, 'warmup', 0),
    threads: int(v.threads, 'threads', 1) ?? (Number(process.env['RECUR_NUM_THREADS']) || availableParallelism()),
    rounds: int(v.rounds, 'rounds', 1) ?? (quick || !peers.length ? 1 : 3), quick, peers: peers as PeerName[],
    gemmN: int(v['gemm-n'], 'gemm-n', 0)!, timeoutS: int(v.timeout, 'timeout', 1)!, quietWait: int(v['quiet-wait'], 'quiet-wait', 0)!,
    json: v.json ?? null, from: v.from ?? null,
  };
}

/**
 * recur's warm-up and timed repetitions per workload (smaller with --quick). The small training steps
 * (W1, W3, W8: ~3 MB of new typed arrays a step) warm up for 30 steps: until V8's first collection of
 * external memory (~64 MB) every step's buffers are new pages, ~750 page faults a step at ~2.7 µs each on
 * the shared VM; steps 3-12 then took 8-50 % longer (8-27 % more CPU) than steps 51-80 (0 faults),
 * while PyTorch's steps 4-18 already used its steady CPU time. Check: `npx tsx bench/worker.ts --job W1
 * --warmup 0 --reps 80`, medians of times_s[2..11] and [50..79]. W2 (~16 MB of new typed arrays a step)
 * warms up for 10: its steps 1-4 fault ~4,000 pages each, step 5 ~1,600-2,500, steps 12-29 ~10; with
 * the old 2 every timed step was in that window (steps 2-6: median 1,600-3,750 faults, CPU +1 / +4 /
 * +37 % over steps 12-29 in three 1-thread runs under load). W5 (~10 MB of new typed arrays a call: y and the
 * head's output) warms up for 10 as well: on a quiet 2-core Zen 5 (2026-12-06, stop 16) its calls 1-9 took
 * 17-34 ms and calls 10-30 15-16 ms (`npx tsx bench/worker.ts --job W5 --warmup 0 --reps 30`, three processes),
 * so with the old 2 the first timed calls of every round were still warming up (round medians 0.93-0.96x
 * PyTorch, whose calls are flat from the first); the peers get the same 10 (bench/peers.ts repsFor).
 */
function recurReps(o: Options, w: WorkloadId | 'peak'): { warmup: number; reps: number } {
  const full = { W1: 10, W2: 5, W3: 10, W4: 5, W5: 10, W6: 5, W7: 3, W8: 10, peak: 5 }[w];
  const heavy = w === 'W2' || w === 'W6' || w === 'W7' || w === 'peak';
  const warm = w === 'W1' || w === 'W3' || w === 'W8' ? 30 : w === 'W2' || w === 'W5' ? 10 : 2;
  return { warmup: o.warmup ?? (o.quick ? 1 : warm), reps: o.reps ?? (o.quick ? (heavy ? 2 : 3) : full) };
}

function recurArgs(o: Options, job: string, reps: { warmup: number; reps: number }): string[] {
  return ['--import', TSX, WORKER, '--job', job, '--backend', o.backend, '--warmup', String(reps.warmup), '--reps', String(reps.reps)];
}

function toRun(round: number, workload: Run['workload'], peer: Run['peer'], label: string, p: ProcResult): Run {
  return { round, workload, peer, label, error: p.error, wall_s: p.wallS, cpu_s: p.cpuS, max_rss_kb: p.maxRssKb, foreign_cores: p.foreignCores, rec: p.rec };
}

function progress(r: Run): void {
  const ts = (r.rec?.['times_s'] as number[] | undefined) ?? [];
  const what = r.error ? `FAILED: ${r.error.slice(0, 200)}` : ts.length ? `median ${fmt(median(ts))} s/rep (${ts.length} reps)` : 'ok';
  const load = r.foreign_cores !== null ? `, other load ${r.foreign_cores.toFixed(2)} cores` : '';
  console.log(`  r${r.round} ${String(r.workload).padEnd(8)} ${r.label.padEnd(20)} ${what}  wall ${r.wall_s.toFixed(1)} s${load}`);
}

/** --from: summarise the runs of an earlier --json file again (e.g. after a change to the report). */
function reprint(o: Options): void {
  const j = JSON.parse(readFileSync(o.from!, 'utf8')) as {
    options: Options; runs: Run[]; peers: Peers | null; backend: string; backend_info: unknown; baseline_rss_kb: number;
  };
  const opts = { ...j.options, json: o.json, from: o.from };
  report(opts, j.runs, j.peers, j.backend, { backend_info: j.backend_info }, j.baseline_rss_kb);
}

async function main(): Promise<void> {
  const o = cli(process.argv.slice(2));
  if (o.from) return reprint(o);
  const env = { RECUR_NUM_THREADS: String(o.threads) };
  const runs: Run[] = [];
  const measure = async (cmd: string, args: string[], opts: { env?: Record<string, string>; cwd?: string }): Promise<ProcResult> => {
    if (o.quietWait > 0) await waitQuiet(o.quietWait);
    return runProcess(cmd, args, { ...opts, timeoutS: o.timeoutS });
  };
  const recur = async (round: number, job: WorkloadId | 'peak' | 'baseline', extra: string[] = []): Promise<Run> => {
    const reps = job === 'baseline' ? { warmup: 0, reps: 0 } : recurReps(o, job);
    const p = await measure(process.execPath, [...recurArgs(o, job, reps), ...extra], { env, cwd: ROOT });
    const r = toRun(round, job, 'recur', job === 'peak' ? 'recur gemm' : 'recur', p);
    runs.push(r);
    progress(r);
    return r;
  };

  console.log(`recur bench: node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), threads ${o.threads}, ` +
    `backend ${o.backend}, workloads ${o.workloads.join(',')}, rounds ${o.rounds}${o.quick ? ', quick' : ''}`);
  const peers: Peers | null = o.peers.length ? detectPeers(o.peers, o.workloads, ROOT) : null;
  if (peers) {
    for (const [p, f] of Object.entries(peers.found)) console.log(`  peer ${p}: ${f.how}`);
    for (const n of peers.notes) console.log(`  note: ${n}`);
    for (const d of checkShapes(peers.scripts)) console.log(`  WARNING shapes differ from the peers': ${d}`);
  }
  const base = await recur(0, 'baseline');
  if (base.error) throw new Error(`recur does not load with --backend ${o.backend}: ${base.error}`);
  const backend = String(base.rec!['backend']);
  if (backend === 'ref') console.log('  note: backend is ref (plain TypeScript, one core): slow by design; the GEMM peak is sized down to 512² unless --gemm-n');

  for (let round = 0; round < o.rounds; round++) {
    if (round > 0) await recur(round, 'baseline'); // round 0's is `base`; the median of all is taken below
    await recur(round, 'peak', o.gemmN ? ['--n', String(o.gemmN)] : []);
    if (peers?.found.torch) {
      const q = o.quick ? ['--warmup', '1', '--reps', '3'] : ['--warmup', '2', '--reps', '5'];
      const p = await measure(peers.found.torch.python!, [join(peers.scripts, 'bench_torch.py'), '--workload', 'peak', '--threads', String(o.threads), '--n', '2048', ...q], {});
      const r = toRun(round, 'peak', 'torch', 'torch.mm 2048²', p);
      runs.push(r);
      progress(r);
    }
    for (const w of o.workloads) {
      await recur(round, w);
      for (const c of peers ? peerCommands(peers, w, { quick: o.quick, threads: o.threads }) : []) {
        const p = await measure(c.cmd, c.args, { env: c.env, cwd: peers!.scripts });
        const r = toRun(round, w, c.peer, c.label, p);
        runs.push(r);
        progress(r);
      }
    }
  }
  // The memory bound's Node baseline: the median peak RSS of the baseline children, one per round (the lower
  // middle one of an even count). One child's figure moved by ±4 MB between runs (96-104 MB in eight runs of
  // stop 16), i.e. ±6 MB of W2's and W7's 1.5x-bound RSS targets.
  const bases = runs.filter((r) => r.workload === 'baseline' && r.rec).map((r) => (r.rec!['max_rss_kb'] as number | undefined) ?? 0).sort((a, b) => a - b);
  report(o, runs, peers, backend, base.rec!, bases[(bases.length - 1) >> 1] ?? 0);
}

function peakOf(runs: Run[], peer: 'recur' | 'torch'): { gflops: number; n: number } | null {
  const meds = runs.filter((r) => r.workload === 'peak' && r.peer === peer && r.rec).map((r) => {
    const ts = r.rec!['times_s'] as number[];
    return { gflops: (r.rec!['flop_per_rep'] as number) / median(ts) / 1e9, n: (r.rec!['n'] as number | undefined) ?? 2048 };
  });
  return meds.length ? meds.reduce((a, b) => (b.gflops > a.gflops ? b : a)) : null;
}

function report(o: Options, runs: Run[], peers: Peers | null, backend: string, base: Record<string, unknown>, baselineKb: number): void {
  const own = peakOf(runs, 'recur');
  const torch = peakOf(runs, 'torch');
  const peak = torch && (!own || torch.gflops > own.gflops) ? { ...torch, source: 'torch.mm (PyTorch GEMM)' } : own ? { ...own, source: `recur ${backend} gemm` } : null;
  const sums = o.workloads.map((w) => summarize(w, runs, peak?.gflops ?? null, baselineKb));
  const peerNames = ALL_PEERS.filter((p) => sums.some((s) => s.best_per_peer[p] || Object.keys(s.peer_errors).some((l) => l.startsWith(p))));
  console.log(`\nfp32 GEMM peak, ${o.threads} threads: recur ${backend} gemm ${own ? `${fmt(own.gflops)} GFLOP/s (n=${own.n})` : 'failed'}` +
    `${torch ? `; torch.mm ${fmt(torch.gflops)} GFLOP/s (n=2048)` : ''} → % peak uses ${peak ? `${fmt(peak.gflops)} (${peak.source})` : 'nothing'}`);
  console.log(`Node + recur baseline RSS ${(baselineKb / 1024).toFixed(0)} MB; backend ${backend}${base['backend_info'] ? ` ${JSON.stringify(base['backend_info'])}` : ''}\n`);
  console.log(table(sums, peerNames));
  console.log('\nper run label (median [min–max] over pooled reps):\n' + detail(sums));
  if (backend === 'ref') {
    console.log('\nnote: ref backend figures — the reference TypeScript kernels, not the fast path.' +
      (peak?.source.startsWith('recur') ? ' % peak is against the ref gemm (one core, JS loops), not a machine peak, and can pass 100%; add --peers torch for torch.mm.' : ''));
  }
  if (o.json) {
    const out = {
      schema: 'recur-bench/1', date: new Date().toISOString(),
      machine: { node: process.version, cores: cpus().length, cpu: cpus()[0]?.model ?? null, threads: o.threads },
      options: o, backend, backend_info: base['backend_info'] ?? null, baseline_rss_kb: baselineKb,
      peak: { used_gflops: peak?.gflops ?? null, source: peak?.source ?? null, recur_gemm: own, torch_mm: torch },
      peers: peers ? { scripts: peers.scripts, found: peers.found, notes: peers.notes } : null,
      shapes: Object.fromEntries(o.workloads.map((w) => [w, SHAPES[w]])),
      workloads: Object.fromEntries(sums.map((s) => [s.workload, s])), runs,
    };
    writeFileSync(o.json, JSON.stringify(out, null, 1) + '\n');
    console.log(`\nwrote ${o.json}`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
