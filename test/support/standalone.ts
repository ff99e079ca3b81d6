// What the emulators and demo modules need when run on their own (`npm exec -- node <file>`):
// option checks that exit 2 with a clear message, and a clean exit on Ctrl-C / SIGTERM.
import type { DemoContext, DemoPart } from '../demo/types.ts';

/** Prints `<tool>: <message>` on stderr and exits 2 (bad usage). */
export function usageError(tool: string, message: string): never {
  process.stderr.write(`${tool}: ${message}\n`);
  process.exit(2);
}

/** An integer option between `min` and `max`, or undefined when absent; anything else exits 2. */
export function integerOption(tool: string, value: string | undefined, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) usageError(tool, `--${name} must be an integer between ${min} and ${max}`);
  return n;
}

/** On SIGINT or SIGTERM: `close()`, then exit 0 (1 if closing failed). */
export function exitOnSignal(close: () => Promise<void>): void {
  const stop = (): void => {
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/**
 * A sync's demo module run on its own: starts it on the servers the environment names (REDIS_URL,
 * DATABASE_URL, KAFKA_BROKERS, FLEET_PREFIX), prints the env its app needs, and runs until Ctrl-C.
 */
export async function runDemoStandalone(app: string, start: (context: DemoContext) => Promise<DemoPart>): Promise<void> {
  const demo = await start({
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/syncfleet',
    kafkaBrokers: (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean),
    fleetPrefix: process.env.FLEET_PREFIX ?? 'syncfleet',
    log: (msg) => process.stdout.write(`${msg}\n`),
  });
  process.stdout.write(`env for apps/${app}:\n${Object.entries(demo.env).map(([k, v]) => `  ${k}=${v}`).join('\n')}\n`);
  exitOnSignal(() => demo.stop());
  // the demo's own timers keep sample data flowing; this keeps the process up until a signal
  setInterval(() => undefined, 1 << 30);
}
