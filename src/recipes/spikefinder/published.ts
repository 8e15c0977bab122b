/**
 * Published per-dataset figures: mean per-neuron Pearson r at 25 Hz, computed from
 * `baseline_results_24_07_17.csv` (the file behind Fig. 1 of Berens et al. 2018, PLoS Comput Biol
 * 14(5): e1006157; see ../shared/data/spikefinder/SOURCE.md). `test` rows: the held-out test cells
 * (ds 4 n = 3, ds 5 n = 8). `train` rows: the same training cells we cross-validate on, but scored
 * after the participants trained on them (in-sample for supervised entries). Dataset 6 has none.
 */
export interface Published { label: string; test: Record<string, number>; train: Record<string, number> }

export const PUBLISHED: Published[] = [
  { label: 'STM (Theis et al. 2016)', test: { 4: 0.254, 5: 0.318 }, train: { 4: 0.386, 5: 0.307 } },
  { label: 'fast-oopsi', test: { 4: 0.167, 5: 0.178 }, train: { 4: 0.265, 5: 0.185 } },
  { label: 'OASIS AR(2)+kernel (Friedrich)', test: { 4: 0.309, 5: 0.412 }, train: { 4: 0.464, 5: 0.481 } },
  { label: 'MLspike (Deneux), best ds 4', test: { 4: 0.327, 5: 0.438 }, train: { 4: 0.483, 5: 0.481 } },
  { label: 'convnet+biLSTM (Chenkov), best ds 5', test: { 4: 0.317, 5: 0.459 }, train: { 4: 0.473, 5: 0.468 } },
];
