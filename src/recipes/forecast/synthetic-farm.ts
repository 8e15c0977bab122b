/**
 * A synthetic wind farm in the SDWPF file layout (`TurbID,Day,Tmstamp,Wspd,Wdir,Patv`), for tests
 * and for measuring what fleet inputs give when no real farm file is at hand.
 *
 * The free-stream wind speed is an Ornstein–Uhlenbeck process with a diurnal cycle and occasional
 * fronts (level shifts); it blows along a line of turbines, so a turbine `lag` steps downstream
 * sees the upstream wind that many 10-minute steps later, plus its own turbulence (AR(1)). Power
 * follows a logistic power curve (cut-in 3 m/s, rated 12 m/s, 3.6 MW = 3600 kW) with noise, and
 * each turbine has occasional curtailment stretches (power held at a fraction of the curve).
 */
import { Rng } from '../../index.js';

export interface FarmOptions {
  turbines: number;
  /** 10-minute steps per turbine (144 a day). */
  steps: number;
  seed: number;
  /** Largest downstream delay in steps (turbine g has delay round(g·maxLag/(turbines−1))). */
  maxLag?: number;
  /** First day number (SDWPF counts from 1). */
  firstDay?: number;
}

/** Power (kW) of a 3.6 MW turbine at wind speed v (m/s): logistic between cut-in and rated, 0 beyond 25. */
export function powerCurve(v: number): number {
  if (v < 3 || v > 25) return 0;
  return 3600 / (1 + Math.exp(-0.9 * (v - 8.5)));
}

function freeStream(n: number, rng: Rng): Float64Array {
  const u = new Float64Array(n);
  let x = 8;
  let level = 8;
  for (let i = 0; i < n; i++) {
    if (rng.random() < 1 / 300) level = rng.uniform(4, 14); // a front
    const diurnal = 1.5 * Math.sin((2 * Math.PI * (i % 144)) / 144);
    x += 0.04 * (level + diurnal - x) + 0.45 * rng.normal();
    u[i] = Math.max(0, x);
  }
  return u;
}

/** The farm as CSV text, rows ordered by turbine, then time (as the SDWPF file). */
export function syntheticFarmCsv(o: FarmOptions): string {
  const rng = new Rng(o.seed);
  const maxLag = o.maxLag ?? 6;
  const u = freeStream(o.steps + maxLag, rng);
  const lines = ['TurbID,Day,Tmstamp,Wspd,Wdir,Patv'];
  for (let g = 0; g < o.turbines; g++) {
    const lag = o.turbines > 1 ? Math.round((g * maxLag) / (o.turbines - 1)) : 0;
    let turb = 0;
    let curtail = 0;
    for (let i = 0; i < o.steps; i++) {
      turb = 0.8 * turb + 0.35 * rng.normal();
      const v = Math.max(0, u[i + maxLag - lag]! + turb);
      if (curtail > 0) curtail--;
      else if (rng.random() < 1 / 2000) curtail = 12 + rng.int(36);
      const p = powerCurve(v) * (curtail > 0 ? 0.4 : 1) * (1 + 0.03 * rng.normal());
      const day = (o.firstDay ?? 1) + Math.floor(i / 144);
      const min = (i % 144) * 10;
      const clock = `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;
      const dir = (((200 + 15 * Math.sin(i / 300) + 5 * rng.normal()) % 360) + 360) % 360;
      lines.push(`${g + 1},${day},${clock},${v.toFixed(2)},${dir.toFixed(1)},${Math.max(0, p).toFixed(1)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
