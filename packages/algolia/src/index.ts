// Algolia adapters shaped for the jobs: a client factory (real hosts or the emulator), a
// memory-flat browse, bounded-concurrency batch writes, and the index-move lookup in the logs.
export { createAlgoliaClient, toAlgoliaHosts } from './client.ts';
export type { AlgoliaClient, AlgoliaClientConfig, AlgoliaHost } from './client.ts';
export { browseAll } from './browse.ts';
export type { AlgoliaHit, BrowseAllOptions } from './browse.ts';
export { chunk, partialUpdateBatches, saveRecords, sendBatches } from './batches.ts';
export type {
  AlgoliaRecordInput,
  BatchProgress,
  BatchesResult,
  PartialUpdateBatchesOptions,
  RefusedRecord,
  SaveRecordsOptions,
  SendBatchesOptions,
  WriteAction,
} from './batches.ts';
export { findIndexMovesSince, parseIndexMove, parseLogTimestamp } from './index-moves.ts';
export type { AlgoliaLog, FindIndexMovesOptions, IndexMove } from './index-moves.ts';
export { algoliaStatusOf, isTransientAlgoliaError, retryDelayMs, withAlgoliaRetry } from './retry.ts';
export type { RetryOptions } from './retry.ts';
