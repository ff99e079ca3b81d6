// What the emulators and demo modules need when run on their own (`npm exec -- node <file>`):
// option checks that exit 2 with a clear message, and a clean exit on Ctrl-C / SIGTERM.

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
