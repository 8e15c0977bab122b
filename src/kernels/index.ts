import type { Backend } from './backend.js';
import { refBackend } from './ref/index.js';
import { BackendError } from '../util/errors.js';

export * from './backend.js';
export { refBackend } from './ref/index.js';

export type BackendName = 'auto' | 'ref' | 'native';

let current: Backend = refBackend;

/** The backend every op uses. */
export function getBackend(): Backend {
  return current;
}

/**
 * Select the backend. `"auto"` takes the fastest that loads (today: `ref`); an explicit name
 * that cannot run throws.
 */
export function setBackend(name: BackendName | Backend): Backend {
  if (typeof name === 'object') current = name;
  else if (name === 'ref' || name === 'auto') current = refBackend;
  else throw new BackendError('setBackend', `"auto" or "ref" (the native addon is not built yet)`, `"${name}"`);
  return current;
}
