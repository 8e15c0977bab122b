/**
 * Test systems for the Koopman experiment (E7) and its tests: a linear map, the pendulum and
 * Lotka–Volterra (both integrated with the symplectic Störmer–Verlet / leapfrog scheme, so the
 * energy / invariant is kept to O(dt²) with no drift), and snapshot pairs of a recurrent cell
 * at zero input.
 */
import { Rng, Tensor, analysis } from '../../index.js';

export type Traj = number[][];

/** Trajectories x_{t+1} = J x_t from x_0 uniform in [−1, 1]^n (steps + 1 states each). */
export function linearTrajectories(J: number[][], count: number, steps: number, rng: Rng): Traj[] {
  const n = J.length;
  return Array.from({ length: count }, () => {
    let x = Array.from({ length: n }, () => rng.uniform(-1, 1));
    const tr = [x];
    for (let t = 0; t < steps; t++) {
      x = J.map((row) => row.reduce((s, v, j) => s + v * x[j]!, 0));
      tr.push(x);
    }
    return tr;
  });
}

/** Energy ½p² − cos q of the pendulum q̈ = −sin q; state [q, p]. */
export const pendulumEnergy = (x: ArrayLike<number>): number => 0.5 * x[1]! ** 2 - Math.cos(x[0]!);

/**
 * Pendulum trajectories by leapfrog (kick–drift–kick) with step dt, from q_0 ∈ [−2.5, 2.5],
 * p_0 ∈ [−1.5, 1.5] (energies from −1 to about 1.9: librations and rotations).
 */
export function pendulumTrajectories(count: number, steps: number, rng: Rng, dt = 0.01): Traj[] {
  return Array.from({ length: count }, () => {
    let q = rng.uniform(-2.5, 2.5);
    let p = rng.uniform(-1.5, 1.5);
    const tr = [[q, p]];
    for (let t = 0; t < steps; t++) {
      p -= 0.5 * dt * Math.sin(q);
      q += dt * p;
      p -= 0.5 * dt * Math.sin(q);
      tr.push([q, p]);
    }
    return tr;
  });
}

/** The pendulum's dictionary: monomials of degree ≤ 2 in (cos q, sin q, p) — the energy is in its span. */
export function pendulumDictionary(): analysis.Dictionary {
  return analysis.compose(analysis.custom([(x) => Math.cos(x[0]!), (x) => Math.sin(x[0]!), (x) => x[1]!], ['cos q', 'sin q', 'p']), analysis.monomials(2));
}

/** Lotka–Volterra ẋ = αx − βxy, ẏ = δxy − γy (Wikipedia's example values). */
export const LV = { alpha: 1.1, beta: 0.4, gamma: 0.4, delta: 0.1 };

/** The invariant δx − γ log x + βy − α log y. */
export const lvInvariant = (s: ArrayLike<number>): number => LV.delta * s[0]! - LV.gamma * Math.log(s[0]!) + LV.beta * s[1]! - LV.alpha * Math.log(s[1]!);

/**
 * Lotka–Volterra trajectories: leapfrog in u = log x, v = log y, where the system is Hamiltonian
 * and separable (H = δeᵘ − γu + βeᵛ − αv), from x_0 ∈ [1, 8], y_0 ∈ [1, 5].
 */
export function lotkaVolterraTrajectories(count: number, steps: number, rng: Rng, dt = 0.01): Traj[] {
  const { alpha, beta, gamma, delta } = LV;
  return Array.from({ length: count }, () => {
    let u = Math.log(rng.uniform(1, 8));
    let v = Math.log(rng.uniform(1, 5));
    const tr = [[Math.exp(u), Math.exp(v)]];
    for (let t = 0; t < steps; t++) {
      u += 0.5 * dt * (alpha - beta * Math.exp(v));
      v += dt * (delta * Math.exp(u) - gamma);
      u += 0.5 * dt * (alpha - beta * Math.exp(v));
      tr.push([Math.exp(u), Math.exp(v)]);
    }
    return tr;
  });
}

/** Pearson correlation of two equally long series. */
export function correlation(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/**
 * Hidden-state trajectories of a cell driven by inputs xs (T, B, I), cut into the runs of steps
 * with zero input (each run with its preceding state, so every pair (h_t, h_{t+1}) has x_{t+1} = 0):
 * the autonomous map h → F(h, 0) that the fixed-point finder analyses. Runs shorter than minLength
 * states are dropped.
 */
export function zeroInputRuns(cell: analysis.Cell, xs: Tensor, minLength = 3): Traj[] {
  const [T, B, I] = xs.shape as [number, number, number];
  const S = cell.stateSize;
  const hs = analysis.trajectory(cell, xs);
  const runs: Traj[] = [];
  for (let b = 0; b < B; b++) {
    let run: Traj = [];
    for (let t = 0; t < T; t++) {
      const h = Array.from(hs.subarray((t * B + b) * S, (t * B + b + 1) * S));
      let quiet = true;
      for (let i = 0; i < I; i++) if (xs.data[(t * B + b) * I + i] !== 0) quiet = false;
      if (!quiet || t === 0) {
        if (run.length >= minLength) runs.push(run);
        run = [h];
      } else run.push(h);
    }
    if (run.length >= minLength) runs.push(run);
  }
  return runs;
}
