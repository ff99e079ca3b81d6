// The fleet-wide gauges the scheduler exposes on /metrics, read from Redis and the run ledger when
// Prometheus scrapes (never cached, never computed between scrapes).
import { Gauge } from 'prom-client';
import type { FleetControl } from '@syncfleet/control';
import type { Logger } from '@syncfleet/log';
import type { Registry } from '@syncfleet/metrics';

export function registerFleetMetrics(registry: Registry, control: FleetControl, log: Logger, lagThresholds: ReadonlyMap<string, number> = new Map()): void {
  const scrapeErrors = new Gauge({
    name: 'syncfleet_scheduler_scrape_errors',
    help: 'Fleet gauges that could not be read on the last scrape (Redis or Postgres unreachable): 0 when all were',
    labelNames: ['source'],
    registers: [registry],
  });
  const failed = (source: string, error: unknown): void => {
    scrapeErrors.set({ source }, 1);
    log.warn({ err: error, source }, 'metrics: could not read fleet state');
  };

  new Gauge({
    name: 'syncfleet_queue_jobs',
    help: 'Jobs of each queue of the fleet, by BullMQ state',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      try {
        const depths = await control.queueDepths();
        this.reset();
        for (const { queue, state, count } of depths) this.set({ queue, state }, count);
        scrapeErrors.set({ source: 'queues' }, 0);
      } catch (error) {
        this.reset();
        failed('queues', error);
      }
    },
  });

  new Gauge({
    name: 'syncfleet_sync_lag_seconds',
    help: 'Seconds since the last successful run of each sync (absent until it succeeded once)',
    labelNames: ['sync'],
    registers: [registry],
    async collect() {
      try {
        const statuses = await control.syncStatus();
        this.reset();
        for (const status of statuses) if (status.lagSeconds !== null) this.set({ sync: status.sync }, status.lagSeconds);
        scrapeErrors.set({ source: 'syncs' }, 0);
      } catch (error) {
        this.reset();
        failed('syncs', error);
      }
    },
  });

  // static: what this scheduler alerts at, so that a Prometheus rule can compare the lag with it
  const thresholds = new Gauge({
    name: 'syncfleet_sync_lag_threshold_seconds',
    help: "The lag above which the scheduler posts a Teams card for each sync (<SYNC>_LAG_ALERT_MS or its default; absent when 0)",
    labelNames: ['sync'],
    registers: [registry],
  });
  for (const [sync, ms] of lagThresholds) if (ms > 0) thresholds.set({ sync }, Math.round(ms / 1000));
}
