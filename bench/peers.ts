/**
 * The peers (PyTorch, ONNX Runtime, TensorFlow.js cpu/wasm, brain.js): detection and the command
 * lines that run their scripts from ../shared/peers (spawned as they are, never copied here).
 *
 *   PEERS_SCRIPTS  folder of the peers' scripts (default: <repo>/../shared/peers)
 *   PEERS_PYTHON   Python with torch (default: /tmp/torch2/bin/python, then python3)
 *   PEERS_DIR      npm folder holding the JS peers (default /tmp/recur-peers); the repo's own
 *                  node_modules (devDependencies) is tried next
 *   ONNX_DIR       ONNX models for ONNX Runtime (default $PEERS_DIR/onnx, then /tmp/recur-onnx,
 *                  where export_onnx.py writes them when a torch Python is at hand)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { SHAPES, SHARED_WORKLOADS, type PeerName, type WorkloadId } from './workloads.js';

/** recur's own PyTorch peer for W6–W8 (the shared scripts cover W1–W5). */
const TORCH_EXTRA = join(import.meta.dirname, 'bench_torch_extra.py');

export const ALL_PEERS: readonly PeerName[] = ['torch', 'ort', 'tfjs-cpu', 'tfjs-wasm', 'brain.js'];

export interface PeerCommand {
  peer: PeerName;
  /** Peer plus variant, e.g. 'torch (LSTMCell)'. */
  label: string;
  cmd: string;
  args: string[];
  env: Record<string, string>;
}

interface Found {
  how: string;
  env: Record<string, string>;
  python?: string;
  onnxDir?: string;
}

export interface Peers {
  scripts: string;
  found: Partial<Record<PeerName, Found>>;
  /** One line per peer that was asked for and is missing (or limited). */
  notes: string[];
}

const ONNX_FILES = ['lstm_w4_step.onnx', 'lstm_w5_seq.onnx', 'lstm_w4_ref.json'];

function pythonWithTorch(): { py: string; version: string } | null {
  const cands = process.env['PEERS_PYTHON'] ? [process.env['PEERS_PYTHON']] : ['/tmp/torch2/bin/python', 'python3'];
  for (const py of cands) {
    const r = spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
    if (r.status === 0) return { py, version: r.stdout.trim() };
  }
  return null;
}

/** The first npm folder from which every package resolves. */
function npmDirWith(pkgs: string[], repoRoot: string): string | null {
  for (const dir of [process.env['PEERS_DIR'] ?? '/tmp/recur-peers', repoRoot]) {
    const req = createRequire(join(resolve(dir), 'package.json'));
    try {
      for (const p of pkgs) req.resolve(p);
      return resolve(dir);
    } catch {
      // not in this folder
    }
  }
  return null;
}

function onnxModels(scripts: string, python: string | null, notes: string[]): string | null {
  const peersDir = process.env['PEERS_DIR'] ?? '/tmp/recur-peers';
  const cands = [process.env['ONNX_DIR'], join(peersDir, 'onnx'), '/tmp/recur-onnx'].filter((d): d is string => !!d);
  const has = (d: string): boolean => ONNX_FILES.every((f) => existsSync(join(d, f)));
  const hit = cands.find(has);
  if (hit) return hit;
  const out = process.env['ONNX_DIR'] ?? '/tmp/recur-onnx';
  let why = 'no torch Python';
  if (python) {
    console.log(`exporting ONNX models into ${out} (export_onnx.py) ...`);
    const r = spawnSync(python, [join(scripts, 'export_onnx.py'), out], { encoding: 'utf8', timeout: 300_000 });
    if (has(out)) return out;
    why = `export_onnx.py failed: ${((r.stderr || r.stdout || '').trim().split('\n').slice(-1)[0] ?? '').slice(0, 120)}`;
  }
  // The same models from recur's own exporter (torch 2.x's exporter needs onnxscript, not on every machine).
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'export-ort-models.ts'), out], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, PEERS_SCRIPTS: scripts } });
  if (has(out)) {
    notes.push(`ort: models exported by recur's exportOnnx (${why}); bench_ort.js checks ONNX Runtime against recur's output, not torch's`);
    return out;
  }
  notes.push(`ort: no ONNX models (${why}; recur's exporter: ${(r.stderr || '').trim().split('\n').slice(-1)[0] ?? ''})`);
  return null;
}

export function detectPeers(wanted: readonly PeerName[], workloads: readonly WorkloadId[], repoRoot: string): Peers {
  const scripts = resolve(process.env['PEERS_SCRIPTS'] ?? join(repoRoot, '..', 'shared', 'peers'));
  const found: Partial<Record<PeerName, Found>> = {};
  const notes: string[] = [];
  if (!existsSync(join(scripts, 'bench_torch.py'))) {
    notes.push(`peers: no peer scripts in ${scripts} (set PEERS_SCRIPTS); all peers skipped`);
    return { scripts, found, notes };
  }
  const torch = wanted.includes('torch') || wanted.includes('ort') ? pythonWithTorch() : null;
  if (wanted.includes('torch')) {
    if (torch) found.torch = { how: `${torch.py} (torch ${torch.version})`, env: {}, python: torch.py };
    else notes.push('torch: skipped (no Python with torch: set PEERS_PYTHON; see ../shared/peers/README.md)');
  }
  const js: [PeerName, string[]][] = [
    ['tfjs-cpu', ['@tensorflow/tfjs']],
    ['tfjs-wasm', ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm']],
    ['brain.js', ['brain.js']],
    ['ort', ['onnxruntime-node']],
  ];
  for (const [peer, pkgs] of js) {
    if (!wanted.includes(peer)) continue;
    if (peer === 'ort' && !workloads.some((w) => w === 'W4' || w === 'W5')) continue;
    const dir = npmDirWith(pkgs, repoRoot);
    if (!dir) {
      notes.push(`${peer}: skipped (${pkgs.join(', ')} not installed in $PEERS_DIR or the repo; see docs/benchmarks.md)`);
      continue;
    }
    const f: Found = { how: `node_modules in ${dir}`, env: { PEERS_DIR: dir } };
    if (peer === 'ort') {
      const od = onnxModels(scripts, torch?.py ?? null, notes);
      if (!od) continue;
      f.onnxDir = od;
      f.how += `, models in ${od}`;
    }
    found[peer] = f;
  }
  if (found.ort) notes.push('ort: inference only, W4 and W5');
  if (found['brain.js']) notes.push('brain.js: not the same job (no batching, O must equal I, W4 = amortised run()); indicative only');
  return { scripts, found, notes };
}

interface Reps {
  warmup: number;
  reps: number;
}

/** Warm-up and timed repetitions per peer run (run_bench.py's; --quick fewer), except W5's warm-up: 10 calls for
 * PyTorch and ONNX Runtime as for recur (bench/run.ts recurReps), so that no system is timed while warming up. */
function repsFor(peer: PeerName, w: WorkloadId, quick: boolean): Reps {
  const train = w === 'W1' || w === 'W2' || w === 'W3';
  switch (peer) {
    case 'torch':
      if (w === 'W6' || w === 'W7') return quick ? { warmup: 1, reps: 2 } : { warmup: 1, reps: w === 'W7' ? 3 : 5 };
      if (quick) return { warmup: 1, reps: w === 'W2' ? 3 : 5 };
      return w === 'W2' ? { warmup: 2, reps: 7 } : w === 'W4' ? { warmup: 1, reps: 5 } : w === 'W5' ? { warmup: 10, reps: 10 } : { warmup: 3, reps: 15 };
    case 'ort':
      if (quick) return { warmup: 1, reps: w === 'W5' ? 5 : 3 };
      return w === 'W5' ? { warmup: 10, reps: 20 } : { warmup: 1, reps: 5 };
    case 'tfjs-cpu':
      return quick || w === 'W2' ? { warmup: 1, reps: 1 } : { warmup: 1, reps: 2 };
    case 'tfjs-wasm':
      if (quick) return { warmup: 1, reps: 1 };
      return w === 'W2' ? { warmup: 1, reps: 2 } : w === 'W5' ? { warmup: 1, reps: 5 } : { warmup: 1, reps: 3 };
    case 'brain.js':
      return quick && train ? { warmup: 1, reps: 1 } : { warmup: 1, reps: quick ? 2 : 3 };
  }
}

/** The runs of every found peer for workload w (several variants for W4). */
export function peerCommands(p: Peers, w: WorkloadId, o: { quick: boolean; threads: number }): PeerCommand[] {
  const out: PeerCommand[] = [];
  const node = process.execPath;
  const script = (f: string): string => join(p.scripts, f);
  const rr = (peer: PeerName): string[] => {
    const r = repsFor(peer, w, o.quick);
    return ['--warmup', String(r.warmup), '--reps', String(r.reps)];
  };
  // W4 (batch 1, one step per call) has no parallel work worth a thread hand-off: PyTorch and ORT
  // run it on 1 thread, their best setting (with 2, OpenMP barriers on a busy machine cost ms).
  const t = String(w === 'W4' ? 1 : o.threads);
  const torch = p.found.torch;
  if (!SHARED_WORKLOADS.includes(w)) {
    // W6–W8: PyTorch only (the JS peers' scripts and the ONNX models cover W1–W5).
    if (!torch) return out;
    const label = SHAPES[w].recurrentDropout ? 'torch (LSTMCell+masks)' : 'torch';
    out.push({ peer: 'torch', label, cmd: torch.python!, env: torch.env,
      args: [TORCH_EXTRA, '--workload', w, '--shape', JSON.stringify(SHAPES[w]), '--threads', t, ...rr('torch'), '--label', label] });
    return out;
  }
  if (torch) {
    const w4: [string, string][] = o.quick ? [['lstmcell', 'LSTMCell']] : [['lstmcell', 'LSTMCell'], ['nn.lstm', 'nn.LSTM']];
    const variants: [string, string][] = w === 'W4' ? w4 : [['nn.lstm', '']];
    for (const [v, name] of variants) {
      const label = name ? `torch (${name})` : 'torch';
      out.push({ peer: 'torch', label, cmd: torch.python!, env: torch.env,
        args: [script('bench_torch.py'), '--workload', w, '--threads', t, ...rr('torch'), '--variant', v, '--label', label] });
    }
  }
  if (p.found.ort && (w === 'W4' || w === 'W5')) {
    out.push({ peer: 'ort', label: 'ort', cmd: node, env: p.found.ort.env,
      args: [script('bench_ort.js'), '--workload', w, '--threads', t, ...rr('ort'), '--onnxdir', p.found.ort.onnxDir!] });
  }
  for (const be of ['cpu', 'wasm'] as const) {
    const f = p.found[`tfjs-${be}`];
    if (!f) continue;
    const variants = w === 'W4' ? (o.quick ? ['cell'] : ['cell', 'layers']) : ['layers'];
    for (const v of variants) {
      out.push({ peer: `tfjs-${be}`, label: w === 'W4' ? `tfjs-${be} (${v})` : `tfjs-${be}`, cmd: node, env: f.env,
        args: [script('bench_tfjs.js'), '--workload', w, '--backend', be, '--variant', v, ...rr(`tfjs-${be}`)] });
    }
  }
  const b = p.found['brain.js'];
  if (b) out.push({ peer: 'brain.js', label: 'brain.js', cmd: node, env: b.env, args: [script('bench_brain.js'), '--workload', w, ...rr('brain.js')] });
  return out;
}
