/**
 * The instruments drawn as training proceeds, all from recur's analysis: gradient flow through time
 * (‖∂L/∂s_t‖ by lag), the fixed and slow points of the step map with the visited states, projected on
 * the visited states' first two principal axes, and the spectrum of the step map's Jacobian there.
 */
import { analysis, type GRU, type LSTM, type Rng, type Tensor } from 'recur';

type Stability = analysis.Stability;

export interface Instruments {
  gradFlow: { lags: number[]; gradNorm: number[] };
  /** Visited states and fixed/slow points in the visited states' PCA plane. */
  pca: { states: [number, number][]; points: { xy: [number, number]; stability: Stability }[]; explained: number[] };
  /** Eigenvalues of the Jacobian at each fixed/slow point, or at the last visited state when none was found. */
  spectrum: { re: number; im: number; at: 'fixed point' | 'visited state' }[];
}

/** Rows of a flat (N·S) array, every `stride`-th. */
function rows(flat: Float64Array, S: number, stride = 1): number[][] {
  const out: number[][] = [];
  for (let i = 0; i * S < flat.length; i += stride) out.push(Array.from(flat.subarray(i * S, (i + 1) * S)));
  return out;
}

function pcaPlane(states: number[][]): { project: (s: readonly number[]) => [number, number]; explained: number[] } {
  const S = states[0]!.length;
  const mean = Array.from({ length: S }, (_, j) => states.reduce((a, r) => a + r[j]!, 0) / states.length);
  const { s, V } = analysis.svd(states.map((r) => r.map((v, j) => v - mean[j]!)));
  const tot = s.reduce((a, v) => a + v * v, 0) || 1;
  const axis = (k: number, r: readonly number[]): number => r.reduce((a, v, j) => a + (v - mean[j]!) * (V.data[j * V.cols + k] ?? 0), 0);
  return { project: (r) => [axis(0, r), axis(1, r)], explained: s.slice(0, 2).map((v) => (v * v) / tot) };
}

/** x: a batch (T, B, I) of the task's inputs (a few rows suffice). */
export function measure(rnn: LSTM | GRU, x: Tensor, rng: Rng): Instruments {
  const g = analysis.gradientFlow(rnn, x);
  const cell = analysis.cellOf(rnn);
  const S = cell.stateSize;
  const visited = rows(analysis.trajectory(cell, x), S, 2);
  const fp = analysis.findFixedPoints(cell, {
    initialStates: analysis.sampleStates(cell, x, { count: 16, noise: 0.01, rng }), maxIters: 200, tolSlow: 1e-4, newtonSteps: 4,
  });
  const plane = pcaPlane(visited);
  const at = fp.points.length ? 'fixed point' : 'visited state';
  const eig = fp.points.length ? fp.points.flatMap((p) => p.eigenvalues)
    : analysis.eigenvalues(analysis.jacobian(cell, visited[visited.length - 1]!, new Float64Array(cell.inputSize)));
  return {
    gradFlow: { lags: g.lags, gradNorm: g.gradNorm },
    pca: { states: visited.map(plane.project), points: fp.points.map((p) => ({ xy: plane.project(p.state), stability: p.stability })), explained: plane.explained },
    spectrum: eig.map((z) => ({ re: z.re, im: z.im, at })),
  };
}
