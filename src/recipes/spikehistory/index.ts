/** Spike-history recipe (issue 10, part 3): PSTH vs GLM with a spike-history filter vs a GRU. */
export { runSpikeHistory, scoreSpikeHistory, runStimulus, spikeSettings, formatSpikeHistory, type SpikeHistoryOptions, type SpikeHistoryResult, type SpikeSettings, type ModelScore } from './run.js';
export { spikeHistoryReport, spikeVerdict } from './report.js';
export { DEFAULT_NEURON, simulateTrials, trueRate, frozenStimulus, refractoryViolations, historyRatio, adaptationIndex, type NeuronParams } from './simulate.js';
export { glmFit, glmRate, glmSample, psthFit, poissonLL } from './models.js';
export { SpikeRnn, DEFAULT_RNN_SHAPE, rnnFit, rnnRate, rnnSample, type SpikeRnnShape } from './rnn.js';
export { loadBaselines, loadAllGrus, type Fitted, type FittedGru } from './saved.js';
export { readSpikeCsv, scoreSpikeCsv, predictSpikeCsv, type SpikeCsv } from './csv.js';
