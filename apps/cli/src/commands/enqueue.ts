import { readFileSync } from 'node:fs';
import { Option } from 'commander';
import type { EnqueueResult, JobOutcome } from '@syncfleet/control';
import { parseSeconds } from '../arguments.ts';
import { exitCodes, UsageError } from '../errors.ts';
import { assertJobName } from '../names.ts';
import type { RegisterCommand } from '../program.ts';

interface EnqueueOptions {
  data?: string;
  dataFile?: string;
  dryRun?: boolean;
  wait?: boolean;
  timeout?: number;
}

const defaultTimeoutSeconds = 300;

/** Where `JSON.parse` stopped: the line of the text with a caret under the character. */
function pointAt(text: string, index: number): string[] {
  const lineStart = text.lastIndexOf('\n', index - 1) + 1;
  const lineEnd = text.indexOf('\n', index) === -1 ? text.length : text.indexOf('\n', index);
  const line = text.slice(lineStart, lineEnd);
  const column = index - lineStart;
  // a long line is shown around the spot only
  const from = Math.max(0, column - 40);
  const shown = line.slice(from, column + 40);
  const lineNumber = text.slice(0, lineStart).split('\n').length;
  return [`line ${lineNumber}, column ${column + 1}:`, `  ${from > 0 ? '…' : ''}${shown}`, `  ${from > 0 ? ' ' : ''}${' '.repeat(column - from)}^`];
}

/** JSON text -> value; invalid JSON is bad input (exit 2) with the place where it breaks. */
export function parsePayloadJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /at position (\d+)/.exec(message)?.[1];
    const details =
      position !== undefined
        ? pointAt(text, Number(position))
        : /end of JSON input/.test(message)
          ? [text.trim() === '' ? 'the payload is empty (use {} for none)' : 'the text ends too early: an unclosed {, [ or " ?']
          : [];
    throw new UsageError(`${source} is not valid JSON: ${message}; nothing was enqueued`, details);
  }
}

function readPayload(options: EnqueueOptions): unknown {
  if (options.data !== undefined) return parsePayloadJson(options.data, '--data');
  if (options.dataFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.dataFile === '-' ? 0 : options.dataFile, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --data-file ${options.dataFile}: ${error instanceof Error ? error.message : String(error)}; nothing was enqueued`);
    }
    return parsePayloadJson(text, `--data-file ${options.dataFile}`);
  }
  return {};
}

function describeQueued(job: string, result: EnqueueResult, dryRun: boolean): string {
  const what = `${job}${dryRun ? ' (dry run)' : ''}`;
  return result.deduplicated
    ? `${what} is already waiting as job ${result.jobId} on queue ${result.queue}: nothing new was queued (that job keeps its own payload)`
    : `queued ${what} as job ${result.jobId} on queue ${result.queue}`;
}

/** The worker's return value says whether the run did its work (succeeded/skipped) or was refused. */
function runStatusOf(outcome: JobOutcome): { status: string | undefined; reason: string | undefined } {
  const value = (typeof outcome.returnvalue === 'object' ? outcome.returnvalue : null) as { status?: unknown; reason?: unknown } | null;
  return {
    status: typeof value?.status === 'string' ? value.status : undefined,
    reason: typeof value?.reason === 'string' ? value.reason : undefined,
  };
}

export const registerEnqueue: RegisterCommand = (program, kit) => {
  program
    .command('enqueue')
    .description("validate a payload against the job's schema and queue the job; --wait follows it to its end")
    .argument('<job>', 'job name, e.g. sample.echo (see `fleet jobs`)')
    .addOption(new Option('--data <json>', 'the payload as JSON (default: {})').conflicts('dataFile'))
    .addOption(new Option('--data-file <file>', 'read the payload from a JSON file (- reads stdin)'))
    .option('--dry-run', 'compute and report, write nothing (adds dryRun: true to the payload)')
    .option('--wait', 'follow the job to its end; print its result or its error (exit 1 if it fails or times out)')
    .addOption(new Option('--timeout <seconds>', `with --wait: how long to follow it (default ${defaultTimeoutSeconds})`).argParser(parseSeconds))
    .addHelpText(
      'after',
      `
A second trigger while the same job is still waiting returns the waiting one (nothing new is queued).
Examples:
  fleet enqueue sample.echo --data '{"records":3}' --wait
  fleet enqueue sample.heal --dry-run --wait --timeout 60 --json`,
    )
    .action(
      kit.run(async (io, job: string, options: EnqueueOptions) => {
        if (options.timeout !== undefined && !options.wait) throw new UsageError('--timeout only applies with --wait');
        const control = kit.context.control();
        // Everything is checked before any connection is opened: bad input never reaches Redis.
        assertJobName(control, job);
        const payload = readPayload(options);
        const dryRun = options.dryRun === true;
        control.validate(job, payload, { dryRun });

        await kit.context.connect({ redis: true });
        const queued = await control.enqueue(job, payload, { dryRun });
        const document = { job, jobId: queued.jobId, queue: queued.queue, deduplicated: queued.deduplicated, dryRun };
        if (!options.wait) {
          io.print(document, () => `${describeQueued(job, queued, dryRun)}\n`);
          return exitCodes.ok;
        }

        const timeoutSeconds = options.timeout ?? defaultTimeoutSeconds;
        io.note(`${describeQueued(job, queued, dryRun)}; waiting for it to end (up to ${timeoutSeconds}s)…`);
        const outcome = await control.waitFor(queued.queue, queued.jobId, timeoutSeconds * 1000);
        const run = runStatusOf(outcome);
        const ended = outcome.state === 'completed' || outcome.state === 'failed';
        const succeeded = outcome.state === 'completed' && run.status !== 'refused';
        io.print(
          {
            ...document,
            state: outcome.state,
            succeeded,
            timedOut: !ended && outcome.state !== 'unknown',
            attemptsMade: outcome.attemptsMade,
            result: outcome.returnvalue,
            failedReason: outcome.failedReason,
          },
          () => (outcome.state === 'completed' ? `job ${queued.jobId} completed (${run.status ?? 'done'}); result:\n${JSON.stringify(outcome.returnvalue, null, 2)}\n` : ''),
        );
        if (succeeded) return exitCodes.ok;
        if (outcome.state === 'completed') io.warn(`fleet: job ${queued.jobId} (${job}) was refused: ${run.reason ?? 'no reason given'}`);
        else if (outcome.state === 'failed') {
          io.warn(`fleet: job ${queued.jobId} (${job}) failed after ${outcome.attemptsMade} attempt(s): ${outcome.failedReason ?? 'no reason given'}`);
        } else if (outcome.state === 'unknown') {
          io.warn(`fleet: job ${queued.jobId} (${job}) disappeared from queue ${queued.queue} before it ended (removed by \`fleet clean\`?)`);
        } else {
          io.warn(`fleet: timed out after ${timeoutSeconds}s: job ${queued.jobId} (${job}) is still ${outcome.state}; it was not cancelled`);
        }
        return exitCodes.failed;
      }),
    );
};
