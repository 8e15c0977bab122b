/** What bench/browser-run.ts passes to the bench page (?config) and reads back (window.bench). */
import type { Shape, WorkloadId } from '../workloads.js';

export interface BenchConfig { workloads: { id: WorkloadId; shape: Shape }[]; warmup: number; reps: number; steps: number }
export interface BenchRun { workload: WorkloadId; peer: 'recur-wasm' | 'tfjs-wasm' | 'ort-web'; times_s: number[]; seqs_per_rep?: number; steps_per_rep?: number; error?: string }
export interface BenchState { done: boolean; runs: BenchRun[]; info: Record<string, unknown>; error: string | null }
