// `npm run migrate`: applies the fleet's migrations to DATABASE_URL.
import { runMigrations } from './migrate.ts';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  process.stderr.write('DATABASE_URL is required (e.g. postgres://postgres@127.0.0.1:5432/syncfleet)\n');
  process.exit(2);
}
try {
  const applied = await runMigrations({ databaseUrl });
  process.stdout.write(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}\n` : 'database is up to date\n');
} catch (error) {
  process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
