// pino JSON logger with secret redaction: by key (any depth) and by value (exact config secrets).
import { pino } from 'pino';
import type { DestinationStream, LevelWithSilentOrString, LoggerOptions } from 'pino';
import { createValueRedactor, redactLogObject, redactSecretKeys } from './redact.ts';

export type Logger = pino.Logger;
export type LogLevel = LevelWithSilentOrString;

export interface CreateLoggerOptions {
  /** App or component name, written as `name` on every line. */
  name: string;
  /** Default 'info'. */
  level?: LogLevel;
  /**
   * Exact secret strings (API keys, tokens, webhook URLs, passwords from the config, e.g.
   * `secretsFromEnv(process.env)`): replaced by '[REDACTED]' wherever they occur in a line.
   * Strings shorter than 6 characters and purely numeric ones are ignored.
   */
  secrets?: readonly string[];
  /** Where lines go. Default: stdout, written asynchronously (see `logDestination`). */
  destination?: DestinationStream;
}

/**
 * A buffered, asynchronous pino destination (a file descriptor or a path): lines collect in memory
 * and go out in one write once 4 KiB are waiting or every `flushIntervalMs`, instead of one system
 * call per line (which costs more than a quick run itself). A line reaches the output at most
 * `flushIntervalMs` late; call `logger.flush()` before exiting.
 */
export function logDestination(target: number | string = 1, flushIntervalMs = 200): DestinationStream {
  const destination = pino.destination({ dest: target, sync: false, minLength: 4096 });
  const timer = setInterval(() => {
    try {
      destination.flush();
    } catch {
      // not open yet, or closing: the next tick or the final flush writes the lines
    }
  }, flushIntervalMs);
  timer.unref();
  destination.on('close', () => clearInterval(timer));
  return destination;
}

/** pino's error serializer, followed by key redaction of the serialized error (and its props). */
function serializeError(value: unknown): unknown {
  return redactSecretKeys(pino.stdSerializers.err(value as Error));
}

/**
 * Child bindings (`logger.child({...})`, `setBindings`) are serialized once, when the child is made,
 * without going through `formatters.log`: redact them there. Installed on the root logger, the
 * override is inherited by every descendant (pino children are `Object.create(parent)`).
 */
function redactBindingsOf(logger: Logger): void {
  // pino's generic method types do not survive being wrapped: wrap them as plain functions.
  type Method = (this: object, ...args: unknown[]) => unknown;
  const methods = logger as unknown as Record<'child' | 'setBindings', Method>;
  const { child, setBindings } = methods;
  methods.child = function redactedChild(this: object, bindings: unknown, ...rest: unknown[]) {
    return child.call(this, redactSecretKeys(bindings), ...rest);
  };
  methods.setBindings = function redactedSetBindings(this: object, bindings: unknown) {
    return setBindings.call(this, redactSecretKeys(bindings));
  };
}

/**
 * Create the app's logger: JSON lines with `time` (ISO), `level` (label), `name`, and secrets
 * redacted. A line of flat primitive fields goes through one key test per field and, without
 * `secrets`, no hook at all.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const streamWrite = createValueRedactor(options.secrets ?? []);
  const pinoOptions: LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: redactLogObject,
    },
    serializers: { err: serializeError, error: serializeError },
    ...(streamWrite === undefined ? {} : { hooks: { streamWrite } }),
  };
  const logger = pino(pinoOptions, options.destination ?? logDestination(1));
  redactBindingsOf(logger);
  return logger;
}

export interface RunContext {
  /** BullMQ's job id (`job.id`, possibly undefined in its types). */
  jobId: string | undefined;
  jobName: string;
  runId: string;
  queue?: string;
}

/** A child logger whose every line carries the run's `jobId`, `jobName`, `runId` and `queue`. */
export function withRunContext(logger: Logger, context: RunContext): Logger {
  const { jobId, jobName, runId, queue } = context;
  return logger.child(queue === undefined ? { jobId, jobName, runId } : { jobId, jobName, runId, queue });
}
