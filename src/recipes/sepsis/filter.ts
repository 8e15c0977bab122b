/**
 * The exact Bayes filter over the agent's hidden variables (diabetes × glucose, 10 values) given
 * the projected observation history o_0, a_0, o_1, …: the belief over h' after observing o' and
 * a zero reward (the episode went on) is
 *   b'(h') ∝ Σ_h b(h) · P((h', o') | (h, o), a) · [reward of (h', o') = 0].
 * Conditioning on "not terminal" matters: survival and non-discharge say something about the
 * unseen glucose (e.g. two abnormal visible vitals and no death ⇒ glucose is normal).
 */
import { ValueError } from '../../index.js';
import { HORIZON, N_ACTIONS, N_FULL, N_OBS, decode, project, type SepsisModel } from './simulator.js';

export const N_HIDDEN = 10;

/** Hidden index h = 5·diabetic + glucose of each full state, and the full state of (h, o). */
const HIDDEN_OF = Int32Array.from({ length: N_FULL }, (_, i) => { const s = decode(i); return s.diab * 5 + s.glu; });
const FULL_OF = new Int32Array(N_HIDDEN * N_OBS);
for (let i = 0; i < N_FULL; i++) FULL_OF[HIDDEN_OF[i]! * N_OBS + project(decode(i))] = i;

export const fullOf = (h: number, o: number): number => FULL_OF[h * N_OBS + o]!;
export const hiddenOf = (s: number): number => HIDDEN_OF[s]!;

/** b_0(h) ∝ P_initial((h, o_0)). */
export function initialBelief(m: SepsisModel, o0: number): Float64Array {
  const b = Float64Array.from({ length: N_HIDDEN }, (_, h) => m.initial[fullOf(h, o0)]!);
  return normalize(b, 'initial observation');
}

/** One filter step: belief at observation o, action a, next observation o2 with a zero reward. */
export function updateBelief(m: SepsisModel, b: Float64Array, o: number, a: number, o2: number): Float64Array {
  const out = new Float64Array(N_HIDDEN);
  for (let h = 0; h < N_HIDDEN; h++) {
    if (!b[h]) continue;
    const r = fullOf(h, o) * N_ACTIONS + a;
    for (let k = m.rowStart[r]!; k < m.rowStart[r + 1]!; k++) {
      const j = m.next[k]!;
      if (m.obs[j] === o2 && m.reward[j] === 0) out[HIDDEN_OF[j]!]! += b[h]! * m.prob[k]!;
    }
  }
  return normalize(out, 'observation');
}

function normalize(b: Float64Array, what: string): Float64Array {
  const z = b.reduce((x, y) => x + y, 0);
  if (!(z > 0)) throw new ValueError('sepsis belief filter', `an ${what} with positive probability under the model`, 'probability 0');
  return b.map((v) => v / z);
}

/** P(diabetic | history). */
export const pDiabetic = (b: Float64Array): number => b[5]! + b[6]! + b[7]! + b[8]! + b[9]!;
/** E[glucose level | history] (0..4). */
export const meanGlucose = (b: Float64Array): number => {
  let g = 0;
  for (let h = 0; h < N_HIDDEN; h++) g += b[h]! * (h % 5);
  return g;
};

/**
 * QMDP on the exact belief: the action maximizing Σ_h b(h)·Q_k((h, o), a), with Q_k the
 * full-information finite-horizon Q at k = H − t steps to go. A memory-using reference policy
 * (it acts as if the hidden state will be revealed next step, so it never probes for information).
 */
export function qmdpAction(Q: Float64Array[], b: Float64Array, o: number, t: number, H = HORIZON): number {
  const q = Q[H - t - 1]!;
  let best = 0, bestV = -Infinity;
  for (let a = 0; a < N_ACTIONS; a++) {
    let v = 0;
    for (let h = 0; h < N_HIDDEN; h++) if (b[h]) v += b[h]! * q[fullOf(h, o) * N_ACTIONS + a]!;
    if (v > bestV + 1e-12) { bestV = v; best = a; }
  }
  return best;
}
