/**
 * Jacobians of the step map s' = F(s, x) (see cell.ts for the state convention: s = h for
 * RNN/GRU, s = [h, c] for LSTM), in closed form and by reverse-mode autodiff, plus the spectral
 * summaries used by the other tools.
 *
 * Closed forms (σ logistic, rows i = outputs, columns k = inputs; W_* are blocks of W_hh):
 *   RNN   J = diag(φ'(a)) W_hh
 *   GRU   J = diag((1−z)(1−n²)) [diag(q r(1−r)) W_hr + diag(r) W_hn] + diag((h−n) z(1−z)) W_hz + diag(z)
 *   LSTM  ∂c'/∂h = diag(c f(1−f)) W_hf + diag(g i(1−i)) W_hi + diag(i(1−g²)) W_hg,   ∂c'/∂c = diag(f)
 *         ∂h'/∂h = diag(tanh(c') o(1−o)) W_ho + diag(o(1−tanh²c')) ∂c'/∂h,           ∂h'/∂c = diag(o(1−tanh²c') f)
 *         J = [[∂h'/∂h, ∂h'/∂c], [∂c'/∂h, ∂c'/∂c]]   (2H × 2H)
 */
import { Tensor } from '../tensor/tensor.js';
import { backward } from '../autograd/engine.js';
import { ShapeError } from '../util/errors.js';
import { gruPartials, lstmPartials, rnnPartial } from '../ops/cells.js';
import { stepCache, stepTensor, type Cell } from './cell.js';
import { modulus, zerosMatrix, type Complex, type Matrix } from './linalg.js';
import { eigenvalues, singularValues } from './eig.js';

/**
 * ∂F/∂s at (s, x) in closed form: an S×S matrix (row i = ∂s'_i/∂s).
 * @example const J = jacobian(cellOf(gru), h, x);  eigenvalues(J)
 */
export function jacobian(cell: Cell, s: ArrayLike<number>, x: ArrayLike<number>): Matrix {
  const { mode, hiddenSize: H, stateSize: S } = cell;
  const { next, gates, q } = stepCache(cell, s, x);
  const W = cell.w.wHh; // (G, H)
  const J = zerosMatrix(S, S);
  const d = J.data;
  const p = new Float64Array(6); // one unit's partials (ops/cells.ts, the kernels' BPTT uses the same)
  for (let i = 0; i < H; i++) {
    if (mode === 'rnn_tanh' || mode === 'rnn_relu') {
      const dphi = rnnPartial(next[i]!, mode === 'rnn_relu');
      for (let k = 0; k < H; k++) d[i * S + k] = dphi * W[i * H + k]!;
    } else if (mode === 'gru') {
      gruPartials(gates[i]!, gates[H + i]!, gates[2 * H + i]!, q[i]!, s[i]!, p);
      for (let k = 0; k < H; k++) {
        d[i * S + k] = p[0]! * W[i * H + k]! + p[1]! * W[(H + i) * H + k]! + p[3]! * W[(2 * H + i) * H + k]! + (i === k ? p[4]! : 0);
      }
    } else {
      // ∂c'/∂h = Σ_gates ∂c'/∂a · W;  ∂h'/∂h = ∂m/∂a_o · W_ho + ∂m/∂c' · ∂c'/∂h;  ∂c'/∂c = f
      lstmPartials(gates[i]!, gates[H + i]!, gates[2 * H + i]!, gates[3 * H + i]!, s[H + i]!, next[H + i]!, p);
      for (let k = 0; k < H; k++) {
        const dc = p[0]! * W[i * H + k]! + p[1]! * W[(H + i) * H + k]! + p[2]! * W[(2 * H + i) * H + k]!;
        d[(H + i) * S + k] = dc;
        d[i * S + k] = p[4]! * W[(3 * H + i) * H + k]! + p[5]! * dc;
      }
      d[(H + i) * S + H + i] = p[3]!;
      d[i * S + H + i] = p[5]! * p[3]!;
    }
  }
  return J;
}

export interface AutodiffJacobianOptions {
  /** Differentiate with respect to the state (S×S, default) or the input (S×I). */
  wrt?: 'state' | 'input';
}

/**
 * ∂F/∂s (or ∂F/∂x) by reverse-mode autodiff through the fused layer op: the point is
 * replicated into a batch of S rows and row i is seeded with e_i, so one backward pass
 * returns the Jacobian row by row (rows of a batch never interact).
 */
export function jacobianAutodiff(cell: Cell, s: ArrayLike<number>, x: ArrayLike<number>, opts: AutodiffJacobianOptions = {}): Matrix {
  const { stateSize: S, inputSize: I } = cell;
  if (s.length !== S || x.length !== I) throw new ShapeError('jacobianAutodiff', `a state of size ${S} and an input of size ${I}`, `${s.length} and ${x.length}`);
  const wrtInput = opts.wrt === 'input';
  const rep = (v: ArrayLike<number>, n: number): Float64Array => {
    const out = new Float64Array(S * n);
    for (let r = 0; r < S; r++) for (let k = 0; k < n; k++) out[r * n + k] = v[k]!;
    return out;
  };
  const st = new Tensor(rep(s, S), [S, S], { requiresGrad: !wrtInput });
  const xt = new Tensor(rep(x, I), [S, I], { requiresGrad: wrtInput });
  const out = stepTensor(cell, st, xt);
  const seed = new Float64Array(S * S);
  for (let i = 0; i < S; i++) seed[i * S + i] = 1;
  backward(out, new Tensor(seed, [S, S]));
  const g = (wrtInput ? xt : st).grad;
  const cols = wrtInput ? I : S;
  const J = zerosMatrix(S, cols);
  if (g) J.data.set(g.data);
  return J;
}

/** Spectral summary of a Jacobian. */
export interface Linearization {
  jacobian: Matrix;
  /** Sorted by modulus, largest first. */
  eigenvalues: Complex[];
  /** Descending. */
  singularValues: number[];
  /** max |λ|. */
  spectralRadius: number;
}

/** Closed-form Jacobian at (s, x) with its eigenvalues and singular values. */
export function linearize(cell: Cell, s: ArrayLike<number>, x: ArrayLike<number>): Linearization {
  const J = jacobian(cell, s, x);
  const ev = eigenvalues(J);
  return { jacobian: J, eigenvalues: ev, singularValues: singularValues(J), spectralRadius: ev.length ? modulus(ev[0]!) : 0 };
}
