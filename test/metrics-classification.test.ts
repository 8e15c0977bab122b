/** Classification metrics on hand-computed cases. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ShapeError, ValueError, accuracy, argmaxRows, classificationReport, confusionMatrix, macroF1, perClassError,
  precisionRecallF1, rocAuc, rocAucOvR,
} from '../src/index.js';

const near = (a: number, b: number, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

// 3 classes, 8 examples. true: 0 0 0 1 1 2 2 2; pred: 0 1 0 1 2 2 2 0
const yT = [0, 0, 0, 1, 1, 2, 2, 2];
const yP = [0, 1, 0, 1, 2, 2, 2, 0];

test('confusion matrix (rows true, columns predicted) and accuracy', () => {
  assert.deepEqual(confusionMatrix(yT, yP, 3), [
    [2, 1, 0],
    [0, 1, 1],
    [1, 0, 2],
  ]);
  near(accuracy(yT, yP), 5 / 8);
  assert.ok(Number.isNaN(accuracy([], [])));
});

test('per-class error = misclassified share of each true class', () => {
  const e = perClassError(yT, yP, 3);
  near(e[0]!, 1 / 3);
  near(e[1]!, 1 / 2);
  near(e[2]!, 1 / 3);
  assert.ok(Number.isNaN(perClassError([0, 0], [0, 1], 3)[2]!)); // no examples of class 2
});

test('precision, recall, F1 per class and macro-F1', () => {
  const r = precisionRecallF1(yT, yP, 3);
  // class 0: tp 2, predicted 3, support 3 → p 2/3, r 2/3, f1 2/3
  // class 1: tp 1, predicted 2, support 2 → p 1/2, r 1/2, f1 1/2
  // class 2: tp 2, predicted 3, support 3 → p 2/3, r 2/3, f1 2/3
  [2 / 3, 1 / 2, 2 / 3].forEach((v, c) => near(r.precision[c]!, v));
  [2 / 3, 1 / 2, 2 / 3].forEach((v, c) => near(r.recall[c]!, v));
  [2 / 3, 1 / 2, 2 / 3].forEach((v, c) => near(r.f1[c]!, v));
  assert.deepEqual(r.support, [3, 2, 3]);
  near(macroF1(yT, yP, 3), (2 / 3 + 1 / 2 + 2 / 3) / 3);
  const b = precisionRecallF1([0, 0, 1, 1], [0, 1, 1, 1], 2); // asymmetric case
  near(b.precision[0]!, 1);
  near(b.recall[0]!, 0.5);
  near(b.f1[0]!, 2 / 3);
  near(b.precision[1]!, 2 / 3);
  near(b.f1[1]!, 0.8);
  const z = precisionRecallF1([0, 0], [0, 0], 2); // class 1 never predicted nor present: 0, not NaN
  assert.deepEqual([z.precision[1], z.recall[1], z.f1[1]], [0, 0, 0]);
});

test('binary ROC-AUC by ranks, ties counted as 1/2', () => {
  near(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75); // the scikit-learn docs example
  near(rocAuc([0.1, 0.4, 0.4, 0.8], [0, 0, 1, 1]), 0.875); // one tied pos/neg pair → 3.5 / 4
  near(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]), 0.5); // all tied
  near(rocAuc([3, 2, 1], [true, false, false]), 1);
  near(rocAuc([1, 2, 3], [1, 0, 0]), 0);
  // Ties across groups: pos {2, 2, 5}, neg {1, 2, 3}: pairs won 1+0.5+0 + 1+0.5+0 + 1+1+1 = 6 of 9.
  near(rocAuc([2, 2, 5, 1, 2, 3], [1, 1, 1, 0, 0, 0]), 6 / 9);
  assert.ok(Number.isNaN(rocAuc([1, 2], [1, 1])));
  assert.throws(() => rocAuc([1, NaN], [0, 1]), ValueError);
  assert.throws(() => rocAuc([1, 2], [0]), ShapeError);
});

test('one-vs-rest AUC and its macro mean', () => {
  // 4 examples × 3 classes.
  const probs = [
    0.7, 0.2, 0.1,
    0.2, 0.5, 0.3,
    0.3, 0.3, 0.4,
    0.6, 0.1, 0.3,
  ];
  const y = [0, 1, 2, 2];
  const r = rocAucOvR(probs, y, 3);
  // class 0: pos {0.7}, neg {0.2, 0.3, 0.6} → 1
  near(r.perClass[0]!, 1);
  // class 1: pos {0.5}, neg {0.2, 0.3, 0.1} → 1
  near(r.perClass[1]!, 1);
  // class 2: pos {0.4, 0.3}, neg {0.1, 0.3} → (1+1 + 1+0.5)/4 = 0.875
  near(r.perClass[2]!, 0.875);
  near(r.macro, (1 + 1 + 0.875) / 3);
  const missing = rocAucOvR([0.9, 0.1, 0.2, 0.8], [0, 0], 2); // class 1 absent: NaN, left out of the mean
  assert.ok(Number.isNaN(missing.perClass[0]!) && Number.isNaN(missing.macro));
});

test('argmaxRows and the full report', () => {
  const probs = [0.7, 0.2, 0.1, 0.2, 0.5, 0.3, 0.3, 0.3, 0.4, 0.6, 0.1, 0.3];
  assert.deepEqual([...argmaxRows(probs, 3)], [0, 1, 2, 0]);
  assert.deepEqual([...argmaxRows([0.5, 0.5], 2)], [0]); // first maximum wins
  const rep = classificationReport([0, 1, 2, 2], argmaxRows(probs, 3), ['a', 'b', 'c'], probs);
  near(rep.accuracy, 0.75);
  assert.deepEqual(rep.confusion, [[1, 0, 0], [0, 1, 0], [1, 0, 1]]);
  assert.equal(rep.perClass[2]!.label, 'c');
  near(rep.perClass[2]!.error, 0.5);
  near(rep.perClass[2]!.auc, 0.875);
  near(rep.perClass[0]!.precision, 0.5);
  near(rep.macroAuc, (1 + 1 + 0.875) / 3);
  assert.ok(Number.isNaN(classificationReport([0, 1], [0, 1], ['a', 'b']).macroAuc));
});

test('bad input is typed', () => {
  assert.throws(() => confusionMatrix([0, 1], [0], 2), ShapeError);
  assert.throws(() => confusionMatrix([0, 3], [0, 1], 2), (e: unknown) => e instanceof ValueError && /\[0, 2\)/.test(e.message) && /3 at index 1/.test(e.message));
  assert.throws(() => confusionMatrix([0.5], [0], 2), ValueError);
  assert.throws(() => rocAucOvR([0.1, 0.9], [0, 1], 2), ShapeError);
});
