// Secret redaction for log lines, in two layers:
// - by KEY: a field whose name looks secret (apiKey, TEAMS_WEBHOOK_URL, headers.authorization...)
//   has its value replaced, at any depth, before the line is serialized;
// - by VALUE: exact secret strings (taken from the config) are replaced wherever they occur in the
//   serialized line (msg, error message and stack, nested strings).

export const REDACTED = '[REDACTED]';

/** A key whose value is never logged. Case-insensitive; matches anywhere in the key. */
export const SECRET_KEY_PATTERN = /key|token|password|passw|secret|webhook|authorization|cookie|credential/i;

/** Secrets shorter than this are ignored by value redaction: they would mangle ordinary text. */
export const MIN_SECRET_LENGTH = 6;

/** Objects nested deeper than this are replaced by '[Truncated]' rather than logged unchecked. */
export const MAX_REDACTION_DEPTH = 10;

type Fields = Record<string, unknown>;

/** Keys whose values pino serializers handle (errors): the serializer redacts them after serializing. */
const SERIALIZED_KEYS = new Set(['err', 'error']);

function isWalkable(value: object): boolean {
  // Objects with toJSON (Date, Buffer, URL...) serialize to something else; typed arrays hold no keys.
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return false;
  return typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}

/**
 * Copy-on-write walk: returns `value` itself when nothing under it needs redacting, else a copy
 * (plain object or array, with the same JSON serialization as the original except redactions).
 */
function redactNested(value: unknown, depth: number, ancestors: Set<object>): unknown {
  if (typeof value !== 'object' || value === null || !isWalkable(value)) return value;
  if (ancestors.has(value)) return '[Circular]';
  if (depth > MAX_REDACTION_DEPTH) return '[Truncated]';
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        const next = redactNested(item, depth + 1, ancestors);
        if (next !== item) {
          copy ??= value.slice();
          copy[i] = next;
        }
      }
      return copy ?? value;
    }
    return redactFields(value as Fields, depth, ancestors);
  } finally {
    ancestors.delete(value);
  }
}

function redactFields(fields: Fields, depth: number, ancestors: Set<object>, skip?: Set<string>): Fields {
  let copy: Fields | undefined;
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    let next: unknown = value;
    if (SECRET_KEY_PATTERN.test(key)) {
      if (value !== undefined) next = REDACTED;
    } else if (typeof value === 'object' && value !== null && !skip?.has(key)) {
      next = redactNested(value, depth + 1, ancestors);
    }
    if (next !== value) {
      copy ??= { ...fields };
      copy[key] = next;
    }
  }
  return copy ?? fields;
}

/**
 * Redact secret-looking keys at any depth (cycle-safe, depth-bounded). Returns the same object when
 * nothing needs redacting: a flat object of primitives costs one key test per field, no allocation.
 */
export function redactSecretKeys<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  return redactNested(value, 0, new Set()) as T;
}

/** pino `formatters.log`: like redactSecretKeys, but leaves `err`/`error` to their serializer. */
export function redactLogObject(fields: Fields): Fields {
  for (const key in fields) {
    // Fast path: stop at the first field that is an object or has a secret-looking key.
    const value = fields[key];
    if ((typeof value === 'object' && value !== null) || SECRET_KEY_PATTERN.test(key)) {
      return redactFields(fields, 0, new Set([fields]), SERIALIZED_KEYS);
    }
  }
  return fields;
}

/** JSON-escaped form of a string, as it appears inside a serialized log line. */
function jsonEscaped(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

/**
 * Build the pino `hooks.streamWrite` that replaces each secret in the serialized line, or undefined
 * when there is nothing to redact (no hook, no cost). Secrets shorter than MIN_SECRET_LENGTH and
 * purely numeric ones (which could match inside JSON numbers and break the line) are ignored.
 */
export function createValueRedactor(secrets: readonly string[]): ((line: string) => string) | undefined {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH || /^[\d.eE+-]+$/.test(secret)) continue;
    // A secret with '"', '\\' or control characters only ever appears escaped in the line: replacing
    // its raw form could cut through the JSON structure, so only the escaped form is a needle.
    needles.add(jsonEscaped(secret));
  }
  if (needles.size === 0) return undefined;
  // Longest first, so that a secret containing another one is replaced whole.
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  return (line: string): string => {
    let out = line;
    for (const needle of ordered) {
      if (out.includes(needle)) out = out.replaceAll(needle, REDACTED);
    }
    return out;
  };
}

/** Secrets held inside a URL: its password (as written and decoded) and secret-looking query params. */
function secretsInUrl(text: string): string[] {
  if (!URL.canParse(text)) return [];
  const url = new URL(text);
  const found: string[] = [];
  if (url.password !== '') {
    found.push(url.password);
    try {
      found.push(decodeURIComponent(url.password));
    } catch {
      // A malformed escape: the form as written is enough.
    }
  }
  for (const [name, value] of url.searchParams) {
    if (value !== '' && SECRET_KEY_PATTERN.test(name)) found.push(value, encodeURIComponent(value));
  }
  return found;
}

/**
 * The secret values of an environment, for `createLogger({ secrets })`: the value of every variable
 * whose NAME looks secret (SECRET_KEY_PATTERN), plus the password of any URL in any variable
 * (`postgres://u:pw@host/db`, `redis://:pw@host`, lists of URLs too) and secret-looking query
 * parameters of those URLs (`?token=...`).
 */
export function secretsFromEnv(env: Readonly<Record<string, string | undefined>>): string[] {
  const secrets = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === '') continue;
    if (SECRET_KEY_PATTERN.test(name)) secrets.add(value);
    if (!value.includes('://')) continue;
    for (const token of value.split(/[\s,;]+/)) {
      if (token.includes('://')) for (const secret of secretsInUrl(token)) secrets.add(secret);
    }
  }
  return [...secrets];
}
