import { join } from 'node:path';
import { runner } from 'node-pg-migrate';

/** SQL migrations of the whole fleet (run ledger, sync state, each sync's tables), in name order. */
export const migrationsDir = join(import.meta.dirname, '..', 'migrations');

export interface MigrateOptions {
  databaseUrl: string;
  log?: (message: string) => void;
}

/** Applies every pending migration in one transaction; returns the names of those applied. */
export async function runMigrations(options: MigrateOptions): Promise<string[]> {
  const applied = await runner({
    databaseUrl: options.databaseUrl,
    dir: migrationsDir,
    migrationsTable: 'pgmigrations',
    direction: 'up',
    checkOrder: true,
    singleTransaction: true,
    log: options.log ?? (() => undefined),
    logger: {
      debug: () => undefined,
      info: (msg: string) => options.log?.(msg),
      warn: (msg: string) => options.log?.(msg),
      error: (msg: string) => options.log?.(msg),
    },
  });
  return applied.map((m) => m.name);
}
