/**
 * Reverse-mode autodiff. Ops call `recordOp` after computing their outputs; `backward`
 * walks the recorded graph in reverse topological order. Gradients flow as flat buffers of
 * the same element type and size as the tensor they belong to.
 */
import type { Buf } from '../tensor/tensor.js';
import { Tensor, registerBackward, type GradNode } from '../tensor/tensor.js';
import { allocLike } from '../tensor/create.js';
import { GradError, ShapeError } from '../util/errors.js';
import { fmtShape, shapesEqual } from '../util/shape.js';

let gradEnabled = true;

/** Is graph recording on? (off inside `noGrad`). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run `fn` without recording a graph (inference, optimizer steps). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Does an op with these inputs need to record itself? */
export function needsGrad(inputs: readonly (Tensor | null | undefined)[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t && t.requiresGrad) return true;
  return false;
}

/** Options of {@link recordOp}. */
export interface RecordOptions {
  /**
   * Runs once when backward frees the node (after its backward ran, unless retainGraph): the op may
   * recycle the buffers its backward closure saved.
   */
  release?: () => void;
  /** Every gradient buffer backward returns is fresh and referenced nowhere else (leaves adopt it). */
  freshGrads?: boolean;
  /** backward reads its output gradients only during the call and returns none of them (GradNode.consumesGrads). */
  consumesGrads?: boolean;
}

/**
 * Where backward hands the gradient buffers it owned once their consumer is done with them (the op
 * layer's free list, ops/scratch.ts): a (T, B, H) gradient between a head and a recurrent layer is
 * then reused by the next step instead of waiting for the GC (W7's peak memory).
 */
let recycleGrad: ((b: Buf) => void) | null = null;
export function setGradRecycler(fn: ((b: Buf) => void) | null): void {
  recycleGrad = fn;
}

/**
 * Record an op application for backward. `backward` gets one gradient per output (null when
 * that output received none) and returns one gradient per input (null when not needed or
 * not differentiable). Does nothing when no input requires a gradient or recording is off.
 */
export function recordOp(
  name: string,
  inputs: readonly (Tensor | null | undefined)[],
  outputs: readonly Tensor[],
  backward: (gradOutputs: (Buf | null)[]) => (Buf | null)[],
  opts?: RecordOptions,
): void {
  if (!needsGrad(inputs)) return;
  const node: GradNode = {
    name, inputs: inputs.map((t) => t ?? DUMMY), outputs, backward, release: opts?.release ?? null, freshGrads: opts?.freshGrads ?? false,
    consumesGrads: opts?.consumesGrads ?? false,
  };
  for (const o of outputs) {
    o.node = node;
    o.requiresGrad = true;
  }
}

const DUMMY = new Tensor(new Float32Array(0), [0]);

/** Nodes reachable from `root`, in topological order (inputs before users). Iterative DFS. */
function topoOrder(root: GradNode): GradNode[] {
  const order: GradNode[] = [];
  const seen = new Set<GradNode>([root]);
  const stack: { node: GradNode; next: number }[] = [{ node: root, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next < top.node.inputs.length) {
      const child = top.node.inputs[top.next++]!.node;
      if (child && !seen.has(child)) {
        seen.add(child);
        stack.push({ node: child, next: 0 });
      }
    } else {
      order.push(top.node);
      stack.pop();
    }
  }
  return order;
}

/**
 * dst += g elementwise (same length and dtype). The ops register the backend's vector loop (ops/fused.ts):
 * a bidirectional layer's input gradient (the sum of its two directions, 1.6 M floats a step in W6)
 * took ~6 ms in this JS loop, which stays for when nothing is registered.
 */
let addInto = (dst: Buf, g: Buf): void => {
  for (let i = 0; i < dst.length; i++) dst[i] += g[i]!;
};
export function setGradAdder(fn: (dst: Buf, g: Buf) => void): void {
  addInto = fn;
}

function accumulate(map: Map<Tensor, Buf>, t: Tensor, g: Buf): void {
  const prev = map.get(t);
  if (!prev) {
    map.set(t, g);
    return;
  }
  addInto(prev, g);
}

/** t.grad += g (t.grad = g itself when t has none and the buffer may be adopted, else a copy). */
function addToLeafGrad(t: Tensor, g: Buf, adopt = false): void {
  if (!t.grad) {
    let buf = g;
    if (!adopt || g.length !== t.size || (g instanceof Float64Array) !== (t.data instanceof Float64Array)) {
      buf = allocLike(t.data);
      buf.set(g);
    }
    t.grad = new Tensor(buf, t.shape);
  } else addInto(t.grad.data, g);
}

/**
 * Backpropagate from `root`. Leaves that require a gradient accumulate into `.grad` (call
 * `zeroGrad` between steps, as in PyTorch). The graph is freed unless `retainGraph`.
 */
export function backward(root: Tensor, grad?: Tensor, opts: { retainGraph?: boolean } = {}): void {
  if (!root.requiresGrad) throw new GradError('backward', 'a tensor that requires grad', 'a tensor with no graph');
  let seed: Buf;
  if (grad) {
    if (!shapesEqual(grad.shape, root.shape)) throw new ShapeError('backward', `grad of shape ${fmtShape(root.shape)}`, fmtShape(grad.shape));
    seed = allocLike(root.data);
    seed.set(grad.data);
  } else {
    if (root.size !== 1) throw new GradError('backward', 'a scalar (or pass grad)', `shape ${fmtShape(root.shape)}`);
    seed = allocLike(root.data);
    seed[0] = 1;
  }
  if (!root.node) {
    addToLeafGrad(root, seed);
    return;
  }
  const grads = new Map<Tensor, Buf>([[root, seed]]);
  // Gradients of non-leaf tensors that only `grads` references: fresh from an op (freshGrads) and
  // the first to arrive for their tensor (later ones are added into it).
  const owned = new Set<Buf>();
  const order = topoOrder(root.node);
  noGradRun(() => {
    for (let k = order.length - 1; k >= 0; k--) {
      const node = order[k]!;
      const gOut = node.outputs.map((o) => grads.get(o) ?? null);
      for (const o of node.outputs) grads.delete(o);
      if (gOut.every((g) => g === null)) continue;
      node.outputs.forEach((o, i) => {
        if (o.retainsGrad && gOut[i]) addToLeafGrad(o, gOut[i]!);
      });
      if (!node.backward) {
        throw new GradError('backward', 'a graph that was not freed (pass { retainGraph: true } to backward twice)', `freed node ${node.name}`);
      }
      const gIn = node.backward(gOut);
      if (!opts.retainGraph) freeNode(node);
      node.inputs.forEach((inp, i) => {
        const g = gIn[i];
        if (!g || !inp.requiresGrad || inp === DUMMY) return;
        if (inp.node) {
          if (node.freshGrads && !grads.has(inp)) owned.add(g);
          accumulate(grads, inp, g);
        } else addToLeafGrad(inp, g, node.freshGrads === true);
      });
      if (node.consumesGrads && recycleGrad) for (const g of gOut) if (g && owned.delete(g)) recycleGrad(g);
    }
  });
}

/** Drop a node's backward closure (and with it what it saved); let the op recycle its buffers. */
function freeNode(node: GradNode): void {
  node.backward = null;
  const release = node.release;
  node.release = null;
  if (release) release();
}

function noGradRun(fn: () => void): void {
  noGrad(fn);
}

registerBackward(backward);

/** A user-defined differentiable op: forward on plain tensors, backward on flat gradient buffers. */
export interface OpDefinition<Args extends Tensor[], Saved> {
  name: string;
  /** Compute the output (no graph is recorded inside) and whatever backward needs. */
  forward(...inputs: Args): { output: Tensor; saved: Saved };
  /** Gradient w.r.t. each input (null = none), given the output's gradient. */
  backward(saved: Saved, gradOutput: Buf, inputs: Args): (Buf | null)[];
}

/**
 * Define a differentiable op from a forward/backward pair (as `torch.autograd.Function`).
 * @example
 * const cube = defineOp({
 *   name: 'cube',
 *   forward: (x) => ({ output: F.powScalar(x, 3), saved: x.data }),
 *   backward: (xd, g) => [g.map((gi, i) => 3 * xd[i] ** 2 * gi)],
 * });
 */
export function defineOp<Args extends Tensor[], Saved>(def: OpDefinition<Args, Saved>): (...inputs: Args) => Tensor {
  return (...inputs: Args): Tensor => {
    const { output, saved } = noGrad(() => def.forward(...inputs));
    const y = new Tensor(output.data, output.shape);
    recordOp(def.name, inputs, [y], ([g]) => def.backward(saved, g!, inputs));
    return y;
  };
}
