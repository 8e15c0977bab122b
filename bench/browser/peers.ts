/**
 * The peers of the Chromium bench, in the same page: TensorFlow.js on its wasm backend (the model of
 * ../shared/peers/bench_tfjs.js: tf.layers.lstm/gru + dense on every step, MSE, Adam(1e-3) through
 * trainOnBatch; W5 predict; W4 basicLSTMCell + matMul head per step, its faster variant) and ONNX
 * Runtime Web (wasm execution provider) running recur's own W4/W5 model exported by exportOnnx.
 * ONNX Runtime Web runs on the page's thread count (numThreads, its own Web Workers); TF.js on one:
 * its threaded wasm build, which it picks when the page is cross-origin isolated, fails to start its
 * workers from a bundle, so it is told there is no thread support and takes its single-threaded SIMD build.
 */
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import tfWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import tfWasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import tfWasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as ort from 'onnxruntime-web/wasm';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import ortMjs from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import type { LSTM, Linear } from 'recur';
import { exportOnnx, onnxLinear, onnxRecurrent } from '../../src/io/onnx.js';
import type { Shape } from '../workloads.js';
import type { Job } from './types.js';

export async function initPeers(threads: number): Promise<{ tfjs: string; ort: string }> {
  setWasmPaths({ 'tfjs-backend-wasm.wasm': tfWasm, 'tfjs-backend-wasm-simd.wasm': tfWasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': tfWasmThreaded });
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false); // else it takes the threaded build when isolated
  setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend did not start');
  await tf.ready();
  ort.env.wasm.numThreads = threads;
  // Its loader as a file of its own: its workers (numThreads > 1) start from that script, not from this bundle.
  ort.env.wasm.wasmPaths = { wasm: ortWasm, mjs: ortMjs };
  return { tfjs: `${tf.version.tfjs} (${tf.getBackend()})`, ort: ort.env.versions.web ?? '' };
}

const rand = (n: number, seed: number): Float32Array => {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
};

function tfModel(s: Shape): tf.Sequential {
  const m = tf.sequential();
  const cfg = { units: s.H, returnSequences: true, recurrentActivation: 'sigmoid' as const, recurrentInitializer: 'glorotUniform' as const, inputShape: [s.T, s.I] };
  m.add(s.cell === 'gru' ? tf.layers.gru(cfg) : tf.layers.lstm(cfg));
  m.add(tf.layers.dense({ units: s.O }));
  return m;
}

export function tfjsTrain(s: Shape): Job {
  const m = tfModel(s);
  m.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
  const x = tf.tensor3d(rand(s.B * s.T * s.I, 1), [s.B, s.T, s.I]), y = tf.tensor3d(rand(s.B * s.T * s.O, 2), [s.B, s.T, s.O]);
  return async () => { await m.trainOnBatch(x, y); };
}

export function tfjsInfer(s: Shape): Job {
  const m = tfModel(s);
  const x = tf.tensor3d(rand(s.B * s.T * s.I, 1), [s.B, s.T, s.I]);
  return async () => {
    const o = m.predict(x) as tf.Tensor;
    await o.data();
    o.dispose();
  };
}

export function tfjsStream(s: Shape, xs: Float32Array, steps: number): Job {
  const k = tf.randomNormal([s.I + s.H, 4 * s.H], 0, 0.05), b = tf.zeros([4 * s.H]);
  const wo = tf.randomNormal([s.H, s.O], 0, 0.05), bo = tf.zeros([s.O]), fb = tf.scalar(1.0);
  return () => {
    let c = tf.zeros([1, s.H]) as tf.Tensor2D, h = tf.zeros([1, s.H]) as tf.Tensor2D;
    for (let t = 0; t < steps; t++) {
      const [c2, h2, out] = tf.tidy(() => {
        const x = tf.tensor2d(xs.subarray(t * s.I, (t + 1) * s.I), [1, s.I]);
        const [nc, nh] = tf.basicLSTMCell(fb, k as tf.Tensor2D, b as tf.Tensor1D, x, c, h);
        return [nc, nh, tf.add(tf.matMul(nh, wo), bo)];
      });
      out!.dataSync();
      out!.dispose(); c.dispose(); h.dispose();
      c = c2 as tf.Tensor2D; h = h2 as tf.Tensor2D;
    }
    c.dispose(); h.dispose();
  };
}

/** recur's LSTM + head as one ONNX model: inputs x (T, B, I), h0, c0 (1, B, H); outputs y, h1, c1. */
async function ortSession(lstm: LSTM, head: Linear, T: number, B: number): Promise<ort.InferenceSession> {
  const bytes = exportOnnx(lstm, {
    inputShape: [T, B, lstm.inputSize], inputName: 'x',
    build: (g, x) => {
      const h0 = g.input('h0', 'float32', [1, B, lstm.hiddenSize]), c0 = g.input('c0', 'float32', [1, B, lstm.hiddenSize]);
      const r = onnxRecurrent(g, lstm, x, { h0, c0 });
      return { y: onnxLinear(g, head, r.output), h1: r.h, c1: r.c! };
    },
  });
  return ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all', executionMode: 'sequential' });
}

/** W5 on ONNX Runtime Web; also returns its output for x, to compare with recur's. */
export async function ortInfer(s: Shape, model: { lstm: LSTM; head: Linear }, x: Float32Array): Promise<{ job: Job; y: Float32Array }> {
  const sess = await ortSession(model.lstm, model.head, s.T, s.B);
  const feeds = { x: new ort.Tensor('float32', x, [s.T, s.B, s.I]), h0: new ort.Tensor('float32', new Float32Array(s.B * s.H), [1, s.B, s.H]), c0: new ort.Tensor('float32', new Float32Array(s.B * s.H), [1, s.B, s.H]) };
  const y = (await sess.run(feeds)).y!.data as Float32Array;
  return { job: async () => { void (await sess.run(feeds)).y!.data; }, y };
}

export async function ortStream(s: Shape, model: { lstm: LSTM; head: Linear }, xs: Float32Array, steps: number): Promise<Job> {
  const sess = await ortSession(model.lstm, model.head, 1, 1);
  return async () => {
    let h: ort.Tensor = new ort.Tensor('float32', new Float32Array(s.H), [1, 1, s.H]), c: ort.Tensor = new ort.Tensor('float32', new Float32Array(s.H), [1, 1, s.H]);
    for (let t = 0; t < steps; t++) {
      const r = await sess.run({ x: new ort.Tensor('float32', xs.subarray(t * s.I, (t + 1) * s.I), [1, 1, s.I]), h0: h, c0: c });
      void r.y!.data;
      h = r.h1!; c = r.c1!;
    }
  };
}
