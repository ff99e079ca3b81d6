import type { z } from 'zod';
import { envUrl } from '@syncfleet/config';
import { WorkerEnv } from '@syncfleet/runtime';

/** The CLI reads the same variables as the worker apps (same names, same defaults). */
export const CliEnv = WorkerEnv.pick({ REDIS_URL: true, DATABASE_URL: true, FLEET_PREFIX: true }).extend({
  /** returns-sync's database when it is not DATABASE_URL (`fleet returns refused`). */
  RETURNS_DATABASE_URL: envUrl({ protocols: ['postgres:', 'postgresql:'] }).optional(),
});
export type CliConfig = z.output<typeof CliEnv>;
