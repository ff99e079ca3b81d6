// Lag alerts: a Teams card when no run of a sync has succeeded for longer than the sync's threshold
// (its worker is down, its queue paused, every run skipped or refused, a backfill that never ends),
// one reminder per TEAMS_ALERT_REPEAT_MS while it lasts, and a card when it has caught up. The
// scheduler checks every LAG_CHECK_INTERVAL_MS; the alert state is shared in Redis, so several
// scheduler replicas post one card, not one each.
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { envDurationMs } from '@syncfleet/config';
import type { FleetControl, SyncStatus } from '@syncfleet/control';
import type { AnyCatalogue, EffectiveSchedule, Schedule } from '@syncfleet/jobs';
import type { Logger } from '@syncfleet/log';
import { syncCaughtUpCard, syncLaggingCard, type Notifier } from '@syncfleet/notify';
import { fleetKeys, type AlertState } from '@syncfleet/runtime';
import type { Redis } from 'ioredis';

/** `returns-sync` -> `RETURNS_SYNC_LAG_ALERT_MS`. */
export function lagAlertEnvName(sync: string): string {
  return `${sync.replace(/[^a-zA-Z0-9]+/g, '_').toUpperCase()}_LAG_ALERT_MS`;
}

/** A default threshold is this many times the longest gap between two ticks of the sync's most frequent periodic job... */
const DEFAULT_TICKS = 3;
/** ...and at least this long (a job every minute would otherwise alert after one slow minute). */
const MIN_DEFAULT_THRESHOLD_MS = 15 * 60_000;
/** Ticks of a cron pattern looked at for its longest gap (a weekday-only pattern has a longer weekend gap). */
const CRON_TICKS = 30;

/** The longest time between two ticks of a schedule (over its next ticks, for a cron pattern). */
export function longestGapMs(schedule: Schedule, from = new Date()): number {
  if ('every' in schedule) return schedule.every;
  const ticks = CronExpressionParser.parse(schedule.pattern, { currentDate: from, tz: schedule.tz });
  let previous = ticks.next().getTime();
  let longest = 0;
  for (let i = 0; i < CRON_TICKS; i++) {
    const next = ticks.next().getTime();
    longest = Math.max(longest, next - previous);
    previous = next;
  }
  return longest;
}

/** The env of the lag thresholds: `<SYNC>_LAG_ALERT_MS` per sync of the catalogue (a duration; 0: no alert). */
export function lagEnvSchema(catalogue: AnyCatalogue) {
  const syncs = [...new Set(Object.values(catalogue.queues).map((q) => q.sync))].sort();
  const shape: Record<string, z.ZodType<number | undefined>> = {};
  for (const sync of syncs) shape[lagAlertEnvName(sync)] = envDurationMs().optional();
  return z.object(shape).transform((env) => new Map(syncs.map((sync) => [sync, env[lagAlertEnvName(sync)]])));
}

/**
 * Per sync, the lag (ms since its last successful run) above which Teams hears of it; 0: never.
 * `<SYNC>_LAG_ALERT_MS` when set; else 3 times the longest gap between two ticks of the sync's most
 * frequent enabled periodic job (any successful run of the sync ends its lag), at least 15 minutes;
 * 0 for a sync without one (nothing says how often it should succeed).
 */
export function lagThresholds(catalogue: AnyCatalogue, schedules: readonly EffectiveSchedule[], overrides: ReadonlyMap<string, number | undefined>): Map<string, number> {
  const thresholds = new Map<string, number>();
  for (const [sync, override] of overrides) {
    if (override !== undefined) {
      thresholds.set(sync, override);
      continue;
    }
    const gaps = schedules
      .filter((s) => s.enabled && catalogue.jobs[s.job]?.sync === sync && catalogue.jobs[s.job]?.kind === 'periodic')
      .map((s) => longestGapMs(s.schedule));
    thresholds.set(sync, gaps.length === 0 ? 0 : Math.max(DEFAULT_TICKS * Math.min(...gaps), MIN_DEFAULT_THRESHOLD_MS));
  }
  return thresholds;
}

/** Publishes the thresholds for `fleet status` and the API (replacing the ones of an earlier start). */
export async function publishLagThresholds(redis: Redis, fleetPrefix: string, thresholds: ReadonlyMap<string, number>): Promise<void> {
  const key = fleetKeys(fleetPrefix).lagThresholds;
  const multi = redis.multi().del(key);
  if (thresholds.size > 0) multi.hset(key, Object.fromEntries(thresholds));
  await multi.exec();
}

export interface LagMonitorOptions {
  control: Pick<FleetControl, 'syncStatus'>;
  /** Per sync (ms); syncs at 0 or absent are not watched. */
  thresholds: ReadonlyMap<string, number>;
  intervalMs: number;
  alerts: AlertState;
  notifier: Notifier;
  log: Logger;
  now?: () => number;
}

export interface LagMonitor {
  /** One check of every watched sync (the timer calls it; tests too). */
  check(): Promise<void>;
  /** Stops the timer and waits for the check in flight. */
  stop(): Promise<void>;
}

const alertName = (sync: string): string => `sync-lagging:${sync}`;

export function startLagMonitor(options: LagMonitorOptions): LagMonitor {
  const { control, thresholds, alerts, notifier, log } = options;
  const now = options.now ?? Date.now;
  const watched = [...thresholds].filter(([, ms]) => ms > 0);
  if (watched.length === 0) return { check: () => Promise.resolve(), stop: () => Promise.resolve() };

  const checkSync = async (status: SyncStatus, thresholdMs: number): Promise<void> => {
    const success = status.lastSuccess;
    // never succeeded: nothing to measure a lag from (a failing initial run posts failure cards)
    if (!success?.finishedAt) return;
    const lagMs = now() - success.finishedAt.getTime();
    const lastSuccess = { jobName: success.jobName, finishedAt: success.finishedAt };
    if (lagMs <= thresholdMs) {
      const closed = await alerts.clear(alertName(status.sync));
      if (closed) {
        log.info({ sync: status.sync, lastSuccess: success.finishedAt }, 'sync caught up');
        await notifier.send(syncCaughtUpCard({ sync: status.sync, lastSuccess, laggingSince: new Date(closed.sinceMs) }));
      }
      return;
    }
    const raisedAt = now();
    const alert = await alerts.raise(alertName(status.sync), raisedAt);
    log.warn({ sync: status.sync, lagSeconds: Math.round(lagMs / 1000), thresholdSeconds: Math.round(thresholdMs / 1000), cardSent: alert.notify }, 'sync lagging');
    if (!alert.notify) return;
    const run = status.lastRun && status.lastRun.runId !== success.runId ? status.lastRun : undefined;
    const delivered = await notifier.send(
      syncLaggingCard({
        sync: status.sync,
        lagMs,
        thresholdMs,
        lastSuccess,
        lastRun: run ? { jobName: run.jobName, status: run.status, finishedAt: run.finishedAt, error: run.error ?? run.reason } : undefined,
        paused: status.paused,
        pending: status.pending,
        failed: status.failed,
      }),
    );
    // Teams did not take it: the next check tries again
    if (!delivered) await alerts.undelivered(alertName(status.sync), raisedAt);
  };

  const check = async (): Promise<void> => {
    const statuses = await control.syncStatus();
    for (const [sync, thresholdMs] of watched) {
      const status = statuses.find((s) => s.sync === sync);
      if (status) await checkSync(status, thresholdMs);
    }
  };

  let inFlight: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (inFlight) return; // a slow check (Postgres busy) is not stacked
    inFlight = check()
      .catch((error: unknown) => log.warn({ err: error }, 'lag check failed'))
      .finally(() => (inFlight = undefined));
  }, options.intervalMs);
  timer.unref();
  log.info({ thresholdsSeconds: Object.fromEntries(watched.map(([sync, ms]) => [sync, Math.round(ms / 1000)])) }, 'lag alerts on');

  return {
    check,
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}
