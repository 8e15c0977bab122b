export { backward, noGrad, isGradEnabled, needsGrad, recordOp } from './engine.js';
export { gradcheck, type GradcheckOptions, type GradcheckResult } from './gradcheck.js';
