/**
 * Speed of a user-defined cell (a GRU written from ops, unrolled by `scan`, BPTT by autograd)
 * beside the fused nn.GRU, one training step (forward + backward) at the W3 shape
 * (B=32, T=100, I=32, H=128), float32, same process.
 *   npx tsx bench/custom-cell.ts [--reps 5]
 */
import { F, GRU, GRUDCell, Recurrent, RecurrentCell, Rng, Tensor, backward, randn, getBackend } from '../src/index.js';

class OpsGRUCell extends RecurrentCell {
  constructor(readonly inputSize: number, readonly hiddenSize: number, rng: Rng) {
    super();
    const k = 1 / Math.sqrt(hiddenSize);
    const u = (s: number[]): Tensor => { const t = randn(s, rng); t.data.forEach((_, i, a) => { a[i] = (rng.random() * 2 - 1) * k; }); return t; };
    this.registerParameter('weight_ih', u([3 * hiddenSize, inputSize]));
    this.registerParameter('weight_hh', u([3 * hiddenSize, hiddenSize]));
    this.registerParameter('bias_ih', u([3 * hiddenSize]));
    this.registerParameter('bias_hh', u([3 * hiddenSize]));
  }
  forward(x: Tensor, s: { h: Tensor }): { h: Tensor } {
    const H = this.hiddenSize;
    const gi = F.linear(x, this.param('weight_ih'), this.param('bias_ih'));
    const gh = F.linear(s.h, this.param('weight_hh'), this.param('bias_hh'));
    const part = (g: Tensor, k: number): Tensor => F.slice(g, 1, k * H, (k + 1) * H);
    const r = F.sigmoid(F.add(part(gi, 0), part(gh, 0)));
    const z = F.sigmoid(F.add(part(gi, 1), part(gh, 1)));
    const n = F.tanh(F.add(part(gi, 2), F.mul(r, part(gh, 2))));
    return { h: F.add(n, F.mul(z, F.sub(s.h, n))) };
  }
}

const reps = Number(process.argv[process.argv.indexOf('--reps') + 1] ?? 5) || 5;
const [B, T, I, H] = [32, 100, 32, 128];
const rng = new Rng(1);
const x = randn([T, B, I], rng);
const ones = (): Tensor => { const t = randn([T, B, I], rng); t.data.fill(1); return t; };
const time = (name: string, step: () => Tensor): void => {
  for (let i = 0; i < 2; i++) backward(F.sum(step()));
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) backward(F.sum(step()));
  const ms = (performance.now() - t0) / reps;
  console.log(`${name.padEnd(34)} ${ms.toFixed(1).padStart(8)} ms/step`);
};
console.log(`backend ${getBackend().name}; W3 shape B=${B} T=${T} I=${I} H=${H}, train step (fwd+bwd), mean of ${reps}`);
const gru = new GRU(I, H, { rng });
time('fused nn.GRU', () => gru.forward(x).output);
const custom = new Recurrent(new OpsGRUCell(I, H, rng));
time('custom GRU cell (scan, autograd)', () => custom.forward(x).output);
const grud = new Recurrent(new GRUDCell(I, H, { rng }));
const side = { mask: ones(), delta: ones(), xLast: x };
time('GRU-D cell (scan, autograd)', () => grud.forward(x, { inputs: side }).output);
