/** The functional, differentiable ops (`F`). */
export * from './elementwise.js';
export * from './matmul.js';
export * from './reduce.js';
export * from './shape.js';
export * from './recurrent-layer.js';
export * from './recurrent.js';
export { assertFinite } from './checks.js';
export * from './indexing.js';
export * from './conv.js';
export * from './dropout.js';
export * from './loss.js';
