// Every record of an index, page by page, with the browse cursor: one page in memory at a time,
// and the next page is only requested when the consumer asks for it (backpressure).
import type { AlgoliaClient } from './client.ts';
import { withAlgoliaRetry, type RetryOptions } from './retry.ts';

export type AlgoliaHit = Record<string, unknown> & { objectID: string };

export interface BrowseAllOptions {
  attributesToRetrieve?: readonly string[] | undefined;
  /** At most 1000 (Algolia's limit). */
  hitsPerPage?: number;
  retry?: RetryOptions | undefined;
}

export async function* browseAll(client: AlgoliaClient, indexName: string, options: BrowseAllOptions = {}): AsyncGenerator<AlgoliaHit[], void, undefined> {
  const { attributesToRetrieve, hitsPerPage = 1000, retry } = options;
  if (!Number.isInteger(hitsPerPage) || hitsPerPage < 1 || hitsPerPage > 1000) throw new RangeError('hitsPerPage must be an integer between 1 and 1000');
  let cursor: string | undefined;
  do {
    const browseParams = {
      hitsPerPage,
      ...(attributesToRetrieve === undefined ? {} : { attributesToRetrieve: [...attributesToRetrieve] }),
      ...(cursor === undefined ? {} : { cursor }),
    };
    const page = await withAlgoliaRetry(() => client.browse<Record<string, unknown>>({ indexName, browseParams }), retry);
    // the last page has no cursor (absent, never null)
    cursor = typeof page.cursor === 'string' && page.cursor !== '' ? page.cursor : undefined;
    if (page.hits.length > 0) yield page.hits;
  } while (cursor !== undefined);
}
