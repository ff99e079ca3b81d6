import type { z } from 'zod';
import { WorkerEnv } from '@syncfleet/runtime';

/** The CLI reads the same variables as the worker apps (same names, same defaults). */
export const CliEnv = WorkerEnv.pick({ REDIS_URL: true, DATABASE_URL: true, FLEET_PREFIX: true });
export type CliConfig = z.output<typeof CliEnv>;
