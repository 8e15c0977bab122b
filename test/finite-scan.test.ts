/**
 * The finiteness scan of the ops' inputs (src/ops/fused.ts firstNonFinite: a JS screen below 256 elements,
 * the backend above): the index of the first NaN / ±Inf, or -1, for every length around the JS loop's
 * pairs and the backend threshold, in float32 and float64, against a plain per-element search.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstNonFinite } from '../src/ops/fused.js';
import { Rng } from '../src/util/rng.js';

const want = (x: Float32Array | Float64Array): number => x.findIndex((v) => !Number.isFinite(v));
const BAD = [NaN, Infinity, -Infinity];

for (const Arr of [Float32Array, Float64Array]) {
  test(`firstNonFinite (${Arr.name}): the first NaN / ±Inf at any position, -1 when all finite`, () => {
    const rng = new Rng(7);
    for (const n of [0, 1, 2, 3, 4, 31, 32, 33, 255, 256, 257, 600]) {
      const x = new Arr(n);
      for (let i = 0; i < n; i++) x[i] = rng.normal() * 10 ** rng.int(37); // finite, some huge (×0 is still 0)
      if (n > 2) { x[0] = -0; x[n - 1] = Arr === Float32Array ? 3.4e38 : 1.7e308; }
      assert.equal(firstNonFinite(x), -1, `n=${n} all finite`);
      for (let trial = 0; trial < 6 && n > 0; trial++) {
        const y = x.slice(), at = trial === 0 ? n - 1 : rng.int(n);
        y[at] = BAD[trial % 3]!;
        if (trial > 3 && at + 1 < n) y[n - 1] = NaN; // a later one too: the first is reported
        assert.equal(firstNonFinite(y), want(y), `n=${n} ${y[at]} at ${at}`);
      }
    }
  });
}
