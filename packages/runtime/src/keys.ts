/**
 * Redis key names of one fleet. Every key of a fleet shares the hash tag `{prefix}` so that a
 * Redis Cluster keeps them in one slot, as BullMQ's multi-key scripts require.
 */
export function bullPrefix(fleetPrefix: string): string {
  return `{${fleetPrefix}}`;
}

export interface FleetKeys {
  /** Stream of run records waiting to be written to the Postgres run ledger. */
  ledgerOutbox: string;
  /** When the last run of a singleton queue finished (ms): the overlap policy reads it. */
  lastFinished(queue: string): string;
  /** Set once the sync's initial job has succeeded: the chronology guard reads it. */
  initialSucceeded(sync: string): string;
  /** The run a job continues after waiting for its child jobs (runId, start, attempt). */
  continuedRun(queue: string, jobId: string): string;
  /** An open alert (alerts.ts, e.g. `job-failing:<job>`): since when, how often, the last card. */
  alert(name: string): string;
  /**
   * Set of the queues that may hold this fleet's job schedulers (every queue the scheduler app
   * ever declared or found): it finds the schedulers of a queue the catalogue dropped.
   */
  scheduledQueues: string;
  /** Hash sync -> lag alert threshold in ms (0: none), as the scheduler last started with: `fleet status` reads it. */
  lagThresholds: string;
  /** Hash `<topic>:<partition>` -> `<position>|<since ms>` of a consumer group (arena-ingest's stall watch). */
  partitionProgress(groupId: string): string;
}

export function fleetKeys(fleetPrefix: string): FleetKeys {
  const base = `${bullPrefix(fleetPrefix)}:fleet`;
  return {
    ledgerOutbox: `${base}:ledger-outbox`,
    lastFinished: (queue) => `${base}:queue:${queue}:last-finished`,
    initialSucceeded: (sync) => `${base}:sync:${sync}:initial-succeeded`,
    continuedRun: (queue, jobId) => `${base}:queue:${queue}:continued-run:${jobId}`,
    alert: (name) => `${base}:alert:${name}`,
    scheduledQueues: `${base}:scheduled-queues`,
    lagThresholds: `${base}:lag-thresholds`,
    partitionProgress: (groupId) => `${base}:arena:partition-progress:${groupId}`,
  };
}
