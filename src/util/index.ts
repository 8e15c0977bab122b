export * from './errors.js';
export * from './rng.js';
export * from './shape.js';
export * from './text.js';
