// CPU ns per call of the napi_cost.c functions, median and min over 7 rounds of 2M calls (see napi_cost.c).
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const a = createRequire(import.meta.url)(resolve(process.argv[2] ?? '/tmp/napi_cost.node'));
const N = 2_000_000;
const f = new Float32Array(64), g = new Float32Array(64);
const cases = {
  'no argument': () => a.none(),
  '7 numbers': () => a.numbers(1, 2, 3, 4, 5, 6, 7),
  '1 Float32Array, typed': () => a.typed(f),
  '3 Float32Array, typed': () => a.typed(f, g, f),
  '7 Float32Array, typed': () => a.typed(f, g, f, g, f, g, f),
  '7 Float32Array, buffer_info': () => a.buffer(f, g, f, g, f, g, f),
  '7 Float32Array, untyped': () => a.untyped(f, g, f, g, f, g, f),
};
const res = {};
for (let r = 0; r < 7; r++) {
  for (const [k, fn] of Object.entries(cases)) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) fn();
    const c = process.cpuUsage(c0);
    (res[k] ??= []).push(((c.user + c.system) * 1000) / N);
  }
}
for (const [k, v] of Object.entries(res)) {
  v.sort((x, y) => x - y);
  console.log(`${k.padEnd(26)} ${v[3].toFixed(1)} ns (min ${v[0].toFixed(1)})`);
}
