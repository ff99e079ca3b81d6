// Runs once before every test: makes sure real Redis, Postgres and Kafka answer (starting them when
// they do not), builds the migrated template database, and hands their addresses to the tests.
import type { TestProject } from 'vitest/node';
import { ensureInfra } from './infra/index.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    pgAdminUrl: string;
    templateDatabase: string;
    kafkaBrokers: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const infra = await ensureInfra((msg) => process.stderr.write(`[infra] ${msg}\n`));
  project.provide('redisUrl', infra.redisUrl);
  project.provide('pgAdminUrl', infra.pgAdminUrl);
  project.provide('templateDatabase', infra.templateDatabase);
  project.provide('kafkaBrokers', infra.kafkaBrokers.join(','));
  return async () => {
    if (process.env.KEEP_INFRA === '1') return;
    await infra.stopWhatWeStarted();
  };
}
