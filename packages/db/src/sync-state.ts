import type pg from 'pg';

/**
 * Per-sync state that must survive restarts (watermarks and the like), one JSON value per
 * (fleet, sync, key) in table `sync_state`. A watermark moves only after the run that earned it succeeded:
 * callers write it last, after their work is acknowledged.
 */
export interface SyncState {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
}

export function createSyncState(pool: pg.Pool, fleet: string, sync: string): SyncState {
  return {
    async get<T>(key: string): Promise<T | undefined> {
      const { rows } = await pool.query<{ value: T }>('SELECT value FROM sync_state WHERE fleet = $1 AND sync = $2 AND key = $3', [
        fleet,
        sync,
        key,
      ]);
      return rows[0]?.value;
    },
    async set(key: string, value: unknown): Promise<void> {
      await pool.query(
        `INSERT INTO sync_state (fleet, sync, key, value, updated_at) VALUES ($1, $2, $3, $4::jsonb, now())
         ON CONFLICT (fleet, sync, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        [fleet, sync, key, JSON.stringify(value)],
      );
    },
  };
}
