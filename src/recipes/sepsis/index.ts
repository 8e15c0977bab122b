/** The sepsis-POMDP recipe: simulator, exact values, Bayes filter, agents, probes, OPE, report. */
export * from './simulator.js';
export * from './exact.js';
export * from './filter.js';
export * from './agent.js';
export * from './train.js';
export * from './probe.js';
export * from './ope.js';
export * from './run.js';
export * from './report.js';
export * from './pomdp.js';
export * from './dagger.js';
export * from './hsvi.js';
export * from './crn.js';
export * from './exact-pomdp.js';
export * from './lp.js';
