/** ICU mortality from irregular vitals (PhysioNet/CinC 2012 set A) and user long-format series. */
export {
  loadPhysionet2012, loadIrregularCsv, parseLongFormat, parseLabels, parseTime, binHourly, PHYSIONET_STATICS,
  type IrregularData, type Stay, type Obs, type Binned, type LongFormatOptions,
} from './data.js';
export { fitScaler, scaleValue, staticMatrix, sequenceInputs, type Scaler, type SeqInputs } from './features.js';
export { summaryFeatures, standardiseColumns, fitLogistic, predictLogistic, selectLogistic, LR_LAMBDAS, type Logistic, type SummaryKind } from './baselines.js';
export { IcuNet, makeBatch, MODEL_KINDS, MODEL_LABELS, type ModelKind, type IcuBatch } from './model.js';
export { auprc, event1, bestEvent1Threshold, calibrationBins, meanStd } from './metrics.js';
export { runIcu, DEFAULT_CONFIG, METHOD_KINDS, METHOD_LABELS, type IcuConfig, type IcuResults, type FoldResult, type MethodKind } from './run.js';
export { icuReport, summaryText, verdicts, pairedDiff, calibrationChart, ANCHORS } from './report.js';
export { saveResults, loadResults, mergeResults } from './results-io.js';
export { syntheticIrregular, toLongCsv, type SyntheticIrregularOptions } from './synthetic.js';
