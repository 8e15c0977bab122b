/**
 * Clean Ctrl-C: the first SIGINT (or SIGTERM) asks the training loop to stop after the current
 * step and save a checkpoint; a second one exits at once (status 130).
 */
export interface StopFlag {
  /** True once a stop was asked for. */
  readonly requested: boolean;
  /** Call `fn` when a stop is asked for (at once if it already was); returns an unsubscribe. */
  listen(fn: () => void): () => void;
  /** Remove the handlers. */
  dispose(): void;
}

/**
 * Install the handlers; `onFirst` is told (e.g. to print "stopping after this step…").
 * @example
 * const stop = onInterrupt(() => log('stopping…'));
 * const off = stop.listen(() => trainer.stop());
 * try { await trainer.fit(); } finally { off(); stop.dispose(); }
 */
export function onInterrupt(onFirst?: (signal: string) => void): StopFlag {
  let requested = false;
  const listeners = new Set<() => void>();
  const handler = (signal: NodeJS.Signals): void => {
    if (requested) process.exit(130);
    requested = true;
    onFirst?.(signal);
    for (const fn of listeners) fn();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    get requested() {
      return requested;
    },
    listen(fn: () => void) {
      listeners.add(fn);
      if (requested) fn();
      return () => void listeners.delete(fn);
    },
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** Let pending signal handlers run (the training loop is otherwise synchronous). */
export function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
