import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger, withRunContext } from './logger.ts';
import type { CreateLoggerOptions, Logger } from './logger.ts';

function capture(options: Omit<CreateLoggerOptions, 'destination'>) {
  const raw: string[] = [];
  const logger = createLogger({ ...options, destination: { write: (line: string) => void raw.push(line) } });
  const lines = () => raw.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, raw, lines };
}

const streamWriteOf = (logger: Logger) =>
  (logger as unknown as Record<symbol, { streamWrite?: unknown }>)[pino.symbols.hooksSym]?.streamWrite;

describe('createLogger', () => {
  it('writes JSON lines with an ISO time, the level label and the name', () => {
    const { logger, raw, lines } = capture({ name: 'returns-sync' });
    logger.info('hello');
    logger.debug('hidden at the default info level');
    expect(raw).toHaveLength(1);
    expect(raw[0]?.endsWith('\n')).toBe(true);
    const line = lines()[0];
    expect(line).toMatchObject({ level: 'info', name: 'returns-sync', msg: 'hello' });
    expect(line?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('honours the level option', () => {
    const { logger, lines } = capture({ name: 'x', level: 'debug' });
    logger.debug('shown');
    logger.trace('hidden');
    expect(lines().map((l) => [l.level, l.msg])).toEqual([['debug', 'shown']]);
  });

  it('leaves a flat log line exactly as given', () => {
    const { logger, lines } = capture({ name: 'x', secrets: ['unrelated-secret'] });
    const fields = { count: 5000, index: 'offers', dryRun: false, ratio: 0.5, none: null };
    logger.info(fields, 'patched');
    const { time: _time, pid: _pid, hostname: _hostname, ...line } = lines()[0] ?? {};
    expect(line).toEqual({ level: 'info', name: 'x', ...fields, msg: 'patched' });
  });

  it('installs no streamWrite hook without secrets, and still redacts by key (fast path)', () => {
    const { logger, lines } = capture({ name: 'x' });
    expect(streamWriteOf(logger)).toBeUndefined();
    logger.info({ a: 1, apiKey: 'k-123456', url: 'k-123456' }, 'msg k-123456');
    expect(lines()[0]).toMatchObject({ a: 1, apiKey: '[REDACTED]', url: 'k-123456', msg: 'msg k-123456' });
    expect(streamWriteOf(capture({ name: 'y', secrets: ['k-123456'] }).logger)).toBeTypeOf('function');
  });

  it('redacts secret keys at depth 1 to 4, in arrays, without touching the caller object', () => {
    const { logger, lines } = capture({ name: 'x' });
    const request = {
      ALGOLIA_API_KEY: 'a1',
      http: {
        WIW_KEY: 'w2',
        request: { headers: { authorization: 'Bearer z4', 'content-type': 'application/json' } },
        hooks: [{ TEAMS_WEBHOOK_URL: 'https://hook/3' }, { name: 'keep' }],
      },
    };
    logger.info(request, 'calling');
    expect(lines()[0]).toMatchObject({
      ALGOLIA_API_KEY: '[REDACTED]',
      http: {
        WIW_KEY: '[REDACTED]',
        request: { headers: { authorization: '[REDACTED]', 'content-type': 'application/json' } },
        hooks: [{ TEAMS_WEBHOOK_URL: '[REDACTED]' }, { name: 'keep' }],
      },
    });
    expect(request.http.request.headers.authorization).toBe('Bearer z4');
  });

  it('redacts secret values in msg, interpolated args, nested strings and keys of errors', () => {
    const apiKey = 'algolia-0123456789abcdef';
    const webhook = 'https://acme.webhook.office.com/webhookb2/1111@2222/IncomingWebhook/abcd/3333';
    const { logger, raw } = capture({ name: 'x', secrets: [apiKey, webhook, 'short'] });
    logger.info({ detail: { note: `posting to ${webhook}` }, list: [`k=${apiKey}`] }, `using ${apiKey}`);
    logger.warn('retrying %s', webhook);
    logger.info('a short secret stays: short');
    const all = raw.join('');
    expect(all).not.toContain(apiKey);
    expect(all).not.toContain(webhook);
    expect(all).not.toContain('acme.webhook');
    const [first, second, third] = raw.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(first).toMatchObject({ msg: 'using [REDACTED]', detail: { note: 'posting to [REDACTED]' }, list: ['k=[REDACTED]'] });
    expect(second?.msg).toBe('retrying [REDACTED]');
    expect(third?.msg).toBe('a short secret stays: short');
  });

  it("redacts secret values in an error's message and stack, and secret keys on the error", () => {
    const password = 'pg-pass-9876';
    const { logger, raw, lines } = capture({ name: 'x', secrets: [password] });
    const error = Object.assign(new Error(`connect to postgres://app:${password}@db failed`), {
      code: 'ECONNREFUSED',
      config: { headers: { Authorization: 'Basic abc' } },
    });
    logger.error({ err: error }, 'query failed');
    logger.error(error);
    logger.warn({ error }, 'with the error key');
    expect(raw.join('')).not.toContain(password);
    for (const line of lines()) {
      const logged = (line.err ?? line.error) as Record<string, unknown>;
      expect(logged).toMatchObject({
        type: 'Error',
        message: 'connect to postgres://app:[REDACTED]@db failed',
        code: 'ECONNREFUSED',
        config: { headers: { Authorization: '[REDACTED]' } },
      });
      expect(logged.stack).toMatch(/^Error: connect to postgres:\/\/app:\[REDACTED\]@db failed\n\s+at /);
    }
    expect(lines()[1]?.msg).toBe('connect to postgres://app:[REDACTED]@db failed');
  });

  it('redacts secrets holding quotes and backslashes, and keeps every line valid JSON', () => {
    const secret = 'p"a\\ss-w0rd';
    const { logger, raw, lines } = capture({ name: 'x', secrets: [secret] });
    logger.info({ nested: { value: `x${secret}y` } }, `msg ${secret}`);
    expect(lines()[0]).toMatchObject({ msg: 'msg [REDACTED]', nested: { value: 'x[REDACTED]y' } });
    expect(raw[0]).not.toContain(JSON.stringify(secret).slice(1, -1));
  });
});

describe('withRunContext', () => {
  it('returns a child logger whose lines carry jobId, jobName, runId and queue', () => {
    const { logger, lines } = capture({ name: 'dispo-patcher' });
    const run = withRunContext(logger, { jobId: '42', jobName: 'dispo.patch', runId: 'run-1', queue: 'dispo' });
    run.info({ patched: 3 }, 'done');
    run.child({ page: 2 }).warn('slow page');
    withRunContext(logger, { jobId: undefined, jobName: 'dispo.heal', runId: 'run-2' }).info('no queue');
    logger.info('root line');
    const [done, slow, noQueue, root] = lines();
    expect(done).toMatchObject({ name: 'dispo-patcher', jobId: '42', jobName: 'dispo.patch', runId: 'run-1', queue: 'dispo', patched: 3 });
    expect(slow).toMatchObject({ jobId: '42', jobName: 'dispo.patch', runId: 'run-1', queue: 'dispo', page: 2 });
    expect(noQueue).toMatchObject({ jobName: 'dispo.heal', runId: 'run-2' });
    expect(noQueue).not.toHaveProperty('queue');
    expect(noQueue).not.toHaveProperty('jobId');
    expect(root).not.toHaveProperty('runId');
  });

  it('redacts secret keys and values in child bindings, at any generation', () => {
    const { logger, raw, lines } = capture({ name: 'x', secrets: ['wiw-token-abcdef'] });
    const run = withRunContext(logger, { jobId: '1', jobName: 'slots.sync', runId: 'r' });
    const grandchild = run.child({ client: { 'W-Token': 'wiw-token-abcdef', base: 'https://api' } }).child({ password: 'p' });
    grandchild.info('fetching');
    run.setBindings({ apiKey: 'late' });
    run.info('after setBindings');
    expect(lines()[0]).toMatchObject({
      runId: 'r',
      client: { 'W-Token': '[REDACTED]', base: 'https://api' },
      password: '[REDACTED]',
    });
    expect(lines()[1]).toMatchObject({ apiKey: '[REDACTED]' });
    expect(raw.join('')).not.toContain('wiw-token-abcdef');
  });
});
