/**
 * The one description of each recurrent cell (PyTorch nn.LSTM / nn.GRU / nn.RNN): its gates (the row
 * blocks of weight_ih / weight_hh, in order), the state it carries, and the activations its forward
 * saves for the backward (the saved buffers of backend.ts LstmForwardOut / GruForwardOut /
 * RnnForwardOut) with their widths, and the pointwise maths of each cell (forward unit and its
 * local partials, kernels/ref/cell-math.ts). Read by the layer op (recurrent-layer.ts), the modules
 * (nn/recurrent.ts), the reference kernels and analysis (cell.ts, jacobian.ts).
 *
 * Legend: T time, B batch, H hidden, P projection (LSTM, 0 = none), Hout = P > 0 ? P : H,
 *   G gate width = gates·H (LSTM 4H, GRU 3H, RNN H). Every saved buffer is (T, B, width).
 */

export { gruPartials, gruUnit, lstmPartials, lstmUnit, rnnPartial, rnnUnit } from '../kernels/ref/cell-math.js';

export type CellKind = 'lstm' | 'gru' | 'rnn';

/** A saved activation: its field name in the backend's forward output and its width per (t, b). */
export interface SavedSpec {
  name: 'gates' | 'c' | 'h' | 'm' | 'q';
  width: 'G' | 'H' | 'Hout';
  /** Only with a projection (P > 0). */
  projOnly?: boolean;
}

export interface CellSpec {
  kind: CellKind;
  /** Gate blocks of weight_ih / weight_hh rows (G = gates·H). */
  gates: number;
  /** The gates in row-block order, as PyTorch stacks them. */
  gateNames: readonly string[];
  /** The carried state: h (B, Hout), and c (B, H) for the LSTM. */
  state: readonly ('h' | 'c')[];
  /** The saved activations, in the order the layer op allocates them. */
  saved: readonly SavedSpec[];
}

export const CELLS: Readonly<Record<CellKind, CellSpec>> = {
  lstm: {
    kind: 'lstm', gates: 4, gateNames: ['i', 'f', 'g', 'o'], state: ['h', 'c'],
    // gates post-activation i, f, g, o; c the cell state; h the output state; m = o ⊙ tanh(c) before the projection
    saved: [{ name: 'gates', width: 'G' }, { name: 'c', width: 'H' }, { name: 'h', width: 'Hout' }, { name: 'm', width: 'H', projOnly: true }],
  },
  gru: {
    kind: 'gru', gates: 3, gateNames: ['r', 'z', 'n'], state: ['h'],
    // gates post-activation r, z, n; q = h_{t-1}·W_hnᵀ + b_hn (inside the reset product)
    saved: [{ name: 'gates', width: 'G' }, { name: 'q', width: 'H' }, { name: 'h', width: 'H' }],
  },
  rnn: { kind: 'rnn', gates: 1, gateNames: ['h'], state: ['h'], saved: [{ name: 'h', width: 'H' }] },
};

/** Elements of each saved buffer of `spec` for (T, B, H, P), in spec.saved order (0 = absent). */
export function savedSizes(spec: CellSpec, T: number, B: number, H: number, P: number, out: number[] = []): number[] {
  const Hout = P > 0 ? P : H;
  if (out.length !== spec.saved.length) out.length = spec.saved.length; // setting it costs even when unchanged
  for (let k = 0; k < spec.saved.length; k++) {
    const s = spec.saved[k]!;
    const w = s.width === 'G' ? spec.gates * H : s.width === 'H' ? H : Hout;
    out[k] = s.projOnly && P === 0 ? 0 : T * B * w;
  }
  return out;
}

/** The cell of a recurrent mode (ops/recurrent.ts RecurrentMode: 'rnn_tanh' and 'rnn_relu' are the Elman cell). */
export function cellSpec(mode: CellKind | 'rnn_tanh' | 'rnn_relu'): CellSpec {
  return mode === 'rnn_tanh' || mode === 'rnn_relu' ? CELLS.rnn : CELLS[mode];
}
