/**
 * The Backend contract: pure kernels over flat row-major buffers with explicit dimensions.
 *
 * Legend used in every kernel file:
 *   T time steps, B batch, I input features, H hidden size, P projection size (0 = none),
 *   Hout = P > 0 ? P : H (size of h), G gate width (LSTM 4H, GRU 3H, RNN H).
 *
 * Rules (ARCHITECTURE.md): kernels never allocate beyond the workspace the caller passes,
 * keep no state, the forward writes what backward needs into caller buffers, and the
 * backward ACCUMULATES (+=) into gradient buffers that the caller zero-fills. A gradient
 * buffer passed as null is not needed and is not computed.
 *
 * Buffers are Float32Array (training, inference) or Float64Array (gradient checks); every
 * buffer of one call has the same element type. The one aliasing allowed: a recurrent forward's
 * y may be its saved h itself when no step is padded (lengths null) and its rows are packed (ldy = Hout),
 * since then y_t = h_t.
 */
export type Buf = Float32Array | Float64Array;
export type DType = 'float32' | 'float64';

/**
 * C = alpha · op(A) · op(B) + beta · C, op = transpose when the flag is set. Row-major.
 * With `bias` (N): C = alpha · op(A) · op(B) + bias on every row (C is not read, beta unused), the same
 * numbers as filling C's rows with the bias and calling with beta 1.
 */
export interface GemmArgs {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  alpha: number;
  A: Buf; // op(A): (M, K); stored (M, K) or, if transA, (K, M)
  aOff?: number;
  lda: number;
  B: Buf; // op(B): (K, N); stored (K, N) or, if transB, (N, K)
  bOff?: number;
  ldb: number;
  beta: number;
  C: Buf; // (M, N)
  cOff?: number;
  ldc: number;
  bias?: Buf | null; // (N): C's rows start as bias instead of beta · C
  /** B is a layer's weight, multiplied again and again (ops/matmul.ts linear): a backend may keep what it checked of it. */
  weight?: boolean;
}

/** Dimensions and inputs shared by the forward and backward of one layer and direction. */
export interface RecurrentInputs {
  T: number;
  B: number;
  I: number;
  H: number;
  x: Buf; // (T, B, I) time-major
  h0: Buf; // (B, Hout)
  wIh: Buf; // (G, I)
  wHh: Buf; // (G, Hout)
  bIh: Buf | null; // (G)
  bHh: Buf | null; // (G)
  /** Per-row lengths in [1, T]; null = all T. Step t of row b is real iff t < lengths[b]. */
  lengths: Int32Array | null;
  /** Read t = T-1 … 0 (each row from its own last real step, as PyTorch packed sequences). */
  reverse: boolean;
  /** Variational input mask, already scaled by 1/(1-p), applied to every x_t of the row. (B, I) */
  maskX: Buf | null;
  /** Variational recurrent mask on h_{t-1} where it enters W_hh. (B, Hout) */
  maskH: Buf | null;
  /**
   * Row stride (elements) of y (forward) and dy (backward), >= Hout; default Hout (rows packed). 2·Hout:
   * y and dy are one direction's half of a bidirectional layer's (T, B, 2·Hout) buffer (a subarray starting
   * at that half's first column), which y then spans (T·B − 1)·ldy + Hout elements of.
   */
  ldy?: number;
  /**
   * No backward will follow this forward (default false). The kernel then need not fill the saved
   * buffers (LSTM gates, c, h, m; GRU gates, q, h; RNN h): it may leave them unwritten or use them
   * as scratch; only y, hN (and cN) are defined. The caller still passes full-size buffers. The
   * reference fills them anyway (allowed).
   */
  inference?: boolean;
}

export interface LstmInputs extends RecurrentInputs {
  /** Projection size (PyTorch proj_size); 0 = none. */
  P: number;
  c0: Buf; // (B, H)
  wHr: Buf | null; // (P, H) when P > 0
}

/** What an LSTM forward writes: outputs, final states and the saved activations. */
export interface LstmForwardOut {
  y: Buf; // (T, B, Hout) output; zero at padded steps
  hN: Buf; // (B, Hout) state after each row's last real step
  cN: Buf; // (B, H)
  gates: Buf; // (T, B, 4H) post-activation i, f, g, o (saved)
  c: Buf; // (T, B, H) cell state after step t (carried through padded steps) (saved)
  h: Buf; // (T, B, Hout) hidden state after step t (carried through padded steps) (saved)
  m: Buf | null; // (T, B, H) o ⊙ tanh(c) before projection, when P > 0 (saved)
}

/** Upstream gradients and accumulated (+=) parameter / input gradients of an LSTM backward. */
export interface LstmGrads {
  dy: Buf | null; // (T, B, Hout)
  dhN: Buf | null; // (B, Hout)
  dcN: Buf | null; // (B, H)
  dx: Buf | null; // (T, B, I)
  dh0: Buf | null; // (B, Hout)
  dc0: Buf | null; // (B, H)
  dWIh: Buf | null; // (4H, I)
  dWHh: Buf | null; // (4H, Hout)
  dBIh: Buf | null; // (4H)
  dBHh: Buf | null; // (4H)
  dWHr: Buf | null; // (P, H)
}

export interface GruForwardOut {
  y: Buf; // (T, B, H)
  hN: Buf; // (B, H)
  gates: Buf; // (T, B, 3H) post-activation r, z, n (saved)
  q: Buf; // (T, B, H) h_{t-1}·W_hnᵀ + b_hn (saved)
  h: Buf; // (T, B, H) state after step t (saved)
}

export interface GruGrads {
  dy: Buf | null; // (T, B, H)
  dhN: Buf | null; // (B, H)
  dx: Buf | null; // (T, B, I)
  dh0: Buf | null; // (B, H)
  dWIh: Buf | null; // (3H, I)
  dWHh: Buf | null; // (3H, H)
  dBIh: Buf | null; // (3H)
  dBHh: Buf | null; // (3H)
}

export type RnnNonlinearity = 'tanh' | 'relu';

export interface RnnInputs extends RecurrentInputs {
  nonlinearity: RnnNonlinearity;
}

export interface RnnForwardOut {
  y: Buf; // (T, B, H)
  hN: Buf; // (B, H)
  h: Buf; // (T, B, H) state after step t (saved; φ' is recovered from it)
}

export type RnnGrads = GruGrads; // same set of buffers, G = H

/**
 * One call of a recurrent kernel of one direction: a forward (g null; out = what it writes) or a
 * backward (out = the forward's saved buffers; g the gradients). inp carries the fields of every cell
 * (LSTM P, c0, wHr; RNN nonlinearity); a cell reads its own.
 */
export interface RecurrentCall {
  inp: LstmInputs & RnnInputs;
  out: LstmForwardOut | GruForwardOut | RnnForwardOut;
  g: LstmGrads | GruGrads | null;
  ws: Buf;
}

/** Elementwise unary kernels, forward y = f(x), backward dx += dy · f'(x) (given x and y). */
export type UnaryKind = 'tanh' | 'sigmoid' | 'relu' | 'exp' | 'log' | 'softplus' | 'neg' | 'abs' | 'sqrt';

/**
 * One Adam / AdamW update of one flat parameter, in place (PyTorch's single-tensor path). The
 * caller computes the bias corrections from the step count t: stepSize = lr / (1 − β1ᵗ),
 * bc2Sqrt = √(1 − β2ᵗ). AMSGrad iff vmax is given. Buffers (n): p, g, m (exp_avg), v (exp_avg_sq),
 * vmax (max_exp_avg_sq). Float32 buffers are updated with float32 arithmetic op by op (as PyTorch
 * does on float32 tensors); float64 ones in double.
 */
export interface AdamStepArgs {
  p: Buf;
  g: Buf;
  m: Buf;
  v: Buf;
  vmax: Buf | null;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  stepSize: number;
  bc2Sqrt: number;
  /** AdamW: p ← p·(1 − lr·weightDecay) first; else L2: g ← g + weightDecay·p. */
  decoupled: boolean;
  maximize: boolean;
}

/** One SGD update in place (momentum buffer `buf` (n) when momentum ≠ 0; `init`: first step, buf ← g). */
export interface SgdStepArgs {
  p: Buf;
  g: Buf;
  buf: Buf | null;
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
  init: boolean;
}

export interface Backend {
  readonly name: string;
  gemm(a: GemmArgs): void;
  unary(kind: UnaryKind, x: Buf, y: Buf): void;
  unaryBackward(kind: UnaryKind, x: Buf, y: Buf, dy: Buf, dx: Buf): void;

  /** Size (elements) of the workspace the recurrent kernels of this shape and element type need. */
  recurrentWorkspace(kind: 'lstm' | 'gru' | 'rnn', dims: { T: number; B: number; I: number; H: number; P: number }, dtype: 'float32' | 'float64'): number;
  lstmForward(inp: LstmInputs, out: LstmForwardOut, ws: Buf): void;
  lstmBackward(inp: LstmInputs, saved: LstmForwardOut, g: LstmGrads, ws: Buf): void;
  gruForward(inp: RecurrentInputs, out: GruForwardOut, ws: Buf): void;
  gruBackward(inp: RecurrentInputs, saved: GruForwardOut, g: GruGrads, ws: Buf): void;
  rnnForward(inp: RnnInputs, out: RnnForwardOut, ws: Buf): void;
  rnnBackward(inp: RnnInputs, saved: RnnForwardOut, g: RnnGrads, ws: Buf): void;
  /**
   * The two directions of a bidirectional layer, both forwards or both backwards of `kind`: the results
   * of `a`, then `b`, through the methods above (recurrent-call.ts `inTurn`). A backend may run the two
   * at once, so nothing one writes (ws, outputs, gradients) may overlap anything the other writes, except
   * the two y of one (T, B, 2·Hout) buffer (ldy = 2·Hout, each its own half of every row).
   */
  recurrentPair(kind: 'lstm' | 'gru' | 'rnn', a: RecurrentCall, b: RecurrentCall): void;

  // Fused elementwise kernels of the op layer (the spec: src/kernels/ref/ops.ts; a custom backend
  // may take them from refBackend).
  /** Flat index of the first NaN or ±Inf in x, or -1 when all are finite. */
  firstNonFinite(x: Buf): number;
  adamStep(a: AdamStepArgs): void;
  sgdStep(a: SgdStepArgs): void;
  /** out[j] += Σ_r g[r·cols + j] (g (rows, cols), out (cols)), row by row in out's precision. */
  colSumAdd(g: Buf, rows: number, cols: number, out: Buf): void;
  /**
   * Σ_i (x_i − t_i)² in double (x, t (n)): four partial sums s_k over i ≡ k (mod 4), i < n − n mod 4,
   * the tail into s_0, result (s_0 + s_1) + (s_2 + s_3).
   */
  sumSquaredDiff(x: Buf, t: Buf): number;
  /** out_i = a · ρ(c · (x_i − t_i)) (x − t and c·(…) in double, ρ = rounding to out's precision, product rounded on store). */
  scaledDiff(x: Buf, t: Buf, c: number, a: number, out: Buf): void;
  /**
   * A dropout mask from a counter-based generator (the spec: src/kernels/ref/dropout.ts): out_i = 0 with
   * probability p, else 1/(1 − p) (in out's precision), entry i a pure function of the key (k0, k1)
   * (integers in [0, 2³²)) and i — the same bits on every backend, thread count and call order.
   */
  dropoutMask(k0: number, k1: number, p: number, out: Buf): void;
  /** y_i = x_i · m_i with m the mask dropoutMask(k0, k1, p) writes (y at least x's length; may be x). */
  dropoutApply(k0: number, k1: number, p: number, x: Buf, y: Buf): void;
}
