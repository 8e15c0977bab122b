/**
 * A sweep file (`recur sweep --config sweep.yaml`): a base forecasting configuration, a grid
 * and/or a random search over any of its options, and seeds. Every trial is the base with one
 * point's overrides and one seed: an ordinary `recur train` run folder `runs/<sweep>/<trial>/`.
 *
 * ```yaml
 * name: wind-sweep
 * base: forecast.yaml          # a config file (relative to this one), or an inline mapping
 * grid: { hidden: [16, 32], lr: [0.001, 0.003] }
 * random: { trials: 4, space: { lr: { logUniform: [0.0001, 0.01] }, cell: { choice: [gru, lstm] } } }
 * seeds: [0, 1, 2]
 * ```
 */
import { z } from 'zod';
import { OptionError, Rng, expectedOf, nearestName, showValue } from '../index.js';
import { FORECAST_KEYS, forecastSchema, type ForecastConfig } from '../recipes/forecast/index.js';

const value = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);
const dist = z.union([
  z.strictObject({ choice: z.array(value).min(1) }),
  z.strictObject({ uniform: z.tuple([z.number(), z.number()]) }),
  z.strictObject({ logUniform: z.tuple([z.number().positive(), z.number().positive()]) }),
  z.strictObject({ intUniform: z.tuple([z.number().int(), z.number().int()]) }),
]);

export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The sweep file's schema. */
export const sweepSchema = z.strictObject({
  name: z.string().regex(NAME_RE, 'letters, digits, ".", "_" or "-" (not starting with a dot)'),
  base: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
  grid: z.record(z.string(), z.array(value).min(1)).default({}),
  random: z.strictObject({ trials: z.number().int().min(1).max(10_000), space: z.record(z.string(), dist) }).optional(),
  seeds: z.array(z.number().int().min(0)).min(1).default([0]),
  /** Seed of the random search's draws (not of the trials). */
  seed: z.number().int().min(0).default(0),
});

export type SweepSpec = z.output<typeof sweepSchema>;

/** One trial: its id (the run folder's name), its point's id, the overrides and the full configuration. */
export interface Trial {
  id: string;
  point: string;
  overrides: Record<string, unknown>;
  seed: number;
  config: ForecastConfig;
}

/**
 * Validate options like `recur train --config` does: a bad or unknown option is a usage error (exit 2).
 * @throws OptionError naming the key (and the nearest known one).
 */
export function checkOptions<S extends z.ZodType>(schema: S, value: Record<string, unknown>, where: string, keys: readonly string[]): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const near = nearestName(issue.keys[0]!, keys);
    throw new OptionError(where, `a known option${near ? ` (did you mean "${near}"?)` : ''}`, `unknown key "${issue.keys[0]}"`);
  }
  const key = issue.path.map(String).join('.');
  let got: unknown = value;
  for (const p of issue.path) got = typeof got === 'object' && got !== null ? (got as Record<PropertyKey, unknown>)[p] : undefined;
  throw new OptionError(`${where}: "${key}"`, got === undefined ? 'a value (required)' : expectedOf(issue), got === undefined ? 'nothing' : showValue(got));
}

function gridPoints(grid: Record<string, unknown[]>): Record<string, unknown>[] {
  return Object.entries(grid).reduce<Record<string, unknown>[]>((acc, [k, vs]) => acc.flatMap((p) => vs.map((v) => ({ ...p, [k]: v }))), [{}]);
}

function draw(d: z.output<typeof dist>, rng: Rng): unknown {
  if ('choice' in d) return d.choice[rng.int(d.choice.length)];
  if ('uniform' in d) return rng.uniform(d.uniform[0], d.uniform[1]);
  if ('intUniform' in d) return d.intUniform[0] + rng.int(d.intUniform[1] - d.intUniform[0] + 1);
  const [a, b] = d.logUniform.map(Math.log) as [number, number];
  return Number(Math.exp(rng.uniform(a, b)).toPrecision(4));
}

/**
 * The trials of a sweep: (grid points × random draws, or either alone) × seeds, each validated
 * as a forecasting configuration (an unknown option or a bad value is an error before anything runs).
 * @param base the base configuration (file already read), with csv resolved
 * @param runsDir where the sweep's folder goes (trials are `runsDir/<name>/<trial>`)
 */
export function expandTrials(spec: SweepSpec, base: Record<string, unknown>, runsDir: string): Trial[] {
  const rng = new Rng(spec.seed);
  const grid = gridPoints(spec.grid);
  const randomPts = spec.random ? Array.from({ length: spec.random.trials }, () => Object.fromEntries(Object.entries(spec.random!.space).map(([k, d]) => [k, draw(d, rng)]))) : [{}];
  const points = grid.flatMap((g) => randomPts.map((r) => ({ ...g, ...r })));
  const bad = points.flatMap((p) => Object.keys(p)).find((k) => ['seed', 'name', 'runsDir', 'task'].includes(k));
  if (bad) throw new OptionError(`sweep "${spec.name}"`, 'grid/random options other than seed, name, runsDir and task (seeds go in "seeds")', `"${bad}"`);
  const width = String(points.length - 1).length;
  return points.flatMap((overrides, i) => spec.seeds.map((seed) => {
    const point = `p${String(i).padStart(width, '0')}`;
    const id = `${point}-seed${seed}`;
    const config = checkOptions(forecastSchema, { ...base, ...overrides, task: 'forecast', seed, name: id, runsDir: `${runsDir}/${spec.name}`, quiet: true, perGroup: false }, `sweep "${spec.name}", trial ${id}`, FORECAST_KEYS);
    return { id, point, overrides, seed, config };
  }));
}
