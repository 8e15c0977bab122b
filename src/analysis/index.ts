/**
 * Analysis instruments for trained recurrent networks (issue 5): gradient flow through time,
 * step-map Jacobians and their spectra, Lyapunov exponents, fixed/slow points, continual
 * learning (forgetting, EWC, OGD). All numerics in float64 on snapshots of the weights.
 */
export {
  cellOf, cellFromWeights, stepValues, stepTensor, stepCache, trajectory, layerInput, initialState, timeMajor, f64,
  type Cell, type CellOfOptions, type CellModule, type RecurrentModule, type StepCache,
} from './cell.js';
export { jacobian, jacobianAutodiff, linearize, type AutodiffJacobianOptions, type Linearization } from './jacobian.js';
export {
  matrix, toRows, identity, zerosMatrix, transposeMatrix, matmulMatrix, matvec, qr, solve, modulus, type Matrix, type Complex,
} from './linalg.js';
export { eigenvalues, svd, singularValues, realEigenvector } from './eig.js';
export { gradientFlow, lastStep, type GradientFlowOptions, type GradientFlowResult, type JacobianProductSpectrum } from './gradient-flow.js';
export {
  lyapunovExponents, cellSystem, linearSystem, type StepSystem, type CellSystemOptions, type LyapunovOptions, type LyapunovResult,
} from './lyapunov.js';
export {
  findFixedPoints, sampleStates, classify, slowManifold,
  type FixedPoint, type FixedPointOptions, type FixedPointResult, type SampleStatesOptions, type SlowManifold, type Stability,
} from './fixed-points.js';
export {
  measureForgetting, forgettingFromMatrix, fisherDiagonal, EWC, GradientBasis, gradientBasis, projectGradients, flatGrad,
  type ForgettingReport,
} from './continual.js';
export { plotSvg, type LinePlot, type LineSeries, type SvgOptions } from './plot-svg.js';
