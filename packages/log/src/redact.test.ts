import { describe, expect, it } from 'vitest';
import {
  MAX_REDACTION_DEPTH,
  REDACTED,
  createValueRedactor,
  redactLogObject,
  redactSecretKeys,
  secretsFromEnv,
} from './redact.ts';

describe('redactSecretKeys', () => {
  it.each([
    'apiKey', 'ALGOLIA_API_KEY', 'WIW_KEY', 'TEAMS_WEBHOOK_URL', 'authorization', 'Authorization', 'token',
    'accessToken', 'password', 'passwd', 'DB_PASSWORD', 'clientSecret', 'cookie', 'Set-Cookie', 'credentials',
    'x-api-key', 'W-Token',
  ])('redacts the key %j', (key) => {
    expect(redactSecretKeys({ [key]: 'value', keep: 'me' })).toEqual({ [key]: REDACTED, keep: 'me' });
  });

  it.each(['jobId', 'name', 'url', 'host', 'count', 'msg', 'runId', 'queue', 'user'])('keeps the key %j', (key) => {
    const fields = { [key]: 'value' };
    expect(redactSecretKeys(fields)).toBe(fields);
  });

  it('redacts at depth 1 to 4, inside arrays too, whatever the value type', () => {
    const input = {
      apiKey: 'd1',
      a: {
        token: 'd2',
        b: {
          headers: { authorization: 'Bearer d4', accept: 'json' },
          list: [{ password: 'd4-in-array' }, 'plain', [{ secret: { nested: 'object' } }]],
        },
      },
      credentials: { user: 'u', pass: 'p' },
      cookieCount: 3,
    };
    expect(redactSecretKeys(input)).toEqual({
      apiKey: REDACTED,
      a: {
        token: REDACTED,
        b: {
          headers: { authorization: REDACTED, accept: 'json' },
          list: [{ password: REDACTED }, 'plain', [{ secret: REDACTED }]],
        },
      },
      credentials: REDACTED,
      cookieCount: REDACTED,
    });
  });

  it('never mutates its input and returns the very same object when nothing is secret', () => {
    const nested = { headers: { authorization: 'x' } };
    const input = { a: nested, keep: [1, 2] };
    const output = redactSecretKeys(input);
    expect(nested.headers.authorization).toBe('x');
    expect(output.keep).toBe(input.keep);
    const clean = { a: { b: [{ c: 1 }] }, d: new Date(0) };
    expect(redactSecretKeys(clean)).toBe(clean);
  });

  it('is cycle-safe and keeps shared (non-cyclic) references', () => {
    const shared = { token: 't', ok: 1 };
    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic.self = cyclic;
    cyclic.child = { parent: cyclic, shared };
    cyclic.again = shared;
    expect(redactSecretKeys(cyclic)).toEqual({
      name: 'x',
      self: '[Circular]',
      child: { parent: '[Circular]', shared: { token: REDACTED, ok: 1 } },
      again: { token: REDACTED, ok: 1 },
    });
  });

  it('replaces objects nested deeper than the bound instead of logging them unchecked', () => {
    let deep: Record<string, unknown> = { token: 'too-deep' };
    for (let i = 0; i < MAX_REDACTION_DEPTH + 2; i++) deep = { next: deep };
    expect(JSON.stringify(redactSecretKeys(deep))).not.toContain('too-deep');
    expect(JSON.stringify(redactSecretKeys(deep))).toContain('[Truncated]');
  });

  it('walks class instances and errors by their enumerable fields, leaves toJSON objects alone', () => {
    class Conn {
      host = 'h';
      password = 'p';
    }
    const date = new Date(0);
    const error = Object.assign(new Error('m'), { apiKey: 'k' });
    const output = redactSecretKeys({ conn: new Conn(), date, error });
    expect(JSON.parse(JSON.stringify(output))).toEqual({
      conn: { host: 'h', password: REDACTED },
      date: date.toISOString(),
      error: { apiKey: REDACTED },
    });
    expect(output.date).toBe(date);
  });
});

describe('redactLogObject (formatters.log)', () => {
  it('returns a flat object of primitives unchanged, without copying it', () => {
    const flat = { a: 1, b: 'two', c: true, d: null, e: undefined };
    expect(redactLogObject(flat)).toBe(flat);
  });

  it('redacts secret keys and nested objects, but leaves err/error to their serializer', () => {
    const err = Object.assign(new Error('x'), { token: 't' });
    const fields = { token: 't', err, error: err, nested: { password: 'p' } };
    const output = redactLogObject(fields);
    expect(output).toEqual({ token: REDACTED, err, error: err, nested: { password: REDACTED } });
    expect(output.err).toBe(err);
    expect(fields.token).toBe('t');
  });
});

describe('createValueRedactor', () => {
  it('is undefined when there is nothing to redact (no hook installed)', () => {
    expect(createValueRedactor([])).toBeUndefined();
    expect(createValueRedactor(['short', '', '12345678', '1.5e10'])).toBeUndefined();
  });

  it('replaces every occurrence, longest secret first', () => {
    const redact = createValueRedactor(['abcdef', 'abcdef-longer']);
    expect(redact?.('{"msg":"abcdef-longer and abcdef and abcdef"}')).toBe(
      '{"msg":"[REDACTED] and [REDACTED] and [REDACTED]"}',
    );
  });

  it('matches the JSON-escaped form of a secret holding quotes or backslashes', () => {
    const secret = 'pa"ss\\word';
    const redact = createValueRedactor([secret]);
    const line = JSON.stringify({ msg: `with ${secret} inside` });
    const out = redact?.(line) ?? '';
    expect(out).toBe('{"msg":"with [REDACTED] inside"}');
    expect(() => JSON.parse(out) as unknown).not.toThrow();
  });

  it('leaves a line without secrets untouched', () => {
    const line = '{"level":"info","msg":"nothing here"}\n';
    expect(createValueRedactor(['topsecret'])?.(line)).toBe(line);
  });
});

describe('secretsFromEnv', () => {
  it('takes the values of secret-looking variables and the passwords inside URLs', () => {
    const secrets = secretsFromEnv({
      ALGOLIA_API_KEY: 'algolia-key',
      WIW_KEY: 'wiw-key-value',
      TEAMS_WEBHOOK_URL: 'https://x.webhook.office.com/webhookb2/abc',
      DATABASE_URL: 'postgres://app:pg%40pass-word@db:5432/app',
      REDIS_URL: 'redis://:redis-pw-1@cache:6379',
      KAFKA_BROKERS: 'kafka://a:brokerpw1@k1:9092, kafka://b:brokerpw2@k2:9092',
      REGISTRY_URL: 'https://registry/?access_token=tok-abc%2Fdef&x=1',
      HTTP_PORT: '3000',
      PLAIN_URL: 'https://user@host/path',
      EMPTY_TOKEN: '',
      UNSET_SECRET: undefined,
    });
    expect(secrets.sort()).toEqual(
      [
        'algolia-key',
        'wiw-key-value',
        'https://x.webhook.office.com/webhookb2/abc',
        'pg%40pass-word',
        'pg@pass-word',
        'redis-pw-1',
        'brokerpw1',
        'brokerpw2',
        'tok-abc/def',
        'tok-abc%2Fdef',
      ].sort(),
    );
  });
});
