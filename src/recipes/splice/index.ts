/** The sequence-classification recipe (the UCI splice-junction preset, or the user's own FASTA/CSV): data, folds, model, baselines, published table, runner. */
export { runSplice, meanSd, encode, SOURCE_KEYS, type SpliceOptions, type SpliceResult, type SpliceProgress, type SpliceSystemResult, type SpliceFoldResult, type SpliceMember } from './run.js';
export { formatSpliceSummary, selectionLines } from './result.js';
export { SELECT_GRID, SELECT_ENSEMBLES, selectMembers, type FoldSelection } from './select.js';
export { loadSplice, parseSplice, dedupSplice, dedupOrKeep, describeDedup, type DedupCounts, SPLICE_CLASSES, SPLICE_DATA_PATH, type SpliceData, type SpliceClass } from './data.js';
export { stratifiedKFold, stratifiedSplit, stratifiedSample, groupKFold, groupSplit, type Fold } from './folds.js';
export { SpliceNet, type SpliceNetOptions, type Pooling } from './model.js';
export { fitClassifier, predictProbs, subset, batchOf, type EncodedSet, type FitOptions, type FitResult, type EpochRecord, type Classifier } from './train.js';
export { LogisticRegression, kmerLogisticBaseline, oneHotLogisticBaseline, oneHotFeatures, ONEHOT_L2_GRID, majorityClass, majorityProbs, type LogisticRegressionOptions } from './baselines.js';
export { PUBLISHED_SPLICE, bestPublished, type PublishedRow } from './published.js';
export { formatSpliceTable, spliceVerdict, matchesPublished, publishedProtocolNote, PUBLISHED_PROTOCOL, type RunProtocol, type ErrorRow, type TableOptions, type SpliceVerdict } from './table.js';
export { spliceReport, classifyReport } from './report.js';
export { formatClassifyTable, classVerdict, strongestBaselineOf, type ClassRow } from './classify-table.js';
export { loadSequences, checkSource, checkClassSizes, checkData, ownData, type SequenceSource } from './sequences.js';
export { memberFile, loadMember, saveMember, buildNet, type MemberMeta, type SpliceNetSpec } from './checkpoint.js';
export { evalSpliceRun, predictSpliceRun, fastaSequences, csvSequences, spliceRunOptions, runAlphabet, type SequenceInput, type SplicePrediction } from './inference.js';
