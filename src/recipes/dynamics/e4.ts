/**
 * E4 — catastrophic interference between two sequential tasks, and two remedies.
 *
 * One GRU with one read-out learns task A, then task B; it never sees A again. Both tasks read
 * the same stream of (value, marker) pairs with two marked steps and a constant task cue
 * (input channels 3 and 4: one-hot task id), so a single network can solve both:
 *   A: the sum of the two marked values (the adding problem);
 *   B: their difference, first − second.
 * (The trivial predictors — 1 for A, 0 for B — score MSE 1/6 on both.)
 * Phase B is run from the same task-A weights three ways, with SGD + momentum:
 *   - plain training on B;
 *   - EWC (Kirkpatrick et al. 2017): + λ/2 Σ F_i (θ_i − θ*_i)², diagonal Fisher of A's Gaussian
 *     likelihood with targets sampled from the model (analysis.fisherDiagonal, analysis.EWC),
 *     for several λ;
 *   - gradient projection / OGD (Farajtabar et al. 2020): B's gradients projected onto the
 *     orthogonal complement of the span of ∂f(x)/∂θ over task-A samples (analysis.gradientBasis,
 *     analysis.projectGradients).
 * Upper bound: the same network trained jointly on A and B (alternating batches, Adam, the
 * phase-A + phase-B step budget) — what one set of weights can do when it sees both tasks.
 * Reported: A's MSE after A and after B (forgetting), B's MSE after B (the price paid), per seed.
 */
import { Adam, F, SGD, Tensor, addingProblem, analysis, noGrad, type Rng } from '../../index.js';
import { Report, SeqModel, context, fit, fmt, info, pick, round, type Ctx, type RunInfo, type RunOptions } from './common.js';

type Task = 'A' | 'B';

export interface E4Seed {
  seed: number;
  /** Task A's validation MSE after phase A. */
  mseAAfterA: number;
  /** Task B's MSE of the task-A weights (where phase B starts). */
  mseBAfterA: number;
  rows: { method: string; mseA: number; forgetting: number; mseB: number; seconds: number; diverged: boolean }[];
  /** Joint training on A and B (the upper bound). */
  joint: { mseA: number; mseB: number; seconds: number };
  /** Directions stored for OGD (the largest basis). */
  basisSize: number;
}

export interface E4Result extends RunInfo {
  T: number;
  hidden: number;
  params: number;
  stepsA: number;
  stepsB: number;
  baselineMse: number;
  seeds: E4Seed[];
  /** MSE curves during phase B, first seed. */
  curves: Record<string, { step: number; mseA: number; mseB: number }[]>;
}

interface Cfg { T: number; hidden: number; batch: number; stepsA: number; stepsB: number; nVal: number; fisherItems: number; basisSizes: number[]; lambdas: number[]; evalEvery: number; seeds: number }

function config(ctx: Ctx): Cfg {
  return pick<Cfg>(ctx, {
    full: { T: 20, hidden: 32, batch: 32, stepsA: 1000, stepsB: 1000, nVal: 512, fisherItems: 256, basisSizes: [256, 1024], lambdas: [3, 10, 30], evalEvery: 50, seeds: 2 },
    quick: { T: 20, hidden: 16, batch: 16, stepsA: 600, stepsB: 400, nVal: 128, fisherItems: 64, basisSizes: [256], lambdas: [10], evalEvery: 50, seeds: 1 },
    tiny: { T: 5, hidden: 4, batch: 4, stepsA: 3, stepsB: 3, nVal: 8, fisherItems: 2, basisSizes: [4], lambdas: [10], evalEvery: 2, seeds: 2 },
  });
}

interface Batch { x: Tensor; y: Tensor }

/** A batch of task `task`: x (T, B, 4) = [value, marker, cue A, cue B], y (B, 1). */
function makeBatch(task: Task, T: number, B: number, rng: Rng): Batch {
  const d = addingProblem(T, B, { rng });
  const cue = new Tensor(new Float32Array(T * B * 2), [T, B, 2]);
  for (let i = 0; i < T * B; i++) cue.data[i * 2 + (task === 'A' ? 0 : 1)] = 1;
  const x = F.concat([d.x, cue], 2);
  if (task === 'A') return { x, y: d.y };
  const y = new Tensor(new Float32Array(B), [B, 1]);
  for (let b = 0; b < B; b++) {
    const [p, q] = [d.positions[2 * b]!, d.positions[2 * b + 1]!];
    y.data[b] = d.x.data[(p * B + b) * 2]! - d.x.data[(q * B + b) * 2]!;
  }
  return { x, y };
}

/** Joint training on A and B (alternating batches) with the sequential budget: the upper bound. */
function joint(ctx: Ctx, cfg: Cfg, val: Record<Task, Batch>, lab: (s: string) => string): E4Seed['joint'] {
  const m = new SeqModel('gru', 4, cfg.hidden, 1, { rng: ctx.rng(lab('e4-init')) });
  const params = m.parameters();
  const data = ctx.rng(lab('e4-joint'));
  const r = fit({
    steps: cfg.stepsA + cfg.stepsB, opt: new Adam(params, { lr: 1e-2 }), params,
    loss: (i) => {
      const b = makeBatch(i % 2 ? 'B' : 'A', cfg.T, cfg.batch, data);
      return F.mseLoss(m.last(b.x), b.y);
    },
  });
  const mse = (t: Task): number => noGrad(() => F.mseLoss(m.last(val[t].x), val[t].y).item());
  ctx.log(`e4 joint: A ${fmt(mse('A'))}, B ${fmt(mse('B'))}, ${r.seconds.toFixed(1)} s`);
  return { mseA: round(mse('A')), mseB: round(mse('B')), seconds: round(r.seconds, 3) };
}

export async function run(opts: RunOptions = {}): Promise<E4Result> {
  const ctx = context('e4', opts);
  const cfg = config(ctx);
  const seeds: E4Seed[] = [];
  let curves: E4Result['curves'] = {};
  let params = 0;
  for (let k = 0; k < cfg.seeds; k++) {
    const r = runSeed(ctx, cfg, k);
    seeds.push(r.seed);
    if (k === 0) curves = r.curves;
    params = r.params;
  }
  const result: E4Result = {
    ...info(ctx), T: cfg.T, hidden: cfg.hidden, params, stepsA: cfg.stepsA, stepsB: cfg.stepsB, baselineMse: round(1 / 6), seeds, curves,
  };
  write(ctx, cfg, result);
  return result;
}

/** One seed: phase A, then phase B by every method from the same task-A weights, and the joint bound. */
function runSeed(ctx: Ctx, cfg: Cfg, k: number): { seed: E4Seed; curves: E4Result['curves']; params: number } {
  const { T, batch: B } = cfg;
  const lab = (s: string): string => (k ? `${s}-s${k}` : s); // seed 0 keeps the one-seed version's streams
  const valRng = ctx.rng(lab('e4-val'));
  const val = { A: makeBatch('A', T, cfg.nVal, valRng), B: makeBatch('B', T, cfg.nVal, valRng) };
  const m = new SeqModel('gru', 4, cfg.hidden, 1, { rng: ctx.rng(lab('e4-init')) });
  const params = m.parameters();
  const mse = (t: Task): number => noGrad(() => F.mseLoss(m.last(val[t].x), val[t].y).item());

  // Phase A (Adam), then snapshot θ_A.
  const dataA = ctx.rng(lab('e4-dataA'));
  fit({
    steps: cfg.stepsA, opt: new Adam(params, { lr: 1e-2 }), params, evalEvery: cfg.evalEvery * 4,
    loss: () => {
      const b = makeBatch('A', T, B, dataA);
      return F.mseLoss(m.last(b.x), b.y);
    },
    evaluate: () => mse('A'), log: ctx.config === 'tiny' ? undefined : ctx.log, label: 'e4 phase A',
  });
  const thetaA = params.map((p) => p.data.slice());
  const reset = (): void => params.forEach((p, k) => p.data.set(thetaA[k]!));
  const mseAAfterA = mse('A');
  const mseBAfterA = mse('B');
  ctx.log(`e4 after A: MSE on A ${fmt(mseAAfterA)}, on B ${fmt(mseBAfterA)}`);

  // Task-A statistics at θ_A: diagonal Fisher (sampled targets) and the OGD gradient basis.
  const fRng = ctx.rng(lab('e4-fisher'));
  const samplesA = Array.from({ length: cfg.fisherItems }, () => makeBatch('A', T, 1, fRng));
  const fisher = analysis.fisherDiagonal(params, samplesA, (s) => {
    const f = m.last(s.x);
    const ySample = new Tensor(Float32Array.from(f.data, (v) => v + fRng.normal()), f.shape);
    return F.mulScalar(F.sum(F.square(F.sub(ySample, f))), -0.5);
  });
  const bRng = ctx.rng(lab('e4-basis'));
  const perItem = 8;
  const maxBasis = Math.max(...cfg.basisSizes);
  const basisItems = Array.from({ length: Math.ceil(maxBasis / perItem) }, () => makeBatch('A', T, perItem, bRng));
  const basis = analysis.gradientBasis(params, basisItems, (s) => m.last(s.x), { maxVectors: maxBasis });
  const prefix = (n: number): analysis.GradientBasis => {
    const b = new analysis.GradientBasis(basis.dim);
    for (const v of basis.vectors.slice(0, n)) b.vectors.push(v); // already orthonormal
    return b;
  };
  ctx.log(`e4: Fisher from ${samplesA.length} samples, OGD basis of ${basis.size} directions`);

  const methods: { name: string; ewc?: analysis.EWC; ogd?: analysis.GradientBasis }[] = [
    { name: 'plain' },
    ...cfg.lambdas.map((l) => ({ name: `EWC λ=${l}`, ewc: new analysis.EWC({ lambda: l }).consolidate(params, fisher) })),
    ...cfg.basisSizes.map((n) => ({ name: `OGD k=${Math.min(n, basis.size)}`, ogd: prefix(n) })),
  ];
  const rows: E4Seed['rows'] = [];
  const curves: E4Result['curves'] = {};
  for (const meth of methods) {
    reset();
    const dataB = ctx.rng(lab('e4-dataB')); // same batches for every method
    const curve: { step: number; mseA: number; mseB: number }[] = [{ step: 0, mseA: round(mseAAfterA), mseB: round(mseBAfterA) }];
    let step = 0;
    const r = fit({
      steps: cfg.stepsB, opt: new SGD(params, { lr: 0.05, momentum: 0.9 }), params, evalEvery: cfg.evalEvery,
      loss: (i) => {
        step = i + 1;
        const b = makeBatch('B', T, B, dataB);
        const l = F.mseLoss(m.last(b.x), b.y);
        return meth.ewc ? F.add(l, meth.ewc.penalty()) : l;
      },
      beforeStep: meth.ogd ? () => analysis.projectGradients(params, meth.ogd!) : undefined,
      evaluate: () => {
        const [a, b] = [mse('A'), mse('B')];
        curve.push({ step, mseA: round(a), mseB: round(b) });
        return b;
      },
    });
    const mseA = mse('A');
    const mseB = mse('B');
    rows.push({ method: meth.name, mseA: round(mseA), forgetting: round(mseA - mseAAfterA), mseB: round(mseB), seconds: round(r.seconds, 3), diverged: r.diverged });
    curves[meth.name] = curve;
    ctx.log(`e4 ${meth.name}: A ${fmt(mseAAfterA)} → ${fmt(mseA)} (forgetting ${fmt(mseA - mseAAfterA)}), B ${fmt(mseB)}${r.diverged ? ' (diverged)' : ''}, ${r.seconds.toFixed(1)} s`);
  }
  const seed: E4Seed = { seed: ctx.seed + k, mseAAfterA: round(mseAAfterA), mseBAfterA: round(mseBAfterA), rows, joint: joint(ctx, cfg, val, lab), basisSize: basis.size };
  return { seed, curves, params: m.numParameters() };
}

function write(ctx: Ctx, cfg: Cfg, r: E4Result): void {
  const rep = new Report('E4 — catastrophic interference: plain vs EWC vs gradient projection');
  rep.p(`Config ${ctx.config}, seeds ${r.seeds.map((x) => x.seed).join(', ')}, backend ${r.backend}. GRU ${cfg.hidden} + linear read-out (${r.params} parameters), T = ${r.T}, batch ${cfg.batch}. `
    + `Task A = sum of the two marked values, task B = their difference; a one-hot task cue is part of the input. Phase A: Adam lr 1e-2, ${r.stepsA} steps. `
    + `Phase B from the same task-A weights: SGD lr 0.05 momentum 0.9, ${r.stepsB} steps, identical batches for every method. `
    + `EWC: diagonal Fisher from ${cfg.fisherItems} task-A samples; OGD: the first n of ${r.seeds[0]!.basisSize} orthonormalised gradients of the model output on task-A samples. `
    + `MSE on ${cfg.nVal} validation sequences per task; the trivial predictor scores ${fmt(1 / 6)}.`);
  rep.p(`Joint training (upper bound): one network, batches alternating A and B, Adam lr 1e-2, ${r.stepsA + r.stepsB} steps (the sequential budget).`);
  for (const sd of r.seeds) {
    rep.h2(`Seed ${sd.seed}`);
    rep.p(`After phase A: MSE on A ${fmt(sd.mseAAfterA)}, on B ${fmt(sd.mseBAfterA)}.`);
    rep.table(['method', 'MSE on A after B', 'forgetting (ΔMSE A)', 'MSE on B after B (price)', 'seconds'], [
      ...sd.rows.map((x) => [x.method, x.mseA, x.forgetting, x.mseB, x.seconds]),
      ['joint A+B (upper bound)', sd.joint.mseA, null, sd.joint.mseB, sd.joint.seconds],
    ]);
  }
  rep.p(`Curves below: seed ${r.seeds[0]!.seed}.`);
  const names = Object.keys(r.curves);
  for (const t of ['A', 'B'] as const) {
    rep.plot(`task${t}-during-B.svg`, {
      title: `MSE on task ${t} while training on task B`, xLabel: 'step of phase B', yLabel: `MSE on ${t}`, logY: true,
      series: names.map((n) => ({ name: n, x: r.curves[n]!.map((c) => c.step), y: r.curves[n]!.map((c) => (t === 'A' ? c.mseA : c.mseB)) })),
    });
  }
  rep.write(ctx.outDir, r);
}
