import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export { Counter, Gauge, Histogram, Registry };

/** A registry per app: default process metrics plus an `app` label on everything. */
export function createRegistry(app: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry, prefix: 'syncfleet_' });
  return registry;
}

export interface JobMetrics {
  runs: Counter<'job' | 'sync' | 'status'>;
  duration: Histogram<'job' | 'status'>;
  records: Counter<'job' | 'count'>;
  active: Gauge<'queue'>;
  lastSuccess: Gauge<'job' | 'sync'>;
  outboxErrors: Counter;
}

/** The metrics every worker app exposes about its runs. */
export function createJobMetrics(registry: Registry): JobMetrics {
  return {
    runs: new Counter({
      name: 'syncfleet_job_runs_total',
      help: 'Runs by job and outcome (succeeded, failed, skipped, refused)',
      labelNames: ['job', 'sync', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'syncfleet_job_duration_seconds',
      help: 'Run duration by job and outcome',
      labelNames: ['job', 'status'],
      buckets: [0.005, 0.05, 0.25, 1, 5, 15, 60, 300, 900, 3600],
      registers: [registry],
    }),
    records: new Counter({
      name: 'syncfleet_records_processed_total',
      help: 'Records processed, by job and the name of the count the run reported',
      labelNames: ['job', 'count'],
      registers: [registry],
    }),
    active: new Gauge({
      name: 'syncfleet_job_active',
      help: 'Runs executing in this process',
      labelNames: ['queue'],
      registers: [registry],
    }),
    lastSuccess: new Gauge({
      name: 'syncfleet_job_last_success_timestamp_seconds',
      help: 'When a run of the job last succeeded in this process (unix seconds)',
      labelNames: ['job', 'sync'],
      registers: [registry],
    }),
    outboxErrors: new Counter({
      name: 'syncfleet_ledger_write_errors_total',
      help: 'Failed attempts to write run records to the ledger (they are retried)',
      registers: [registry],
    }),
  };
}
