/**
 * The dashboard: trains the chosen task's model step by step on the wasm backend, redrawing the loss
 * every few steps and the instruments every `every` steps and at the end; runs checkpoints from files.
 * State for the Chromium test is on window.recurDashboard.
 */
import { Adam, F, Rng, clipGradNorm, getBackend, initWasm, type Tensor } from 'recur';
import { COLOR, LineChart, scatter } from './charts.js';
import { measure, type Instruments } from './instruments.js';
import { runSpliceCheckpoint, type CheckpointRun } from './checkpoint.js';
import { makeModel, makeTask, spliceData, type TaskName } from './tasks.js';

interface DashboardState { ready: boolean; running: boolean; losses: number[]; instruments: Instruments | null; checkpoint: CheckpointRun | null; error: string | null }
const state: DashboardState = { ready: false, running: false, losses: [], instruments: null, checkpoint: null, error: null };
(window as unknown as { recurDashboard: DashboardState }).recurDashboard = state;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const status = (el: HTMLElement, text: string, error = false): void => { el.textContent = text; el.classList.toggle('error', error); };
const nextFrame = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

const lossChart = new LineChart($('loss-chart'), { title: 'training loss', x: 'step', y: 'loss', color: COLOR.loss, log: true });
const flowChart = new LineChart($('flow-chart'), { title: 'gradient flow through time', x: 'steps back from the end', y: '‖∂L/∂s_t‖', color: COLOR.grad, log: true });

function draw(ins: Instruments): void {
  flowChart.set(ins.gradFlow.lags.slice().reverse(), ins.gradFlow.gradNorm.slice().reverse());
  const byStability = (['stable', 'unstable', 'saddle', 'marginal'] as const).map((s) => ({
    color: COLOR[s], radius: 5, points: ins.pca.points.filter((p) => p.stability === s).map((p) => p.xy),
  }));
  const ev = ins.pca.explained.map((v) => `${(100 * v).toFixed(0)}%`).join(', ');
  scatter($<HTMLCanvasElement>('pca-chart'), `fixed points and visited states (grey), PCA ${ev}`, [
    { color: COLOR.states, points: ins.pca.states, radius: 2 }, ...byStability,
  ], { legend: 'green stable · red unstable · orange saddle · purple marginal' });
  scatter($<HTMLCanvasElement>('eig-chart'), `Jacobian spectrum at the ${ins.spectrum[0]?.at ?? 'fixed point'}s`, [
    { color: COLOR.eig, points: ins.spectrum.map((z) => [z.re, z.im] as [number, number]) },
  ], { unitCircle: true });
}

async function train(): Promise<void> {
  const num = (id: string): number => Number(($(id) as HTMLInputElement).value);
  const steps = num('steps'), every = num('every'), rng = new Rng(1);
  const task = makeTask(($('task') as HTMLSelectElement).value as TaskName, 32, rng);
  const { rnn, head } = makeModel(($('cell') as HTMLSelectElement).value as 'lstm' | 'gru', task, num('hidden'), rng);
  const params = [...rnn.parameters(), ...head.parameters()];
  const opt = new Adam(params, { lr: 1e-2 });
  const probe = F.slice(task.batch(new Rng(2)).x as Tensor, 1, 0, 8); // the instruments' inputs: 8 fixed rows
  state.losses = [];
  state.running = true;
  const started = performance.now();
  for (let i = 0; i < steps && state.running; i++) {
    const { x, y } = task.batch(rng);
    opt.zeroGrad();
    const loss = task.loss(head, rnn.forward(x).output, y);
    loss.backward();
    clipGradNorm(params, 1);
    opt.step();
    state.losses.push(loss.item());
    const last = i === steps - 1 || !state.running;
    if (i % 5 === 4 || last) {
      lossChart.set(state.losses.map((_, k) => k + 1), state.losses);
      status($('status'), `step ${i + 1}/${steps}  loss ${state.losses[i]!.toPrecision(4)}  ${((performance.now() - started) / (i + 1)).toFixed(1)} ms/step on ${getBackend().name}`);
      await nextFrame();
    }
    if ((i + 1) % every === 0 || last) {
      state.instruments = measure(rnn, probe, new Rng(3));
      draw(state.instruments);
      await nextFrame();
    }
  }
  state.running = false;
}

async function loadCheckpoint(file: File): Promise<void> {
  status($('ck-status'), `running ${file.name} …`);
  state.checkpoint = runSpliceCheckpoint(await file.arrayBuffer(), file.name, spliceData());
  const r = state.checkpoint;
  status($('ck-status'), `${r.name}: ${r.net}\naccuracy ${(100 * r.accuracy).toFixed(1)}% on ${r.n} sequences\n`
    + r.perClass.map((c) => `${c.cls.padEnd(3)} ${c.correct}/${c.n} (${(100 * c.correct / c.n).toFixed(1)}%)`).join('\n'));
}

function guard(el: HTMLElement, fn: () => Promise<void>): () => void {
  return () => {
    state.error = null;
    fn().catch((e: unknown) => {
      state.running = false;
      state.error = e instanceof Error ? e.message : String(e);
      status(el, state.error, true);
    }).finally(() => { ($('train') as HTMLButtonElement).disabled = state.running; ($('stop') as HTMLButtonElement).disabled = !state.running; });
  };
}

$('train').addEventListener('click', () => {
  ($('train') as HTMLButtonElement).disabled = true;
  ($('stop') as HTMLButtonElement).disabled = false;
  guard($('status'), train)();
});
$('stop').addEventListener('click', () => { state.running = false; });
$('checkpoint').addEventListener('change', (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (file) guard($('ck-status'), () => loadCheckpoint(file))();
});

await initWasm();
status($('status'), `backend: ${getBackend().name} — ready`);
state.ready = true;
