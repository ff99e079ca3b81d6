// `npm test`: type-check and lint every package (turbo), then every vitest test against real Redis,
// Postgres and Kafka (the global setup starts what is missing). Ends with one line
// `N passed, N failed` counting the tests plus the two static checks; exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const resultsFile = join(root, 'test-results', 'vitest.json');
// kafkajs 2.2.4 passes a negative delay to setTimeout on Node 24 (harmless, unreleased fix upstream)
const nodeOptions = [process.env.NODE_OPTIONS, '--disable-warning=TimeoutNegativeWarning'].filter(Boolean).join(' ');
const env = { ...process.env, NODE_OPTIONS: nodeOptions, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', FORCE_COLOR: process.env.CI ? '0' : process.env.FORCE_COLOR };
const bin = (name: string): string => join(root, 'node_modules', '.bin', name);
const extraArgs = process.argv.slice(2);

let passed = 0;
let failed = 0;

function check(name: string, steps: Array<[command: string, args: string[]]>): void {
  process.stdout.write(`\n== ${name}\n`);
  for (const [command, args] of steps) {
    const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' });
    if (result.status !== 0) {
      failed += 1;
      process.stdout.write(`!! ${name} failed: ${[command.split('/').pop(), ...args].join(' ')} (exit ${result.status ?? result.signal})\n`);
      return;
    }
  }
  passed += 1;
}

if (extraArgs.length === 0) {
  // every package (turbo), then the cross-app tests, emulators, infra and benchmarks
  check('check-types', [
    [bin('turbo'), ['run', 'check-types', '--output-logs=errors-only', '--concurrency=2']],
    [bin('tsc'), ['-p', 'test']],
  ]);
  check('lint', [
    [bin('turbo'), ['run', 'lint', '--output-logs=errors-only', '--concurrency=2']],
    [bin('eslint'), ['test', 'bench', 'vitest.config.ts', 'eslint.config.js']],
  ]);
}

process.stdout.write('\n== tests (vitest)\n');
mkdirSync(join(root, 'test-results'), { recursive: true });
rmSync(resultsFile, { force: true });
const vitest = spawnSync(
  bin('vitest'),
  ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${resultsFile}`, ...extraArgs],
  { cwd: root, env, stdio: 'inherit' },
);
try {
  const report = JSON.parse(readFileSync(resultsFile, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
    numFailedTestSuites: number;
  };
  passed += report.numPassedTests;
  // a file that failed to load has no failed tests but must not pass silently
  failed += report.numFailedTests + (report.numFailedTests === 0 ? report.numFailedTestSuites : 0);
  const skipped = report.numPendingTests + report.numTodoTests;
  if (skipped > 0) process.stdout.write(`(${skipped} skipped or todo tests count as failed: a skipped test is a missing test)\n`);
  failed += skipped;
  if (report.numPassedTests === 0) failed += 1;
} catch {
  process.stdout.write(`!! vitest produced no report (exit ${vitest.status ?? vitest.signal})\n`);
  failed += 1;
}
if (vitest.status !== 0 && failed === 0) failed += 1;

process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
