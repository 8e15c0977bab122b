export { Module, type TensorLike } from './module.js';
export { Linear, Embedding, Dropout, Conv1d, type Conv1dOptions } from './layers.js';
export {
  RNN, LSTM, GRU, maskToLengths,
  type RecurrentModuleOptions, type ForwardOptions,
} from './recurrent.js';
export { RNNCell, LSTMCell, GRUCell, type CellOptions } from './cells.js';
export {
  RecurrentCell, Recurrent, scan, unbindTime,
  type CellState, type CellStepContext, type ScanOptions,
} from './custom-cell.js';
export { GRUDCell, type GRUDCellOptions } from './grud.js';
