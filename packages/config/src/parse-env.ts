// Parse an app's environment once, at boot, against its zod schema, and report every problem at once.
import type { z } from 'zod';

/** What env parsing reads: `process.env` or a plain record in tests. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/** One problem with one variable. `variable` is the issue's path (`(config)` for a whole-object rule). */
export interface ConfigIssue {
  variable: string;
  message: string;
}

/** Values shorter than this are not scrubbed from messages (they would mangle ordinary words). */
const MIN_SCRUBBED_VALUE_LENGTH = 6;
const ROOT_VARIABLE = '(config)';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const count = `${issues.length} problem${issues.length === 1 ? '' : 's'}`;
    super([`Invalid configuration (${count}):`, ...issues.map((i) => `  - ${i.variable}: ${i.message}`)].join('\n'));
    this.issues = issues;
  }
}

function toConfigIssues(issues: readonly z.core.$ZodIssue[], env: EnvSource): ConfigIssue[] {
  // A message is written by zod, by our helpers or by the app's own refinements: none should quote
  // a value, but a custom message might. Scrub the values of every variable that has a problem.
  const values = new Set<string>();
  for (const issue of issues) {
    const name = issue.path[0];
    const value = typeof name === 'string' ? env[name] : undefined;
    if (value !== undefined && value.length >= MIN_SCRUBBED_VALUE_LENGTH) values.add(value);
  }
  const scrub = (message: string): string => {
    let scrubbed = message;
    for (const value of values) scrubbed = scrubbed.replaceAll(value, '[REDACTED]');
    return scrubbed;
  };

  return issues.map((issue) => {
    const variable = issue.path.length === 0 ? ROOT_VARIABLE : issue.path.map(String).join('.');
    const name = issue.path[0];
    const raw = issue.path.length === 1 && typeof name === 'string' ? env[name] : '(nested)';
    const missing = raw === undefined || raw.trim() === '';
    if (missing && (issue.code === 'invalid_type' || issue.message === 'required but not set')) {
      return { variable, message: raw === undefined ? 'required but not set' : 'required but empty' };
    }
    return { variable, message: scrub(issue.message) };
  });
}

/** A blank variable (`FOO=` in a .env file) counts as unset: `.optional()` and defaults apply. */
function withoutBlanks(env: EnvSource): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') out[name] = value;
  }
  return out;
}

/**
 * Parse `env` with `schema` (a `z.object` of env variables, possibly with `superRefine` for
 * cross-field rules) and return the typed, coerced config.
 *
 * A blank variable counts as unset, so `.optional()` and defaults apply to `FOO=` as to no FOO.
 *
 * @throws ConfigError listing every problem, one per line, naming the variable and never its value.
 * Cross-field rules (superRefine) run only when every field parsed (zod does not call them with
 * invalid input); their issues are reported under their `path`, or `(config)` when they have none.
 */
export function parseEnv<T extends z.ZodType>(schema: T, env: EnvSource = process.env): z.output<T> {
  const result = schema.safeParse(withoutBlanks(env));
  if (result.success) return result.data;
  throw new ConfigError(toConfigIssues(result.error.issues, env));
}

export interface LoadEnvOptions {
  env?: EnvSource;
  /** Prefixes the message on stderr, e.g. `returns-sync: Invalid configuration (...)`. */
  appName?: string;
}

/**
 * `parseEnv` for an app's `main.ts`: on a ConfigError, print the whole list to stderr and exit 1.
 * Any other error is a bug and is rethrown.
 */
export function loadEnvOrExit<T extends z.ZodType>(schema: T, options: LoadEnvOptions = {}): z.output<T> {
  try {
    return parseEnv(schema, options.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const prefix = options.appName === undefined ? '' : `${options.appName}: `;
    process.stderr.write(`${prefix}${error.message}\n`);
    process.exit(1);
  }
}
