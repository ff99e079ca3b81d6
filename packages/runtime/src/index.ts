export { assertHandlersMatchQueue, assertHandlersMatchQueues, createWorkerApp } from './worker-app.ts';
export type { HandlerMap, JobHandler, RunContext, RunOutcome, RunSummary, WorkerApp, WorkerAppOptions } from './worker-app.ts';
export { WorkerEnv, type WorkerConfig } from './env.ts';
export { runUntilSignalled } from './main.ts';
export { assertValidPayload, createFleetQueue, enqueueJob, InvalidPayloadError, jobOptionsFor, type EnqueueOptions } from './enqueue.ts';
export { bullPrefix, fleetKeys, type FleetKeys } from './keys.ts';
export { createLedgerFlusher, mergeRunRecords, writeRunRecords, runStatuses, type RunRecord, type RunStatus } from './ledger.ts';
export { CleanupStack } from './cleanup-stack.ts';
export { withResources } from './with-resources.ts';
