/**
 * Reference elementwise unary kernels over flat buffers of n elements.
 *   forward  y[i] = f(x[i])
 *   backward dx[i] += dy[i] · f'(x[i])   (y is passed so f' can reuse it: tanh, sigmoid, exp, sqrt)
 */
import type { Buf, UnaryKind } from '../backend.js';

export function sigmoid(v: number): number {
  return v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
}

export function softplus(v: number): number {
  // PyTorch's softplus (beta 1, threshold 20): linear above 20.
  return v > 20 ? v : Math.log1p(Math.exp(v));
}

export function unary(kind: UnaryKind, x: Buf, y: Buf): void {
  const n = x.length;
  switch (kind) {
    case 'tanh': for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]!); break;
    case 'sigmoid': for (let i = 0; i < n; i++) y[i] = sigmoid(x[i]!); break;
    case 'relu': for (let i = 0; i < n; i++) y[i] = x[i]! > 0 ? x[i]! : 0; break;
    case 'exp': for (let i = 0; i < n; i++) y[i] = Math.exp(x[i]!); break;
    case 'log': for (let i = 0; i < n; i++) y[i] = Math.log(x[i]!); break;
    case 'softplus': for (let i = 0; i < n; i++) y[i] = softplus(x[i]!); break;
    case 'neg': for (let i = 0; i < n; i++) y[i] = -x[i]!; break;
    case 'abs': for (let i = 0; i < n; i++) y[i] = Math.abs(x[i]!); break;
    case 'sqrt': for (let i = 0; i < n; i++) y[i] = Math.sqrt(x[i]!); break;
  }
}

export function unaryBackward(kind: UnaryKind, x: Buf, y: Buf, dy: Buf, dx: Buf): void {
  const n = x.length;
  switch (kind) {
    case 'tanh': for (let i = 0; i < n; i++) dx[i] += dy[i]! * (1 - y[i]! * y[i]!); break;
    case 'sigmoid': for (let i = 0; i < n; i++) dx[i] += dy[i]! * y[i]! * (1 - y[i]!); break;
    case 'relu': for (let i = 0; i < n; i++) dx[i] += x[i]! > 0 ? dy[i]! : 0; break;
    case 'exp': for (let i = 0; i < n; i++) dx[i] += dy[i]! * y[i]!; break;
    case 'log': for (let i = 0; i < n; i++) dx[i] += dy[i]! / x[i]!; break;
    case 'softplus': for (let i = 0; i < n; i++) dx[i] += x[i]! > 20 ? dy[i]! : dy[i]! * sigmoid(x[i]!); break;
    case 'neg': for (let i = 0; i < n; i++) dx[i] -= dy[i]!; break;
    case 'abs': for (let i = 0; i < n; i++) dx[i] += dy[i]! * Math.sign(x[i]!); break;
    case 'sqrt': for (let i = 0; i < n; i++) dx[i] += dy[i]! / (2 * y[i]!); break;
  }
}
