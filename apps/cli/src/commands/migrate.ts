import { runMigrations } from '@syncfleet/db';
import { OperationError, redactUrls } from '../errors.ts';
import type { RegisterCommand } from '../program.ts';

export const registerMigrate: RegisterCommand = (program, kit) => {
  program
    .command('migrate')
    .description('apply the pending database migrations to DATABASE_URL (idempotent)')
    .action(
      kit.run(async (io) => {
        const databaseUrl = kit.context.config().DATABASE_URL;
        let applied: string[];
        try {
          applied = await runMigrations({ databaseUrl });
        } catch (error) {
          throw new OperationError(`migration of ${redactUrls(databaseUrl)} failed: ${error instanceof Error ? error.message : String(error)}`);
        }
        io.print({ applied, upToDate: applied.length === 0 }, () =>
          applied.length === 0 ? 'database is up to date\n' : `applied ${applied.length} migration(s): ${applied.join(', ')}\n`,
        );
      }),
    );
};
