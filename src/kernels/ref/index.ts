/** The reference backend: plain TypeScript, the spec every faster backend is tested against. */
import type { Backend } from '../backend.js';
import { gemm } from './gemm.js';
import { unary, unaryBackward } from './unary.js';
import { lstmForward, lstmBackward } from './lstm.js';
import { gruForward, gruBackward } from './gru.js';
import { rnnForward, rnnBackward } from './rnn.js';
import { recurrentWorkspace } from './workspace.js';
import { inTurn } from '../recurrent-call.js';
import { dropoutApply, dropoutMask } from './dropout.js';
import { adamStep, colSumAdd, firstNonFinite, scaledDiff, sgdStep, sumSquaredDiff } from './ops.js';

export const refBackend: Backend = {
  name: 'ref',
  gemm,
  unary,
  unaryBackward,
  recurrentWorkspace,
  lstmForward,
  lstmBackward,
  gruForward,
  gruBackward,
  rnnForward,
  rnnBackward,
  recurrentPair: inTurn(() => refBackend),
  firstNonFinite,
  adamStep,
  sgdStep,
  colSumAdd,
  sumSquaredDiff,
  scaledDiff,
  dropoutMask,
  dropoutApply,
};
