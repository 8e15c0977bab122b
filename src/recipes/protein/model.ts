/**
 * The recurrent ΔΔG model: a bidirectional GRU (or LSTM) reads the one-hot wild-type sequence
 * (plus the per-residue RSA as a 21st channel in the RSA variant); at the mutated position its
 * two directions' outputs are read out and joined with the wild-type and mutant one-hots, a
 * learned embedding of the (wild-type, mutant) pair, and the RSA (RSA variant); a two-layer MLP
 * maps that to ΔΔG. One pass of the recurrence serves every mutation of a protein.
 *
 * Legend: T longest sequence in the batch, B proteins, I inputs (20 or 21), H hidden per
 * direction, M mutations in the batch, E pair-embedding width.
 */
import { Dropout, Embedding, F, GRU, LSTM, Linear, Module, Tensor, type Rng } from '../../index.js';

/** The architecture (what a checkpoint needs to rebuild the network). */
export interface StabilityNetSpec {
  cell: 'gru' | 'lstm';
  hidden: number;
  /** Width of the MLP's hidden layer. */
  head: number;
  /** Width of the (wild-type, mutant) pair embedding. */
  pairDim: number;
  rsa: boolean;
  dropout: number;
}

export const DEFAULT_SPEC: StabilityNetSpec = Object.freeze({ cell: 'gru', hidden: 64, head: 64, pairDim: 16, rsa: false, dropout: 0.25 });

/** One protein as the model reads it. */
export interface SeqInput { residues: Int32Array; rsa: Float32Array }

/** Mutations to score, as columns: `seq` indexes the SeqInput list. */
export interface MutInput { seq: Int32Array; pos: Int32Array; wt: Int32Array; mut: Int32Array }

/** A model-ready batch (see {@link makeBatch}). */
export interface StabilityBatch {
  /** (T, B, I), zero past each sequence's end. */
  x: Tensor;
  lengths: number[];
  /** (M) row of the (T·B, 2H) output to read: pos·B + b. */
  at: Int32Array;
  /** (M) wt·20 + mut. */
  pair: Int32Array;
  /** (M, 40 + rsa) wild-type one-hot, mutant one-hot, RSA. */
  side: Tensor;
}

/**
 * Gather the sequences `seqIds` (into `seqs`) and the mutations `rows` (into `muts`; each must
 * belong to one of `seqIds`) into one time-major batch.
 */
export function makeBatch(seqs: readonly SeqInput[], seqIds: readonly number[], muts: MutInput, rows: readonly number[], rsa: boolean): StabilityBatch {
  const B = seqIds.length;
  const T = Math.max(...seqIds.map((s) => seqs[s]!.residues.length));
  const I = rsa ? 21 : 20;
  const x = new Float32Array(T * B * I);
  const slot = new Map<number, number>();
  seqIds.forEach((s, b) => {
    slot.set(s, b);
    const q = seqs[s]!;
    for (let t = 0; t < q.residues.length; t++) {
      x[(t * B + b) * I + q.residues[t]!] = 1;
      if (rsa) x[(t * B + b) * I + 20] = q.rsa[t]!;
    }
  });
  const S = rsa ? 41 : 40;
  const side = new Float32Array(rows.length * S);
  const at = new Int32Array(rows.length);
  const pair = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    const b = slot.get(muts.seq[r]!)!;
    at[i] = muts.pos[r]! * B + b;
    pair[i] = muts.wt[r]! * 20 + muts.mut[r]!;
    side[i * S + muts.wt[r]!] = 1;
    side[i * S + 20 + muts.mut[r]!] = 1;
    if (rsa) side[i * S + 40] = seqs[muts.seq[r]!]!.rsa[muts.pos[r]!]!;
  });
  return { x: new Tensor(x, [T, B, I]), lengths: seqIds.map((s) => seqs[s]!.residues.length), at, pair, side: new Tensor(side, [rows.length, S]) };
}

/** The network; `forward` gives standardised ΔΔG predictions (M). */
export class StabilityNet extends Module {
  private readonly rnn: GRU | LSTM;
  private readonly pairEmb: Embedding;
  private readonly fc1: Linear;
  private readonly fc2: Linear;
  private readonly drop: Dropout;

  constructor(readonly spec: StabilityNetSpec, rng: Rng) {
    super();
    const Rnn = spec.cell === 'lstm' ? LSTM : GRU;
    const I = spec.rsa ? 21 : 20;
    this.rnn = this.registerModule('rnn', new Rnn(I, spec.hidden, { bidirectional: true, rng }));
    this.pairEmb = this.registerModule('pair', new Embedding(400, spec.pairDim, { rng }));
    this.fc1 = this.registerModule('fc1', new Linear(2 * spec.hidden + spec.pairDim + (spec.rsa ? 41 : 40), spec.head, { rng }));
    this.fc2 = this.registerModule('fc2', new Linear(spec.head, 1, { rng }));
    this.drop = this.registerModule('drop', new Dropout(spec.dropout, { rng }));
  }

  forward(b: StabilityBatch): Tensor {
    const { output } = this.rnn.forward(b.x, { lengths: b.lengths });
    const [T, B, D] = output.shape as [number, number, number];
    const h = F.indexSelect(F.reshape(output, [T * B, D]), 0, b.at);
    const z = F.concat([h, this.pairEmb.forward(b.pair), b.side], 1);
    const y = this.fc2.forward(this.drop.forward(F.relu(this.fc1.forward(z))));
    return F.reshape(y, [b.at.length]);
  }
}
