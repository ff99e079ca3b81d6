// docker-compose.yml as our users run it (no Docker engine runs here): with the settings its header
// asks for in .env, every app service's environment, interpolated as compose does, parses with that
// app's own env schema and names no variable the app does not read; without API_TOKEN compose
// refuses to start. Pure: reads the file, starts nothing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import type { z } from 'zod';
import { ConfigError, parseEnv } from '@syncfleet/config';
import { catalogue, scheduleEnvNames, type JobDefinition } from '@syncfleet/jobs';
import { WorkerEnv } from '@syncfleet/runtime';
import { ArenaIngestEnv } from '../apps/arena-ingest/src/env.ts';
import { DispoPatcherEnv } from '../apps/dispo-patcher/src/env.ts';
import { ReturnsSyncEnv } from '../apps/returns-sync/src/env.ts';
import { SchedulerBaseEnv, SchedulerEnv } from '../apps/scheduler/src/env.ts';
import { lagAlertEnvName } from '../apps/scheduler/src/lag-alerts.ts';
import { SlotSyncEnv } from '../apps/slot-sync/src/env.ts';
import { repoRoot } from './support/processes.ts';

interface Service {
  command?: string[];
  environment?: Record<string, string | number | boolean | null>;
}

const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };

/** What the header of docker-compose.yml asks users to put in .env. */
const dotEnv: Record<string, string> = {
  POSTGRES_PASSWORD: 'a-postgres-password',
  TEAMS_WEBHOOK_URL: 'https://example.webhook.office.com/webhookb2/abc/IncomingWebhook/def/ghi',
  API_TOKEN: 'an-api-token-of-32-characters-xx',
  ALGOLIA_APP_ID: 'APPID123',
  ALGOLIA_API_KEY: 'an-algolia-admin-key',
  WIW_KEY: 'a-wiw-token',
  ARENA_PERSON_LOOKUP_URL: 'http://arena-ords:8080/api/ords/fnr',
};

/** Compose's interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `$$`. */
function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, name?: string, op?: string, arg?: string, bare?: string) => {
    if (match === '$$') return '$';
    const key = (name ?? bare)!;
    const set = env[key];
    const missing = op?.startsWith(':') ? set === undefined || set === '' : set === undefined;
    if (op?.endsWith('?') && missing) throw new Error(`required variable ${key} is missing a value: ${arg}`);
    if (op?.endsWith('-') && missing) return arg ?? '';
    return set ?? '';
  });
}

function environmentOf(service: Service, env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([name, value]) => [name, interpolate(value === null ? '' : String(value), env)]));
}

const namesOf = (schema: z.ZodObject): string[] => Object.keys(schema.shape);
const scheduledJobs = (Object.values(catalogue.jobs) as JobDefinition[]).filter((job) => job.schedule);
const syncs = [...new Set(Object.values(catalogue.queues).map((q) => q.sync))];
/** Read by node itself (every app) and by the image's HEALTHCHECK (the scheduler's /healthz is on API_PORT). */
const readOutsideTheApp = ['NODE_OPTIONS', 'HEALTH_PORT'];

const apps: Record<string, { schema: z.ZodType; names: string[] }> = {
  'apps/scheduler/src/main.ts': {
    schema: SchedulerEnv,
    names: [
      ...namesOf(SchedulerBaseEnv),
      ...scheduledJobs.flatMap((job) => [...Object.values(scheduleEnvNames(job.name)), ...(job.scheduleSecondsEnv ? [job.scheduleSecondsEnv] : [])]),
      ...syncs.map(lagAlertEnvName),
    ],
  },
  'apps/sample-worker/src/main.ts': { schema: WorkerEnv, names: namesOf(WorkerEnv) },
  'apps/dispo-patcher/src/main.ts': { schema: DispoPatcherEnv, names: namesOf(DispoPatcherEnv) },
  'apps/returns-sync/src/main.ts': { schema: ReturnsSyncEnv, names: namesOf(ReturnsSyncEnv) },
  'apps/slot-sync/src/main.ts': { schema: SlotSyncEnv, names: namesOf(SlotSyncEnv) },
  'apps/arena-ingest/src/main.ts': { schema: ArenaIngestEnv, names: namesOf(ArenaIngestEnv) },
};

const appServices = Object.entries(compose.services).filter(([, service]) => service.command?.[0]?.startsWith('apps/'));

describe('docker-compose.yml', () => {
  test('runs every app: the scheduler and one service per worker app', () => {
    expect(new Set(appServices.map(([, service]) => service.command![0]))).toEqual(new Set(Object.keys(apps)));
    expect(compose.services.migrate?.command).toEqual(['packages/db/src/migrate-cli.ts']);
    expect(environmentOf(compose.services.migrate!, dotEnv).DATABASE_URL).toBe('postgres://syncfleet:a-postgres-password@postgres:5432/syncfleet');
  });

  test.each(appServices.map(([name, service]) => [name, service] as const))(
    '%s: its environment parses with its app env schema and names only variables the app reads',
    (_name, service) => {
      const app = apps[service.command![0]!]!;
      const env = environmentOf(service, dotEnv);
      expect(() => parseEnv(app.schema, env)).not.toThrow();
      const known = new Set([...app.names, ...readOutsideTheApp]);
      expect(Object.keys(env).filter((name) => !known.has(name))).toEqual([]);
    },
  );

  test('without API_TOKEN compose refuses to start; without its credentials a sync exits naming them', () => {
    const { API_TOKEN: _token, ALGOLIA_APP_ID: _id, ALGOLIA_API_KEY: _key, ...rest } = dotEnv;
    expect(() => environmentOf(compose.services.scheduler!, rest)).toThrow(/API_TOKEN is missing a value: set API_TOKEN \(at least 16 characters\)/);
    let missing: string[] = [];
    try {
      parseEnv(DispoPatcherEnv, environmentOf(compose.services['dispo-patcher']!, rest));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      missing = error.issues.map((issue) => issue.variable);
    }
    expect(missing.sort()).toEqual(['ALGOLIA_API_KEY', 'ALGOLIA_APP_ID']);
  });
});
