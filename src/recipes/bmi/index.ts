/** BMI decoding recipe (issue 10, part 2): Wiener and Kalman filters vs LSTM/GRU decoders. */
export { runBmi, foldsOf, foldFile, type BmiOptions, type BmiResult, type BmiProgress, type BmiFold, type SplitSpec } from './run.js';
export { formatSummary, summarise, quantile, type SplitSummary, type SystemSummary } from './summary.js';
export { bmiReport, GLASER_S1 } from './report.js';
export { loadRecording, matchColumns, contiguousFolds, crossFileSplit, samplesOf, laggedDesign, r2, rowsOf, type Recording, type Fold, type Block } from './data.js';
export { ridgeFit, linearPredict, kalmanFit, kalmanRunner, kalmanFilter, RIDGE_GRID, KALMAN_C_GRID, type KalmanModel } from './baselines.js';
export { saveFold, loadFold, decodeBlock, FoldStream, type SavedFold, type FoldPredictions } from './deploy.js';
export { loadRunDecoders, evalDecodeFile, evalOwnFolds, predictDecodeFile, recordingFor, type RunDecoders, type DecodeEval } from './inference.js';
export { WindowDecoder, StreamingDecoder, fitDecoder, decode, type DecoderSpec, type Series } from './model.js';

/** Built-in data sets (files relative to the data directory). */
export const BMI_PRESETS = {
  'bmi-chewie': {
    lags: 13,
    splits: [
      { name: 'chewie-Ytr-cv', kind: 'cv', file: 'bmi-reaching/chewie_Ytr_Xtr.csv' },
      { name: 'chewie-Yte-cv', kind: 'cv', file: 'bmi-reaching/chewie_Yte_Xte.csv' },
      { name: 'chewie-Ytr-to-Yte', kind: 'cross', trainFile: 'bmi-reaching/chewie_Ytr_Xtr.csv', testFile: 'bmi-reaching/chewie_Yte_Xte.csv' },
      { name: 'chewie-Yte-to-Ytr', kind: 'cross', trainFile: 'bmi-reaching/chewie_Yte_Xte.csv', testFile: 'bmi-reaching/chewie_Ytr_Xtr.csv' },
    ],
  },
  // Mihi's bins are probably 200 ms (rates in multiples of 5 per s): 3 bins before ≈ 0.8 s of history.
  // Its two sessions have different units; the test file is held back, so only CV on the training file.
  'bmi-mihi': {
    lags: 3,
    splits: [{ name: 'mihi-Ytr-cv', kind: 'cv', file: 'bmi-reaching/mihi_Ytr_Xtr.csv' }],
  },
} as const;
