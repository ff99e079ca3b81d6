#!/usr/bin/env node
// `fleet`: see program.ts. Exits with 0 (ok), 1 (the operation failed) or 2 (bad usage or input).
import { runFleet } from './program.ts';

const exitCode = await runFleet(process.argv.slice(2), {
  env: process.env,
  output: { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) },
});
process.exitCode = exitCode;
// Every connection is closed by now; should a library still hold a handle, do not hang on it.
setTimeout(() => process.exit(exitCode), 2000).unref();
