/**
 * Reusable buffers of the op layer, so that a training step or a streamed inference step does not
 * allocate (and page-fault in) megabytes of typed arrays per call. Measured on W1 (LSTM B=32, T=100,
 * H=128): a forward on fresh buffers costs 2× one on reused buffers (zeroing + page faults).
 *
 * Safe because JS is single-threaded and every kernel call is synchronous, and by the kernel
 * contract (backend.ts): a kernel writes every element of its outputs and uses its workspace as
 * scratch only — whatever backward needs lives in the forward's out buffers, never in `ws`.
 *
 * - `workspace(like, n)`: the kernels' `ws`, one buffer per dtype, grown on demand. A forward and
 *   its (later) backward may both use it.
 * - `discard(like, n)`: one buffer per dtype for outputs a kernel must write but nobody reads (the
 *   saved activations of a forward whose graph is not recorded); callers carve their pieces out.
 * - `takeBuf` / `giveBuf`: a small free list of exact-size buffers for saved activations; a
 *   recorded op gives its saved buffers back when the graph frees its node after backward
 *   (recordOp's `release`), and the next forward of the same shape takes them again.
 *
 * Buffers handed out hold stale values: only for outputs the callee fully overwrites.
 */
import type { Buf } from '../kernels/backend.js';

/** Larger requests are not cached (allocated fresh, left to the GC): 64 Mi elements (256 MB f32). */
const MAX_CACHED = 64 * 1024 * 1024;
/** At most this many bytes wait in the free lists; at most PER_SIZE buffers per exact size. */
const POOL_BYTES = 512 * 1024 * 1024;
const PER_SIZE = 64;

const is64 = (like: Buf): boolean => like instanceof Float64Array;
const fresh = (like: Buf, n: number): Buf => (is64(like) ? new Float64Array(n) : new Float32Array(n));

class Grown {
  private f32: Float32Array | null = null;
  private f64: Float64Array | null = null;
  /** A buffer of at least n elements of `like`'s type (the whole cached buffer: do not rely on its length). */
  get(like: Buf, n: number): Buf {
    if (n > MAX_CACHED) return fresh(like, n);
    if (is64(like)) {
      if (this.f64 === null || this.f64.length < n) this.f64 = new Float64Array(n);
      return this.f64;
    }
    if (this.f32 === null || this.f32.length < n) this.f32 = new Float32Array(n);
    return this.f32;
  }
  clear(): void {
    this.f32 = null;
    this.f64 = null;
  }
}

const ws = new Grown();
const dis = new Grown();

/** The kernels' workspace: at least n elements of `like`'s type, reused across calls. */
export function workspace(like: Buf, n: number): Buf {
  return ws.get(like, n);
}

/** A reused buffer of at least n elements for outputs that are written and never read. */
export function discard(like: Buf, n: number): Buf {
  return dis.get(like, n);
}

const free32 = new Map<number, Float32Array[]>();
const free64 = new Map<number, Float64Array[]>();
let pooledBytes = 0;

/** A buffer of exactly n elements of `like`'s type, recycled when one is free (stale contents). */
export function takeBuf(like: Buf, n: number): Buf {
  const list = (is64(like) ? free64 : free32).get(n);
  const b = list?.pop();
  if (b === undefined) return fresh(like, n);
  pooledBytes -= b.byteLength;
  return b;
}

/** Give back a buffer from takeBuf that nothing references any more. */
export function giveBuf(b: Buf | null): void {
  if (b === null || b.length === 0 || b.length > MAX_CACHED || b.byteLength !== b.buffer.byteLength) return;
  if (pooledBytes + b.byteLength > POOL_BYTES) return;
  const map = (is64(b) ? free64 : free32) as Map<number, Buf[]>;
  let list = map.get(b.length);
  if (list === undefined) map.set(b.length, (list = []));
  if (list.length >= PER_SIZE || list.includes(b)) return;
  list.push(b);
  pooledBytes += b.byteLength;
}

/** Drop every cached buffer (tests; or to return memory after a large one-off call). */
export function releaseScratch(): void {
  ws.clear();
  dis.clear();
  free32.clear();
  free64.clear();
  pooledBytes = 0;
}
