/**
 * The `wasm` Backend: the C kernels of native/ compiled to wasm32 + SIMD128 (tools/build-wasm.mjs,
 * native/wasm/api.c), on one thread or, with the threaded build, on workers sharing its memory
 * (./threads.ts). Platform-neutral: it takes a compiled WebAssembly.Module (the
 * Node loader is ./node.ts; a browser passes one from fetch + WebAssembly.compile).
 *
 * - float32 calls run in wasm; float64 calls (gradient checks) go to the reference backend (../routed.ts).
 * - Buffers are copied into the module's memory and back per call (./heap.ts); the caller's recurrent
 *   workspace is not used (the kernels carve theirs from wasm memory), so recurrentWorkspace is 0.
 * - Arguments are checked here (the C exports trust them): ShapeError / ValueError / OptionError as the
 *   native layer throws them.
 *
 * Legend: T time, B batch, I input, H hidden, P projection, Hout = P > 0 ? P : H, G gate width.
 */
import type { AdamStepArgs, Backend, Buf, GemmArgs, LstmInputs, RecurrentInputs, RnnInputs, SgdStepArgs, UnaryKind } from '../backend.js';
import { refBackend } from '../ref/index.js';
import { routed } from '../routed.js';
import { RECURRENT_ARGS } from '../native/recurrent-adapter.js';
import { inTurn } from '../recurrent-call.js';
import { OptionError, ShapeError, ValueError } from '../../util/errors.js';
import { Heap, IN, INOUT, OUT, SCRATCH, type WasmExports } from './heap.js';
import { instantiate, type Spawn } from './threads.js';

/** Pointer table of rc_wasm_rec (native/wasm/api.c RC_WASM_PTRS, mirrored; test/wasm-parity.test.ts compares). */
export const WASM_PTRS = [
  'x', 'h0', 'c0', 'wIh', 'wHh', 'bIh', 'bHh', 'wHr', 'lengths', 'maskX', 'maskH', 'ws', 'y', 'hN', 'cN', 'gates', 'c', 'h',
  'm', 'q', 'dy', 'dhN', 'dcN', 'dx', 'dh0', 'dc0', 'dWIh', 'dWHh', 'dBIh', 'dBHh', 'dWHr',
] as const;
const PTR_INDEX = new Map<string, number>(WASM_PTRS.map((n, i) => [n, i]));

const UNARY_CODE: Record<UnaryKind, number> = { tanh: 0, sigmoid: 1, relu: 2, exp: 3, log: 4, softplus: 5, neg: 6, abs: 7, sqrt: 8 };
const KIND = { lstm: 0, gru: 1, rnn: 2 } as const;
type Kind = keyof typeof KIND;
type Entry = 'lstmForward' | 'lstmBackward' | 'gruForward' | 'gruBackward' | 'rnnForward' | 'rnnBackward';

interface Dims { T: number; B: number; I: number; H: number; P: number; Hout: number; G: number; ldy: number }

/** Elements of a recurrent buffer by name (native/recurrent_napi.c BUFS and the head). */
function size(name: string, d: Dims): number {
  const TB = d.T * d.B;
  switch (name) {
    case 'x': case 'dx': return TB * d.I;
    case 'y': case 'dy': return (TB - 1) * d.ldy + d.Hout; // rows ldy apart
    case 'h': return TB * d.Hout;
    case 'gates': return TB * d.G;
    case 'c': case 'm': case 'q': return TB * d.H;
    case 'h0': case 'hN': case 'dhN': case 'dh0': case 'maskH': return d.B * d.Hout;
    case 'c0': case 'cN': case 'dcN': case 'dc0': return d.B * d.H;
    case 'maskX': return d.B * d.I;
    case 'lengths': return d.B;
    case 'wIh': case 'dWIh': return d.G * d.I;
    case 'wHh': case 'dWHh': return d.G * d.Hout;
    case 'bIh': case 'bHh': case 'dBIh': case 'dBHh': return d.G;
    case 'wHr': case 'dWHr': return d.P * d.H;
    default: throw new Error(`wasm backend: no size for buffer ${name}`);
  }
}

function dimsOf(op: string, kind: Kind, inp: RecurrentInputs, P: number): Dims {
  const { T, B, I, H } = inp;
  const ok = (v: number, lo: number): boolean => Number.isInteger(v) && v >= lo && v < 2 ** 30;
  if (!ok(T, 1) || !ok(B, 1) || !ok(I, 0) || !ok(H, 1) || !ok(P, 0) || (kind !== 'lstm' && P !== 0)) {
    throw new ShapeError(`${op}.dims`, kind === 'lstm' ? 'T >= 1, B >= 1, I >= 0, H >= 1, P >= 0' : 'T >= 1, B >= 1, I >= 0, H >= 1, P = 0',
      `T=${T} B=${B} I=${I} H=${H} P=${P}`);
  }
  const G = (kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1) * H, Hout = P > 0 ? P : H, ldy = inp.ldy ?? Hout;
  if (!ok(ldy, Hout)) throw new ShapeError(`${op}.ldy`, `an integer in [Hout = ${Hout}, 2^30)`, String(ldy));
  if (T * B * Math.max(I, G, ldy) * 4 >= 2 ** 31) throw new ShapeError(`${op}.dims`, 'every buffer below 2 GB', `T=${T} B=${B} I=${I} H=${H}`);
  return { T, B, I, H, P, Hout, G, ldy };
}

/** The float32 kernels over the module's exports (float64 calls never reach them: see routed). */
function float32Backend(ex: WasmExports): Backend {
  const hp = new Heap(ex);
  const DIMS = hp.hdr, PTRS = hp.hdr + 64, HYPER = hp.hdr + 256; // i32[10], u32[31], f64[9] of the 1 KB header
  const f32 = (b: Buf): Float32Array => b as Float32Array;
  const slotOf = new Int32Array(WASM_PTRS.length);

  function rec(e: Entry, kind: Kind, bwd: boolean, inp: RecurrentInputs, P: number, relu: number, o: object, g: object | null): void {
    const d = dimsOf(e, kind, inp, P);
    if (inp.lengths) {
      for (let b = 0; b < Math.min(d.B, inp.lengths.length); b++) {
        const L = inp.lengths[b]!;
        if (L < 1 || L > d.T) throw new ValueError(`${e}.lengths[${b}]`, `a value in [1, ${d.T}]`, `${L}`);
      }
    }
    const src = inp as unknown as Record<string, Buf | Int32Array | null | undefined>;
    const out = o as Record<string, Buf | null | undefined>, grads = (g ?? {}) as Record<string, Buf | null | undefined>;
    if (!bwd && out['y'] === out['h'] && d.ldy !== d.Hout) throw new ValueError(`${e}.y`, 'a buffer of its own when ldy != Hout (not the saved h)', 'the saved h');
    const infer = !bwd && kind !== 'rnn' && inp.inference === true;
    const at = slotOf.fill(-1); // slot of each pointer, -1 = null
    hp.begin();
    for (const name of RECURRENT_ARGS.head) {
      if (name === 'dims') continue;
      if (name === 'ws') { at[PTR_INDEX.get('ws')!] = hp.arg(e, 'ws', null, ex.rc_rec_workspace(KIND[kind], d.T, d.B, d.I, d.H, d.P), SCRATCH); continue; }
      if ((name === 'c0' && kind !== 'lstm') || (name === 'wHr' && P === 0)) continue;
      const nullable = name === 'bIh' || name === 'bHh' || name === 'lengths' || name === 'maskX' || name === 'maskH';
      at[PTR_INDEX.get(name)!] = hp.arg(e, name, src[name] as Buf | null, size(name, d), IN, nullable, name === 'lengths' ? 'i32' : 'f32');
    }
    for (const name of RECURRENT_ARGS[e]) {
      if ((name === 'm' || name === 'dWHr') && P === 0) continue;
      const isGrad = name[0] === 'd';
      if (!bwd && infer && name !== 'y' && name !== 'hN' && name !== 'cN') continue; // inference: no saved buffer
      const a = isGrad ? grads[name] : out[name];
      // forward: outputs written (a strided y copied in too: its rows' other columns are copied back);
      // backward: saved and upstream read, parameter / input gradients accumulated
      const mode = !bwd ? (name === 'y' && d.ldy !== d.Hout ? INOUT : OUT) : !isGrad || name === 'dy' || name === 'dhN' || name === 'dcN' ? IN : INOUT;
      at[PTR_INDEX.get(name)!] = hp.arg(e, name, a, size(name, d), mode, isGrad);
    }
    hp.place();
    const i32 = hp.i32;
    i32.set([KIND[kind], d.T, d.B, d.I, d.H, d.P, inp.reverse ? 1 : 0, relu, 0, d.ldy], DIMS >> 2);
    for (let k = 0; k < WASM_PTRS.length; k++) i32[(PTRS >> 2) + k] = at[k]! < 0 ? 0 : hp.ptr(at[k]!);
    ex.rc_wasm_rec(bwd ? 1 : 0, DIMS, PTRS);
    hp.finish();
  }

  const relu = (op: string, inp: RnnInputs): number => {
    if (inp.nonlinearity === 'tanh') return 0;
    if (inp.nonlinearity === 'relu') return 1;
    throw new OptionError(op, `nonlinearity 'tanh' or 'relu'`, `'${String(inp.nonlinearity)}'`);
  };

  function hyper(v: number[]): number {
    hp.f64.set(v, HYPER >> 3);
    return HYPER;
  }

  const be: Backend = {
    name: 'wasm',
    gemm(a: GemmArgs) {
      const { M, N, K } = a;
      if (M <= 0 || N <= 0) return;
      const ext = (rows: number, cols: number, ld: number): number => (rows <= 0 || cols <= 0 ? 0 : (rows - 1) * ld + cols);
      const at = (b: Buf, off: number | undefined): Float32Array => (off ? f32(b).subarray(off) : f32(b));
      hp.begin();
      const sa = hp.arg('gemm', 'A', at(a.A, a.aOff), a.transA ? ext(K, M, a.lda) : ext(M, K, a.lda), IN);
      const sb = hp.arg('gemm', 'B', at(a.B, a.bOff), a.transB ? ext(N, K, a.ldb) : ext(K, N, a.ldb), IN);
      const sbias = hp.arg('gemm', 'bias', a.bias ? f32(a.bias) : null, N, IN, true);
      // C is read when beta != 0 without a bias, and copied in anyway when rows are padded (the padding is copied back)
      const sc = hp.arg('gemm', 'C', at(a.C, a.cOff), ext(M, N, a.ldc), (a.bias || a.beta === 0) && a.ldc === N ? OUT : INOUT);
      hp.place();
      ex.rc_sgemm(a.transA ? 1 : 0, a.transB ? 1 : 0, M, N, K, a.alpha, hp.ptr(sa), a.lda, hp.ptr(sb), a.ldb, a.beta, hp.ptr(sc), a.ldc,
        hp.ptr(sbias));
      hp.finish();
    },
    unary(kind, x, y) {
      hp.begin();
      const sx = hp.arg('unary', 'x', x, x.length, IN), sy = hp.arg('unary', 'y', y, x.length, OUT);
      hp.place();
      ex.rc_unary(UNARY_CODE[kind], hp.ptr(sx), hp.ptr(sy), x.length);
      hp.finish();
    },
    unaryBackward(kind, x, y, dy, dx) {
      const n = x.length;
      hp.begin();
      const sx = hp.arg('unaryBackward', 'x', x, n, IN), sy = hp.arg('unaryBackward', 'y', y, n, IN);
      const sd = hp.arg('unaryBackward', 'dy', dy, n, IN), so = hp.arg('unaryBackward', 'dx', dx, n, INOUT);
      hp.place();
      ex.rc_unary_backward(UNARY_CODE[kind], hp.ptr(sx), hp.ptr(sy), hp.ptr(sd), hp.ptr(so), n);
      hp.finish();
    },
    recurrentWorkspace: () => 0,
    lstmForward: (inp: LstmInputs, out, _ws) => rec('lstmForward', 'lstm', false, inp, inp.P, 0, out, null),
    lstmBackward: (inp: LstmInputs, saved, g, _ws) => rec('lstmBackward', 'lstm', true, inp, inp.P, 0, saved, g),
    gruForward: (inp, out, _ws) => rec('gruForward', 'gru', false, inp, 0, 0, out, null),
    gruBackward: (inp, saved, g, _ws) => rec('gruBackward', 'gru', true, inp, 0, 0, saved, g),
    rnnForward: (inp, out, _ws) => rec('rnnForward', 'rnn', false, inp, 0, relu('rnnForward', inp), out, null),
    rnnBackward: (inp, saved, g, _ws) => rec('rnnBackward', 'rnn', true, inp, 0, relu('rnnBackward', inp), saved, g),
    // one direction after the other (the C pool may split each; the wasm build has no pair entry)
    recurrentPair: inTurn(() => be),
    firstNonFinite(x) {
      hp.begin();
      const s = hp.arg('firstNonFinite', 'x', x, x.length, IN);
      hp.place();
      const r = ex.rc_first_nonfinite(hp.ptr(s), x.length);
      hp.finish();
      return r;
    },
    adamStep(a: AdamStepArgs) {
      const n = a.p.length;
      hp.begin();
      const sp = hp.arg('adamStep', 'p', a.p, n, INOUT), sg = hp.arg('adamStep', 'g', a.g, n, IN);
      const sm = hp.arg('adamStep', 'm', a.m, n, INOUT), sv = hp.arg('adamStep', 'v', a.v, n, INOUT);
      const sx = hp.arg('adamStep', 'vmax', a.vmax, n, INOUT, true);
      hp.place();
      const h = hyper([a.lr, 1 - a.beta1, a.beta2, 1 - a.beta2, a.eps, a.weightDecay, a.stepSize, a.bc2Sqrt,
        (a.maximize ? 1 : 0) | (a.decoupled ? 2 : 0)]);
      ex.rc_adam(hp.ptr(sp), hp.ptr(sg), hp.ptr(sm), hp.ptr(sv), hp.ptr(sx), n, h);
      hp.finish();
    },
    sgdStep(a: SgdStepArgs) {
      const n = a.p.length;
      hp.begin();
      const sp = hp.arg('sgdStep', 'p', a.p, n, INOUT), sg = hp.arg('sgdStep', 'g', a.g, n, IN);
      const sb = hp.arg('sgdStep', 'buf', a.buf, n, INOUT, true);
      hp.place();
      const h = hyper([a.lr, a.momentum, a.dampening, a.weightDecay, (a.maximize ? 1 : 0) | (a.nesterov ? 2 : 0) | (a.init ? 4 : 0)]);
      ex.rc_sgd(hp.ptr(sp), hp.ptr(sg), hp.ptr(sb), n, h);
      hp.finish();
    },
    colSumAdd(g, rows, cols, out) {
      hp.begin();
      const sg = hp.arg('colSumAdd', 'g', g, rows * cols, IN), so = hp.arg('colSumAdd', 'out', out, cols, INOUT);
      hp.place();
      ex.rc_col_sum_add(hp.ptr(sg), rows, cols, hp.ptr(so));
      hp.finish();
    },
    sumSquaredDiff(x, t) {
      hp.begin();
      const sx = hp.arg('sumSquaredDiff', 'x', x, x.length, IN), st = hp.arg('sumSquaredDiff', 't', t, x.length, IN);
      hp.place();
      const r = ex.rc_sum_sq_diff(hp.ptr(sx), hp.ptr(st), x.length);
      hp.finish();
      return r;
    },
    scaledDiff(x, t, c, a, out) {
      hp.begin();
      const sx = hp.arg('scaledDiff', 'x', x, x.length, IN), st = hp.arg('scaledDiff', 't', t, x.length, IN);
      const so = hp.arg('scaledDiff', 'out', out, x.length, OUT);
      hp.place();
      ex.rc_scaled_diff(hp.ptr(sx), hp.ptr(st), c, a, hp.ptr(so), x.length);
      hp.finish();
    },
    dropoutMask(k0, k1, p, out) {
      maskArgs('dropoutMask', k0, k1, p);
      hp.begin();
      const so = hp.arg('dropoutMask', 'out', out, out.length, OUT);
      hp.place();
      ex.rc_dropout_mask(k0, k1, p, hp.ptr(so), out.length);
      hp.finish();
    },
    dropoutApply(k0, k1, p, x, y) {
      maskArgs('dropoutApply', k0, k1, p);
      hp.begin();
      const sx = hp.arg('dropoutApply', 'x', x, x.length, IN), sy = hp.arg('dropoutApply', 'y', y, x.length, OUT);
      hp.place();
      ex.rc_dropout_apply(k0, k1, p, hp.ptr(sx), hp.ptr(sy), x.length);
      hp.finish();
    },
  };
  return be;
}

/** The checks of native/ops_napi.c get_mask_args: a key of two u32 integers and p in [0, 1]. */
function maskArgs(op: string, k0: number, k1: number, p: number): void {
  for (const k of [k0, k1]) {
    if (!(Number.isInteger(k) && k >= 0 && k < 4294967296)) throw new ValueError(op, 'a key of two integers in [0, 2^32)', String(k));
  }
  if (!(p >= 0 && p <= 1)) throw new ValueError(op, 'a dropout probability p in [0, 1]', String(p));
}

/** A NUL-terminated ASCII string in the module's memory. */
function cString(ex: WasmExports, p: number): string {
  const bytes = new Uint8Array(ex.memory.buffer);
  let s = '';
  while (bytes[p] !== 0) s += String.fromCharCode(bytes[p++]!);
  return s;
}

/** The wasm kernels' pointer-table names (native/wasm/api.c), read from the module (tests). */
export function wasmPtrNames(ex: WasmExports): string[] {
  return cString(ex, ex.rc_wasm_ptr_names()).split(',').filter((n) => n !== '');
}

export type WasmCpuPath = 'wasm-simd128' | 'wasm-relaxed-simd';

export interface WasmKernels {
  backend: Backend;
  exports: WasmExports;
  /** Which build: "wasm-simd128", or "wasm-relaxed-simd" (relaxed madd; native/wasm/kern_simd128.c). */
  cpuPath: WasmCpuPath;
  /** This thread + the workers started (1: the single-thread build, or the threaded one without workers). */
  maxThreads: number;
  /** Threads the kernels split work over now (1 .. maxThreads). */
  threads(): number;
  /** Use n threads (capped at maxThreads; 1 = everything in this thread, the workers then sleep). */
  setThreads(n: number): void;
  /** Terminate the workers (the kernels then run in this thread). */
  stop(): void;
}

/**
 * Calls too small for the C pool to split (the thresholds of native/: gemm.c RC_PAR_MIN_WORK,
 * recurrent_plan.c slices(), unary.c RC_UNARY_PAR, ops_optim.c PAR; the other kernels never split) go to
 * `small`, the single-thread build on its own memory, the rest to the threaded one: copying into a
 * shared memory costs ~2× a plain one (V8 copies SharedArrayBuffers with relaxed atomics), which for a
 * streamed step (W4 copies its weights every step) is the whole difference. Both give the same bits.
 */
function bySize(small: Backend, big: Backend): Backend {
  const rec = (inp: RecurrentInputs, gates: number, P = 0): Backend =>
    inp.T * inp.B * gates * inp.H * ((P > 0 ? P : inp.H) + inp.I) < 1 << 20 ? small : big;
  const n = (len: number, par: number): Backend => (len < par ? small : big);
  const be: Backend = {
    ...small,
    gemm: (a) => (a.M * a.N * Math.max(a.K, 1) < 1 << 17 ? small : big).gemm(a),
    unary: (k, x, y) => n(x.length, 32768).unary(k, x, y),
    unaryBackward: (k, x, y, dy, dx) => n(x.length, 32768).unaryBackward(k, x, y, dy, dx),
    lstmForward: (inp, o, ws) => rec(inp, 4, inp.P).lstmForward(inp, o, ws),
    lstmBackward: (inp, sv, g, ws) => rec(inp, 4, inp.P).lstmBackward(inp, sv, g, ws),
    gruForward: (inp, o, ws) => rec(inp, 3).gruForward(inp, o, ws),
    gruBackward: (inp, sv, g, ws) => rec(inp, 3).gruBackward(inp, sv, g, ws),
    rnnForward: (inp, o, ws) => rec(inp, 1).rnnForward(inp, o, ws),
    rnnBackward: (inp, sv, g, ws) => rec(inp, 1).rnnBackward(inp, sv, g, ws),
    recurrentPair: inTurn(() => be),
    adamStep: (a) => n(a.p.length, 65536).adamStep(a),
    sgdStep: (a) => n(a.p.length, 65536).sgdStep(a),
  };
  return be;
}

/**
 * Instantiate the kernels (synchronously: Node, or a browser worker / small module) and wrap them. With
 * the threaded build (wasm/recur-mt.wasm) and `spawn`, `threads - 1` workers join this thread
 * (./threads.ts); `single` (the single-thread build wasm/recur.wasm) then takes the calls too small to split.
 */
export function wasmBackendFromModule(mod: WebAssembly.Module, threads = 1, spawn?: Spawn, single?: WebAssembly.Module): WasmKernels {
  const { exports: ex, maxThreads, stop } = instantiate(mod, threads, spawn);
  let be = float32Backend(ex);
  if (maxThreads > 1 && single) be = bySize(float32Backend(instantiate(single, 1).exports), be);
  return {
    backend: routed(be, refBackend), exports: ex, cpuPath: cString(ex, ex.rc_cpu_path()) as WasmCpuPath, maxThreads, stop,
    threads: () => ex.rc_threads(),
    setThreads: (n) => ex.rc_set_threads(Math.max(1, Math.min(maxThreads, Math.floor(n)))),
  };
}
