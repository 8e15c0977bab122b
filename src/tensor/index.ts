export * from './tensor.js';
export * from './create.js';
