/**
 * The published per-class error rates of the UCI splice-junction data (from the UCI
 * `splice.names` file, reproduced in data/uci-splice/SOURCE.md): 10-fold cross-validation on
 * 1,000 examples drawn at random from the 3,190. Errors in percent.
 */

/** One published system. */
export interface PublishedRow {
  system: string;
  /** Percent of examples of each true class misclassified. */
  N: number;
  EI: number;
  IE: number;
}

export const PUBLISHED_SPLICE: readonly PublishedRow[] = Object.freeze([
  { system: 'KBANN', N: 4.62, EI: 7.56, IE: 8.47 },
  { system: 'BACKPROP (MLP)', N: 5.29, EI: 5.74, IE: 10.75 },
  { system: 'PEBLS', N: 6.86, EI: 8.18, IE: 7.55 },
  { system: 'PERCEPTRON', N: 3.99, EI: 16.32, IE: 17.41 },
  { system: 'ID3', N: 8.84, EI: 10.58, IE: 13.99 },
  { system: 'COBWEB', N: 11.8, EI: 15.04, IE: 9.46 },
  { system: 'Nearest neighbour', N: 31.11, EI: 11.65, IE: 9.09 },
]);

/** The best (lowest) published error of a class and the system that reached it. */
export function bestPublished(cls: 'N' | 'EI' | 'IE'): { system: string; error: number } {
  let best = PUBLISHED_SPLICE[0]!;
  for (const r of PUBLISHED_SPLICE) if (r[cls] < best[cls]) best = r;
  return { system: best.system, error: best[cls] };
}
