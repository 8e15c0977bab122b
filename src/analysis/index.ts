/**
 * Analysis instruments for trained recurrent networks (issue 5): gradient flow through time,
 * step-map Jacobians and their spectra, Lyapunov exponents, fixed/slow points, continual
 * learning (forgetting, EWC, OGD), Koopman operator approximations (DMD, EDMD, kernel EDMD). All numerics in float64 on snapshots of the weights.
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
export { eigenvectors, type EigenDecomposition, type EigenvectorOptions } from './eigvec.js';
export { cmatmul, csolveMatrix, clu, cluSolve, czeros, complexOf, ccolumn, centry, cmul, cpow, type CMatrix, type CLU } from './complex.js';
export {
  dmd, edmd, kernelEdmd, gaussianKernel, polynomialKernel, snapshotPairs,
  type KoopmanResult, type KoopmanData, type Snapshots, type Trajectory, type DmdOptions, type EdmdOptions, type KernelEdmdOptions, type Kernel,
} from './koopman.js';
export {
  identity as identityDictionary, monomials, hermite, hermitePolynomial, rbf, custom, concat, compose, logAugmented, delays, delayEmbed, exponents,
  type Dictionary,
} from './dictionaries.js';
export {
  validityCheck, conservedQuantities,
  type ValidityEntry, type ValidityOptions, type ConservedQuantity, type ConservedOptions, type ConservedResult,
} from './koopman-checks.js';
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
