/**
 * Buffers of one wasm kernel call: the JavaScript arrays are copied into the module's memory before the
 * call and the outputs copied back after it (the kernels see raw pointers, native/wasm/api.c).
 *
 * A call declares its buffers (`arg`: the array, the elements the kernel touches, in / out / both /
 * scratch), `place()` gives each a 64-byte aligned slot in one arena block (grown, never shrunk: one
 * rc_malloc per size increase), copies the inputs in, and `finish()` copies the outputs out. Every array
 * is checked first (element type, at least the elements its shape needs), so a short or mistyped buffer
 * throws the ShapeError / ValueError of the native layer instead of reading or writing past its end.
 *
 * Copy or keep tensors in wasm memory? Copying costs ~0.1 ns per byte each way against the kernels' own
 * work (a GEMM reads each element K times, a recurrent step ~4·H FLOPs per element), so it is a few
 * percent except on the elementwise kernels, where it roughly doubles their time (docs/benchmarks.md).
 */
import { BackendError, ShapeError, ValueError } from '../../util/errors.js';

/** The exports of wasm/recur.wasm (native/wasm/api.c). Pointers and sizes are numbers (wasm32). */
export interface WasmExports {
  memory: WebAssembly.Memory;
  rc_malloc(bytes: number): number;
  rc_free(p: number): void;
  rc_set_threads(n: number): void;
  rc_threads(): number;
  rc_sgemm(tA: number, tB: number, M: number, N: number, K: number, alpha: number, A: number, lda: number,
    B: number, ldb: number, beta: number, C: number, ldc: number, bias: number): void;
  rc_unary(kind: number, x: number, y: number, n: number): void;
  rc_unary_backward(kind: number, x: number, y: number, dy: number, dx: number, n: number): void;
  rc_wasm_ptr_names(): number;
  rc_cpu_path(): number;
  rc_rec_workspace(kind: number, T: number, B: number, I: number, H: number, P: number): number;
  rc_wasm_rec(bwd: number, dims: number, ptrs: number): void;
  rc_adam(p: number, g: number, m: number, v: number, vmax: number, n: number, hyper: number): void;
  rc_sgd(p: number, g: number, buf: number, n: number, hyper: number): void;
  rc_first_nonfinite(x: number, n: number): number;
  rc_col_sum_add(g: number, rows: number, cols: number, out: number): void;
  rc_sum_sq_diff(x: number, t: number, n: number): number;
  rc_scaled_diff(x: number, t: number, c: number, a: number, out: number, n: number): void;
  rc_dropout_mask(k0: number, k1: number, p: number, out: number, n: number): void;
  rc_dropout_apply(k0: number, k1: number, p: number, x: number, y: number, n: number): void;
}

export const IN = 1, OUT = 2, INOUT = 3, SCRATCH = 4;
type Arr = Float32Array | Float64Array | Int32Array;

interface Slot { a: Arr | null; n: number; mode: number; ptr: number }
const MAX_SLOTS = 40;
const up64 = (b: number): number => (b + 63) & ~63;

export class Heap {
  readonly ex: WasmExports;
  /** A fixed 1 KB block for the small arguments of a call: dims, pointer tables, hyper-parameters. */
  readonly hdr: number;
  private base = 0;
  private cap = 0;
  private readonly slots: Slot[] = Array.from({ length: MAX_SLOTS }, () => ({ a: null, n: 0, mode: 0, ptr: 0 }));
  private ns = 0;
  private f32v = new Float32Array(0);
  private f64v = new Float64Array(0);
  private i32v = new Int32Array(0);

  private readonly shared: boolean;

  constructor(ex: WasmExports) {
    this.ex = ex;
    this.shared = typeof SharedArrayBuffer !== 'undefined' && ex.memory.buffer instanceof SharedArrayBuffer;
    this.hdr = ex.rc_malloc(1024);
    if (this.hdr === 0) throw new BackendError('wasm', 'memory for the kernels', 'rc_malloc failed');
  }

  /** Views of the module's memory, re-made after memory.grow detached the old buffer (its views then
   * have length 0; reading memory.buffer itself costs a call into V8). A shared memory's buffer is never
   * detached: sync() re-makes them once per place() / finish() when it grew (malloc, here or in a kernel). */
  private views(): void {
    if (this.f32v.length !== 0) return;
    this.remake();
  }
  private remake(): void {
    const b = this.ex.memory.buffer as ArrayBuffer;
    this.f32v = new Float32Array(b);
    this.f64v = new Float64Array(b);
    this.i32v = new Int32Array(b);
  }
  get f32(): Float32Array { this.views(); return this.f32v; }
  get f64(): Float64Array { this.views(); return this.f64v; }
  get i32(): Int32Array { this.views(); return this.i32v; }

  /** Start a call: no buffers declared yet. */
  begin(): void { this.ns = 0; }

  /**
   * Declare buffer `a` of the call (`op.name` in errors): n elements used; null / undefined allowed when
   * `nullable` (pointer 0). Returns the slot index for ptr(). Scratch: a = null, n elements of float32
   * memory, not copied.
   */
  arg(op: string, name: string, a: Arr | null | undefined, n: number, mode: number, nullable = false, type: 'f32' | 'f64' | 'i32' = 'f32'): number {
    if (a == null && mode !== SCRATCH) {
      if (!nullable) throw new ShapeError(`${op}.${name}`, `a ${NAMES[type]}`, String(a));
      a = null;
    } else if (a != null) {
      if (!(a instanceof CTORS[type])) throw new ValueError(`${op}.${name}`, `a ${NAMES[type]}`, a.constructor?.name ?? typeof a);
      if (a.length < n) throw new ShapeError(`${op}.${name}`, `at least ${n} elements`, `${a.length}`);
    }
    const s = this.slots[this.ns]!;
    s.a = a ?? null; s.n = n; s.mode = mode; s.ptr = 0;
    return this.ns++;
  }

  private sync(): void {
    if (this.shared && this.f32v.buffer.byteLength !== this.ex.memory.buffer.byteLength) this.remake();
  }

  /** Give every declared buffer its slot and copy the inputs in. */
  place(): void {
    let bytes = 0;
    for (let k = 0; k < this.ns; k++) {
      const s = this.slots[k]!;
      if (s.a !== null || s.mode === SCRATCH) bytes += up64(s.n * (s.a ? s.a.BYTES_PER_ELEMENT : 4));
    }
    if (bytes > this.cap) {
      if (this.base !== 0) this.ex.rc_free(this.base);
      const want = Math.max(bytes, Math.ceil(this.cap * 1.5));
      this.base = this.ex.rc_malloc(want);
      this.cap = this.base === 0 ? 0 : want;
      if (this.base === 0) throw new BackendError('wasm', `${bytes} bytes of wasm memory`, 'rc_malloc failed');
    }
    this.sync();
    let p = this.base;
    for (let k = 0; k < this.ns; k++) {
      const s = this.slots[k]!;
      if (s.a === null && s.mode !== SCRATCH) continue;
      s.ptr = p;
      p += up64(s.n * (s.a ? s.a.BYTES_PER_ELEMENT : 4));
      if (s.a !== null && (s.mode & IN) && s.n > 0) this.view(s.a).set(s.a.length === s.n ? s.a : s.a.subarray(0, s.n), s.ptr / s.a.BYTES_PER_ELEMENT);
    }
  }

  /** Byte address of slot k (0 for a null buffer). */
  ptr(k: number): number { return this.slots[k]!.ptr; }

  /** Copy the outputs back; drop the references. */
  finish(): void {
    this.sync();
    for (let k = 0; k < this.ns; k++) {
      const s = this.slots[k]!;
      if (s.a !== null && (s.mode & OUT) && s.n > 0) {
        const e = s.ptr / s.a.BYTES_PER_ELEMENT;
        (s.a as Float32Array).set(this.view(s.a).subarray(e, e + s.n) as Float32Array);
      }
      s.a = null;
    }
    this.ns = 0;
  }

  private view(a: Arr): Arr {
    return a instanceof Float32Array ? this.f32 : a instanceof Float64Array ? this.f64 : this.i32;
  }
}

const CTORS = { f32: Float32Array, f64: Float64Array, i32: Int32Array } as const;
const NAMES = { f32: 'Float32Array', f64: 'Float64Array', i32: 'Int32Array' } as const;
