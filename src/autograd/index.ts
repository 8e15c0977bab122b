export { backward, noGrad, isGradEnabled, needsGrad, recordOp, defineOp, type OpDefinition } from './engine.js';
export { gradcheck, type GradcheckOptions, type GradcheckResult } from './gradcheck.js';
