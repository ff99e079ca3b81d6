// `fleet returns refused`: the returns whose record Algolia refused on its own (a 400, e.g. over the
// record size limit). returns-sync sets them aside in `order_return_algolia_refused` and saves the
// rest of their page; a return leaves the list when a later run saves its record.
import { Option } from 'commander';
import { createPool } from '@syncfleet/db';
import { parseLimit } from '../arguments.ts';
import { formatTime, oneLine, renderTable } from '../output.ts';
import type { RegisterCommand } from '../program.ts';

interface RefusedRow {
  index_name: string;
  object_id: string;
  reason: string;
  run_id: string;
  refusals: number;
  first_refused_at: Date;
  last_refused_at: Date;
  total: string;
}

const refusedQuery = `
  SELECT index_name, object_id, reason, run_id, refusals, first_refused_at, last_refused_at, count(*) OVER () AS total
    FROM order_return_algolia_refused
   WHERE $1::text IS NULL OR index_name = $1
   ORDER BY last_refused_at DESC, index_name, object_id
   LIMIT $2`;

export const registerReturns: RegisterCommand = (program, kit) => {
  const returns = program.command('returns').description('returns-sync operator tasks: list the returns Algolia refused');

  returns
    .command('refused')
    .description('the returns whose record Algolia refused (e.g. over the record size limit): set aside, the rest of their page saved')
    .option('--index <name>', 'only this Algolia index (ALGOLIA_INDEX_NAME of the sync)')
    .addOption(new Option('--limit <n>', 'list at most this many (1-1000)').argParser(parseLimit).default(100))
    .addHelpText(
      'after',
      `
Reads RETURNS_DATABASE_URL when it is set (the database of the returns-sync state table), else DATABASE_URL.
A return leaves the list when a later run saves its record: fix the row (its updated_at moves it into
the next window), or run \`fleet enqueue returns.heal --data '{"hours":N}'\` to retry older ones.`,
    )
    .action(
      kit.run(async (io, options: { index?: string; limit: number }) => {
        const returnsUrl = kit.context.config().RETURNS_DATABASE_URL;
        const own = returnsUrl === undefined ? undefined : createPool({ connectionString: returnsUrl, applicationName: 'fleet-cli:returns', max: 1, onError: () => undefined });
        try {
          if (own === undefined) await kit.context.connect({ postgres: true });
          const pool = own ?? kit.context.pool();
          const { rows } = await pool.query<RefusedRow>(refusedQuery, [options.index ?? null, options.limit]);
          const total = Number(rows[0]?.total ?? 0);
          const refused = rows.map((r) => ({
            index: r.index_name,
            objectID: r.object_id,
            refusals: r.refusals,
            firstRefusedAt: r.first_refused_at,
            lastRefusedAt: r.last_refused_at,
            runId: r.run_id,
            reason: r.reason,
          }));
          const where = options.index === undefined ? '' : ` in index ${options.index}`;
          io.print({ total, refused }, () =>
            total === 0
              ? `no refused return${where}: Algolia took every record\n`
              : `${total} return(s)${where} refused by Algolia${total > refused.length ? ` (newest ${refused.length} shown)` : ''}:\n` +
                renderTable(
                  ['INDEX', 'OBJECT ID', 'REFUSALS', 'FIRST REFUSED', 'LAST REFUSED', 'RUN', 'REASON'],
                  refused.map((r) => [r.index, r.objectID, r.refusals, formatTime(r.firstRefusedAt), formatTime(r.lastRefusedAt), r.runId, oneLine(r.reason.split('. Please have a look')[0], 100)]),
                ),
          );
        } finally {
          await own?.end();
        }
      }),
    );
};
