export { Module, type TensorLike } from './module.js';
export { Linear, Embedding, Dropout, Conv1d, type Conv1dOptions } from './layers.js';
export {
  RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell, maskToLengths,
  type RecurrentModuleOptions, type ForwardOptions, type CellOptions,
} from './recurrent.js';
export {
  RecurrentCell, Recurrent, scan, unbindTime,
  type CellState, type CellStepContext, type ScanOptions,
} from './custom-cell.js';
export { GRUDCell, type GRUDCellOptions } from './grud.js';
