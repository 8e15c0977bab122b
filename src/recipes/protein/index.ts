/** The protein-stability recipe: EvoStability D/L, ridge baseline, BiGRU, OOD splits, saturation maps. */
export { AMINO, STABILITY_DIR, loadStability, parseStability, encodeResidues, aminoIndex, rowsOf, type Protein, type StabilityData } from './data.js';
export { pearson, spearman, ranks, perProtein, meanSd, MIN_PER_PROTEIN, type PerProtein, type ProteinScore } from './metrics.js';
export { SPLIT_KINDS, SPLIT_LABELS, outerFolds, innerSplit, randomFolds, proteinFolds, groupedSplit, type SplitKind, type Fold } from './splits.js';
export { fitRidge, ridgePredict, featureRow, ridgeWidth, RIDGE_LAMBDAS, type RidgeModel } from './baselines.js';
export { StabilityNet, makeBatch, DEFAULT_SPEC, type StabilityNetSpec, type SeqInput, type MutInput, type StabilityBatch } from './model.js';
export { fitNet, predictRows, modelData, type FitOptions, type FittedNet, type ModelData, type EpochRecord } from './fit.js';
export { runStability, runSplit, VARIANTS, VARIANT_LABELS, type Variant, type StabilityOptions, type SplitResult, type MethodResult, type ResolvedOptions } from './run.js';
export { publishedAnchors, ANCHORS, type AnchorRow } from './anchors.js';
export { saveNet, loadNets, netFile, type LoadedNet } from './checkpoint.js';
export { saturationMap, saturationCsv, saturationHeatmap, type SaturationMap } from './saturation.js';
export { simulateStability, HYDROPATHY, type SimOptions, type SimData } from './synthetic.js';
export { confounderDemo, type ConfounderResult, type ConfounderRow } from './confounder.js';
export { formatStability, stabilityReport, verdicts, TARGETS } from './report.js';
