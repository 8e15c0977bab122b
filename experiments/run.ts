/**
 * Launcher of the issue-5 experiments (src/recipes/dynamics, docs/experiments.md).
 *
 *   npx tsx experiments/run.ts e1 [--quick] [--seed N] [--out DIR] [--backend auto|ref|native]
 *   npx tsx experiments/run.ts all --quick
 *
 * Each experiment writes experiments/results/<id>/{report.md, *.svg, result.json} (quick runs:
 * experiments/results/<id>/quick/, so they never overwrite a full run) and prints its numbers.
 * Backend: "auto" (default) takes the native addon when it loads (build/Release/recur_native.node)
 * and the TypeScript reference otherwise; "native" insists (throws if the addon does not load).
 */
import { join } from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { backendInfo, setBackend } from '../src/index.js';
import { EXPERIMENTS as ISSUE5 } from '../src/recipes/dynamics/index.js';
import { run as e7 } from '../src/recipes/dynamics/e7.js';
import { run as e8 } from '../src/recipes/dynamics/e8.js';
import { run as e9 } from '../src/recipes/dynamics/e9.js';

const EXPERIMENTS = [
  ...ISSUE5,
  { id: 'e7', title: 'Koopman analysis: DMD, EDMD, conserved quantities, flip-flop GRU memories', run: e7 },
  { id: 'e8', title: 'Lyapunov spectra of trained RNN/LSTM/GRU on the flip-flop vs at initialisation', run: e8 },
  { id: 'e9', title: 'Flip-flop in a tanh RNN: fixed points vs period-2 orbits, and the training change that decides', run: e9 },
];

interface Args { ids: string[]; quick: boolean; tiny: boolean; seed: number; out: string | null; backend: 'auto' | 'ref' | 'native' }

const USAGE = `usage: npx tsx experiments/run.ts <${EXPERIMENTS.map((e) => e.id).join('|')}|all> [--quick] [--tiny] [--seed N] [--out DIR] [--backend auto|ref|native]`;

function parse(argv: string[]): Args {
  const a: Args = { ids: [], quick: false, tiny: false, seed: 0, out: null, backend: 'auto' };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${s} needs a value\n${USAGE}`);
      return v;
    };
    if (s === '--quick') a.quick = true;
    else if (s === '--tiny') a.tiny = true;
    else if (s === '--seed') {
      a.seed = Number(value());
      if (!Number.isInteger(a.seed) || a.seed < 0) throw new Error(`--seed: expected a non-negative integer, got ${argv[i]}`);
    } else if (s === '--out') a.out = value();
    else if (s === '--backend') {
      const b = value();
      if (b !== 'auto' && b !== 'ref' && b !== 'native') throw new Error(`--backend: expected auto, ref or native, got ${b}`);
      a.backend = b;
    } else if (s === 'all') a.ids.push(...EXPERIMENTS.map((e) => e.id));
    else if (EXPERIMENTS.some((e) => e.id === s)) a.ids.push(s);
    else throw new Error(`unknown argument "${s}"\n${USAGE}`);
  }
  if (!a.ids.length) throw new Error(USAGE);
  return a;
}

/** Select the backend (an explicit "native" that cannot load throws; "auto" falls back to "ref" with a warning). */
function chooseBackend(want: Args['backend']): string {
  setBackend(want);
  const b = backendInfo();
  return b.name === 'native' ? `native (${b.cpuPath}, ${b.threads} threads${b.nativeRecurrent ? ', fused recurrent kernels' : ''})`
    : `${b.name}${b.fallback ? ` (native unavailable: ${b.fallback})` : ''}`;
}

/** Long arrays (per-lag norms, curves, point lists) are elided from the printed result; result.json has them. */
function printable(v: unknown): string {
  return JSON.stringify(v, (_, x: unknown) => {
    if (Array.isArray(x) && x.length > 16) return `[${x.length} entries, see result.json]`;
    if (typeof x === 'number' && !Number.isFinite(x)) return String(x);
    return x;
  }, 2);
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const backend = chooseBackend(args.backend);
  const config = args.tiny ? 'tiny' : args.quick ? 'quick' : 'full';
  const root = args.out ?? join('experiments', 'results');
  const dirOf = (id: string): string => (args.out ? join(root, id) : join(root, id, config === 'full' ? '' : config));
  console.log(`backend ${backend}, config ${config}, seed ${args.seed}, results under ${root}`);
  const summary: { id: string; config: string; backend: string; seconds: number; report: string }[] = [];
  for (const id of args.ids) {
    const exp = EXPERIMENTS.find((e) => e.id === id)!;
    console.log(`\n== ${id}: ${exp.title}`);
    const r = await exp.run({ quick: args.quick, tiny: args.tiny, seed: args.seed, outDir: dirOf(id), log: (s) => console.log(s) });
    console.log(printable(r));
    console.log(`${id} done in ${r.seconds} s on ${r.backend}; report ${r.report}`);
    summary.push({ id, config: r.config, backend, seconds: r.seconds, report: r.report });
  }
  if (args.ids.length > 1) {
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, `summary-${config}.json`), JSON.stringify(summary, null, 2));
    console.log('\nsummary');
    for (const s of summary) console.log(`  ${s.id}  ${s.seconds} s  ${s.backend}  ${s.report}`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
