// `fleet arena reingest` and `fleet arena stale`: seed 003's operator tasks for arena-ingest.
import { Option } from 'commander';
import { catalogue } from '@syncfleet/jobs';
import { parseLimit, parseSeconds } from '../arguments.ts';
import { exitCodes, UsageError } from '../errors.ts';
import { formatTime, renderTable } from '../output.ts';
import type { RegisterCommand } from '../program.ts';

/** The Arena tables, as arena.reingest's payload names them. */
const arenaTables = catalogue.jobs['arena.reingest'].payload.shape.table.options;
const defaultTimeoutSeconds = 600;

interface ReingestOptions {
  table: string;
  tiltakskode?: string;
  dryRun?: boolean;
  wait?: boolean;
  timeout?: number;
}

interface StaleRow {
  arena_id: string;
  newest_id: string;
  newest_pos: string;
  last_id: string;
  last_pos: string;
  last_at: Date;
  total: string;
}

/**
 * Seed 003's check after a reingest: the arena_ids whose newest HANDLED message (highest position)
 * is not the HANDLED message processed last (a newer message was handled while an older one was
 * reprocessed, so the older state was published last).
 */
const staleQuery = `
  WITH newest AS (
    SELECT DISTINCT ON (arena_id) arena_id, id, operation_pos FROM arena_data
     WHERE arena_table_name = $1 AND ingest_status = 'HANDLED' ORDER BY arena_id, operation_pos DESC
  ), last_ingested AS (
    SELECT DISTINCT ON (arena_id) arena_id, id, operation_pos, ingested_timestamp FROM arena_data
     WHERE arena_table_name = $1 AND ingest_status = 'HANDLED' ORDER BY arena_id, ingested_timestamp DESC, operation_pos DESC
  )
  SELECT n.arena_id, n.id AS newest_id, n.operation_pos AS newest_pos, l.id AS last_id, l.operation_pos AS last_pos,
         l.ingested_timestamp AS last_at, count(*) OVER () AS total
    FROM newest n JOIN last_ingested l USING (arena_id)
   WHERE n.id <> l.id
   ORDER BY n.arena_id
   LIMIT $2`;

export const registerArena: RegisterCommand = (program, kit) => {
  const arena = program.command('arena').description('arena-ingest operator tasks: reingest a table, list stale participants');

  arena
    .command('reingest')
    .description('queue arena.reingest: the newest HANDLED row of every arena_id of a table back to RETRY; arena.retry then republishes them')
    .addOption(new Option('--table <table>', 'the Arena table').choices(arenaTables).makeOptionMandatory())
    .option('--tiltakskode <code>', 'only participants (or gjennomføringer) of this tiltak code, e.g. INDOPPFAG')
    .option('--dry-run', 'count the rows it would mark, change nothing')
    .option('--wait', 'follow the reingest job to its end and print how many rows it marked (exit 1 if it fails or times out)')
    .addOption(new Option('--timeout <seconds>', `with --wait: how long to follow it (default ${defaultTimeoutSeconds})`).argParser(parseSeconds))
    .addHelpText(
      'after',
      `
The worker of the arena-ingest queue does the work; afterwards run \`fleet arena stale --table …\`.
Examples:
  fleet arena reingest --table SIAMO.TILTAKDELTAKER --wait
  fleet arena reingest --table SIAMO.TILTAKDELTAKER --tiltakskode INDOPPFAG --dry-run --wait`,
    )
    .action(
      kit.run(async (io, options: ReingestOptions) => {
        if (options.timeout !== undefined && !options.wait) throw new UsageError('--timeout only applies with --wait');
        const control = kit.context.control();
        const payload = { table: options.table, ...(options.tiltakskode !== undefined ? { tiltakskode: options.tiltakskode } : {}) };
        const dryRun = options.dryRun === true;
        control.validate('arena.reingest', payload, { dryRun }); // bad input: exit 2, nothing queued
        await kit.context.connect({ redis: true });
        const queued = await control.enqueue('arena.reingest', payload, { dryRun });
        const document = { job: 'arena.reingest', jobId: queued.jobId, queue: queued.queue, deduplicated: queued.deduplicated, ...payload, dryRun };
        const what = `arena.reingest of ${options.table}${options.tiltakskode ? ` (tiltakskode ${options.tiltakskode})` : ''}${dryRun ? ' (dry run)' : ''}`;
        if (!options.wait) {
          io.print(document, () => `queued ${what} as job ${queued.jobId} on queue ${queued.queue}\n`);
          return exitCodes.ok;
        }
        const timeoutSeconds = options.timeout ?? defaultTimeoutSeconds;
        io.note(`queued ${what} as job ${queued.jobId}; waiting for it to end (up to ${timeoutSeconds}s)…`);
        const outcome = await control.waitFor(queued.queue, queued.jobId, timeoutSeconds * 1000);
        const run = (outcome.returnvalue ?? {}) as { status?: string; result?: { marked?: number; wouldMark?: number; retryJobId?: string | null } };
        io.print({ ...document, state: outcome.state, result: run.result ?? null, failedReason: outcome.failedReason }, () => {
          if (outcome.state !== 'completed') return '';
          if (dryRun) return `${run.result?.wouldMark ?? 0} row(s) of ${options.table} would be marked RETRY (dry run: nothing changed)\n`;
          const retry = run.result?.retryJobId ? `; arena.retry (job ${run.result.retryJobId}) republishes them` : '';
          return `${run.result?.marked ?? 0} row(s) of ${options.table} marked RETRY${retry}\n`;
        });
        if (outcome.state === 'completed' && run.status === 'succeeded') return exitCodes.ok;
        io.warn(
          outcome.state === 'failed'
            ? `fleet: job ${queued.jobId} (arena.reingest) failed after ${outcome.attemptsMade} attempt(s): ${outcome.failedReason ?? 'no reason given'}`
            : outcome.state === 'completed'
              ? `fleet: job ${queued.jobId} (arena.reingest) ended ${run.status ?? 'without a status'}`
              : `fleet: timed out after ${timeoutSeconds}s: job ${queued.jobId} (arena.reingest) is still ${outcome.state}; it was not cancelled`,
        );
        return exitCodes.failed;
      }),
    );

  arena
    .command('stale')
    .description("seed 003's check after a reingest: the arena_ids whose newest HANDLED message is not the one handled last")
    .addOption(new Option('--table <table>', 'the Arena table').choices(arenaTables).makeOptionMandatory())
    .addOption(new Option('--limit <n>', 'list at most this many (1-1000)').argParser(parseLimit).default(100))
    .action(
      kit.run(async (io, options: { table: string; limit: number }) => {
        await kit.context.connect({ postgres: true });
        const { rows } = await kit.context.pool().query<StaleRow>(staleQuery, [options.table, options.limit]);
        const total = Number(rows[0]?.total ?? 0);
        const stale = rows.map((r) => ({
          arenaId: r.arena_id,
          newestId: r.newest_id,
          newestPos: r.newest_pos,
          lastHandledId: r.last_id,
          lastHandledPos: r.last_pos,
          lastHandledAt: r.last_at,
        }));
        io.print({ table: options.table, total, stale }, () =>
          total === 0
            ? `no stale arena_id in ${options.table}: every newest HANDLED message is the one handled last\n`
            : `${total} stale arena_id(s) in ${options.table}${total > stale.length ? ` (first ${stale.length} shown)` : ''}: the newest message is not the one handled last\n` +
              renderTable(
                ['ARENA ID', 'NEWEST POS', 'NEWEST ROW', 'LAST HANDLED POS', 'LAST HANDLED ROW', 'HANDLED AT'],
                stale.map((s) => [s.arenaId, s.newestPos, s.newestId, s.lastHandledPos, s.lastHandledId, formatTime(s.lastHandledAt)]),
              ) +
              `Reprocess their newest message (arena.retry then republishes it):\n  UPDATE arena_data SET ingest_status = 'RETRY', ingest_attempts = 0, last_attempted = NULL WHERE id IN (${stale.map((s) => s.newestId).join(', ')});\n`,
        );
      }),
    );
};
