/** Build an optimizer from a typed config with a `kind` tag. */
import type { Tensor } from '../tensor/tensor.js';
import { OptionError } from '../util/errors.js';
import type { BaseHyper, Optimizer, ParamGroup } from './optimizer.js';
import { SGD, type SGDOptions } from './sgd.js';
import { Adam, AdamW, type AdamOptions } from './adam.js';
import { RMSprop, type RMSpropOptions } from './rmsprop.js';

/** An optimizer as a typed config, e.g. read from a training recipe. */
export type OptimizerConfig =
  | ({ kind: 'sgd' } & SGDOptions)
  | ({ kind: 'adam' } & AdamOptions)
  | ({ kind: 'adamw' } & AdamOptions)
  | ({ kind: 'rmsprop' } & RMSpropOptions);

/**
 * Build an optimizer from its config (options as for the class; unknown ones throw OptionError).
 * @example
 * const opt = makeOptimizer(model.parameters(), { kind: 'adamw', lr: 3e-4, weightDecay: 0.1 });
 */
export function makeOptimizer(params: readonly Tensor[] | readonly ParamGroup<Record<string, unknown>>[], config: OptimizerConfig): Optimizer<BaseHyper> {
  const { kind, ...rest } = config;
  // Group option objects are checked by the optimizer itself; the casts only widen types.
  switch (kind) {
    case 'sgd':
      return new SGD(params as readonly ParamGroup<SGDOptions>[], rest as SGDOptions);
    case 'adam':
      return new Adam(params as readonly ParamGroup<AdamOptions>[], rest as AdamOptions);
    case 'adamw':
      return new AdamW(params as readonly ParamGroup<AdamOptions>[], rest as AdamOptions);
    case 'rmsprop':
      return new RMSprop(params as readonly ParamGroup<RMSpropOptions>[], rest as RMSpropOptions);
    default:
      throw new OptionError('makeOptimizer', "kind 'sgd', 'adam', 'adamw' or 'rmsprop'", `'${String(kind)}'`);
  }
}
