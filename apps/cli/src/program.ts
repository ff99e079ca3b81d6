// The `fleet` program: commander wiring, --json, exit codes. Each command lives in commands/*.ts
// and is listed once in commands/index.ts.
import { Command, CommanderError } from 'commander';
import type { EnvSource } from '@syncfleet/config';
import { catalogue as fleetCatalogue, type AnyCatalogue } from '@syncfleet/jobs';
import { commands } from './commands/index.ts';
import { createCliContext, type CliContext } from './context.ts';
import { exitCodes, redactUrls, reportError } from './errors.ts';
import type { CliOutput } from './output.ts';
import pkg from '../package.json' with { type: 'json' };

/** What an action sees: how to print its result, and whether the user asked for JSON. */
export interface ActionIO {
  json: boolean;
  /** The command's result: one JSON document with --json, else the text for humans. */
  print(document: unknown, human: () => string): void;
  /** A line for humans on stdout (progress, notes); nothing with --json. */
  note(text: string): void;
  /** A line on stderr, in both modes. */
  warn(text: string): void;
}

type Action<A extends unknown[]> = (io: ActionIO, ...args: A) => Promise<number | void>;

/** Handed to every command file: the lazily connected context and the action wrapper. */
export interface CommandKit {
  context: CliContext;
  /** Wraps an action: works out --json, records the exit code it returns (default 0). */
  run<A extends unknown[]>(action: Action<A>): (...args: unknown[]) => Promise<void>;
}

/** One command file: adds its command(s) to the program. */
export type RegisterCommand = (program: Command, kit: CommandKit) => void;

export interface FleetProgramOptions {
  output: CliOutput;
  env: EnvSource;
  catalogue?: AnyCatalogue;
}

interface RunState {
  exitCode: number;
  json: boolean;
}

const helpAfter = `
Environment:
  REDIS_URL      Redis of the fleet (default redis://127.0.0.1:6379)
  DATABASE_URL   Postgres with the run ledger (default postgres://postgres@127.0.0.1:5432/syncfleet)
  FLEET_PREFIX   the fleet's key prefix (default syncfleet)

Exit codes:
  0  ok
  1  the operation failed (a job failed or timed out with --wait, Redis or Postgres unreachable)
  2  bad usage or invalid input (unknown command, job, queue or sync; invalid JSON or payload):
     nothing was done`;

function buildProgram(kit: CommandKit, output: CliOutput): Command {
  const program = new Command('fleet')
    .description('Operate a syncfleet fleet: list jobs and runs, enqueue, pause, clean, retry, migrate.\nTalks to Redis and Postgres directly: works while the scheduler is down.')
    .version(pkg.version, '-V, --version')
    .option('--json', 'print one JSON document on stdout (for scripts)')
    .configureOutput({
      writeOut: (text) => output.stdout(text),
      writeErr: (text) => output.stderr(text),
      outputError: (text, write) => write(redactUrls(text)),
    })
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', helpAfter);
  for (const register of commands) register(program, kit);
  return program;
}

/** The commander program, for tests that look at its structure; `runFleet` runs it. */
export function createFleetProgram(options: FleetProgramOptions): { program: Command; context: CliContext; state: RunState } {
  const context = createCliContext(options.catalogue ?? fleetCatalogue, options.env);
  const state: RunState = { exitCode: exitCodes.ok, json: false };
  const { output } = options;
  const kit: CommandKit = {
    context,
    run<A extends unknown[]>(action: Action<A>) {
      return async (...args: unknown[]) => {
        const command = args.at(-1) as Command;
        state.json = command.optsWithGlobals<{ json?: boolean }>().json === true;
        const io: ActionIO = {
          json: state.json,
          print(document, human) {
            output.stdout(state.json ? `${JSON.stringify(document, null, 2)}\n` : human());
          },
          note(text) {
            if (!state.json) output.stdout(`${text}\n`);
          },
          warn(text) {
            output.stderr(`${redactUrls(text)}\n`);
          },
        };
        // commander passes (...arguments, options, command)
        const code = await action(io, ...(args.slice(0, -1) as A));
        state.exitCode = code ?? exitCodes.ok;
      };
    },
  };
  return { program: buildProgram(kit, output), context, state };
}

/** Runs `fleet <argv>` and resolves to its exit code; every connection is closed before it resolves. */
export async function runFleet(argv: readonly string[], options: FleetProgramOptions): Promise<number> {
  const { program, context, state } = createFleetProgram(options);
  const { output } = options;
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return state.exitCode;
  } catch (error) {
    const report = reportError(error);
    // commander has already printed its own errors (unknown command/option, missing argument...)
    if (!(error instanceof CommanderError)) {
      const lines = [`fleet: ${report.message}`, ...report.details.map((d) => `  ${d}`)];
      output.stderr(`${redactUrls(lines.join('\n'))}\n`);
      if (state.json) {
        const document = { error: { code: report.code, message: report.message, details: report.details, ...(report.issues ? { issues: report.issues } : {}) } };
        output.stdout(`${redactUrls(JSON.stringify(document, null, 2))}\n`);
      }
    }
    return report.exitCode;
  } finally {
    await context.close();
  }
}
