// The daemon's level-triggered syncs of the fabric (cloud load balancer, externalIP routes).

/**
 * A level-triggered sync run one at a time: calls made while it runs fold into one more run
 * (which reads the latest state), instead of queueing a full sync per Service event batch.
 */
export function serialSync(sync: () => Promise<void>, onError: (e: Error) => void): () => void {
  let running = false;
  let again = false;
  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    void sync()
      .catch(onError)
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          run();
        }
      });
  };
  return run;
}
