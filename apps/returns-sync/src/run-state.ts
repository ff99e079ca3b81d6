// The state table `order_return_algolia_sync` (the seed's, one row per run): the atomic claim,
// the heartbeat, and how a run ends. Every change of a run's row is conditional on its claim
// token and status, so a run that was taken over can no longer close or fail the run that
// replaced it.
import { randomUUID } from 'node:crypto';
import type { Pool } from '@syncfleet/db';
import { computeWindow, decideClaim, runStatus, type NewestRun, type RunKind, type SyncWindow } from './domain/window.ts';

export interface RunRow {
  id: number;
  jobType: string;
  status: number;
  start: Date;
  end: Date;
  createdAt: Date;
  kind: RunKind;
  advancesWatermark: boolean;
  heartbeatAt: Date;
  finishedAt: Date | null;
  ownerJob: string;
  claimToken: string;
  workerId: string | null;
  pages: number | null;
  rowsSynced: number | null;
  error: string | null;
}

export type ClaimResult =
  | { claimed: true; run: RunRow; tookOver?: { id: number; reason: string } }
  | { claimed: false; outcome: 'busy' | 'covered'; reason: string };

export interface ClaimOptions {
  kind: RunKind;
  /** `<queue>/<job id>` of the BullMQ job that claims. */
  ownerJob: string;
  workerId: string;
  /** periodic: when the tick came due (a run claimed after it covers it). */
  dueAt?: Date | undefined;
  /** initial: from this instant instead of the origin. */
  since?: Date | undefined;
  /** healing: the last N hours instead of the default. */
  healHours?: number | undefined;
}

export interface RunStoreOptions {
  jobType: string;
  overlapMs: number;
  staleAfterMs: number;
  /** Where coverage begins when nothing was synced yet (RETURNS_BACKFILL_SINCE). */
  origin: Date;
  healHours: number;
}

export interface RunStore {
  /** Decides and claims under one transaction-scoped advisory lock: two racing claims claim once. */
  claim(options: ClaimOptions): Promise<ClaimResult>;
  /** The window a run claimed now would get (dry runs): nothing is written. */
  previewWindow(options: Pick<ClaimOptions, 'kind' | 'since' | 'healHours'>): Promise<SyncWindow>;
  /** The newest run of this job type, and the newest one a job owns. */
  newest(): Promise<RunRow | undefined>;
  ownedBy(ownerJob: string): Promise<RunRow | undefined>;
  /** Renews the heartbeat; false when the run is no longer active (taken over or ended). */
  touch(id: number, claimToken: string): Promise<boolean>;
  /** queued -> processing, with the number of pages; false when the run is no longer queued. */
  markPlanned(run: RunRow, pages: number): Promise<boolean>;
  /** processing -> idle (status 0): the run succeeded. False when it is no longer processing. */
  close(run: RunRow, rowsSynced: number): Promise<RunRow | undefined>;
  /** queued/processing -> failed (status 3) with the error. False when it is no longer active. */
  fail(run: RunRow, error: string): Promise<boolean>;
  /** End of the last successful run that advanced the watermark. */
  coverageEnd(): Promise<Date | null>;
}

const table = 'order_return_algolia_sync';
const selectColumns = `id::float8 AS id, job_type AS "jobType", status, start_date AS start, end_date AS "end", created_at AS "createdAt",
  run_kind AS kind, advances_watermark AS "advancesWatermark", heartbeat_at AS "heartbeatAt", finished_at AS "finishedAt",
  owner_job AS "ownerJob", claim_token::text AS "claimToken", worker_id AS "workerId", pages,
  rows_synced::float8 AS "rowsSynced", error`;

function toNewest(row: RunRow): NewestRun {
  return {
    id: row.id,
    status: row.status,
    createdAt: row.createdAt,
    heartbeatAt: row.heartbeatAt,
    ownerJob: row.ownerJob,
    advancesWatermark: row.advancesWatermark,
  };
}

/** Error texts stored in the table stay short. */
function clip(text: string, max = 2000): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function createRunStore(pool: Pool, options: RunStoreOptions): RunStore {
  const { jobType, overlapMs, staleAfterMs, origin } = options;

  const windowFor = (claim: Pick<ClaimOptions, 'kind' | 'since' | 'healHours'>, now: Date, coverageEnd: Date | null): SyncWindow =>
    computeWindow({ kind: claim.kind, now, coverageEnd, overlapMs, origin, since: claim.since, healHours: claim.healHours ?? options.healHours });

  const coverageQuery = `SELECT max(end_date) AS "end" FROM ${table} WHERE job_type = $1 AND status = 0 AND advances_watermark`;

  return {
    async claim(claim) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // one claim at a time per job type, across every worker and deployment
        await client.query(`SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))`, [table, jobType]);
        const { rows: clock } = await client.query<{ now: Date }>('SELECT clock_timestamp() AS now');
        const now = clock[0]!.now;
        const { rows: newestRows } = await client.query<RunRow>(
          `SELECT ${selectColumns} FROM ${table} WHERE job_type = $1 ORDER BY created_at DESC, id DESC LIMIT 1`,
          [jobType],
        );
        const newest = newestRows[0];
        const decision = decideClaim({
          newest: newest ? toNewest(newest) : null,
          now,
          staleAfterMs,
          ownerJob: claim.ownerJob,
          kind: claim.kind,
          dueAt: claim.dueAt,
        });
        if (decision.action !== 'claim') {
          await client.query('COMMIT');
          return { claimed: false, outcome: decision.action, reason: decision.reason };
        }
        if (decision.takeOver) {
          await client.query(
            `UPDATE ${table} SET status = 3, finished_at = $2, error = $3 WHERE id = $1 AND status IN (1, 2)`,
            [decision.takeOver.id, now, decision.takeOver.reason],
          );
        }
        const { rows: coverage } = await client.query<{ end: Date | null }>(coverageQuery, [jobType]);
        const window = windowFor(claim, now, coverage[0]?.end ?? null);
        const { rows } = await client.query<RunRow>(
          `INSERT INTO ${table} (job_type, status, start_date, end_date, created_at, run_kind, advances_watermark, heartbeat_at,
                                 owner_job, claim_token, worker_id)
           VALUES ($1, 1, $2, $3, $4, $5, $6, $4, $7, $8, $9)
           RETURNING ${selectColumns}`,
          [jobType, window.start, window.end, now, claim.kind, window.advancesWatermark, claim.ownerJob, randomUUID(), claim.workerId],
        );
        await client.query('COMMIT');
        return { claimed: true, run: rows[0]!, ...(decision.takeOver ? { tookOver: decision.takeOver } : {}) };
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },

    async previewWindow(claim) {
      const { rows } = await pool.query<{ now: Date; end: Date | null }>(`SELECT clock_timestamp() AS now, (${coverageQuery}) AS "end"`, [jobType]);
      return windowFor(claim, rows[0]!.now, rows[0]!.end);
    },

    async newest() {
      const { rows } = await pool.query<RunRow>(`SELECT ${selectColumns} FROM ${table} WHERE job_type = $1 ORDER BY created_at DESC, id DESC LIMIT 1`, [jobType]);
      return rows[0];
    },

    async ownedBy(ownerJob) {
      const { rows } = await pool.query<RunRow>(
        `SELECT ${selectColumns} FROM ${table} WHERE job_type = $1 AND owner_job = $2 ORDER BY created_at DESC, id DESC LIMIT 1`,
        [jobType, ownerJob],
      );
      return rows[0];
    },

    async touch(id, claimToken) {
      const { rowCount } = await pool.query(
        `UPDATE ${table} SET heartbeat_at = clock_timestamp() WHERE id = $1 AND claim_token = $2 AND status IN (1, 2)`,
        [id, claimToken],
      );
      return rowCount === 1;
    },

    async markPlanned(run, pages) {
      const { rowCount } = await pool.query(
        `UPDATE ${table} SET status = 2, pages = $3, heartbeat_at = clock_timestamp() WHERE id = $1 AND claim_token = $2 AND status = 1`,
        [run.id, run.claimToken, pages],
      );
      return rowCount === 1;
    },

    async close(run, rowsSynced) {
      const { rows } = await pool.query<RunRow>(
        `UPDATE ${table} SET status = 0, finished_at = clock_timestamp(), heartbeat_at = clock_timestamp(), rows_synced = $3, error = NULL
         WHERE id = $1 AND claim_token = $2 AND status = 2 RETURNING ${selectColumns}`,
        [run.id, run.claimToken, rowsSynced],
      );
      return rows[0];
    },

    async fail(run, error) {
      const { rowCount } = await pool.query(
        `UPDATE ${table} SET status = 3, finished_at = clock_timestamp(), error = $3 WHERE id = $1 AND claim_token = $2 AND status IN (1, 2)`,
        [run.id, run.claimToken, clip(error)],
      );
      return rowCount === 1;
    },

    async coverageEnd() {
      const { rows } = await pool.query<{ end: Date | null }>(coverageQuery, [jobType]);
      return rows[0]?.end ?? null;
    },
  };
}

export { runStatus };
