/**
 * What the backend selection (./index.ts) needs from the platform, in Node: the native addon and the
 * wasm kernels read from the package's files, the environment, stderr. A browser bundle gets
 * ./platform-browser.ts instead (package.json "browser" field), so no Node built-in is on its path.
 */
import { loadNative, type NativeCpuPath } from './native/index.js';
import { loadWasm } from './wasm/node.js';
import type { Backend } from './backend.js';
import type { WasmCpuPath } from './wasm/backend.js';

export interface NativeHandle {
  backend: Backend; setThreads(n: number): void; threads(): number; cpuPath(): NativeCpuPath;
  /** n zeros, 64-byte aligned (parameter storage). */
  alignedZeros(n: number): Float32Array;
}
/** The wasm kernels: setThreads caps n at the threads started (1 without the threaded build). */
export interface WasmHandle { backend: Backend; setThreads(n: number): void; threads(): number; cpuPath: WasmCpuPath }

export interface Platform {
  native(): NativeHandle | { error: string };
  wasm(): WasmHandle | { error: string };
  env(name: string): string | undefined;
  warn(line: string): void;
}

export const platform: Platform = {
  native() {
    const n = loadNative();
    if ('error' in n) return n;
    return {
      backend: n.backend, setThreads: (t) => n.addon.setThreads(t), threads: () => n.addon.getThreads(), cpuPath: () => n.addon.cpuFeatures().path,
      alignedZeros: (k) => n.addon.alignedZeros(k),
    };
  },
  wasm: loadWasm,
  env: (name) => process.env[name],
  warn: (line) => void process.stderr.write(`${line}\n`),
};
