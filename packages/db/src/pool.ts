import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export interface PoolOptions {
  connectionString: string;
  /** Shown in pg_stat_activity, so an operator can tell which app holds a connection. */
  applicationName: string;
  max?: number;
  onError?: (error: Error) => void;
}

/** A pg pool; idle-client errors (e.g. the server restarting) are reported, never crash the process. */
export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    application_name: options.applicationName,
    max: options.max ?? 5,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  pool.on('error', (error) => options.onError?.(error));
  return pool;
}
