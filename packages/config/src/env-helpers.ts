// Zod schemas for single environment variables, shared by every app's `env.ts`.
//
// Each helper reads a string (or nothing), trims it, and treats an empty value as "not set": the
// default applies, or the variable is reported as required. Error messages describe what is wrong
// and never repeat the value, since any variable may hold a secret.
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** The input side of every helper: what `process.env` holds for one variable. */
export type EnvInput = string | undefined;

/** A schema for one env variable: parses `string | undefined` into `T`. */
export type EnvSchema<T> = z.ZodType<T, EnvInput>;

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = (message: string): Parsed<never> => ({ ok: false, message });

/** A default is the program's own choice: a wrong one is a bug, refused when the schema is built. */
function assertValidDefault(helper: string, result: Parsed<unknown>): void {
  if (!result.ok) throw new TypeError(`${helper}: the default value ${result.message}`);
}

function envValue<T>(defaultValue: T | undefined, parse: (raw: string) => Parsed<T>): EnvSchema<T> {
  return z
    .string()
    .optional()
    .transform((raw, ctx): T => {
      const trimmed = raw?.trim();
      if (trimmed === undefined || trimmed === '') {
        if (defaultValue !== undefined) return defaultValue;
        ctx.addIssue({ code: 'custom', message: raw === undefined ? 'required but not set' : 'required but empty' });
        return z.NEVER;
      }
      const result = parse(trimmed);
      if (result.ok) return result.value;
      ctx.addIssue({ code: 'custom', message: result.message });
      return z.NEVER;
    });
}

const BOOLEANS = new Map<string, boolean>([
  ['true', true], ['false', false], ['1', true], ['0', false], ['yes', true], ['no', false],
]);

/** 'true'/'false', '1'/'0', 'yes'/'no' (any case). Anything else is an error. */
export function envBoolean(defaultValue?: boolean): EnvSchema<boolean> {
  return envValue(defaultValue, (raw) => {
    const value = BOOLEANS.get(raw.toLowerCase());
    return value === undefined ? fail('must be a boolean (true/false, 1/0, yes/no)') : ok(value);
  });
}

export interface EnvIntOptions {
  min?: number;
  max?: number;
  default?: number;
}

function parseInteger(raw: string, { min, max }: EnvIntOptions): Parsed<number> {
  if (!/^[-+]?\d+$/.test(raw)) return fail('must be an integer');
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) return fail('must be a safe integer');
  if (min !== undefined && value < min) return fail(`must be >= ${min}`);
  if (max !== undefined && value > max) return fail(`must be <= ${max}`);
  return ok(value);
}

/** A whole number in decimal, optionally bounded. '1.5', '1e3', '12abc' are errors. */
export function envInt(options: EnvIntOptions = {}): EnvSchema<number> {
  if (options.default !== undefined) assertValidDefault('envInt', parseInteger(String(options.default), options));
  return envValue(options.default, (raw) => parseInteger(raw, options));
}

/** A TCP port, 0..65535 (0 asks the OS for a free port when listening). */
export function envPort(defaultValue?: number): EnvSchema<number> {
  const parse = (raw: string): Parsed<number> => {
    const result = parseInteger(raw, { min: 0, max: 65535 });
    return result.ok ? result : fail('must be a port number (0-65535)');
  };
  if (defaultValue !== undefined) assertValidDefault('envPort', parse(String(defaultValue)));
  return envValue(defaultValue, parse);
}

export interface EnvUrlOptions {
  /** Allowed schemes, with or without the trailing colon: ['redis', 'rediss:']. Default: any. */
  protocols?: readonly string[];
  default?: string;
}

/** An absolute `scheme://` URL (returned as the trimmed string), optionally restricted to some protocols. */
export function envUrl(options: EnvUrlOptions = {}): EnvSchema<string> {
  const protocols = options.protocols?.map((p) => (p.endsWith(':') ? p : `${p}:`).toLowerCase());
  const parse = (raw: string): Parsed<string> => {
    // 'localhost:6379' parses as a URL with the scheme 'localhost:': require the '//' authority part.
    if (!URL.canParse(raw) || !/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return fail('must be a valid absolute URL (scheme://...)');
    const { protocol } = new URL(raw);
    if (protocols !== undefined && !protocols.includes(protocol)) {
      return fail(`must use one of the protocols ${protocols.join(', ')} (got ${protocol})`);
    }
    return ok(raw);
  };
  if (options.default !== undefined) assertValidDefault('envUrl', parse(options.default));
  return envValue(options.default, parse);
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration in milliseconds: '1500' (ms), '1500ms', '30s', '1.5m', '5m', '1h', '1d'. */
export function envDurationMs(defaultMs?: number): EnvSchema<number> {
  if (defaultMs !== undefined && !(Number.isSafeInteger(defaultMs) && defaultMs >= 0)) {
    assertValidDefault('envDurationMs', fail('must be a whole, non-negative number of milliseconds'));
  }
  return envValue(defaultMs, (raw) => {
    const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i.exec(raw);
    const amount = match?.[1];
    if (match === null || amount === undefined) {
      return fail("must be a duration: milliseconds ('1500') or a number with a unit ms, s, m, h, d ('30s', '5m')");
    }
    const unit = (match[2] ?? 'ms').toLowerCase();
    const value = Math.round(Number(amount) * (DURATION_UNITS_MS[unit] ?? 1));
    return Number.isSafeInteger(value) ? ok(value) : fail('too large a duration');
  });
}

export interface EnvListOptions {
  /** Used when the variable is not set (or blank). Default: []. */
  default?: readonly string[];
  /** Fewest items accepted. Default 0. */
  minItems?: number;
}

/** A comma-separated list: items trimmed, empty items dropped ('a, b,,c,' -> ['a', 'b', 'c']). */
export function envList(options: EnvListOptions = {}): EnvSchema<string[]> {
  const { minItems = 0 } = options;
  const fallback = options.default ?? [];
  return z
    .string()
    .optional()
    .transform((raw, ctx): string[] => {
      const items = raw?.trim()
        ? raw.split(',').map((item) => item.trim()).filter((item) => item !== '')
        : [...fallback];
      if (items.length < minItems) {
        ctx.addIssue({ code: 'custom', message: `must list at least ${minItems} item${minItems === 1 ? '' : 's'}` });
        return z.NEVER;
      }
      return items;
    });
}

/**
 * A cron pattern as BullMQ accepts it (same parser, cron-parser): 5 fields, or 6 with seconds first,
 * or a predefined '@daily', '@hourly', ... Fewer fields, which cron-parser would silently pad, are
 * refused as a likely typo.
 */
export function envCron(defaultPattern?: string): EnvSchema<string> {
  const parse = (raw: string): Parsed<string> => {
    const fields = raw.split(/\s+/).length;
    if (!raw.startsWith('@') && (fields < 5 || fields > 6)) {
      return fail(`must be a cron pattern with 5 or 6 fields (got ${fields})`);
    }
    try {
      CronExpressionParser.parse(raw);
      return ok(raw);
    } catch (error) {
      return fail(`not a valid cron pattern: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  if (defaultPattern !== undefined) assertValidDefault('envCron', parse(defaultPattern));
  return envValue(defaultPattern, parse);
}
