import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { envBoolean, envCron, envDurationMs, envInt, envList, envPort, envUrl } from './env-helpers.ts';

function accepts<T>(schema: z.ZodType<T, string | undefined>, input: string | undefined): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new Error(`expected ${JSON.stringify(input)} to be accepted: ${result.error.message}`);
  return result.data;
}

function rejects(schema: z.ZodType<unknown, string | undefined>, input: string | undefined): string {
  const result = schema.safeParse(input);
  if (result.success) throw new Error(`expected ${JSON.stringify(input)} to be rejected, got ${JSON.stringify(result.data)}`);
  expect(result.error.issues).toHaveLength(1);
  return result.error.issues[0]?.message ?? '';
}

describe('envBoolean', () => {
  it.each([
    ['true', true], ['TRUE', true], ['True', true], ['1', true], ['yes', true], ['YES', true],
    ['false', false], ['FALSE', false], ['0', false], ['no', false], ['No', false], [' true ', true],
  ])('accepts %j as %s', (input, expected) => {
    expect(accepts(envBoolean(), input)).toBe(expected);
  });

  it.each(['maybe', 'on', 'off', 'y', 'n', '2', 'truee', '-1', 'constructor', 'toString', '__proto__'])('rejects %j', (input) => {
    expect(rejects(envBoolean(false), input)).toMatch(/must be a boolean/);
  });

  it('uses the default when unset or blank, and requires a value without a default', () => {
    expect(accepts(envBoolean(true), undefined)).toBe(true);
    expect(accepts(envBoolean(false), '')).toBe(false);
    expect(accepts(envBoolean(false), '  ')).toBe(false);
    expect(rejects(envBoolean(), undefined)).toBe('required but not set');
    expect(rejects(envBoolean(), '')).toBe('required but empty');
  });
});

describe('envInt', () => {
  it.each([
    ['0', 0], ['42', 42], ['-7', -7], ['+3', 3], [' 12 ', 12], ['9007199254740991', Number.MAX_SAFE_INTEGER],
  ])('accepts %j', (input, expected) => {
    expect(accepts(envInt(), input)).toBe(expected);
  });

  it.each(['1.5', '1e3', '12abc', 'abc', '0x10', '1_000', '9007199254740993'])('rejects %j', (input) => {
    expect(rejects(envInt(), input)).toMatch(/integer/);
  });

  it('enforces min and max', () => {
    const schema = envInt({ min: 1, max: 10 });
    expect(accepts(schema, '1')).toBe(1);
    expect(accepts(schema, '10')).toBe(10);
    expect(rejects(schema, '0')).toBe('must be >= 1');
    expect(rejects(schema, '11')).toBe('must be <= 10');
  });

  it('uses the default when unset, and refuses a default outside its own bounds', () => {
    expect(accepts(envInt({ default: 5 }), undefined)).toBe(5);
    expect(rejects(envInt({ min: 0 }), undefined)).toBe('required but not set');
    expect(() => envInt({ min: 1, default: 0 })).toThrow(/envInt: the default value must be >= 1/);
  });
});

describe('envPort', () => {
  it.each([['0', 0], ['80', 80], ['6379', 6379], ['65535', 65535]])('accepts %j', (input, expected) => {
    expect(accepts(envPort(), input)).toBe(expected);
  });

  it.each(['65536', '-1', 'http', '80.5', '3000abc'])('rejects %j', (input) => {
    expect(rejects(envPort(3000), input)).toBe('must be a port number (0-65535)');
  });

  it('uses the default when unset', () => {
    expect(accepts(envPort(3000), undefined)).toBe(3000);
    expect(() => envPort(70000)).toThrow(/envPort/);
  });
});

describe('envUrl', () => {
  it.each([
    'redis://localhost:6379',
    'rediss://:pw@cache.example.com:6380/0',
    'postgres://user:pw@db:5432/app',
    'postgresql://db/app',
    'http://127.0.0.1:8080/path',
    'https://example.webhook.office.com/webhookb2/x',
  ])('accepts %j with any protocol', (input) => {
    expect(accepts(envUrl(), input)).toBe(input);
  });

  it.each(['localhost:6379', 'not a url', '/relative/path', 'http//missing-colon'])('rejects %j', (input) => {
    expect(rejects(envUrl(), input)).toBe('must be a valid absolute URL (scheme://...)');
  });

  it('restricts protocols, given with or without the colon', () => {
    const schema = envUrl({ protocols: ['redis', 'rediss:'] });
    expect(accepts(schema, 'redis://localhost:6379')).toBe('redis://localhost:6379');
    expect(accepts(schema, 'REDISS://h:6380')).toBe('REDISS://h:6380');
    expect(rejects(schema, 'http://localhost:6379')).toBe('must use one of the protocols redis:, rediss: (got http:)');
    const pg = envUrl({ protocols: ['postgres:', 'postgresql:'] });
    expect(accepts(pg, 'postgresql://db/app')).toBe('postgresql://db/app');
    expect(rejects(pg, 'mysql://db/app')).toMatch(/postgres:, postgresql:/);
  });

  it('trims, uses a default, and refuses an invalid default', () => {
    expect(accepts(envUrl(), '  http://a.example/ ')).toBe('http://a.example/');
    expect(accepts(envUrl({ default: 'redis://localhost:6379' }), undefined)).toBe('redis://localhost:6379');
    expect(rejects(envUrl(), undefined)).toBe('required but not set');
    expect(() => envUrl({ protocols: ['redis'], default: 'http://x' })).toThrow(/envUrl/);
  });
});

describe('envDurationMs', () => {
  it.each([
    ['1500', 1500], ['0', 0], ['250ms', 250], ['30s', 30_000], ['5m', 300_000], ['1h', 3_600_000],
    ['1d', 86_400_000], ['1.5s', 1500], ['2H', 7_200_000], ['10 s', 10_000],
  ])('accepts %j as %d ms', (input, expected) => {
    expect(accepts(envDurationMs(), input)).toBe(expected);
  });

  it.each(['-5s', '5 minutes', '1w', 's', '1h30m', 'abc', '.5s'])('rejects %j', (input) => {
    expect(rejects(envDurationMs(1000), input)).toMatch(/must be a duration/);
  });

  it('uses the default when unset and refuses a bad default', () => {
    expect(accepts(envDurationMs(30_000), undefined)).toBe(30_000);
    expect(() => envDurationMs(-1)).toThrow(/envDurationMs/);
    expect(() => envDurationMs(1.5)).toThrow(/envDurationMs/);
  });
});

describe('envList', () => {
  it.each([
    ['a', ['a']], ['a,b,c', ['a', 'b', 'c']], [' a , b ,c ', ['a', 'b', 'c']], ['a,,b,', ['a', 'b']],
  ])('accepts %j', (input, expected) => {
    expect(accepts(envList(), input)).toEqual(expected);
  });

  it('is empty (or the default) when unset or blank', () => {
    expect(accepts(envList(), undefined)).toEqual([]);
    expect(accepts(envList(), '  ')).toEqual([]);
    expect(accepts(envList({ default: ['x'] }), undefined)).toEqual(['x']);
  });

  it('enforces minItems, counting only non-empty items', () => {
    expect(rejects(envList({ minItems: 1 }), undefined)).toBe('must list at least 1 item');
    expect(rejects(envList({ minItems: 2 }), 'a, ,')).toBe('must list at least 2 items');
    expect(accepts(envList({ minItems: 2 }), 'a,b')).toEqual(['a', 'b']);
  });

  it('does not share the default array between parses', () => {
    const schema = envList({ default: ['x'] });
    accepts(schema, undefined).push('mutated');
    expect(accepts(schema, undefined)).toEqual(['x']);
  });
});

describe('envCron', () => {
  it.each(['*/15 * * * *', '0 3 * * *', '0 9 * * MON-FRI', '30 0 0 * * *', '@daily', '@hourly', ' 0 * * * * '])(
    'accepts %j',
    (input) => {
      expect(accepts(envCron(), input)).toBe(input.trim());
    },
  );

  it.each([
    ['61 * * * *', /not a valid cron pattern/],
    ['1-70 * * * *', /not a valid cron pattern/],
    ['*/0 * * * *', /not a valid cron pattern/],
    ['0 0 31 2 *', /not a valid cron pattern/],
    ['@sometimes', /not a valid cron pattern/],
    ['* * *', /5 or 6 fields \(got 3\)/],
    ['* * * * * * *', /5 or 6 fields \(got 7\)/],
    ['every minute', /5 or 6 fields/],
  ])('rejects %j', (input, expected) => {
    expect(rejects(envCron(), input)).toMatch(expected);
  });

  it('uses the default when unset and refuses a bad default', () => {
    expect(accepts(envCron('*/15 * * * *'), undefined)).toBe('*/15 * * * *');
    expect(rejects(envCron(), undefined)).toBe('required but not set');
    expect(() => envCron('61 * * * *')).toThrow(/envCron/);
  });
});
