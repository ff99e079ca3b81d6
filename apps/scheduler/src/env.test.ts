import { describe, expect, test } from 'vitest';
import { ConfigError, parseEnv } from '@syncfleet/config';
import { catalogue, type JobDefinition } from '@syncfleet/jobs';
import { SchedulerEnv } from './env.ts';

/** Every scheduled job of the fleet, in catalogue order. */
const scheduledJobs = (Object.values(catalogue.jobs) as JobDefinition[]).filter((job) => job.schedule !== undefined);

const token = 'a-token-of-24-characters';

function problems(env: Record<string, string>): string[] {
  try {
    parseEnv(SchedulerEnv, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.variable}: ${i.message}`);
    throw error;
  }
  return [];
}

describe('SchedulerEnv', () => {
  test('defaults: port 8080 on every interface, auth required, no initial sync, the catalogue schedules', () => {
    const config = parseEnv(SchedulerEnv, { API_TOKEN: token });
    expect(config).toMatchObject({ API_PORT: 8080, API_HOST: '0.0.0.0', AUTH_DISABLED: false, START_INITIAL_SYNC: false, FLEET_PREFIX: 'syncfleet' });
    expect(config.schedules.map((s) => [s.job, s.enabled, s.source])).toEqual(scheduledJobs.map((job) => [job.name, true, 'catalogue']));
    expect(config.schedules.map((s) => s.job)).toEqual(expect.arrayContaining(['sample.tick', 'sample.heal']));
  });

  test('refuses to start open by accident', () => {
    expect(problems({})).toEqual(['API_TOKEN: set API_TOKEN or AUTH_DISABLED=true (the API never starts open by accident)']);
    expect(problems({ DASHBOARD_USER: 'ops', DASHBOARD_PASSWORD: 'secret-enough' })).toEqual([
      'API_TOKEN: set API_TOKEN or AUTH_DISABLED=true (the API never starts open by accident)',
    ]);
    expect(problems({ AUTH_DISABLED: 'true' })).toEqual([]);
    expect(problems({ AUTH_DISABLED: 'true', API_TOKEN: token })).toEqual(['AUTH_DISABLED: AUTH_DISABLED=true contradicts API_TOKEN: choose one']);
    expect(problems({ API_TOKEN: 'short' })).toEqual(['API_TOKEN: must be at least 16 characters']);
  });

  test('dashboard user and password come together', () => {
    expect(problems({ API_TOKEN: token, DASHBOARD_USER: 'ops' })).toEqual([
      'DASHBOARD_PASSWORD: set DASHBOARD_USER and DASHBOARD_PASSWORD together, or neither',
    ]);
    expect(problems({ API_TOKEN: token, DASHBOARD_PASSWORD: 'secret-enough' })).toEqual([
      'DASHBOARD_USER: set DASHBOARD_USER and DASHBOARD_PASSWORD together, or neither',
    ]);
  });

  test('one parse reports the schedule overrides, the server settings and the auth rule together, never a value', () => {
    const found = problems({
      SAMPLE_HEAL_CRON: '61 * * * *',
      SAMPLE_TICK_EVERY: '10ms',
      API_PORT: '99999',
      START_INITIAL_SYNC: 'perhaps',
      REDIS_URL: 'localhost:6379',
    });
    const variables = found.map((p) => p.split(':')[0]).sort();
    expect(variables).toEqual(['API_PORT', 'API_TOKEN', 'REDIS_URL', 'SAMPLE_HEAL_CRON', 'SAMPLE_TICK_EVERY', 'START_INITIAL_SYNC']);
    expect(found.join('\n')).not.toContain('perhaps');
  });

  test('schedule overrides apply', () => {
    const config = parseEnv(SchedulerEnv, { API_TOKEN: token, SAMPLE_HEAL_CRON: '*/10 * * * *', SAMPLE_HEAL_TZ: 'Europe/Paris', SAMPLE_TICK_ENABLED: 'false' });
    expect(config.schedules.filter((s) => s.queue === 'sample')).toEqual([
      { job: 'sample.tick', queue: 'sample', enabled: false, schedule: { every: 60_000 }, source: 'catalogue' },
      { job: 'sample.heal', queue: 'sample', enabled: true, schedule: { pattern: '*/10 * * * *', tz: 'Europe/Paris' }, source: 'SAMPLE_HEAL_CRON' },
    ]);
    // the other syncs keep their catalogue schedules
    const others = config.schedules.filter((s) => s.queue !== 'sample');
    expect(others.map((s) => [s.job, s.enabled, s.schedule, s.source])).toEqual(
      scheduledJobs.filter((job) => job.queue !== 'sample').map((job) => [job.name, true, job.schedule, 'catalogue']),
    );
  });
});
