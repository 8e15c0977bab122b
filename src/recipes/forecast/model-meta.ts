/**
 * The forecasting model's checkpoint metadata (`extra` in checkpoint.safetensors), validated
 * before anything is built from it: every field present and of its type, sizes bounded, and
 * the network's size consistent with the tensors actually in the file and with the run's config.
 * A hostile or damaged file claiming `hidden: 14000` beside small tensors is refused here, before
 * the Forecaster would allocate its weights.
 */
import { z } from 'zod';
import { FormatError, checkSchema, type Tensor } from '../../index.js';
import type { ForecastConfig } from './config.js';
import type { ForecasterSpec } from './model.js';

/** Generous bounds on the network's sizes (the tensors in the file must match them anyway). */
const LIMITS = { features: 10_000, hidden: 100_000, layers: 64, horizon: 100_000, targets: 10_000 };

const size = (max: number) => z.number().int().min(1).max(max);
const finite = z.number().refine(Number.isFinite, 'a finite number');

const specSchema = z.strictObject({
  cell: z.enum(['gru', 'lstm', 'rnn']),
  features: size(LIMITS.features),
  hidden: size(LIMITS.hidden),
  layers: size(LIMITS.layers),
  horizon: size(LIMITS.horizon),
  targets: size(LIMITS.targets),
  series: z.strictObject({ names: z.array(z.string()).min(2).max(1_000_000), dim: size(LIMITS.features) }).optional(),
});

/** What train.ts stores beside the best weights (see its `modelExtra`). */
const extraSchema = z.strictObject({
  kind: z.literal('forecast'),
  features: z.array(z.string()).min(1).max(LIMITS.features),
  targets: z.array(z.string()).min(1).max(LIMITS.targets).optional(),
  normaliser: z.strictObject({
    mean: z.array(finite), std: z.array(finite.refine((v) => v > 0, 'a positive number')),
    groups: z.array(z.strictObject({ mean: z.array(finite), std: z.array(finite.refine((v) => v > 0, 'a positive number')) })).max(1_000_000).optional(),
  }),
  series: z.array(z.string()).max(1_000_000).optional(),
  shrink: z.array(finite.refine((v) => v >= 0 && v <= 1, 'a weight in [0, 1]')).optional(),
  scales: z.array(finite),
  bounds: z.array(z.tuple([finite, finite])).optional(),
  spec: specSchema,
  window: z.strictObject({ L: size(1_000_000), H: size(LIMITS.horizon), season: size(1_000_000).nullable() }).optional(),
  ridge: z.strictObject({ lambda: z.number().min(0), d: size(1e9), W: z.array(finite) }),
  fold: z.number().int().min(0).optional(),
});

export type ModelExtra = z.output<typeof extraSchema>;

/** Parameter shapes of a Forecaster with `spec`, by state-dict key (computed, nothing allocated). */
export function forecasterShapes(spec: ForecasterSpec): Map<string, number[]> {
  const g = { gru: 3, lstm: 4, rnn: 1 }[spec.cell] * spec.hidden;
  const out = new Map<string, number[]>();
  for (let l = 0; l < spec.layers; l++) {
    out.set(`rnn.weight_ih_l${l}`, [g, l === 0 ? spec.features + (spec.series?.dim ?? 0) : spec.hidden]);
    out.set(`rnn.weight_hh_l${l}`, [g, spec.hidden]);
    out.set(`rnn.bias_ih_l${l}`, [g]);
    out.set(`rnn.bias_hh_l${l}`, [g]);
  }
  out.set('head.weight', [spec.horizon * spec.targets, spec.hidden]);
  out.set('head.bias', [spec.horizon * spec.targets]);
  if (spec.series) out.set('series.weight', [spec.series.names.length, spec.series.dim]);
  return out;
}

/** Throw a FormatError at `where.field` unless `got === want`. */
function same(where: string, field: string, want: number, what: string, got: number): void {
  if (got !== want) throw new FormatError(`${where}.${field}`, `${want} ${what}`, `${got}`);
}

/**
 * Validate the `extra` of a forecasting checkpoint against its tensors and the run's config.
 * @param where the checkpoint file, for messages
 * @throws FormatError `file: extra.<field>: expected …, got …` naming the first bad field.
 */
export function checkModelExtra(extra: unknown, model: Record<string, Tensor>, c: ForecastConfig, where: string): ModelExtra {
  const loc = `${where}: extra`;
  if (typeof extra !== 'object' || extra === null || (extra as { kind?: unknown }).kind !== 'forecast') {
    throw new FormatError(`${loc}.kind`, 'a forecasting model checkpoint ("forecast")', String((extra as { kind?: unknown } | null)?.kind));
  }
  const x = checkSchema(extraSchema, extra, loc);
  const { spec } = x;
  const shapes = forecasterShapes(spec);
  for (const [key, shape] of shapes) {
    const t = model[key];
    if (!t) throw new FormatError(`${where}: tensor "model.${key}"`, `a tensor of shape [${shape.join(', ')}] (extra.spec: ${spec.cell} hidden ${spec.hidden}, ${spec.layers} layer(s))`, 'none');
    if (t.shape.join() !== shape.join()) throw new FormatError(`${loc}.spec`, `sizes matching tensor "model.${key}" of shape [${t.shape.join(', ')}]`, `${JSON.stringify(spec)}, which needs [${shape.join(', ')}]`);
  }
  const extraKey = Object.keys(model).find((k) => !shapes.has(k));
  if (extraKey) throw new FormatError(`${where}: tensor "model.${extraKey}"`, `only the tensors of a ${spec.cell} forecaster with ${spec.layers} layer(s)`, 'an unexpected tensor');
  const F = x.features.length;
  same(loc, 'spec.features', F, 'features (as extra.features lists)', spec.features);
  same(loc, 'normaliser.mean.length', F, 'values, one per feature', x.normaliser.mean.length);
  same(loc, 'normaliser.std.length', F, 'values, one per feature', x.normaliser.std.length);
  x.normaliser.groups?.forEach((g, i) => {
    same(loc, `normaliser.groups.${i}.mean.length`, F, 'values, one per feature', g.mean.length);
    same(loc, `normaliser.groups.${i}.std.length`, F, 'values, one per feature', g.std.length);
  });
  if (x.normaliser.groups) same(loc, 'series.length', x.normaliser.groups.length, 'names, one per normalised series', x.series?.length ?? 0);
  if (x.shrink) same(loc, 'shrink.length', spec.horizon * spec.targets, 'weights (horizon × targets)', x.shrink.length);
  same(loc, 'scales.length', spec.targets, 'values, one per target', x.scales.length);
  if (x.bounds) same(loc, 'bounds.length', spec.targets, 'ranges, one per target', x.bounds.length);
  same(loc, 'spec.horizon', c.horizon, 'steps (the run config\'s horizon)', spec.horizon);
  same(loc, 'ridge.d', c.lookback * F + 1, 'inputs (lookback × features + 1)', x.ridge.d);
  same(loc, 'ridge.W.length', x.ridge.d * spec.horizon * spec.targets, 'weights (d × horizon × targets)', x.ridge.W.length);
  return x;
}
