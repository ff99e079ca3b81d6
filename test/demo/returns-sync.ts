// returns-sync in the demo: an Algolia emulator (in the demo's process) for the returns index,
// returns seeded into the demo database's `order_returns` (spread over the last three days), a few
// of them changed every `changeEveryMs` (status moves on, updated_at = now), and a `returns.sync`
// enqueued every `syncEveryMs` (the scheduler's default is every 15 minutes: too slow to watch), so
// that the dashboard shows runs, each with its page jobs on `returns-sync-processing`.
//
// Standalone, to try the worker by hand: `npm exec -- node test/demo/returns-sync.ts` (DATABASE_URL
// of a migrated database, REDIS_URL) seeds, prints the env for the worker and keeps changing
// returns and enqueueing runs until Ctrl-C.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { catalogue } from '@syncfleet/jobs';
import { createFleetQueue, enqueueJob } from '@syncfleet/runtime';
import { startAlgoliaEmulator } from '../emulators/algolia.ts';
import { seedReturns, touchReturns } from '../support/returns.ts';
import type { DemoContext, DemoPart } from './types.ts';
import { runDemoStandalone } from '../support/standalone.ts';

export interface ReturnsSyncDemoOptions {
  /** Returns in the table (seeded once: a database that has them already keeps them). */
  returns?: number;
  /** Time between two rounds of changes; 0: none. */
  changeEveryMs?: number;
  /** Returns changed per round. */
  changesPerRound?: number;
  /** Time between two `returns.sync` the demo enqueues; 0: leave it to the scheduler's cron. */
  syncEveryMs?: number;
}

const TABLE = 'order_returns';
const INDEX = 'order_returns';

export async function startReturnsSyncDemo(context: DemoContext, options: ReturnsSyncDemoOptions = {}): Promise<DemoPart> {
  const { returns = 20_000, changeEveryMs = 10_000, changesPerRound = 25, syncEveryMs = 30_000 } = options;
  const pool = new pg.Pool({ connectionString: context.databaseUrl, max: 2 });
  const cleanups: Array<() => Promise<unknown>> = [async () => pool.end()];
  const stopAll = async (): Promise<void> => {
    while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
  };
  try {
    const { rows } = await pool.query<{ n: string; max: string | null }>(`SELECT count(*) AS n, max(id) AS max FROM ${TABLE}`);
    const have = Number(rows[0]!.n);
    if (have < returns) {
      const now = Date.now();
      await seedReturns(pool, TABLE, {
        firstId: Number(rows[0]!.max ?? 0) + 1,
        count: returns - have,
        from: new Date(now - 3 * 24 * 3600_000),
        to: new Date(now - 60_000),
      });
      context.log(`returns-sync demo: ${returns - have} returns seeded into ${TABLE} (changed over the last three days)`);
    }
    const { rows: ids } = await pool.query<{ first: string; last: string }>(`SELECT min(id) AS first, max(id) AS last FROM ${TABLE}`);
    const firstId = Number(ids[0]!.first);
    const lastId = Number(ids[0]!.last);

    const emulator = await startAlgoliaEmulator();
    cleanups.push(() => emulator.close());
    const dumpDir = await mkdtemp(join(tmpdir(), 'syncfleet-returns-dumps-'));
    cleanups.push(() => rm(dumpDir, { recursive: true, force: true }));

    let round = 0;
    const change = async (): Promise<void> => {
      round += 1;
      const picked = Array.from({ length: changesPerRound }, (_, i) => firstId + ((round * 7919 + i * 104_729) % (lastId - firstId + 1)));
      await touchReturns(pool, TABLE, picked);
      context.log(`returns-sync demo: round #${round}: ${picked.length} returns moved to their next status; the next returns.sync pushes them`);
    };
    const changeTimer =
      changeEveryMs > 0
        ? setInterval(() => {
            change().catch((error: unknown) => context.log(`returns-sync demo: change failed: ${error instanceof Error ? error.message : String(error)}`));
          }, changeEveryMs)
        : undefined;
    changeTimer?.unref();
    if (changeTimer) cleanups.push(async () => clearInterval(changeTimer));

    let syncTimer: NodeJS.Timeout | undefined;
    if (syncEveryMs > 0) {
      const redis = new Redis(context.redisUrl, { maxRetriesPerRequest: 3 });
      redis.on('error', () => undefined);
      cleanups.push(async () => redis.quit().catch(() => undefined));
      const queue = createFleetQueue(redis, context.fleetPrefix, 'returns-sync');
      cleanups.push(() => queue.close());
      const sync = (): void => {
        enqueueJob(queue, catalogue.jobs['returns.sync'], {}, { deduplicationId: 'returns-sync-demo' }).catch((error: unknown) =>
          context.log(`returns-sync demo: returns.sync not enqueued: ${error instanceof Error ? error.message : String(error)}`),
        );
      };
      syncTimer = setInterval(sync, syncEveryMs);
      syncTimer.unref();
      cleanups.push(async () => clearInterval(syncTimer));
      sync();
    }

    return {
      env: {
        ALGOLIA_APP_ID: emulator.appId,
        ALGOLIA_API_KEY: emulator.apiKey,
        ALGOLIA_HOSTS: emulator.url,
        ALGOLIA_INDEX_NAME: INDEX,
        RETURNS_SOURCE_TABLE: TABLE,
        // several pages per run, to see them fan out on the dashboard
        RETURNS_PAGE_SIZE: '500',
        RETURNS_DUMP_DIR: dumpDir,
        // a run left active by an earlier demo that was killed is taken over soon
        RETURNS_STALE_AFTER: '2m',
      },
      links: [
        ['algolia emulator', `${emulator.url}  (index "${INDEX}": the returns of ${TABLE})`],
        [
          'returns',
          `${lastId - firstId + 1} in ${TABLE}; ${changesPerRound} change every ${Math.round(changeEveryMs / 1000)} s` +
            (syncEveryMs > 0 ? `; a returns.sync every ${Math.round(syncEveryMs / 1000)} s (the demo enqueues it)` : ''),
        ],
        ['returns dumps', `${dumpDir}  (fleet enqueue returns.dump)`],
      ],
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The demo's contract (test/demo/types.ts). */
export function startDemo(context: DemoContext): Promise<DemoPart> {
  return startReturnsSyncDemo(context);
}

if (import.meta.main) {
  await runDemoStandalone('returns-sync', startReturnsSyncDemo);
}
