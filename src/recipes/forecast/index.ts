/** The forecasting recipe: sequence-to-sequence regression and forecasting from CSV files. */
export { forecastSchema, FORECAST_KEYS, PRESETS, COLUMN_ALIASES, type ForecastConfig, type ForecastConfigInput, type PresetName } from './config.js';
export { trainForecast, type ForecastEnv, type ForecastTrainResult, type ForecastMetrics } from './train.js';
export { evalForecastRun, predictForecastRun, loadForecastRun, type EvalPart, type EvalResult } from './inference.js';
export {
  loadSeries, rollingOriginSplits, fitNormaliser, normalise, windowOrigins, splitWindows,
  type Series, type Split, type Range, type Normaliser, type WindowSpec,
} from './dataset.js';
export {
  persistence, seasonalNaive, referenceForecast, truthOf, fitRidgeAR, ridgeForecast, ridgeLagCoefficients, ridgeSolve, gram, choleskySolve,
  type Forecast, type RidgeAR,
} from './baselines.js';
export { scoreForecasts, targetScales, pick, type ForecastScores, type MethodForecast } from './evaluate.js';
export { syntheticFarmCsv, powerCurve, type FarmOptions } from './synthetic-farm.js';
export { seriesSplits, seriesBounds, rangesOf, type Grouped } from './groups.js';
export { perSeriesScores, seriesVerdict, type SeriesScore } from './series-metrics.js';
