// Emulator of a Microsoft Teams "incoming webhook" (Office 365 connector), for tests and the demo.
//
// Speaks the real protocol: POST a JSON MessageCard to the webhook URL; Teams answers 200 with the
// body `1`, and 400 with a short text when the body is not JSON or lacks both `summary` and `text`.
// Tests can make the next requests fail (500, 429 + Retry-After...) to exercise retries.
//
// Standalone (local demo): `node test/emulators/teams.ts --port 0` prints `{"url":"..."}` on stdout,
// then one line per received card on stderr.
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { exitOnSignal } from '../support/standalone.ts';

export interface ReceivedCard {
  body: unknown;
  receivedAt: Date;
  contentType: string | undefined;
}

/** Every request that reached the webhook path, with the status it was answered. */
export interface WebhookRequest {
  status: number;
  receivedAt: Date;
}

export interface TeamsEmulator {
  /** Full webhook URL, shaped like Teams': /webhookb2/<uuid>@<uuid>/IncomingWebhook/<hex>/<uuid>. */
  url: string;
  /** Cards accepted (answered 200), oldest first. */
  received: ReceivedCard[];
  /** Every request to the webhook path, failed ones included, oldest first. */
  requests: WebhookRequest[];
  /** Answer the next `n` requests with `status` (and `headers`, e.g. { 'retry-after': '1' }). */
  failNext(n: number, status?: number, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

export interface TeamsEmulatorOptions {
  port?: number;
  host?: string;
  /** Called for every accepted card (the standalone mode logs its title). */
  onCard?: (card: ReceivedCard) => void;
}

interface PlannedFailure {
  remaining: number;
  status: number;
  headers: Record<string, string>;
}

const FAILURE_BODIES: Record<number, string> = {
  429: 'Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0,server=emulator',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export async function startTeamsEmulator(options: TeamsEmulatorOptions = {}): Promise<TeamsEmulator> {
  const { port = 0, host = '127.0.0.1', onCard } = options;
  const path = `/webhookb2/${randomUUID()}@${randomUUID()}/IncomingWebhook/${randomBytes(16).toString('hex')}/${randomUUID()}`;
  const received: ReceivedCard[] = [];
  const requests: WebhookRequest[] = [];
  const failures: PlannedFailure[] = [];

  const app = Fastify({ logger: false });
  // Teams reads the raw body whatever the content type: parse JSON ourselves, answer 400 if it is not.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    done(null, body);
  });

  app.post(path, async (request, reply) => {
    const receivedAt = new Date();
    const failure = failures[0];
    if (failure !== undefined) {
      failure.remaining -= 1;
      if (failure.remaining <= 0) failures.shift();
      requests.push({ status: failure.status, receivedAt });
      return reply
        .code(failure.status)
        .headers(failure.headers)
        .type('text/plain')
        .send(FAILURE_BODIES[failure.status] ?? `Emulated failure ${failure.status}`);
    }

    let body: unknown;
    try {
      body = typeof request.body === 'string' && request.body !== '' ? (JSON.parse(request.body) as unknown) : undefined;
    } catch {
      body = undefined;
    }
    if (!isRecord(body)) {
      requests.push({ status: 400, receivedAt });
      return reply.code(400).type('text/plain').send('Bad payload received by generic incoming webhook.');
    }
    if (body.summary === undefined && body.text === undefined) {
      requests.push({ status: 400, receivedAt });
      return reply.code(400).type('text/plain').send('Summary or Text is required.');
    }

    const card: ReceivedCard = { body, receivedAt, contentType: request.headers['content-type'] };
    requests.push({ status: 200, receivedAt });
    received.push(card);
    onCard?.(card);
    return reply.code(200).type('text/plain').send('1');
  });

  const address = await app.listen({ port, host });
  return {
    url: `${address}${path}`,
    received,
    requests,
    failNext(n, status = 500, headers = {}) {
      if (n > 0) failures.push({ remaining: n, status, headers });
    },
    close: () => app.close(),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write('teams-emulator: --port must be a port number (0-65535)\n');
    process.exit(2);
  }
  const emulator = await startTeamsEmulator({
    port,
    host: values.host,
    onCard: ({ body }) => {
      const title = isRecord(body) ? (body.title ?? body.summary ?? body.text) : undefined;
      process.stderr.write(`teams-emulator: received card: ${typeof title === 'string' ? title : '(untitled)'}\n`);
    },
  });
  process.stdout.write(`${JSON.stringify({ url: emulator.url })}\n`);
  exitOnSignal(() => emulator.close());
}
