/**
 * The one place float64 calls (gradient checks) go to the reference backend, for the compiled backends
 * (native, wasm) whose kernels are float32 only: per method, the value whose dtype decides. A call
 * mixing dtypes reaches the float32 kernels with a Float64Array and throws a ValueError there.
 */
import type { Backend, Buf } from './backend.js';

type Kernel = Exclude<keyof Backend, 'name'>;

const DECIDES: { [K in Kernel]: (...a: Parameters<Backend[K]>) => Buf | 'float32' | 'float64' } = {
  gemm: (a) => a.A,
  unary: (_k, x) => x,
  unaryBackward: (_k, x) => x,
  recurrentWorkspace: (_k, _d, dtype) => dtype,
  lstmForward: (inp) => inp.x,
  lstmBackward: (inp) => inp.x,
  gruForward: (inp) => inp.x,
  gruBackward: (inp) => inp.x,
  rnnForward: (inp) => inp.x,
  rnnBackward: (inp) => inp.x,
  recurrentPair: (_k, a) => a.inp.x,
  firstNonFinite: (x) => x,
  adamStep: (a) => a.p,
  sgdStep: (a) => a.p,
  colSumAdd: (g) => g,
  sumSquaredDiff: (x) => x,
  scaledDiff: (x) => x,
  dropoutMask: (_k0, _k1, _p, out) => out,
  dropoutApply: (_k0, _k1, _p, x) => x,
};

/** Fails to compile if a Backend method takes more than 5 arguments (the wrappers of `routed` pass 5). */
type AtMostFive = { [K in Kernel]: Parameters<Backend[K]> extends [unknown?, unknown?, unknown?, unknown?, unknown?] ? true : false }[Kernel];
const fiveArguments: AtMostFive extends true ? true : never = true;
void fiveArguments;

/** `f32` for float32, `ref` for float64, method by method through DECIDES. */
export function routed(f32: Backend, ref: Backend): Backend {
  const out: Record<string, unknown> = { name: f32.name };
  for (const k of Object.keys(DECIDES) as Kernel[]) {
    const decide = DECIDES[k] as (...a: unknown[]) => unknown;
    const n = f32[k] as (...a: unknown[]) => unknown, r = ref[k] as (...a: unknown[]) => unknown;
    // fixed arity (no Backend method takes more than 5 arguments): a rest parameter and spread calls
    // cost ~13 ns per call, on both calls of a streamed step
    out[k] = (a0: unknown, a1: unknown, a2: unknown, a3: unknown, a4: unknown) => {
      const d = decide(a0, a1, a2, a3, a4);
      return d instanceof Float64Array || d === 'float64' ? r(a0, a1, a2, a3, a4) : n(a0, a1, a2, a3, a4);
    };
  }
  return out as unknown as Backend;
}
