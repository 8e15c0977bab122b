/**
 * A fleet: one model per series (`recur train --per-group`), as a sweep whose points are the
 * series of --group-col. Each series' model is an ordinary run `runs/<name>/series-<id>/`.
 */
import { OptionError, checkSchema } from '../index.js';
import { forecastSchema, loadSeries, type ForecastConfig } from '../recipes/forecast/index.js';
import type { Trial } from './spec.js';

/** The trials of a per-series fleet (all series of the file, one seed). */
export function fleetTrials(c: ForecastConfig, runsDir: string): { name: string; trials: Trial[] } {
  if (!c.groupCol) throw new OptionError('--per-group', 'a --group-col naming the series', 'none');
  if (c.series !== undefined) throw new OptionError('--per-group', 'all series (no --series)', `--series ${c.series}`);
  const name = c.name ?? `fleet-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
  const s = loadSeries(c.csv, { ...c, farmMean: false, neighbours: 0 });
  const safe = (g: string): string => g.replace(/[^A-Za-z0-9._-]/g, '_');
  const trials = s.groups.map((g, i): Trial => {
    const id = `series-${safe(g)}`;
    const config = checkSchema(forecastSchema, { ...c, series: g, perGroup: false, name: id, runsDir: `${runsDir}/${name}`, quiet: true }, `fleet, series ${g}`);
    return { id, point: id, overrides: { series: g, index: i }, seed: c.seed, config };
  });
  return { name, trials };
}
