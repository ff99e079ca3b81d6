export { createPool, type Pool, type PoolClient, type PoolOptions } from './pool.ts';
export { migrationsDir, runMigrations, type MigrateOptions } from './migrate.ts';
export { createSyncState, type SyncState } from './sync-state.ts';
