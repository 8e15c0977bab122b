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
 *   (recordOp's `release`), and the next forward of the same shape takes them again. Gradients
 *   that take() made (a Linear's input gradient) come back through `recycleBuf` once an op that
 *   consumes them (recordOp's consumesGrads: the recurrent layers) has run its backward.
 *
 * Buffers handed out hold stale values: only for outputs the callee fully overwrites. The pool is
 * the class BufferPool (unit tests in test/op-buffers.test.ts); the ops share one instance,
 * `opBuffers`, through the functions at the end of this file.
 */
import type { Buf } from '../kernels/backend.js';
import { setGradRecycler } from '../autograd/engine.js';

export interface BufferPoolLimits {
  /** Larger requests are not cached (allocated fresh, left to the GC). Default 64 Mi elements (256 MB f32). */
  maxCached: number;
  /** At most this many bytes wait in the free lists. Default 512 MB. */
  poolBytes: number;
  /** At most this many free buffers per exact size and dtype. Default 64. */
  perSize: number;
}

const DEFAULT_LIMITS: BufferPoolLimits = { maxCached: 64 * 1024 * 1024, poolBytes: 512 * 1024 * 1024, perSize: 64 };

const is64 = (like: Buf): boolean => like instanceof Float64Array;
const fresh = (like: Buf, n: number): Buf => (is64(like) ? new Float64Array(n) : new Float32Array(n));

/** One grown buffer per dtype. */
class Grown {
  private f32: Float32Array | null = null;
  private f64: Float64Array | null = null;
  constructor(private readonly maxCached: number) {}
  /** A buffer of at least n elements of `like`'s type (the whole cached buffer: do not rely on its length). */
  get(like: Buf, n: number): Buf {
    if (n > this.maxCached) return fresh(like, n);
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

/** The op layer's buffers (see the file comment); the ops use the one instance `opBuffers`. */
export class BufferPool {
  private readonly limits: BufferPoolLimits;
  private readonly ws: Grown;
  private readonly dis: Grown;
  private readonly free32 = new Map<number, Float32Array[]>();
  private readonly free64 = new Map<number, Float64Array[]>();
  private pooled = 0;
  /** Buffers take() made: the only ones recycle() accepts. */
  private readonly made = new WeakSet<Buf>();

  constructor(limits: Partial<BufferPoolLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.ws = new Grown(this.limits.maxCached);
    this.dis = new Grown(this.limits.maxCached);
  }

  /** The kernels' workspace: at least n elements of `like`'s type, reused across calls. */
  workspace(like: Buf, n: number): Buf {
    return this.ws.get(like, n);
  }

  /** A reused buffer of at least n elements for outputs that are written and never read. */
  discard(like: Buf, n: number): Buf {
    return this.dis.get(like, n);
  }

  /** A buffer of exactly n elements of `like`'s type, recycled when one is free (stale contents). */
  take(like: Buf, n: number): Buf {
    const b = (is64(like) ? this.free64 : this.free32).get(n)?.pop();
    if (b !== undefined) {
      this.pooled -= b.byteLength;
      return b;
    }
    const f = fresh(like, n);
    this.made.add(f);
    return f;
  }

  /**
   * give() a buffer only if take() made it: backward's consumed gradients (autograd setGradRecycler).
   * A gradient some op allocates afresh at every step is left to the GC, so the free list never
   * holds more buffers than were in use at once.
   */
  recycle(b: Buf): void {
    if (this.made.has(b)) this.give(b);
  }

  /**
   * Give back a buffer from take() that nothing references any more. Ignored: null, empty, views (a
   * part of a larger buffer), larger than maxCached, one already free, or past poolBytes / perSize.
   */
  give(b: Buf | null): void {
    if (b === null || b.length === 0 || b.length > this.limits.maxCached || b.byteLength !== b.buffer.byteLength) return;
    if (this.pooled + b.byteLength > this.limits.poolBytes) return;
    const map = (is64(b) ? this.free64 : this.free32) as Map<number, Buf[]>;
    let list = map.get(b.length);
    if (list === undefined) map.set(b.length, (list = []));
    if (list.length >= this.limits.perSize || list.includes(b)) return;
    list.push(b);
    this.pooled += b.byteLength;
  }

  /** Bytes waiting in the free lists. */
  get pooledBytes(): number {
    return this.pooled;
  }

  /** Drop every cached buffer (tests; or to return memory after a large one-off call). */
  clear(): void {
    this.ws.clear();
    this.dis.clear();
    this.free32.clear();
    this.free64.clear();
    this.pooled = 0;
  }
}

/** The pool every op uses. */
export const opBuffers = new BufferPool();

export const workspace = (like: Buf, n: number): Buf => opBuffers.workspace(like, n);
export const discard = (like: Buf, n: number): Buf => opBuffers.discard(like, n);
export const takeBuf = (like: Buf, n: number): Buf => opBuffers.take(like, n);
export const giveBuf = (b: Buf | null): void => opBuffers.give(b);
export const recycleBuf = (b: Buf): void => opBuffers.recycle(b);
// Gradients consumed inside backward (recordOp's consumesGrads) come back to the same free list.
setGradRecycler(recycleBuf);

/**
 * Small fresh outputs (a streamed step's y, h, c; a head's row): V8 takes ~0.3–1 µs (plus GC work)
 * per typed array with its own memory above 64 bytes, much of a streamed step's JS time. So outputs of
 * up to SMALL_OUT elements are carved, zero-filled and never reused, from a shared slab — as Node
 * carves small Buffers from a shared pool: `t.data.buffer` may then hold other tensors, and keeping
 * one such tensor alive keeps its slab (SLAB elements) alive.
 */
export const SMALL_OUT = 2048;
const SLAB = 16384;
/** A slab and its ArrayBuffer (read once: the `buffer` and `byteOffset` getters cost ~40 ns a carve). */
interface Slab { ab: ArrayBuffer; size: number; used: number }
let slab32: Slab = { ab: new ArrayBuffer(0), size: 0, used: 0 };
let slab64: Slab = { ab: new ArrayBuffer(0), size: 0, used: 0 };
const EMPTY32 = new Float32Array(0), EMPTY64 = new Float64Array(0);

/** n (≤ SMALL_OUT) zeros of `like`'s type on memory no other caller gets. */
export function carve(like: Buf, n: number): Buf {
  const f64 = like instanceof Float64Array;
  if (n === 0) return f64 ? EMPTY64 : EMPTY32; // a streamed cell step's unused y: no view to make
  let s = f64 ? slab64 : slab32;
  if (s.used + n > s.size) {
    s = { ab: new ArrayBuffer(SLAB * (f64 ? 8 : 4)), size: SLAB, used: 0 };
    if (f64) slab64 = s;
    else slab32 = s;
  }
  const off = s.used;
  s.used += n;
  return f64 ? new Float64Array(s.ab, off * 8, n) : new Float32Array(s.ab, off * 4, n);
}
/** Drop every cached buffer of the ops' pool. */
export const releaseScratch = (): void => opBuffers.clear();
