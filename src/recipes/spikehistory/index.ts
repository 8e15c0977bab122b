/** Spike-history recipe (issue 10, part 3): PSTH vs GLM with a spike-history filter vs a GRU. */
export { runSpikeHistory, formatSpikeHistory, type SpikeHistoryOptions, type SpikeHistoryResult, type ModelScore } from './run.js';
export { spikeHistoryReport, spikeVerdict } from './report.js';
export { DEFAULT_NEURON, simulateTrials, frozenStimulus, refractoryViolations, historyRatio, adaptationIndex, type NeuronParams } from './simulate.js';
export { glmFit, glmRate, glmSample, psthFit, poissonLL, SpikeRnn, rnnFit, rnnRate, rnnSample } from './models.js';
