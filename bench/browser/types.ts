/** What bench/browser-run.ts passes to the bench page (?config) and reads back (window.bench). */
import type { Shape, WorkloadId } from '../workloads.js';

/** threads: recur's wasm kernels (1: wasm/recur.wasm; more: recur-mt.wasm + Web Workers) and ONNX Runtime Web's numThreads. */
export interface BenchConfig { workloads: { id: WorkloadId; shape: Shape }[]; warmup: number; reps: number; steps: number; threads: number }
/** recur-wasm: the plain SIMD128 builds; recur-relaxed: the relaxed-SIMD builds (where the engine has it). */
export type Peer = 'recur-wasm' | 'recur-relaxed' | 'tfjs-wasm' | 'ort-web';
/** threads: what the peer ran on; page: the page's thread count (config.threads). */
export interface BenchRun { workload: WorkloadId; peer: Peer; threads: number; page: number; times_s: number[]; seqs_per_rep?: number; steps_per_rep?: number; error?: string }
export interface BenchState { done: boolean; runs: BenchRun[]; info: Record<string, unknown>; error: string | null }
/** One repetition of a measured job. */
export type Job = () => void | Promise<void>;
