// Teams notifier: POSTs MessageCards to an incoming webhook. A notification must never fail a job:
// `send` never throws; it retries what can succeed later and returns whether the card got through.
//
// The webhook URL is a secret (whoever has it can post to the channel): it never appears in a log
// line this module writes, nor in any error it surfaces. Network errors are reduced to their
// name, code and a host-free reason.
import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageCard } from './message-card.ts';

/** The part of a logger the notifier uses (a pino `Logger` from @syncfleet/log fits). */
export interface NotifierLog {
  debug(fields: object, msg?: string): void;
  warn(fields: object, msg?: string): void;
}

export interface Notifier {
  /** Deliver a card. Resolves true when delivered, false otherwise. Never rejects. */
  send(card: MessageCard): Promise<boolean>;
}

export interface TeamsNotifierOptions {
  webhookUrl: string;
  log: NotifierLog;
  /** Per attempt (request and response body). Default 5000. */
  timeoutMs?: number;
  /** Retries after the first attempt, for 5xx, 429, 408 and network errors. Default 2. */
  retries?: number;
  /** First retry delay; doubles each retry. Default 500. */
  backoffMs?: number;
  /** Longest wait a Retry-After header may impose. Default 10000. */
  maxRetryAfterMs?: number;
  /**
   * Exact secret strings scrubbed from every card before it is sent (an error text may quote a
   * connection string). The webhook URL is always scrubbed. Strings under 6 characters are ignored.
   */
  secrets?: readonly string[];
}

const REDACTED = '[REDACTED]';
const MIN_SECRET_LENGTH = 6;
const MAX_LOGGED_RESPONSE = 200;

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'temporary DNS failure',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed while sending',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'response body stalled',
  UND_ERR_SOCKET: 'socket closed unexpectedly',
};

interface Problem {
  status?: number;
  errorName?: string;
  errorCode?: string;
  reason: string;
  response?: string;
}

/**
 * Replaces each secret in a text. In JSON (`json: true`) a secret holding '"' or '\\' only appears
 * escaped, and only that form is replaced, so the structure is never cut.
 */
function createScrubber(secrets: readonly string[], { json }: { json: boolean }): (text: string) => string {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (secret.length >= MIN_SECRET_LENGTH) needles.add(json ? JSON.stringify(secret).slice(1, -1) : secret);
  }
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  return (text) => ordered.reduce((out, needle) => (out.includes(needle) ? out.replaceAll(needle, REDACTED) : out), text);
}

function errorCodeOf(error: unknown): string | undefined {
  // fetch wraps network failures: TypeError('fetch failed', { cause: Error & { code } }).
  for (let current = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** Name, code and a fixed reason: never the error's message, which may hold the host or the URL. */
function describeFetchError(error: unknown, timeoutMs: number): Problem {
  const errorName = error instanceof Error ? error.name : typeof error;
  if (errorName === 'TimeoutError') return { errorName, reason: `no answer within ${timeoutMs} ms` };
  if (errorName === 'AbortError') return { errorName, reason: 'request aborted' };
  const errorCode = errorCodeOf(error);
  const reason =
    errorCode === undefined
      ? 'network error'
      : (NETWORK_REASONS[errorCode] ?? (/CERT|SSL|TLS/i.test(errorCode) ? 'TLS error' : 'network error'));
  return errorCode === undefined ? { errorName, reason } : { errorName, errorCode, reason };
}

/** Retry-After as delta-seconds or an HTTP date, in ms; undefined when absent or unreadable. */
function parseRetryAfter(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

const isRetryableStatus = (status: number) => status === 408 || status === 429 || status >= 500;

export function createTeamsNotifier(options: TeamsNotifierOptions): Notifier {
  const { webhookUrl, log, timeoutMs = 5000, retries = 2, backoffMs = 500, maxRetryAfterMs = 10_000 } = options;
  if (!URL.canParse(webhookUrl) || !/^https?:$/.test(new URL(webhookUrl).protocol)) {
    // Said without the value: the URL is a secret.
    throw new TypeError('createTeamsNotifier: webhookUrl must be an http(s) URL');
  }
  const webhookPath = new URL(webhookUrl).pathname;
  const scrubCard = createScrubber([webhookUrl, ...(options.secrets ?? [])], { json: true });
  // The response body is logged (Teams explains a 400 there): make sure it cannot echo the URL.
  const scrubResponse = createScrubber([webhookUrl, webhookPath], { json: false });

  async function attempt(body: string): Promise<{ delivered: true } | { delivered: false; problem: Problem; retryable: boolean; retryAfterMs?: number }> {
    try {
      const response = await fetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text().catch(() => '');
      if (response.ok) return { delivered: true };
      const problem: Problem = { status: response.status, reason: `HTTP ${response.status}` };
      if (text !== '') problem.response = scrubResponse(text.slice(0, MAX_LOGGED_RESPONSE));
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      const failure = { delivered: false as const, problem, retryable: isRetryableStatus(response.status) };
      return retryAfterMs === undefined ? failure : { ...failure, retryAfterMs };
    } catch (error) {
      return { delivered: false, problem: describeFetchError(error, timeoutMs), retryable: true };
    }
  }

  return {
    async send(card) {
      const summary = card.summary;
      try {
        const body = scrubCard(JSON.stringify(card));
        for (let attemptNo = 1; ; attemptNo++) {
          const result = await attempt(body);
          if (result.delivered) {
            log.debug({ summary, attempts: attemptNo }, 'teams notification delivered');
            return true;
          }
          const { problem, retryable, retryAfterMs } = result;
          if (!retryable || attemptNo > retries) {
            log.warn({ summary, attempts: attemptNo, ...problem }, 'teams notification not delivered');
            return false;
          }
          const delayMs =
            retryAfterMs === undefined ? backoffMs * 2 ** (attemptNo - 1) : Math.min(retryAfterMs, maxRetryAfterMs);
          log.debug({ summary, attempt: attemptNo, retryInMs: delayMs, ...problem }, 'teams notification failed, retrying');
          await sleep(delayMs);
        }
      } catch (error) {
        // Only a bug gets here (a card that cannot be serialized, a throwing logger...).
        try {
          log.warn({ summary, errorName: error instanceof Error ? error.name : typeof error }, 'teams notification not sent');
        } catch {
          // Nothing left to do: a notification must never fail its job.
        }
        return false;
      }
    },
  };
}

/** For apps without a webhook configured: every card is dropped (debug log), `send` resolves false. */
export function createNoopNotifier(log?: NotifierLog): Notifier {
  return {
    send(card) {
      log?.debug({ summary: card.summary }, 'no Teams webhook configured: notification not sent');
      return Promise.resolve(false);
    },
  };
}
