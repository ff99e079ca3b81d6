// Every command of `fleet`, in help order. A new command is a file in this folder plus one line here.
import type { RegisterCommand } from '../program.ts';
import { registerArena } from './arena.ts';
import { registerClean } from './clean.ts';
import { registerEnqueue } from './enqueue.ts';
import { registerJobs } from './jobs.ts';
import { registerMigrate } from './migrate.ts';
import { registerQueueCommands } from './queue.ts';
import { registerReturns } from './returns.ts';
import { registerRuns } from './runs.ts';
import { registerSchedules } from './schedules.ts';
import { registerStatus } from './status.ts';

export const commands: RegisterCommand[] = [
  registerJobs,
  registerSchedules,
  registerStatus,
  registerRuns,
  registerEnqueue,
  registerQueueCommands,
  registerClean,
  registerMigrate,
  registerArena,
  registerReturns,
];
