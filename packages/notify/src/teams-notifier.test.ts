import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createLogger } from '@syncfleet/log';
import { afterEach, describe, expect, it } from 'vitest';
import { startTeamsEmulator } from '../../../test/emulators/teams.ts';
import type { TeamsEmulator } from '../../../test/emulators/teams.ts';
import { runFailedCard, testCard } from './message-card.ts';
import { createNoopNotifier, createTeamsNotifier } from './teams-notifier.ts';
import type { TeamsNotifierOptions } from './teams-notifier.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function emulator(): Promise<TeamsEmulator> {
  const teams = await startTeamsEmulator();
  cleanups.push(() => teams.close());
  return teams;
}

/** A real logger (no secrets configured: the notifier itself must not leak) writing to memory. */
function memoryLog() {
  const lines: string[] = [];
  const log = createLogger({ name: 'notify-test', level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
  const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { log, lines, records };
}

function notifier(url: string, log: TeamsNotifierOptions['log'], options: Partial<TeamsNotifierOptions> = {}) {
  return createTeamsNotifier({ webhookUrl: url, log, backoffMs: 10, timeoutMs: 2000, ...options });
}

/** The webhook URL and each distinctive part of it (host:port, path segments). */
function urlParts(url: string): string[] {
  const { host, pathname } = new URL(url);
  return [url, host, pathname, ...pathname.split(/[/@]/).filter((part) => part.length >= 8)];
}

function expectNoUrlIn(lines: readonly string[], url: string) {
  const all = lines.join('');
  for (const part of urlParts(url)) expect(all).not.toContain(part);
}

const card = runFailedCard({
  jobName: 'dispo.patch',
  queue: 'dispo',
  sync: 'dispo',
  runId: 'run-1',
  jobId: '17',
  attempts: 3,
  error: new Error('Algolia answered 503'),
  finishedAt: new Date('2025-01-01T00:00:00.000Z'),
});

describe('createTeamsNotifier', () => {
  it('delivers the MessageCard as JSON in one request', async () => {
    const teams = await emulator();
    const { log, lines } = memoryLog();
    await expect(notifier(teams.url, log).send(card)).resolves.toBe(true);
    expect(teams.received).toHaveLength(1);
    expect(teams.received[0]?.body).toEqual(card);
    expect(teams.received[0]?.body).toMatchObject({
      '@type': 'MessageCard',
      '@context': 'https://schema.org/extensions',
      themeColor: 'D13438',
      sections: [{ activityTitle: 'Run run-1 of dispo.patch (dispo) failed' }],
    });
    expect(teams.received[0]?.contentType).toBe('application/json');
    expect(teams.requests.map((r) => r.status)).toEqual([200]);
    expectNoUrlIn(lines, teams.url);
  });

  it('retries a 500 and delivers the card once', async () => {
    const teams = await emulator();
    const { log, records } = memoryLog();
    teams.failNext(1, 500);
    await expect(notifier(teams.url, log).send(card)).resolves.toBe(true);
    expect(teams.requests.map((r) => r.status)).toEqual([500, 200]);
    expect(teams.received).toHaveLength(1);
    expect(records().map((r) => [r.level, r.msg, r.status ?? null])).toEqual([
      ['debug', 'teams notification failed, retrying', 500],
      ['debug', 'teams notification delivered', null],
    ]);
  });

  it('honours Retry-After on a 429', async () => {
    const teams = await emulator();
    const { log } = memoryLog();
    teams.failNext(1, 429, { 'retry-after': '1' });
    await expect(notifier(teams.url, log).send(card)).resolves.toBe(true);
    const [throttled, delivered] = teams.requests;
    expect([throttled?.status, delivered?.status]).toEqual([429, 200]);
    const waitedMs = (delivered?.receivedAt.getTime() ?? 0) - (throttled?.receivedAt.getTime() ?? 0);
    expect(waitedMs).toBeGreaterThanOrEqual(950);
    expect(waitedMs).toBeLessThan(3000);
  });

  it('caps the wait a Retry-After may impose', async () => {
    const teams = await emulator();
    const { log } = memoryLog();
    teams.failNext(1, 429, { 'retry-after': '3600' });
    const started = Date.now();
    await expect(notifier(teams.url, log, { maxRetryAfterMs: 100 }).send(card)).resolves.toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(teams.received).toHaveLength(1);
  });

  it('gives up after its retries and returns false with a warning', async () => {
    const teams = await emulator();
    const { log, lines, records } = memoryLog();
    teams.failNext(5, 503);
    await expect(notifier(teams.url, log, { retries: 2 }).send(card)).resolves.toBe(false);
    expect(teams.requests.map((r) => r.status)).toEqual([503, 503, 503]);
    expect(teams.received).toHaveLength(0);
    const warning = records().find((r) => r.level === 'warn');
    expect(warning).toMatchObject({ msg: 'teams notification not delivered', status: 503, attempts: 3, summary: card.summary });
    expectNoUrlIn(lines, teams.url);
  });

  it('does not retry a 400, and logs what Teams answered', async () => {
    const teams = await emulator();
    const { log, records } = memoryLog();
    const invalid = { ...card, summary: undefined } as unknown as typeof card;
    await expect(notifier(teams.url, log).send(invalid)).resolves.toBe(false);
    expect(teams.requests.map((r) => r.status)).toEqual([400]);
    expect(records().find((r) => r.level === 'warn')).toMatchObject({ status: 400, response: 'Summary or Text is required.' });
  });

  it('returns false without throwing when the webhook is unreachable, and never logs its URL', async () => {
    const teams = await startTeamsEmulator();
    const url = teams.url;
    await teams.close(); // nothing listens on that port any more
    const { log, lines, records } = memoryLog();
    await expect(notifier(url, log, { retries: 1 }).send(card)).resolves.toBe(false);
    const warning = records().find((r) => r.level === 'warn');
    expect(warning).toMatchObject({
      msg: 'teams notification not delivered',
      attempts: 2,
      errorName: 'TypeError',
      errorCode: 'ECONNREFUSED',
      reason: 'connection refused',
    });
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expectNoUrlIn(lines, url);
  });

  it('times out a webhook that never answers, without logging its URL', async () => {
    const sockets = new Set<Socket>();
    const server: Server = createServer((socket) => {
      sockets.add(socket); // accept the connection, never answer
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}/webhookb2/silent-0000-1111@2222/IncomingWebhook/abcdef0123456789/3333`;
    const { log, lines, records } = memoryLog();
    await expect(notifier(url, log, { timeoutMs: 200, retries: 0 }).send(card)).resolves.toBe(false);
    expect(records().find((r) => r.level === 'warn')).toMatchObject({ errorName: 'TimeoutError', reason: 'no answer within 200 ms' });
    expectNoUrlIn(lines, url);
  });

  it('scrubs configured secrets and the webhook URL from the card it sends', async () => {
    const teams = await emulator();
    const { log } = memoryLog();
    const password = 'pg-s3cret-pass';
    const leaky = runFailedCard({
      ...{ jobName: 'returns.sync', queue: 'returns', sync: 'returns', runId: 'r', jobId: '1', attempts: 1 },
      error: new Error(`connect postgres://app:${password}@db failed; notifying ${teams.url}`),
      finishedAt: new Date(0),
    });
    await expect(notifier(teams.url, log, { secrets: [password] }).send(leaky)).resolves.toBe(true);
    const sent = JSON.stringify(teams.received[0]?.body);
    expect(sent).not.toContain(password);
    expect(sent).not.toContain(teams.url);
    expect(sent).toContain('postgres://app:[REDACTED]@db failed; notifying [REDACTED]');
  });

  it('refuses an invalid webhook URL at creation, without quoting it', () => {
    const { log } = memoryLog();
    expect(() => createTeamsNotifier({ webhookUrl: 'ftp://secret-host/hook', log })).toThrow(
      /^createTeamsNotifier: webhookUrl must be an http\(s\) URL$/,
    );
    expect(() => createTeamsNotifier({ webhookUrl: 'not a url', log })).toThrow(TypeError);
  });

  it('delivers a dry-run test card', async () => {
    const teams = await emulator();
    const { log } = memoryLog();
    await expect(notifier(teams.url, log).send(testCard({ jobName: 'dispo.patch' }))).resolves.toBe(true);
    expect(teams.received[0]?.body).toMatchObject({ title: 'Test notification from dispo.patch' });
  });
});

describe('createNoopNotifier', () => {
  it('sends nothing, resolves false and logs at debug', async () => {
    const { log, records } = memoryLog();
    await expect(createNoopNotifier(log).send(card)).resolves.toBe(false);
    expect(records()).toMatchObject([
      { level: 'debug', msg: 'no Teams webhook configured: notification not sent', summary: card.summary },
    ]);
    await expect(createNoopNotifier().send(card)).resolves.toBe(false);
  });
});
