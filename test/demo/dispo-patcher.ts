// dispo-patcher in the demo: an Algolia emulator (in the demo's process) holding a few thousand
// offers, and reindexes done the way production does them (the offers rebuilt into `offers_tmp`,
// then moved onto `offers`), so that the next `dispo.check` finds the move in Algolia's logs and
// patches customerDispo. The first reindex happens right away, then one every `reindexEveryMs`.
//
// Standalone, to try the worker by hand: `npm exec -- node test/demo/dispo-patcher.ts` starts the
// emulator, prints the env for the worker, reindexes every two minutes, stops on Ctrl-C.
import { createAlgoliaClient } from '@syncfleet/algolia';
import { generateOffers, startAlgoliaEmulator, type AlgoliaRecord } from '../emulators/algolia.ts';
import { runDemoStandalone } from '../support/standalone.ts';
import type { DemoContext, DemoPart } from './types.ts';

export interface DispoPatcherDemoOptions {
  /** Offers in the index (the seed's volume was about 4,500). */
  offers?: number;
  /** Time between two reindexes; 0: only the first one. */
  reindexEveryMs?: number;
}

const INDEX = 'offers';
const TMP = 'offers_tmp';

export async function startDispoPatcherDemo(context: DemoContext, options: DispoPatcherDemoOptions = {}): Promise<DemoPart> {
  const { offers = 4500, reindexEveryMs = 120_000 } = options;
  const emulator = await startAlgoliaEmulator();
  const client = createAlgoliaClient({ appId: emulator.appId, apiKey: emulator.apiKey, hosts: [emulator.url] });
  // the site's index as it stands (some customerDispo right, some stale, some missing)
  emulator.indices.put(INDEX, generateOffers(offers, 1));

  let round = 0;
  const reindex = async (): Promise<void> => {
    round += 1;
    // each rebuild comes from a fresh feed: availabilities move, customerDispo is stale again
    const feed = [...generateOffers(offers, 1 + round)] as unknown as AlgoliaRecord[];
    await client.saveObjects({ indexName: TMP, objects: feed, waitForTasks: true });
    const moved = await client.operationIndex({ indexName: TMP, operationIndexParams: { operation: 'move', destination: INDEX } });
    await client.waitForTask({ indexName: TMP, taskID: moved.taskID });
    context.log(`dispo-patcher demo: reindex #${round}: ${offers} offers rebuilt into ${TMP} and moved onto ${INDEX}; the next dispo.check patches customerDispo`);
  };
  const safeReindex = (): void => {
    reindex().catch((error: unknown) => context.log(`dispo-patcher demo: reindex failed: ${error instanceof Error ? error.message : String(error)}`));
  };

  await reindex();
  const timer = reindexEveryMs > 0 ? setInterval(safeReindex, reindexEveryMs) : undefined;
  timer?.unref();

  return {
    env: {
      ALGOLIA_APP_ID: emulator.appId,
      ALGOLIA_API_KEY: emulator.apiKey,
      ALGOLIA_INDEX_NAME: INDEX,
      ALGOLIA_TMP_INDEX_NAME: TMP,
      ALGOLIA_HOSTS: emulator.url,
    },
    links: [
      [
        'algolia emulator',
        `${emulator.url}  (index "${INDEX}", ${offers} offers; reindex ${TMP} -> ${INDEX} now${reindexEveryMs > 0 ? ` and every ${Math.round(reindexEveryMs / 1000)} s` : ''})`,
      ],
    ],
    async stop() {
      if (timer) clearInterval(timer);
      await emulator.close();
    },
  };
}

/** The demo's contract (test/demo/types.ts): the default setup. */
export function startDemo(context: DemoContext): Promise<DemoPart> {
  return startDispoPatcherDemo(context);
}

if (import.meta.main) {
  await runDemoStandalone('dispo-patcher', startDispoPatcherDemo);
}
