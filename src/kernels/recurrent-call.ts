/**
 * A recurrent kernel call as a value (backend.ts RecurrentCall): `runCall` sends one to the backend's
 * method of its cell and direction; `inTurn` is the `recurrentPair` of a backend that runs the two
 * directions of a bidirectional layer one after the other (reference, wasm).
 */
import type { Backend, GruForwardOut, GruGrads, LstmForwardOut, LstmGrads, RecurrentCall, RnnForwardOut } from './backend.js';

export type CellKind = 'lstm' | 'gru' | 'rnn';

/** c through be: the forward of `kind` when c.g is null, else its backward. */
export function runCall(be: Backend, kind: CellKind, c: RecurrentCall): void {
  const { inp, out, g, ws } = c;
  if (kind === 'lstm') {
    if (g) be.lstmBackward(inp, out as LstmForwardOut, g as LstmGrads, ws);
    else be.lstmForward(inp, out as LstmForwardOut, ws);
  } else if (kind === 'gru') {
    if (g) be.gruBackward(inp, out as GruForwardOut, g as GruGrads, ws);
    else be.gruForward(inp, out as GruForwardOut, ws);
  } else if (g) be.rnnBackward(inp, out as RnnForwardOut, g as GruGrads, ws);
  else be.rnnForward(inp, out as RnnForwardOut, ws);
}

/** A recurrentPair running a, then b, through be() (looked up per call: the backend that owns it). */
export function inTurn(be: () => Backend): Backend['recurrentPair'] {
  return (kind, a, b) => {
    const k = be();
    runCall(k, kind, a);
    runCall(k, kind, b);
  };
}
