/**
 * `recur export --run DIR --onnx FILE`: a finished run's model as an ONNX file. A forecasting run
 * has one model (exported with its normaliser and clipping: data units in and out); a splice run has
 * one network per fold and ensemble member, of which one is exported (`--member f.m`, default the first).
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { FormatError, ONNX_OPSETS, OptionError, writeFileAtomicSync } from '../../index.js';
import { RUN_FILES, openFinishedRun, readJson } from '../../recipes/common/index.js';
import { loadForecastRun } from '../../recipes/forecast/index.js';
import { forecastOnnx } from '../../recipes/forecast/onnx.js';
import { loadMember } from '../../recipes/splice/index.js';
import { spliceOnnx } from '../../recipes/splice/onnx.js';
import { packageVersion } from '../paths.js';
import type { Io } from './io.js';

interface ExportOpts { run: string; onnx: string; member?: string; opset?: string }

export function exportCommand(io: Io): Command {
  return new Command('export')
    .description("write a finished run's model as an ONNX file (ONNX Runtime, onnxruntime-web, other ONNX tools)")
    .requiredOption('--run <dir>', 'run folder written by recur train')
    .requiredOption('--onnx <file>', 'the ONNX file to write')
    .option('--member <f.m>', 'splice runs: which network, fold f and ensemble member m, from 1 (default 1.1)')
    .option('--opset <n>', `ONNX opset, ${ONNX_OPSETS.min}–${ONNX_OPSETS.max} (default ${ONNX_OPSETS.default})`)
    .addHelpText('after', `
Forecast runs: input "features" (batch, lookback, F) in data units, the run's features in order (listed
in the file's metadata); output "forecast" (batch, horizon, targets) in data units, as recur predict.
Splice runs: input "onehot" (batch, 60, 4), A/C/G/T one-hot; outputs "logits" and "probs" (batch, 3).
recur predict averages every network of a splice run; the file holds the one chosen with --member.
Examples:
  $ recur export --run runs/wind-t1 --onnx wind.onnx
  $ recur export --run runs/splice-cv10 --onnx splice.onnx --member 3.1

Exit status: 0 done; 1 a damaged run file; 2 bad usage (bad options, not a finished run).`)
    .action((o: ExportOpts) => {
      const run = openFinishedRun(o.run, 'export');
      const opset = parseOpset(o.opset);
      const task = (readJson(join(run.path, RUN_FILES.config)) as { task?: unknown }).task;
      let r: { bytes: Uint8Array; what: string };
      if (task === 'forecast') r = exportForecast(run.path, o, opset);
      else if (task === 'splice') r = exportSplice(run.path, o.member, opset);
      else throw new FormatError(join(run.path, RUN_FILES.config), '"task": "splice" or "forecast"', JSON.stringify(task));
      writeFileAtomicSync(resolve(io.cwd, o.onnx), r.bytes);
      io.out(`wrote ${o.onnx} (${r.bytes.length} bytes, ONNX opset ${opset ?? ONNX_OPSETS.default}): ${r.what}\n`);
      io.exitCode = 0;
    });
}

function parseOpset(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < ONNX_OPSETS.min || n > ONNX_OPSETS.max) throw new OptionError('--opset', `an integer in [${ONNX_OPSETS.min}, ${ONNX_OPSETS.max}]`, JSON.stringify(v));
  return n;
}

const meta = (run: string): Record<string, string> => ({ 'recur.version': packageVersion(), 'recur.run': run });

function exportForecast(dir: string, o: ExportOpts, opset: number | undefined): { bytes: Uint8Array; what: string } {
  if (o.member !== undefined) throw new OptionError('--member', 'an option for splice runs', 'it for a forecasting run (one model)');
  const r = loadForecastRun(dir, 'export');
  const bytes = forecastOnnx(r.model, {
    lookback: r.config.lookback, features: r.features, norm: r.norm, bounds: r.config.clipOutput ? r.bounds : null, opset, metadata: meta(dir),
  });
  const s = r.model.spec;
  return { bytes, what: `forecast model (${s.cell.toUpperCase()} ${s.hidden}×${s.layers}); input features (batch, ${r.config.lookback}, ${r.features.length}), output forecast (batch, ${s.horizon}, ${s.targets})` };
}

const MEMBER_RE = /^fold-(\d+)\.member-(\d+)\.safetensors$/;

function exportSplice(dir: string, member: string | undefined, opset: number | undefined): { bytes: Uint8Array; what: string } {
  const saved = readdirSync(dir).map((f) => MEMBER_RE.exec(f)).filter((m) => m !== null).map((m) => [Number(m[1]), Number(m[2])] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (!saved.length) throw new FormatError(dir, 'saved splice networks (fold-F.member-M.safetensors)', 'none');
  const list = saved.map(([f, m]) => `${f}.${m}`);
  let pick = saved[0]!;
  if (member !== undefined) {
    const m = /^(\d+)\.(\d+)$/.exec(member);
    const found = m ? saved.find(([f, k]) => f === Number(m[1]) && k === Number(m[2])) : undefined;
    if (!found) throw new OptionError('--member', `fold.member of a saved network of this run (${list.join(', ')})`, JSON.stringify(member));
    pick = found;
  }
  const path = join(dir, `fold-${pick[0]}.member-${pick[1]}.safetensors`);
  const { net, meta: mm } = loadMember(path);
  const bytes = spliceOnnx(net, { steps: mm.steps, classes: mm.classes, opset, metadata: { ...meta(dir), 'recur.member': `${pick[0]}.${pick[1]}` } });
  const others = saved.length > 1 ? `; recur predict averages all ${saved.length} networks of the run (${list.join(', ')}), this file holds one (choose with --member f.m)` : '';
  return { bytes, what: `splice network fold ${pick[0]}, member ${pick[1]} (${mm.net.cell.toUpperCase()}, pooling ${mm.net.pooling})${member === undefined ? ', the first' : ''}; input onehot (batch, ${mm.steps}, 4), outputs logits and probs (batch, ${mm.classes.length})${others}` };
}
