import { CommanderError } from 'commander';
import { ConfigError } from '@syncfleet/config';
import { DryRunNotSupportedError, UnknownJobError, UnknownQueueError, UnknownSyncError } from '@syncfleet/control';
import { InvalidPayloadError } from '@syncfleet/runtime';

/** Exit codes of `fleet` (documented in the README). */
export const exitCodes = { ok: 0, failed: 1, usage: 2 } as const;

/** Bad usage or invalid input: exit 2, nothing was done. `details` are printed one per line below. */
export class UsageError extends Error {
  readonly details: string[];
  constructor(message: string, details: string[] = []) {
    super(message);
    this.name = 'UsageError';
    this.details = details;
  }
}

/** The operation could not be carried out (a server unreachable, a job that failed): exit 1. */
export class OperationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OperationError';
  }
}

/** `scheme://user:password@host` -> `scheme://user:***@host`, anywhere in a text. */
export function redactUrls(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi, '$1***@');
}

export interface ErrorReport {
  exitCode: number;
  /** Machine-readable kind, for `--json`. */
  code: string;
  message: string;
  /** Extra lines (zod issues, known names), each printed indented. */
  details: string[];
  issues?: Array<{ path: string; message: string }>;
}

function issuePath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

/** What to print and which exit code to use for an error that reached the top. */
export function reportError(error: unknown): ErrorReport {
  if (error instanceof UsageError) return { exitCode: exitCodes.usage, code: 'usage', message: error.message, details: error.details };
  if (error instanceof InvalidPayloadError) {
    const issues = error.issues.map((issue) => ({ path: issuePath(issue.path), message: issue.message }));
    return {
      exitCode: exitCodes.usage,
      code: 'invalid_payload',
      message: `invalid payload for ${error.jobName} (${issues.length} issue${issues.length === 1 ? '' : 's'}); nothing was enqueued`,
      details: issues.map((i) => `${i.path}: ${i.message}`),
      issues,
    };
  }
  if (error instanceof UnknownJobError || error instanceof UnknownQueueError || error instanceof UnknownSyncError) {
    const [what, kind] =
      error instanceof UnknownJobError ? ['unknown_job', 'jobs'] : error instanceof UnknownQueueError ? ['unknown_queue', 'queues'] : ['unknown_sync', 'syncs'];
    return { exitCode: exitCodes.usage, code: what, message: `${error.message.replace(/; known \w+: [^]*$/, '')}; known ${kind}:`, details: error.known };
  }
  if (error instanceof DryRunNotSupportedError) {
    return { exitCode: exitCodes.usage, code: 'dry_run_not_supported', message: `${error.message}; nothing was enqueued`, details: [] };
  }
  if (error instanceof ConfigError) {
    return { exitCode: exitCodes.usage, code: 'invalid_config', message: error.message, details: [] };
  }
  if (error instanceof CommanderError) {
    return { exitCode: error.exitCode === 0 ? exitCodes.ok : exitCodes.usage, code: error.code, message: error.message, details: [] };
  }
  const message = error instanceof Error ? error.message : String(error);
  const pgCode = (error as { code?: unknown } | null)?.code;
  if (pgCode === '42P01' || pgCode === '42703') {
    // undefined table or column: a database that was never migrated, or not since an upgrade
    return { exitCode: exitCodes.failed, code: 'schema_out_of_date', message: `${message}: the database schema is missing or out of date; run \`fleet migrate\``, details: [] };
  }
  return { exitCode: exitCodes.failed, code: error instanceof OperationError ? 'failed' : 'error', message: redactUrls(message), details: [] };
}
