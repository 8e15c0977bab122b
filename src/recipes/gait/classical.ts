/**
 * The classical footstep detector: a zero-velocity (stance) detector on each foot's IMU. A sample
 * is "stance" when the centred moving average of the gyroscope norm is below `gyrThr` (rad/s)
 * and that of |‖acc‖ − g| below `accThr` (m/s²); a step is a run of non-stance samples at least
 * `minLen` long, its start and end then moved by `shiftStart` and `shiftEnd` samples (the
 * detector's edges need not sit where the annotators put a step's start and end). The settings
 * are tuned on the training subjects (never the test subjects): a grid over the four detector
 * settings, and for each the shifts set to the median offsets of the steps it matches at a
 * three-times wider tolerance; the best pooled step F1 wins.
 */
import { GYR, FEET, C, type Foot, type Interval, type Trial } from './data.js';
import { calibrated, runsOf, shifted } from './events.js';

export interface ZeroVelocity {
  gyrThr: number;
  accThr: number;
  smooth: number;
  minLen: number;
  shiftStart: number;
  shiftEnd: number;
}

const G = 9.81;

/** Centred moving average of width w (odd), shrinking at the ends. */
export function movingAverage(v: Float64Array, w: number): Float64Array {
  if (w <= 1) return v;
  const h = (w - 1) >> 1;
  const cum = new Float64Array(v.length + 1);
  for (let i = 0; i < v.length; i++) cum[i + 1] = cum[i]! + v[i]!;
  return v.map((_, i) => {
    const a = Math.max(0, i - h);
    const b = Math.min(v.length, i + h + 1);
    return (cum[b]! - cum[a]!) / (b - a);
  });
}

/** Gyroscope norm and |‖acc‖ − g| of one foot. */
function norms(tr: Trial, foot: Foot): { gyr: Float64Array; acc: Float64Array } {
  const g0 = GYR[foot];
  const a0 = g0 - 3;
  const gyr = new Float64Array(tr.T);
  const acc = new Float64Array(tr.T);
  for (let t = 0; t < tr.T; t++) {
    const r = t * C;
    gyr[t] = Math.hypot(tr.X[r + g0]!, tr.X[r + g0 + 1]!, tr.X[r + g0 + 2]!);
    acc[t] = Math.abs(Math.hypot(tr.X[r + a0]!, tr.X[r + a0 + 1]!, tr.X[r + a0 + 2]!) - G);
  }
  return { gyr, acc };
}

/** Steps of one foot detected by the zero-velocity detector. */
export function detectSteps(tr: Trial, foot: Foot, p: ZeroVelocity): Interval[] {
  const n = norms(tr, foot);
  return shifted(stanceRuns(tr.T, movingAverage(n.gyr, p.smooth), movingAverage(n.acc, p.smooth), p.gyrThr, p.accThr, p.minLen), p.shiftStart, p.shiftEnd, tr.T);
}

function stanceRuns(T: number, gyr: Float64Array, acc: Float64Array, gyrThr: number, accThr: number, minLen: number): Interval[] {
  return runsOf(T, (t) => !(gyr[t]! < gyrThr && acc[t]! < accThr), minLen);
}

/** accThr 1000 m/s² leaves the accelerometer out (a finite "off" so that settings survive JSON). */
export const ZV_GRID = {
  gyrThr: Array.from({ length: 16 }, (_, i) => Number((0.1 * 80 ** (i / 15)).toPrecision(3))),
  accThr: [1000, 8, 4, 2, 1],
  smooth: [1, 5, 11],
  minLen: [5, 10, 20, 30],
};

/** Grid search for the settings with the best pooled F1 on `trials` (runs computed once per smooth and thresholds). */
export function tuneDetector(trials: readonly Trial[], tol: number, grid = ZV_GRID): { params: ZeroVelocity; f1: number } {
  const feet = trials.flatMap((tr) => FEET.map((f) => ({ T: tr.T, truth: tr.steps[f], n: norms(tr, f) })));
  let best = { params: { gyrThr: NaN, accThr: NaN, smooth: NaN, minLen: NaN, shiftStart: 0, shiftEnd: 0 }, f1: -1 };
  for (const smooth of grid.smooth) {
    const sm = feet.map((x) => ({ T: x.T, truth: x.truth, gyr: movingAverage(x.n.gyr, smooth), acc: movingAverage(x.n.acc, smooth) }));
    for (const gyrThr of grid.gyrThr) {
      for (const accThr of grid.accThr) {
        const runs = sm.map((x) => stanceRuns(x.T, x.gyr, x.acc, gyrThr, accThr, 1));
        for (const minLen of grid.minLen) {
          const c = calibrated(runs.map((r) => r.filter(([s, e]) => e - s + 1 >= minLen)), sm, tol);
          if (c.f1 > best.f1) best = { params: { gyrThr, accThr, smooth, minLen, shiftStart: c.shiftStart, shiftEnd: c.shiftEnd }, f1: c.f1 };
        }
      }
    }
  }
  return best;
}
