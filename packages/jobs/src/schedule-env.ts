import { z } from 'zod';
import { envBoolean, envCron, envDurationMs, envInt } from '@syncfleet/config';
import type { AnyCatalogue, JobDefinition, Schedule } from './catalogue.ts';

/**
 * The env variables that override a scheduled job's default schedule, named after the job:
 * `returns.sync` -> `RETURNS_SYNC_CRON` (a cron pattern), `RETURNS_SYNC_TZ` (its time zone),
 * `RETURNS_SYNC_EVERY` (an interval such as `30s`, instead of a cron pattern) and
 * `RETURNS_SYNC_ENABLED` (`false` removes the job's schedule). A job may also name an interval
 * variable of its own in whole seconds (`scheduleSecondsEnv`, e.g. `SYNC_SLEEP_PERIOD_SECONDS`).
 */
export function scheduleEnvNames(jobName: string): { cron: string; tz: string; every: string; enabled: string } {
  const base = jobName.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/\./g, '_').toUpperCase();
  return { cron: `${base}_CRON`, tz: `${base}_TZ`, every: `${base}_EVERY`, enabled: `${base}_ENABLED` };
}

export interface EffectiveSchedule {
  job: string;
  queue: string;
  enabled: boolean;
  schedule: Schedule;
  /** Where the schedule comes from: 'catalogue' (its default) or the env variable that overrode it. */
  source: string;
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * A zod schema over the env for every scheduled job of the catalogue; parsing it (with
 * `parseEnv`, which lists every problem at once) gives each job's effective schedule.
 */
export function scheduleEnvSchema(catalogue: AnyCatalogue) {
  const scheduled = Object.values(catalogue.jobs).filter((job): job is JobDefinition & { schedule: Schedule } => !!job.schedule);
  const shape: Record<string, z.ZodType> = {};
  for (const job of scheduled) {
    const names = scheduleEnvNames(job.name);
    shape[names.cron] = envCron().optional();
    shape[names.tz] = z.string().refine(isTimeZone, 'must be an IANA time zone such as UTC or Europe/Paris').optional();
    shape[names.every] = envDurationMs().optional().refine((ms) => ms === undefined || ms >= 1000, 'must be at least 1s');
    shape[names.enabled] = envBoolean(true);
    if (job.scheduleSecondsEnv !== undefined) shape[job.scheduleSecondsEnv] = envInt({ min: 1 }).optional();
  }
  return z
    .object(shape)
    .superRefine((env, ctx) => {
      for (const job of scheduled) {
        const names = scheduleEnvNames(job.name);
        if (env[names.cron] !== undefined && env[names.every] !== undefined) {
          ctx.addIssue({ code: 'custom', path: [names.every], message: `set either ${names.cron} or ${names.every}, not both` });
        }
        const seconds = job.scheduleSecondsEnv;
        if (seconds !== undefined && env[seconds] !== undefined && (env[names.cron] !== undefined || env[names.every] !== undefined)) {
          const other = env[names.cron] !== undefined ? names.cron : names.every;
          ctx.addIssue({ code: 'custom', path: [seconds], message: `set either ${other} or ${seconds}, not both` });
        }
      }
    })
    .transform((env): EffectiveSchedule[] =>
      scheduled.map((job) => {
        const names = scheduleEnvNames(job.name);
        const cron = env[names.cron] as string | undefined;
        const seconds = job.scheduleSecondsEnv === undefined ? undefined : (env[job.scheduleSecondsEnv] as number | undefined);
        const every = (env[names.every] as number | undefined) ?? (seconds === undefined ? undefined : seconds * 1000);
        const tz = env[names.tz] as string | undefined;
        const defaultTz = 'tz' in job.schedule ? job.schedule.tz : 'UTC';
        const schedule: Schedule = cron
          ? { pattern: cron, tz: tz ?? defaultTz }
          : every
            ? { every }
            : 'pattern' in job.schedule && tz
              ? { pattern: job.schedule.pattern, tz }
              : job.schedule;
        const everySource = env[names.every] !== undefined ? names.every : (job.scheduleSecondsEnv ?? names.every);
        const source = cron ? names.cron : every ? everySource : tz && 'pattern' in job.schedule ? names.tz : 'catalogue';
        return { job: job.name, queue: job.queue, enabled: env[names.enabled] as boolean, schedule, source };
      }),
    );
}
