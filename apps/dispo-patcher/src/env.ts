import { z } from 'zod';
import { toAlgoliaHosts } from '@syncfleet/algolia';
import { envBoolean, envInt, envList } from '@syncfleet/config';
import { WorkerEnv } from '@syncfleet/runtime';

const indexName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters');

const ownFields = ['ALGOLIA_INDEX_NAME', 'ALGOLIA_TMP_INDEX_NAME', 'DISPO_DRY_RUN_NOTIFY', 'TEAMS_WEBHOOK_URL'] as const;

/** dispo-patcher's env: every worker's variables, Algolia's, and the patch's own. */
export const DispoPatcherEnv = WorkerEnv.extend({
  ALGOLIA_APP_ID: z.string().trim().min(1, 'required but empty'),
  /** A key with the browse, addObject (partial updates) and logs ACLs. Never logged. */
  ALGOLIA_API_KEY: z.string().trim().min(1, 'required but empty'),
  /** The master offers index that the site searches. */
  ALGOLIA_INDEX_NAME: indexName,
  /** The temporary index that a reindex builds and then moves onto the master. Default `<ALGOLIA_INDEX_NAME>_tmp`. */
  ALGOLIA_TMP_INDEX_NAME: indexName.optional(),
  /** Replaces Algolia's hosts, e.g. `http://127.0.0.1:8108` (the emulator); comma-separated. */
  ALGOLIA_HOSTS: envList().superRefine((urls, ctx) => {
    try {
      toAlgoliaHosts(urls);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
    }
  }),
  /**
   * Every run computes and reports, and writes nothing to Algolia; the real watermark does not move
   * (dry runs keep one of their own, so that each reindex is reported once, not every minute).
   */
  DISPO_DRY_RUN: envBoolean(false),
  /** A dry run (from DISPO_DRY_RUN or the payload) posts a test card to TEAMS_WEBHOOK_URL. */
  DISPO_DRY_RUN_NOTIFY: envBoolean(false),
  /** Partial updates per batch call (Algolia advises at most 1000 records per batch). */
  DISPO_BATCH_SIZE: envInt({ min: 1, max: 1000, default: 1000 }),
  /** Batch calls in flight at once. */
  DISPO_MAX_IN_FLIGHT: envInt({ min: 1, max: 32, default: 4 }),
}).superRefine(
  (env, ctx) => {
    const tmp = env.ALGOLIA_TMP_INDEX_NAME ?? `${env.ALGOLIA_INDEX_NAME}_tmp`;
    if (tmp === env.ALGOLIA_INDEX_NAME) {
      ctx.addIssue({ code: 'custom', path: ['ALGOLIA_TMP_INDEX_NAME'], message: 'must differ from ALGOLIA_INDEX_NAME' });
    }
    if (env.DISPO_DRY_RUN_NOTIFY && env.TEAMS_WEBHOOK_URL === undefined) {
      ctx.addIssue({ code: 'custom', path: ['DISPO_DRY_RUN_NOTIFY'], message: 'DISPO_DRY_RUN_NOTIFY=true needs TEAMS_WEBHOOK_URL' });
    }
  },
  {
    // runs even when unrelated variables are invalid, so one parse lists every problem
    when: (payload) => {
      const env = payload.value as Record<string, unknown>;
      return typeof env.ALGOLIA_INDEX_NAME === 'string' && ownFields.every((name) => env[name] === undefined || typeof env[name] === 'string' || typeof env[name] === 'boolean');
    },
  },
);
export type DispoPatcherConfig = z.output<typeof DispoPatcherEnv>;

/** The temporary index name, defaulted. */
export function tmpIndexOf(config: Pick<DispoPatcherConfig, 'ALGOLIA_INDEX_NAME' | 'ALGOLIA_TMP_INDEX_NAME'>): string {
  return config.ALGOLIA_TMP_INDEX_NAME ?? `${config.ALGOLIA_INDEX_NAME}_tmp`;
}
