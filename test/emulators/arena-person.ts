// Emulator of the Arena person lookup (the ORDS proxy that maps Arena's PERSON_ID to the person's
// fnr), for tests, the benchmark and the demo.
//
// Speaks the real protocol: `GET /api/ords/fnr?personId=<PERSON_ID>` answers 200 `{"fnr":"<11 digits>"}`,
// 404 for a person Arena does not know, 400 without a numeric personId, 401 when a token is
// required and missing or wrong. Every known person's fnr is derived from the id (stable across
// runs). Tests can declare unknown persons and make requests fail (status, for given ids or the
// next n requests).
//
// Standalone (local demo): `node test/emulators/arena-person.ts --port 0` prints `{"url":"..."}` on stdout.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { exitOnSignal } from '../support/standalone.ts';

export interface ArenaPersonEmulator {
  /** The lookup URL: give it as ARENA_PERSON_LOOKUP_URL. */
  url: string;
  /** Every personId asked for, in order (failed requests included). */
  requested: string[];
  /** Answer 404 for these persons from now on. */
  unknown: Set<string>;
  /** Answer `status` to the next `n` requests. */
  failNext(n: number, status?: number): void;
  /** Answer `status` to every request for these persons until `clearFailures()`. */
  failFor(personIds: Iterable<string>, status?: number): void;
  clearFailures(): void;
  /** Answer every request this many milliseconds late (0: at once). */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

export interface ArenaPersonEmulatorOptions {
  port?: number;
  host?: string;
  /** Require `Authorization: Bearer <token>`. */
  token?: string;
}

const PATH = '/api/ords/fnr';

/** The fnr the emulator gives a PERSON_ID: 11 digits, the same in every run. */
export function fnrOf(personId: string): string {
  return (BigInt(personId) % 10n ** 11n).toString().padStart(11, '0');
}

export async function startArenaPersonEmulator(options: ArenaPersonEmulatorOptions = {}): Promise<ArenaPersonEmulator> {
  const { port = 0, host = '127.0.0.1', token } = options;
  const requested: string[] = [];
  const unknown = new Set<string>();
  const failing = new Map<string, number>();
  const planned: Array<{ remaining: number; status: number }> = [];
  let delayMs = 0;

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (req.method !== 'GET' || url.pathname !== PATH) return send(res, 404, { message: 'not found' });
    if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) return send(res, 401, { message: 'unauthorized' });
    const personId = url.searchParams.get('personId') ?? '';
    requested.push(personId);
    const next = planned[0];
    if (next) {
      next.remaining -= 1;
      if (next.remaining <= 0) planned.shift();
      return send(res, next.status, { message: `emulated failure ${next.status}` });
    }
    const status = failing.get(personId);
    if (status !== undefined) return send(res, status, { message: `emulated failure ${status}` });
    if (!/^\d{1,18}$/.test(personId)) return send(res, 400, { message: 'personId must be a number' });
    if (unknown.has(personId)) return send(res, 404, { message: `no person with id ${personId}` });
    send(res, 200, { fnr: fnrOf(personId) });
  };

  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    if (delayMs > 0) setTimeout(() => handle(req, res), delayMs);
    else handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}${PATH}`,
    requested,
    unknown,
    failNext(n, status = 500) {
      if (n > 0) planned.push({ remaining: n, status });
    },
    failFor(personIds, status = 500) {
      for (const id of personIds) failing.set(id, status);
    },
    clearFailures() {
      failing.clear();
      planned.length = 0;
    },
    setDelay(ms) {
      delayMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write('arena-person-emulator: --port must be a port number (0-65535)\n');
    process.exit(2);
  }
  const emulator = await startArenaPersonEmulator({ port, host: values.host });
  process.stdout.write(`${JSON.stringify({ url: emulator.url })}\n`);
  exitOnSignal(() => emulator.close());
}
