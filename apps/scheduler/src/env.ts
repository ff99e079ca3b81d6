import { z } from 'zod';
import { envBoolean, envDurationMs, envPort } from '@syncfleet/config';
import { catalogue as fleetCatalogue, scheduleEnvSchema, type AnyCatalogue } from '@syncfleet/jobs';
import { WorkerEnv } from '@syncfleet/runtime';
import { lagEnvSchema, lagThresholds } from './lag-alerts.ts';

const authFields = ['API_TOKEN', 'DASHBOARD_USER', 'DASHBOARD_PASSWORD', 'AUTH_DISABLED'] as const;

/**
 * The scheduler's own variables: the connection and fleet settings every app shares (same names and
 * defaults as the worker apps), the HTTP server, and its credentials.
 */
export const SchedulerBaseEnv = WorkerEnv.pick({ REDIS_URL: true, DATABASE_URL: true, FLEET_PREFIX: true, LOG_LEVEL: true, TEAMS_WEBHOOK_URL: true, TEAMS_ALERT_REPEAT_MS: true })
  .extend({
    /** Port of the HTTP API, Bull Board, /healthz and /metrics; 0 picks a free one. */
    API_PORT: envPort(8080),
    API_HOST: z.string().min(1).default('0.0.0.0'),
    /** Bearer token of the API (and accepted by the dashboard). */
    API_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Basic auth of the dashboard (both or neither); the API token is accepted there too. */
    DASHBOARD_USER: z.string().min(1).optional(),
    DASHBOARD_PASSWORD: z.string().min(1).optional(),
    /** Serve everything without credentials: an explicit opt-out, never the default. */
    AUTH_DISABLED: envBoolean(false),
    /** Enqueue each sync's initial job at boot, unless it already succeeded or one is pending. */
    START_INITIAL_SYNC: envBoolean(false),
    /** How often the syncs' lags are compared with their thresholds (with TEAMS_WEBHOOK_URL set). */
    LAG_CHECK_INTERVAL_MS: envDurationMs(60_000).refine((ms) => ms >= 100, 'must be at least 100ms'),
  })
  .superRefine(
    (env, ctx) => {
      if (env.AUTH_DISABLED) {
        const set = (['API_TOKEN', 'DASHBOARD_USER', 'DASHBOARD_PASSWORD'] as const).filter((name) => env[name] !== undefined);
        if (set.length > 0) {
          // An operator who set credentials expects them to be checked.
          ctx.addIssue({ code: 'custom', path: ['AUTH_DISABLED'], message: `AUTH_DISABLED=true contradicts ${set.join(', ')}: choose one` });
        }
        return;
      }
      if (env.API_TOKEN === undefined) {
        ctx.addIssue({ code: 'custom', path: ['API_TOKEN'], message: 'set API_TOKEN or AUTH_DISABLED=true (the API never starts open by accident)' });
      }
      if ((env.DASHBOARD_USER === undefined) !== (env.DASHBOARD_PASSWORD === undefined)) {
        const missing = env.DASHBOARD_USER === undefined ? 'DASHBOARD_USER' : 'DASHBOARD_PASSWORD';
        ctx.addIssue({ code: 'custom', path: [missing], message: 'set DASHBOARD_USER and DASHBOARD_PASSWORD together, or neither' });
      }
    },
    {
      // Runs even when unrelated variables are invalid, so one parse lists every problem; it only
      // needs its own variables to have parsed.
      when: (payload) => {
        const env = payload.value as Record<string, unknown>;
        return authFields.every((name) => {
          const value = env[name];
          return value === undefined || typeof value === 'string' || typeof value === 'boolean';
        });
      },
    },
  );

/**
 * The whole scheduler env: its own variables, the schedule overrides of every scheduled job of the
 * catalogue (`<JOB>_CRON`, `<JOB>_TZ`, `<JOB>_EVERY`, `<JOB>_ENABLED`) and the lag alert threshold of
 * every sync (`<SYNC>_LAG_ALERT_MS`). All parts read the same variables in one parse, so an invalid
 * cron and a missing token are reported together.
 */
export function schedulerEnvSchema(catalogue: AnyCatalogue) {
  const schedules = scheduleEnvSchema(catalogue);
  const lag = lagEnvSchema(catalogue);
  return z.record(z.string(), z.string().optional()).transform((env, ctx) => {
    const base = SchedulerBaseEnv.safeParse(env);
    const effective = schedules.safeParse(env);
    const lagOverrides = lag.safeParse(env);
    for (const issue of [...(base.error?.issues ?? []), ...(effective.error?.issues ?? []), ...(lagOverrides.error?.issues ?? [])]) {
      ctx.addIssue({ ...issue, continue: true });
    }
    if (!base.success || !effective.success || !lagOverrides.success) return z.NEVER;
    return { ...base.data, schedules: effective.data, lagAlertMs: lagThresholds(catalogue, effective.data, lagOverrides.data) };
  });
}

/** The env of the fleet's scheduler (the fleet catalogue). */
export const SchedulerEnv = schedulerEnvSchema(fleetCatalogue);
export type SchedulerConfig = z.output<typeof SchedulerEnv>;
