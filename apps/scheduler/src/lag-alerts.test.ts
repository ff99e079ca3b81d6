// The lag thresholds: env names, the longest gap of a schedule, the defaults derived from the
// syncs' periodic jobs and their env overrides. Pure: no I/O.
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { ConfigError, parseEnv } from '@syncfleet/config';
import { defineCatalogue, type AnyCatalogue, type EffectiveSchedule, type JobDefinition } from '@syncfleet/jobs';
import { SchedulerEnv } from './env.ts';
import { lagAlertEnvName, lagEnvSchema, lagThresholds, longestGapMs } from './lag-alerts.ts';

const minutes = (n: number): number => n * 60_000;
const hours = (n: number): number => n * 3_600_000;

describe('longestGapMs', () => {
  test('an interval is its own gap; a cron pattern the longest gap between its next ticks', () => {
    expect(longestGapMs({ every: 10_000 })).toBe(10_000);
    expect(longestGapMs({ pattern: '*/15 * * * *', tz: 'UTC' })).toBe(minutes(15));
    expect(longestGapMs({ pattern: '30 2 * * *', tz: 'Europe/Oslo' }, new Date('2026-06-01T00:00:00Z'))).toBe(hours(24));
    // weekdays at 09:00: the weekend makes the longest gap, from Friday to Monday
    expect(longestGapMs({ pattern: '0 9 * * 1-5', tz: 'UTC' }, new Date('2026-12-01T00:00:00Z'))).toBe(hours(72));
  });
});

describe('lagThresholds', () => {
  const job = { payload: z.object({}).strict(), overlap: 'skip', attempts: 1, backoff: { type: 'fixed', delay: 100 }, dryRun: false } as const;
  const cat = defineCatalogue(
    { fast: { sync: 'fast', singleton: true, concurrency: 1 }, slow: { sync: 'slow', singleton: true, concurrency: 1 }, manual: { sync: 'manual-only', singleton: true, concurrency: 1 } },
    {
      'fast.tick': { ...job, sync: 'fast', queue: 'fast', kind: 'periodic', description: 'f', schedule: { every: 60_000 } },
      'fast.heal': { ...job, sync: 'fast', queue: 'fast', kind: 'healing', description: 'h', schedule: { pattern: '0 4 * * *', tz: 'UTC' } },
      'slow.tick': { ...job, sync: 'slow', queue: 'slow', kind: 'periodic', description: 's', schedule: { pattern: '*/20 * * * *', tz: 'UTC' } },
      'slow.daily': { ...job, sync: 'slow', queue: 'slow', kind: 'periodic', description: 'd', schedule: { pattern: '0 3 * * *', tz: 'UTC' } },
      'manual.run': { ...job, sync: 'manual-only', queue: 'manual', kind: 'manual', description: 'm' },
    },
  );
  const schedules = (disabled: string[] = []): EffectiveSchedule[] =>
    (Object.values((cat as AnyCatalogue).jobs) as JobDefinition[])
      .flatMap((j) => (j.schedule ? [{ job: j.name, queue: j.queue, enabled: !disabled.includes(j.name), schedule: j.schedule, source: 'catalogue' }] : []));
  const none = new Map<string, number | undefined>([['fast', undefined], ['slow', undefined], ['manual-only', undefined]]);

  test("default: 3 ticks of the sync's most frequent enabled periodic job, at least 15 minutes; none without a periodic job", () => {
    expect(lagThresholds(cat, schedules(), none)).toEqual(new Map([['fast', minutes(15)], ['slow', minutes(60)], ['manual-only', 0]]));
    // the 20-minute job disabled: the daily one sets the pace
    expect(lagThresholds(cat, schedules(['slow.tick']), none).get('slow')).toBe(hours(72));
    // a healing job alone does not count
    expect(lagThresholds(cat, schedules(['fast.tick']), none).get('fast')).toBe(0);
  });

  test('<SYNC>_LAG_ALERT_MS overrides the default; 0 turns the alert off', () => {
    const overrides = parseEnv(lagEnvSchema(cat), { FAST_LAG_ALERT_MS: '2h', SLOW_LAG_ALERT_MS: '0', MANUAL_ONLY_LAG_ALERT_MS: '1d' });
    expect(lagThresholds(cat, schedules(), overrides)).toEqual(new Map([['fast', hours(2)], ['slow', 0], ['manual-only', hours(24)]]));
  });

  test('env names follow the sync names', () => {
    expect(lagAlertEnvName('returns-sync')).toBe('RETURNS_SYNC_LAG_ALERT_MS');
    expect(lagAlertEnvName('sample')).toBe('SAMPLE_LAG_ALERT_MS');
  });
});

describe('SchedulerEnv lag alerts', () => {
  const token = 'a-token-of-24-characters';

  test("the fleet's defaults, and every bad value listed with the other problems", () => {
    const config = parseEnv(SchedulerEnv, { API_TOKEN: token });
    expect(config.LAG_CHECK_INTERVAL_MS).toBe(60_000);
    expect(config.TEAMS_ALERT_REPEAT_MS).toBe(hours(1));
    expect(config.lagAlertMs).toEqual(
      new Map([
        ['arena-ingest', minutes(30)], // arena.retry every 10 minutes
        ['dispo-patcher', minutes(15)], // dispo.check every minute: the 15-minute floor
        ['returns-sync', minutes(45)], // returns.sync every 15 minutes
        ['sample', minutes(15)],
        ['slot-sync', minutes(15)],
      ]),
    );
    expect(parseEnv(SchedulerEnv, { API_TOKEN: token, RETURNS_SYNC_EVERY: '1h' }).lagAlertMs.get('returns-sync')).toBe(hours(3));

    let issues: string[] = [];
    try {
      parseEnv(SchedulerEnv, { RETURNS_SYNC_LAG_ALERT_MS: 'soon', LAG_CHECK_INTERVAL_MS: '10ms', RETURNS_SYNC_CRON: 'nope' });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      issues = error.issues.map((i) => i.variable);
    }
    expect(issues.sort()).toEqual(['API_TOKEN', 'LAG_CHECK_INTERVAL_MS', 'RETURNS_SYNC_CRON', 'RETURNS_SYNC_LAG_ALERT_MS']);
  });
});
