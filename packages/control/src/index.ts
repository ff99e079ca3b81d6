export { createFleetControl } from './fleet-control.ts';
export type { EnqueueResult, FleetControl, FleetControlOptions, JobInfo, JobOutcome, RunRow, ScheduleInfo, SyncStatus } from './fleet-control.ts';
export { DryRunNotSupportedError, UnknownJobError, UnknownQueueError, UnknownSyncError } from './errors.ts';
