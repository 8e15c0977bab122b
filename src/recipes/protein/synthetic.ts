/**
 * Simulated proteins with a known ΔΔG rule, for tests and the confounder demonstration.
 *
 * ΔΔG(site, wt→mut) = a·pair[wt][mut] + b·(burial(site) − ½)·(hyd(wt) − hyd(mut)) + u(site) + ε, where
 * (losing hydrophobicity hurts at buried sites, gaining it at exposed ones), burial is the mean hydrophobicity of the neighbours at distance `near`…`far` squashed to (0, 1)
 * (a rule shared by every protein, learnable from sequence), u a site effect drawn afresh for
 * every site (memorisable, not transferable) and ε noise. With near > 3 the rule reads context
 * outside the ridge baseline's ±3 window.
 */
import { Rng, ValueError } from '../../index.js';
import { AMINO, encodeResidues, type Protein, type StabilityData } from './data.js';

/** Kyte–Doolittle hydropathy, in AMINO order, scaled by 1/4.5 to [−1, 1]. */
export const HYDROPATHY: readonly number[] = [1.8, 2.5, -3.5, -3.5, 2.8, -0.4, -3.2, 4.5, -3.9, 3.8, 1.9, -3.5, -1.6, -3.5, -4.5, -0.8, -0.7, 4.2, -0.9, -1.3].map((v) => v / 4.5);

export interface SimOptions {
  proteins: number;
  /** Length range (inclusive). */
  minLength?: number;
  maxLength?: number;
  /** Mutations drawn per protein (distinct site × mutant; default all). */
  perProtein?: number;
  /** Weights of the pair term, the burial term, and SDs of the site effect and the noise. */
  pairWeight?: number;
  burialWeight?: number;
  siteSd?: number;
  noiseSd?: number;
  /** Distances of the neighbours that set the burial (default 1…3). */
  near?: number;
  far?: number;
  rng: Rng;
}

/** The simulated data, and its parts: `transferable` is the rule's value without u and ε. */
export interface SimData { data: StabilityData; transferable: Float64Array; site: Float64Array }

function burial(res: Int32Array, pos: number, near: number, far: number): number {
  let s = 0;
  let n = 0;
  for (let j = Math.max(0, pos - far); j <= Math.min(res.length - 1, pos + far); j++) {
    if (Math.abs(j - pos) < near) continue;
    s += HYDROPATHY[res[j]!]!;
    n += 1;
  }
  return 1 / (1 + Math.exp(-4 * (n ? s / n : 0)));
}

/**
 * Simulate `proteins` random proteins and their mutations (dataset 'D', subset 'SIM').
 * @example const { data } = simulateStability({ proteins: 30, perProtein: 150, rng: new Rng(0) });
 */
export function simulateStability(o: SimOptions): SimData {
  const { minLength = 40, maxLength = 60, pairWeight = 0.6, burialWeight = 2, siteSd = 0.5, noiseSd = 0.3, near = 1, far = 3, rng } = o;
  if (!(o.proteins >= 2 && minLength >= 2 && maxLength >= minLength)) throw new ValueError('simulateStability', 'proteins >= 2 and 2 <= minLength <= maxLength', JSON.stringify({ proteins: o.proteins, minLength, maxLength }));
  const pair = Array.from({ length: 400 }, () => rng.normal());
  const proteins: Protein[] = [];
  const cols = { protein: [] as number[], pos: [] as number[], wt: [] as number[], mut: [] as number[], ddg: [] as number[], tr: [] as number[], site: [] as number[] };
  for (let p = 0; p < o.proteins; p++) {
    const L = minLength + rng.int(maxLength - minLength + 1);
    const seq = Array.from({ length: L }, () => AMINO[rng.int(20)]!).join('');
    const residues = encodeResidues(seq, `sim${p}`);
    proteins.push({ id: `sim${p}`, sequence: seq, dataset: 'D', subset: 'SIM', residues, rsa: Float32Array.from(residues, (_, i) => 1 - burial(residues, i, near, far)) });
    const u = Array.from({ length: L }, () => siteSd * rng.normal());
    let cands = Array.from({ length: L * 19 }, (_, k) => k);
    if (o.perProtein !== undefined && o.perProtein < cands.length) cands = rng.shuffle(cands).slice(0, o.perProtein).sort((a, b) => a - b);
    for (const k of cands) {
      const pos = Math.floor(k / 19);
      const wt = residues[pos]!;
      const mut = (wt + 1 + (k % 19)) % 20;
      const t = pairWeight * pair[wt * 20 + mut]! + burialWeight * (burial(residues, pos, near, far) - 0.5) * (HYDROPATHY[wt]! - HYDROPATHY[mut]!);
      cols.protein.push(p); cols.pos.push(pos); cols.wt.push(wt); cols.mut.push(mut); cols.tr.push(t); cols.site.push(u[pos]!);
      cols.ddg.push(t + u[pos]! + noiseSd * rng.normal());
    }
  }
  const data: StabilityData = {
    proteins, protein: Int32Array.from(cols.protein), pos: Int32Array.from(cols.pos), wt: Int32Array.from(cols.wt), mut: Int32Array.from(cols.mut),
    ddg: Float64Array.from(cols.ddg), rsa: Float64Array.from(cols.protein, (p, i) => proteins[p]!.rsa[cols.pos[i]!]!), source: 'simulated',
  };
  return { data, transferable: Float64Array.from(cols.tr), site: Float64Array.from(cols.site) };
}
