// The daemon's level-triggered syncs of the fabric (cloud load balancer, externalIP routes).

/** Call it to ask for a sync; stop() ends the syncs, once the running one (if any) is done. */
export interface SerialSync {
  (): void;
  stop(): Promise<void>;
}

/**
 * A level-triggered sync run one at a time: calls made while it runs fold into one more run
 * (which reads the latest state), instead of queueing a full sync per Service event batch.
 */
export function serialSync(sync: () => Promise<void>, onError: (e: Error) => void): SerialSync {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const run = (() => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    // Through a promise: a sync that throws at once is reported like one that rejects.
    running = Promise.resolve()
      .then(sync)
      .catch((e: unknown) => onError(e instanceof Error ? e : new Error(String(e))))
      .finally(() => {
        running = undefined;
        if (again && !stopped) {
          again = false;
          run();
        }
      });
  }) as SerialSync;
  run.stop = async () => {
    stopped = true;
    again = false;
    // No run starts once stopped: the one going on is the last.
    if (running) await running;
  };
  return run;
}
