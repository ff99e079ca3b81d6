import type { WorkerApp } from './worker-app.ts';

/**
 * The few lines every app's main.ts shares: start, then stop cleanly on SIGTERM/SIGINT (a second
 * signal exits at once). Exit code 0 after a clean stop, 1 when start or stop failed.
 */
export async function runUntilSignalled(app: Pick<WorkerApp, 'start' | 'stop' | 'log'>): Promise<void> {
  process.on('unhandledRejection', (reason) => app.log.error({ err: reason }, 'unhandled rejection'));
  try {
    await app.start();
  } catch (error) {
    app.log.fatal({ err: error }, 'could not start');
    process.exitCode = 1;
    app.log.flush();
    return;
  }
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      app.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    app.log.info({ signal }, 'signal received: stopping');
    const exit = (code: number): void => app.log.flush(() => process.exit(code));
    app.stop().then(
      () => exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'stop failed');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
