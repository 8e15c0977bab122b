/**
 * The fuzzer's inputs and entry points (see tools/fuzz.ts): valid seed files per parser, the
 * mutations, and one case = seed + mutations → the real parsing chain → a classified outcome.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  Adam, LSTM, RecurError, Rng, decodeCheckpoint, decodeText, decodeSafetensors, encodeCheckpoint, encodeSafetensors, fillMissing,
  numericColumn, timeColumn, type JsonValue,
} from '../src/index.js';
import { parseCsvBytes } from '../src/data/csv.js';
import { fastaLabel, parseFastaBytes } from '../src/data/fasta.js';
import { parseConfigText, merge, validate } from '../src/cli/config.js';
import { FORECAST_KEYS, forecastSchema } from '../src/recipes/forecast/config.js';
import { checkModelExtra } from '../src/recipes/forecast/model-meta.js';
import { Forecaster } from '../src/recipes/forecast/model.js';

const ROOT = join(import.meta.dirname, '..');
const fixtures = (dir: string, ext: RegExp): Uint8Array[] =>
  readdirSync(join(ROOT, 'test', 'fixtures', dir)).filter((f) => ext.test(f)).sort().map((f) => readFileSync(join(ROOT, 'test', 'fixtures', dir, f)));

/** The run config the checkpoint seeds were "trained" with (eval checks the checkpoint against it). */
const RUN_CONFIG = forecastSchema.parse({ task: 'forecast', csv: 'x.csv', target: 'y', lookback: 3, horizon: 2 });

function forecastCheckpoint(cell: 'gru' | 'lstm' | 'rnn'): Uint8Array {
  const spec = { cell, features: 2, hidden: 3, layers: cell === 'lstm' ? 2 : 1, horizon: 2, targets: 1 };
  const model = new Forecaster(spec, new Rng(1));
  const d = 3 * 2 + 1;
  const extra = {
    kind: 'forecast', features: ['y', 'x'], targets: ['y'], normaliser: { mean: [0.5, -1], std: [2, 0.25] }, scales: [4], bounds: [[0, 4]], spec,
    window: { L: 3, H: 2, season: null }, ridge: { lambda: 0.01, d, W: Array.from({ length: d * 2 }, (_, i) => i / 10) }, fold: 0,
  };
  return encodeCheckpoint({ model: model.stateDict(), extra: extra as JsonValue });
}

function optimizerCheckpoint(): Uint8Array {
  const model = new LSTM(2, 3, { rng: new Rng(2) });
  const opt = new Adam(model.parameters(), { lr: 0.01 });
  for (const p of model.parameters()) p.grad = p.detach();
  opt.step();
  return encodeCheckpoint({ model: model.stateDict(), optimizer: opt.stateDict(), extra: { epoch: 3, history: [1.5, 0.25] } });
}

function safetensorsSeeds(): Uint8Array[] {
  const small = encodeSafetensors({
    a: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }, b: { dtype: 'I64', shape: [1], data: new BigInt64Array([5n]) },
    c: { dtype: 'BF16', shape: [], data: new Uint16Array([0x3f80]) }, e: { dtype: 'U8', shape: [0, 3], data: new Uint8Array(0) },
  }, { note: 'seed', format: 'pt' });
  return [small, ...fixtures('interop', /^(rnn|gru)\.safetensors$/)];
}

const te = new TextEncoder();
const YAML = `task: forecast\ncsv: data/load.csv\ntimeCol: timestamp\ntarget: [load]\ncovariate:\n  - temp\n  - wind_dir\nangular: [wind_dir]\nlookback: 48 # two days\nhorizon: 12\nsplit: [0.7, 0.15, 0.15]\nlr: 0.003\nfill: linear\n`;
const JSON_CONFIG = `{\n  "task": "forecast",\n  "csv": "load.csv",\n  "target": ["load"],\n  "lookback": 24,\n  "ridgeLambda": "auto",\n  "clipOutput": true\n}\n`;

/** Seed inputs per parser (files as bytes; config seeds carry their file name in `names`). */
export const CASES: Record<string, () => Uint8Array[]> = {
  csv: () => fixtures('csv', /\.csv$/),
  fasta: () => fixtures('fasta', /\.fa$/),
  safetensors: safetensorsSeeds,
  checkpoint: () => [forecastCheckpoint('gru'), forecastCheckpoint('lstm'), forecastCheckpoint('rnn'), optimizerCheckpoint()],
  config: () => [te.encode(YAML), te.encode(JSON_CONFIG)],
};
export const PARSERS = Object.keys(CASES);

const seedCache = new Map<string, Uint8Array[]>();
function seedsOf(parser: string): Uint8Array[] {
  let s = seedCache.get(parser);
  if (!s) seedCache.set(parser, (s = CASES[parser]!()));
  return s;
}

// ---------------------------------------------------------------------------------------------
// mutations

const TOKENS: (string | Uint8Array)[] = [
  '1e400', '-1e400', '9'.repeat(400), '1e308', '-0', 'NaN', 'nan', 'Infinity', '-Infinity', '4294967296', '9007199254740993', '-1', '0', '1.5',
  '"', '""', "'", ',', ';', '\t', '\n', '\r', '\r\n', '\0', '\\', '\\u0000', '\\"', '\ufeff', 'é', '\u{1F600}', '\u2028', new Uint8Array([0xff]), new Uint8Array([0xc3]),
  '['.repeat(5000), '{"a":'.repeat(2000), ']', '}', '[', '{', 'null', 'true', '[]', '{}', '__proto__', '"__proto__"', 'constructor',
  '>', '>x label=EI', ';c', ' ', '&a', '*a', '!!binary', '- ', ': ', '#', '---', '? ', '"dtype":"F64"', '"shape":[1e400]', '"data_offsets":[0,99999999999]',
  '"shape":[4294967296,4294967296]', '"hidden":14000', '"layers":0', '"features":-1', 'x'.repeat(100_000),
];

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)]!;
}

function splice(b: Uint8Array, at: number, del: number, ins: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length - del + ins.length);
  out.set(b.subarray(0, at));
  out.set(ins, at);
  out.set(b.subarray(at + del), at + ins.length);
  return out;
}

/** Start offsets of the lines of `b`. */
function lineStarts(b: Uint8Array): number[] {
  const s = [0];
  for (let i = 0; i < b.length; i++) if (b[i] === 10 && i + 1 < b.length) s.push(i + 1);
  return s;
}

function mutateOnce(b: Uint8Array, rng: Rng): Uint8Array {
  const at = rng.int(b.length + 1);
  switch (rng.int(8)) {
    case 0: { // flip a bit
      if (!b.length) return b;
      const c = Uint8Array.from(b);
      c[Math.min(at, b.length - 1)]! ^= 1 << rng.int(8);
      return c;
    }
    case 1: // random byte
      return splice(b, Math.min(at, Math.max(0, b.length - 1)), b.length ? 1 : 0, Uint8Array.of(rng.int(256)));
    case 2: // truncate
      return b.subarray(0, at);
    case 3: case 4: { // insert or replace with a special token
      const t = pick(rng, TOKENS);
      const bytes = typeof t === 'string' ? te.encode(t) : t;
      return splice(b, at, rng.bernoulli(0.5) ? Math.min(rng.int(8), b.length - at) : 0, bytes);
    }
    case 5: { // duplicate a line
      const s = lineStarts(b);
      const k = rng.int(s.length);
      const line = b.subarray(s[k]!, s[k + 1] ?? b.length);
      return splice(b, s[rng.int(s.length)]!, 0, line);
    }
    case 6: { // delete a line
      const s = lineStarts(b);
      const k = rng.int(s.length);
      return splice(b, s[k]!, (s[k + 1] ?? b.length) - s[k]!, new Uint8Array(0));
    }
    default: { // replace a run of digits with a number token
      const runs: [number, number][] = [];
      for (let j = 0; j < b.length; j++) {
        if (b[j]! < 0x30 || b[j]! > 0x39) continue;
        const start = j;
        while (j < b.length && ((b[j]! >= 0x30 && b[j]! <= 0x39) || b[j] === 0x2e)) j++;
        runs.push([start, j]);
      }
      if (!runs.length) return b;
      const [start, end] = pick(rng, runs);
      return splice(b, start, end - start, te.encode(pick(rng, ['1e400', '-1', '0', '4294967296', '1e30', 'NaN', '9'.repeat(400), '14000', '2.5'])));
    }
  }
}

/** A safetensors file with its header text mutated and the length prefix fixed (reaches the checks past the prefix). */
function mutateHeader(b: Uint8Array, rng: Rng, steps: number): Uint8Array {
  if (b.length < 8) return b;
  const n = Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true));
  if (n > b.length - 8) return b;
  let header = b.subarray(8, 8 + n);
  for (let k = 0; k < steps; k++) header = mutateOnce(header, rng);
  const out = new Uint8Array(8 + header.length + (b.length - 8 - n));
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(b.subarray(8 + n), 8 + header.length);
  return out;
}

function mutate(parser: string, seed: Uint8Array, rng: Rng): Uint8Array {
  const steps = 1 + rng.int(3);
  if ((parser === 'safetensors' || parser === 'checkpoint') && rng.bernoulli(0.7)) return mutateHeader(seed, rng, steps);
  let b = seed;
  for (let k = 0; k < steps; k++) b = mutateOnce(b, rng);
  return b;
}

// ---------------------------------------------------------------------------------------------
// entry points and outcomes

/** The real chain for each parser: what `recur` does with such a file. */
function feed(parser: string, bytes: Uint8Array, seedIndex: number): void {
  if (parser === 'csv') {
    const t = parseCsvBytes(bytes, { file: 'f.csv' });
    const numeric = t.header.slice(1);
    const cols = numeric.map((h) => numericColumn(t, h));
    const filled = fillMissing(t, numeric, cols, 'linear');
    timeColumn(t, t.header[0]!, 'auto', filled.rows);
  } else if (parser === 'fasta') {
    for (const r of parseFastaBytes(bytes, { file: 'f.fa', alphabet: seedIndex % 2 ? 'dna' : 'protein' })) if (r.description.includes('=')) fastaLabel(r);
  } else if (parser === 'safetensors') {
    decodeSafetensors(bytes, 'f.safetensors');
  } else if (parser === 'checkpoint') {
    const ck = decodeCheckpoint(bytes, 'f.safetensors');
    if ((ck.extra as { kind?: unknown } | undefined)?.kind === 'forecast' || !ck.optimizer) {
      const x = checkModelExtra(ck.extra, ck.model, RUN_CONFIG, 'f.safetensors');
      new Forecaster(x.spec, new Rng(0)).loadStateDict(ck.model);
    }
  } else {
    const path = seedIndex === 0 ? 'c.yaml' : 'c.json';
    const values = parseConfigText(decodeText(bytes, path, 'config'), path);
    validate(forecastSchema, merge({ values, source: { kind: 'file', path } }), FORECAST_KEYS, 'recur train');
  }
}

/** Where an error must point, per parser (the file, then line:col or the field/tensor/byte at fault). */
const LOCATED: Record<string, RegExp> = {
  csv: /^f\.csv:\d+:\d+: /,
  fasta: /^f\.fa:\d+:\d+: /,
  safetensors: /^f\.safetensors: (byte \d+|tensor "|__metadata__)/,
  checkpoint: /^f\.safetensors: (byte \d+|tensor "|__metadata__|extra)/,
  // A missing required key has no place in the file: the message names the key and the flag.
  config: /^(c\.(yaml|json):\d+:\d+: |"\w+": expected a value \(required)/,
};

export interface Outcome {
  kind: 'ok' | 'located' | 'unlocated' | 'crash';
  message: string;
  input?: string;
}

/** Run case `i` of `parser` (deterministic in seed and i). */
export function runCase(parser: string, seed: number, i: number, withInput = false): Outcome {
  const rng = new Rng((Math.imul(seed, 0x01000193) ^ Math.imul(i, 0x9e3779b1) ^ (PARSERS.indexOf(parser) << 27)) >>> 0);
  const seeds = seedsOf(parser);
  const k = rng.int(seeds.length);
  const bytes = mutate(parser, seeds[k]!, rng);
  const input = withInput ? JSON.stringify(new TextDecoder().decode(bytes.subarray(0, 400))) : undefined;
  try {
    feed(parser, bytes, k);
    return { kind: 'ok', message: '', ...(input ? { input } : {}) };
  } catch (e) {
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    if (!(e instanceof RecurError)) return { kind: 'crash', message: `${message}\n${(e as Error)?.stack?.split('\n').slice(1, 4).join('\n') ?? ''}`, ...(input ? { input } : {}) };
    return { kind: LOCATED[parser]!.test(e.message) ? 'located' : 'unlocated', message, ...(input ? { input } : {}) };
  }
}
