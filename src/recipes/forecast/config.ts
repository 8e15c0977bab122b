/**
 * The forecasting recipe's configuration: one flat, strictly validated object whose keys are
 * the `recur train --task forecast` flags in camelCase (`--batch-size` → `batchSize`), so a
 * config file and a command line say the same things. Unknown keys are errors.
 */
import { z } from 'zod';

/** Built-in presets: column names and settings for known data sets. */
export const PRESETS = {
  /**
   * Wind-turbine SCADA, Turkey 2018 (10-minute steps); see shared/data/wind-turkey-t1/SOURCE.md.
   * Model settings chosen on the validation split (Sep–Nov 2018), never on the test split:
   * the power curve of the measured wind speed as an input (at the origin and before), GRU 64,
   * forecasts clipped to 0…rated power, up to 30 epochs with the lr cut on plateaus and early
   * stopping, and MAE loss: the change in power is zero-peaked and heavy-tailed, and the
   * MAE-optimal forecast is its conditional median. On validation (3 seeds) MAE loss gave MAE skill
   * +0.2…+1.0 % and RMSE skill +0.6…+1.7 % over persistence at 10–60 min, where Huber (δ 0.1)
   * gave −0.3…+0.8 % and +0.9…+2.2 %: Huber lost to persistence at rated power and in calms
   * (where the median change is 0), MAE loss tied it there. Blending with persistence (--shrink),
   * with the ridge AR, or averaging seeds added at most 0.1–0.2 % on validation. Longer lookbacks
   * (36–144), 2 layers, LSTM and time-of-day inputs did no better on validation.
   */
  'wind-t1': {
    csv: 'wind-turkey-t1/T1.csv',
    timeCol: 'Date/Time',
    timeFormat: 'dmy',
    target: ['LV ActivePower (kW)'],
    covariate: ['Wind Speed (m/s)', 'Wind Direction (°)'],
    angular: ['Wind Direction (°)'],
    referenceCol: 'Theoretical_Power_Curve (KWh)',
    referenceInput: true,
    lookback: 24,
    horizon: 6,
    season: 144,
    hidden: 64,
    loss: 'mae',
    clipOutput: true,
    schedule: 'plateau',
    epochs: 30,
    patience: 4,
  },
} as const;

export type PresetName = keyof typeof PRESETS;

/** Header spellings a preset accepts for one of its columns (the Kaggle file and our copy differ). */
export const COLUMN_ALIASES: Record<string, string[]> = {
  'Wind Direction (°)': ['Wind Direction (deg)', 'Wind Direction (Â°)'],
};

const posInt = z.number().int().min(1);
const frac = z.number().gt(0).lt(1);
const names = z.union([z.string().min(1), z.array(z.string().min(1))]).transform((v) => (Array.isArray(v) ? v : [v]));

/** The schema; every key has a flag of the same name. */
export const forecastSchema = z.strictObject({
  task: z.literal('forecast'),
  preset: z.enum(Object.keys(PRESETS) as [PresetName, ...PresetName[]]).optional(),
  csv: z.string().min(1).describe('CSV file (a relative path is taken from the working directory; with --preset, from --data-dir)'),
  dataDir: z.string().min(1).optional(),
  timeCol: z.string().min(1).optional(),
  /** Time built from several columns (e.g. Day + Tmstamp), joined by a space; see timeFormat 'day-clock'. */
  timeCols: names.optional(),
  timeFormat: z.enum(['auto', 'iso', 'dmy', 'number', 'day-clock']).default('auto'),
  /** Series id column: several series in one file (e.g. one per turbine); no window crosses series. */
  groupCol: z.string().min(1).optional(),
  /** Only this series of --group-col (one model per series: the fleet's trials). */
  series: z.string().min(1).optional(),
  /** One model per series (`recur train --per-group`), as a sweep over --series. */
  perGroup: z.boolean().default(false),
  /** Inputs from the other series at the same time: the fleet's mean of every target and covariate. */
  farmMean: z.boolean().default(false),
  /** Inputs from the other series: the mean target of the k series most correlated on the training rows. */
  neighbours: z.number().int().min(0).default(0),
  /** A learned embedding of this size per series (--group-col), fed to the encoder at every step; 0: none. */
  seriesEmbedding: z.number().int().min(0).default(0),
  target: names,
  covariate: names.default([]),
  angular: names.default([]),
  referenceCol: z.string().min(1).optional(),
  referenceInput: z.boolean().default(false),
  timeOfDay: z.boolean().default(false),
  delimiter: z.string().length(1).optional(),
  fill: z.enum(['error', 'ffill', 'linear', 'drop']).default('error'),
  maxRows: posInt.optional(),
  lookback: posInt.default(24),
  horizon: posInt.default(6),
  season: posInt.optional(),
  split: z.tuple([frac, frac, frac]).default([0.7, 0.15, 0.15])
    .refine((s) => Math.abs(s[0] + s[1] + s[2] - 1) < 1e-9, { message: 'train, validation and test fractions must add up to 1' }),
  backtest: z.number().int().min(0).default(0),
  cell: z.enum(['gru', 'lstm', 'rnn']).default('gru'),
  hidden: posInt.default(32),
  layers: posInt.default(1),
  epochs: z.number().int().min(0).default(6),
  batchSize: posInt.default(64),
  lr: z.number().positive().default(3e-3),
  patience: posInt.default(3),
  clip: z.number().positive().default(1),
  loss: z.enum(['mse', 'mae', 'huber']).default('mse'),
  huberDelta: z.number().positive().default(1),
  schedule: z.enum(['constant', 'plateau']).default('constant'),
  clipOutput: z.boolean().default(false),
  /** Blend the model with persistence per horizon step, the weights chosen on validation (see shrink.ts). */
  shrink: z.boolean().default(false),
  seed: z.number().int().min(0).default(0),
  trainStride: posInt.default(1),
  ridgeLambda: z.union([z.literal('auto'), z.number().min(0)]).default('auto'),
  name: z.string().min(1).optional(),
  runsDir: z.string().min(1).default('runs'),
  quiet: z.boolean().default(false),
});

/** A validated forecasting configuration (defaults filled in). */
export type ForecastConfig = z.output<typeof forecastSchema>;
/** What a user may write (before defaults). */
export type ForecastConfigInput = z.input<typeof forecastSchema>;

/** The keys of the schema, for "did you mean" on unknown keys. */
export const FORECAST_KEYS = Object.keys(forecastSchema.shape);
