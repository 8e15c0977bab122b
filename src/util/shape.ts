import { ShapeError } from './errors.js';

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** `[2, 3]` → `"[2, 3]"`, used in error messages. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Row-major strides of a contiguous shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy broadcasting of two shapes; throws a ShapeError naming `op`. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(op, `shapes that broadcast`, `${fmtShape(a)} and ${fmtShape(b)}`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Normalise a possibly negative axis for a tensor of rank `rank`. */
export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new ShapeError(op, `an axis in [${-rank}, ${rank - 1}]`, String(axis));
  }
  return a;
}

/** Assert that `cond` holds, else throw a ShapeError. */
export function checkShape(cond: boolean, op: string, expected: string, got: string): asserts cond {
  if (!cond) throw new ShapeError(op, expected, got);
}

/** Direct-mapped cache of frozen shapes (a collision just replaces the entry). */
const SHAPES = new Array<readonly number[] | undefined>(256);

/**
 * A frozen array equal to `dims`, shared from a small cache: programs use few distinct shapes, and a
 * frozen array can be shared by every tensor of that shape (a fresh copy + freeze costs ~4× more).
 */
export function frozenShape(dims: readonly number[]): readonly number[] {
  let h = dims.length;
  for (let i = 0; i < dims.length; i++) h = (Math.imul(h, 31) + (dims[i]! | 0)) | 0;
  const k = (h ^ (h >>> 8)) & 255;
  const hit = SHAPES[k];
  if (hit !== undefined && hit.length === dims.length) {
    let same = true;
    for (let i = 0; i < dims.length; i++) if (hit[i] !== dims[i]) { same = false; break; }
    if (same) return hit;
  }
  const f = Object.freeze(dims.slice());
  SHAPES[k] = f;
  return f;
}

/**
 * shape[start, end) as a new array (negative indices count from the end). Tensor shapes are frozen
 * arrays, and V8's Array.prototype.slice takes a slow path on those (~180 ns against ~10 here).
 */
export function shapeSlice(shape: readonly number[], start = 0, end = shape.length): number[] {
  const n = shape.length;
  const a = start < 0 ? Math.max(0, n + start) : Math.min(start, n);
  const b = end < 0 ? Math.max(0, n + end) : Math.min(end, n);
  const out: number[] = [];
  for (let i = a; i < b; i++) out.push(shape[i]!);
  return out;
}

/** Product of shape[start, end) (1 for an empty range). */
export function numelRange(shape: readonly number[], start: number, end = shape.length): number {
  let p = 1;
  for (let i = start; i < end; i++) p *= shape[i]!;
  return p;
}
