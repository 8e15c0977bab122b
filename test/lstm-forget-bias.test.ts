/** LSTM forgetBias init option (Keras unit_forget_bias): the forget slice only, typed errors otherwise. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GRU, LSTM, Rng } from '../src/index.js';

test('forgetBias sets the forget slice of bias_ih (bias_hh 0) in every layer and direction; the rest is the default init', () => {
  const H = 5;
  const a = new LSTM(3, H, { numLayers: 2, bidirectional: true, forgetBias: 1, rng: new Rng(4) });
  const b = new LSTM(3, H, { numLayers: 2, bidirectional: true, rng: new Rng(4) });
  for (const suffix of ['_l0', '_l1', '_l0_reverse', '_l1_reverse']) {
    const [ih, hh] = [a.param(`bias_ih${suffix}`).data, a.param(`bias_hh${suffix}`).data];
    const [ih0, hh0] = [b.param(`bias_ih${suffix}`).data, b.param(`bias_hh${suffix}`).data];
    for (let g = 0; g < 4 * H; g++) {
      const forget = g >= H && g < 2 * H;
      assert.equal(ih[g], forget ? 1 : ih0[g]);
      assert.equal(hh[g], forget ? 0 : hh0[g]);
    }
    assert.deepEqual(a.param(`weight_hh${suffix}`).data, b.param(`weight_hh${suffix}`).data);
  }
});

test('forgetBias: typed errors for a GRU, bias: false and a non-finite value', () => {
  assert.throws(() => new GRU(2, 3, { forgetBias: 1 } as never), /GRU: expected one of .*unknown option "forgetBias"/);
  assert.throws(() => new LSTM(2, 3, { forgetBias: 1, bias: false }), /LSTM: expected forgetBias only with bias: true/);
  assert.throws(() => new LSTM(2, 3, { forgetBias: Number.NaN }), /LSTM: expected forgetBias a finite number, got NaN/);
});
