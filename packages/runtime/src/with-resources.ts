import type { WorkerApp } from './worker-app.ts';

/**
 * A worker app that owns more than the runtime gives it (a pool of its own, a client): `release`
 * runs once, after the worker stopped or when its start failed; `onStarted` after a good start.
 */
export function withResources(inner: WorkerApp, release: () => Promise<void>, onStarted?: () => void): WorkerApp {
  let released: Promise<void> | undefined;
  const releaseOnce = (): Promise<void> => (released ??= release());
  const app: WorkerApp = {
    log: inner.log,
    registry: inner.registry,
    get healthPort() {
      return inner.healthPort;
    },
    async start() {
      try {
        await inner.start();
      } catch (error) {
        await releaseOnce();
        throw error;
      }
      onStarted?.();
    },
    async stop() {
      try {
        await inner.stop();
      } finally {
        await releaseOnce();
      }
    },
    flushLedger: () => inner.flushLedger(),
    async [Symbol.asyncDispose]() {
      await app.stop();
    },
  };
  return app;
}
