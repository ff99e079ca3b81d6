// Per-job schedule overrides from env: names derived from job names, cron (+ time zone) or interval
// overrides, the enable flag, and every problem reported at once. Pure: no I/O.
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { ConfigError, parseEnv, type EnvSource } from '@syncfleet/config';
import { defineCatalogue } from './catalogue.ts';
import { scheduleEnvNames, scheduleEnvSchema, type EffectiveSchedule } from './schedule-env.ts';

const Empty = z.object({}).strict();
const job = { payload: Empty, overlap: 'skip', attempts: 1, backoff: { type: 'fixed', delay: 100 }, dryRun: false } as const;

const testCatalogue = defineCatalogue(
  {
    returns: { sync: 'returns', singleton: true, concurrency: 1 },
    'returns-pages': { sync: 'returns', singleton: false, concurrency: 4 },
  },
  {
    'returns.sync': { ...job, sync: 'returns', queue: 'returns', kind: 'periodic', description: 'cron job', schedule: { pattern: '*/15 * * * *', tz: 'Europe/Paris' } },
    'returns.syncPage': { ...job, sync: 'returns', queue: 'returns-pages', kind: 'periodic', description: 'interval job', schedule: { every: 60_000 } },
    'returns.initial': { ...job, sync: 'returns', queue: 'returns', kind: 'initial', description: 'not scheduled' },
  },
);

function schedules(env: EnvSource): Map<string, EffectiveSchedule> {
  return new Map(parseEnv(scheduleEnvSchema(testCatalogue), env).map((s) => [s.job, s]));
}

function problems(env: EnvSource): Array<{ variable: string; message: string }> {
  try {
    parseEnv(scheduleEnvSchema(testCatalogue), env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('scheduleEnvNames', () => {
  test('derives upper snake case names from dotted camelCase job names', () => {
    expect(scheduleEnvNames('returns.syncPage')).toEqual({
      cron: 'RETURNS_SYNC_PAGE_CRON',
      tz: 'RETURNS_SYNC_PAGE_TZ',
      every: 'RETURNS_SYNC_PAGE_EVERY',
      enabled: 'RETURNS_SYNC_PAGE_ENABLED',
    });
    expect(scheduleEnvNames('returns.sync').cron).toBe('RETURNS_SYNC_CRON');
    expect(scheduleEnvNames('arena.retryFailed2').every).toBe('ARENA_RETRY_FAILED2_EVERY');
    expect(scheduleEnvNames('dispo.healingHTTP').enabled).toBe('DISPO_HEALING_HTTP_ENABLED');
  });
});

describe('scheduleEnvSchema', () => {
  test('nothing set: every scheduled job (and only those) keeps its catalogue schedule, enabled', () => {
    const result = parseEnv(scheduleEnvSchema(testCatalogue), {});
    expect(result.map((s) => s.job).sort()).toEqual(['returns.sync', 'returns.syncPage']);
    const byJob = schedules({});
    expect(byJob.get('returns.sync')).toEqual({
      job: 'returns.sync',
      queue: 'returns',
      enabled: true,
      schedule: { pattern: '*/15 * * * *', tz: 'Europe/Paris' },
      source: 'catalogue',
    });
    expect(byJob.get('returns.syncPage')).toEqual({
      job: 'returns.syncPage',
      queue: 'returns-pages',
      enabled: true,
      schedule: { every: 60_000 },
      source: 'catalogue',
    });
  });

  test('blank variables count as unset', () => {
    expect(schedules({ RETURNS_SYNC_CRON: '', RETURNS_SYNC_TZ: '  ', RETURNS_SYNC_ENABLED: '' }).get('returns.sync')).toMatchObject({
      enabled: true,
      schedule: { pattern: '*/15 * * * *', tz: 'Europe/Paris' },
      source: 'catalogue',
    });
  });

  test('a cron override with its time zone', () => {
    const s = schedules({ RETURNS_SYNC_CRON: '0 */2 * * *', RETURNS_SYNC_TZ: 'America/New_York' }).get('returns.sync');
    expect(s).toMatchObject({ schedule: { pattern: '0 */2 * * *', tz: 'America/New_York' }, source: 'RETURNS_SYNC_CRON' });
  });

  test("a cron override without a time zone keeps the catalogue's, or UTC for an interval job", () => {
    const byJob = schedules({ RETURNS_SYNC_CRON: '5 4 * * *', RETURNS_SYNC_PAGE_CRON: '*/10 * * * *' });
    expect(byJob.get('returns.sync')).toMatchObject({ schedule: { pattern: '5 4 * * *', tz: 'Europe/Paris' }, source: 'RETURNS_SYNC_CRON' });
    expect(byJob.get('returns.syncPage')).toMatchObject({ schedule: { pattern: '*/10 * * * *', tz: 'UTC' }, source: 'RETURNS_SYNC_PAGE_CRON' });
  });

  test("a time zone alone moves the catalogue's cron pattern to that zone", () => {
    expect(schedules({ RETURNS_SYNC_TZ: 'UTC' }).get('returns.sync')).toMatchObject({
      schedule: { pattern: '*/15 * * * *', tz: 'UTC' },
      source: 'RETURNS_SYNC_TZ',
    });
  });

  test('an interval override replaces a cron schedule or another interval', () => {
    const byJob = schedules({ RETURNS_SYNC_EVERY: '30s', RETURNS_SYNC_PAGE_EVERY: '5m' });
    expect(byJob.get('returns.sync')).toMatchObject({ schedule: { every: 30_000 }, source: 'RETURNS_SYNC_EVERY' });
    expect(byJob.get('returns.syncPage')).toMatchObject({ schedule: { every: 300_000 }, source: 'RETURNS_SYNC_PAGE_EVERY' });
  });

  test('the enable flag turns a schedule off (and accepts the usual boolean spellings)', () => {
    expect(schedules({ RETURNS_SYNC_ENABLED: 'false' }).get('returns.sync')?.enabled).toBe(false);
    expect(schedules({ RETURNS_SYNC_ENABLED: 'NO' }).get('returns.sync')?.enabled).toBe(false);
    expect(schedules({ RETURNS_SYNC_ENABLED: '0' }).get('returns.sync')?.enabled).toBe(false);
    expect(schedules({ RETURNS_SYNC_ENABLED: 'true' }).get('returns.sync')?.enabled).toBe(true);
    // disabling one job leaves the others alone
    expect(schedules({ RETURNS_SYNC_ENABLED: 'false' }).get('returns.syncPage')?.enabled).toBe(true);
  });

  test('cron and interval together are refused, naming both variables', () => {
    const found = problems({ RETURNS_SYNC_CRON: '0 * * * *', RETURNS_SYNC_EVERY: '1m' });
    expect(found).toEqual([{ variable: 'RETURNS_SYNC_EVERY', message: 'set either RETURNS_SYNC_CRON or RETURNS_SYNC_EVERY, not both' }]);
  });

  test('bad cron patterns, time zones, intervals and flags are all reported at once, by variable', () => {
    const found = problems({
      RETURNS_SYNC_CRON: '* * *',
      RETURNS_SYNC_TZ: 'Mars/Olympus_Mons',
      RETURNS_SYNC_PAGE_CRON: '61 * * * *',
      RETURNS_SYNC_PAGE_ENABLED: 'maybe',
    });
    const byVariable = new Map(found.map((p) => [p.variable, p.message]));
    expect([...byVariable.keys()].sort()).toEqual(['RETURNS_SYNC_CRON', 'RETURNS_SYNC_PAGE_CRON', 'RETURNS_SYNC_PAGE_ENABLED', 'RETURNS_SYNC_TZ']);
    expect(byVariable.get('RETURNS_SYNC_CRON')).toMatch(/5 or 6 fields \(got 3\)/);
    expect(byVariable.get('RETURNS_SYNC_PAGE_CRON')).toMatch(/not a valid cron pattern/);
    expect(byVariable.get('RETURNS_SYNC_TZ')).toMatch(/IANA time zone/);
    expect(byVariable.get('RETURNS_SYNC_PAGE_ENABLED')).toMatch(/boolean/);
    // messages never quote the values
    expect(found.map((p) => p.message).join('\n')).not.toContain('Mars/Olympus_Mons');
  });

  test('an interval shorter than a second, or not a duration, is refused', () => {
    expect(problems({ RETURNS_SYNC_EVERY: '500ms' })).toEqual([{ variable: 'RETURNS_SYNC_EVERY', message: 'must be at least 1s' }]);
    expect(problems({ RETURNS_SYNC_EVERY: 'often' })[0]?.variable).toBe('RETURNS_SYNC_EVERY');
  });

  test("a job's own interval variable, in whole seconds, sets its interval; <JOB>_CRON/_EVERY together with it are refused", () => {
    const withSeconds = defineCatalogue(
      { slots: { sync: 'slots', singleton: true, concurrency: 1 } },
      { 'slots.sync': { ...job, sync: 'slots', queue: 'slots', kind: 'periodic', description: 'interval', schedule: { every: 10_000 }, scheduleSecondsEnv: 'SLEEP_SECONDS' } },
    );
    const parse = (env: EnvSource) => parseEnv(scheduleEnvSchema(withSeconds), env)[0];
    expect(parse({})).toMatchObject({ schedule: { every: 10_000 }, source: 'catalogue' });
    expect(parse({ SLEEP_SECONDS: '25' })).toMatchObject({ schedule: { every: 25_000 }, source: 'SLEEP_SECONDS' });
    expect(parse({ SLOTS_SYNC_EVERY: '2m' })).toMatchObject({ schedule: { every: 120_000 }, source: 'SLOTS_SYNC_EVERY' });
    expect(() => parse({ SLEEP_SECONDS: '0' })).toThrow(/SLEEP_SECONDS: must be >= 1/);
    expect(() => parse({ SLEEP_SECONDS: '1.5' })).toThrow(/SLEEP_SECONDS: must be an integer/);
    expect(() => parse({ SLEEP_SECONDS: '5', SLOTS_SYNC_EVERY: '5s' })).toThrow(/set either SLOTS_SYNC_EVERY or SLEEP_SECONDS, not both/);
    expect(() => defineCatalogue(
      { slots: { sync: 'slots', singleton: true, concurrency: 1 } },
      { 'slots.manual': { ...job, sync: 'slots', queue: 'slots', kind: 'manual', description: 'no schedule', scheduleSecondsEnv: 'SLEEP_SECONDS' } },
    )).toThrow(/scheduleSecondsEnv needs a default schedule/);
  });

  test('variables of unscheduled jobs are not read', () => {
    expect(() => parseEnv(scheduleEnvSchema(testCatalogue), { RETURNS_INITIAL_CRON: 'garbage' })).not.toThrow();
  });
});
