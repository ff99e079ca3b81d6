// Everything the tests, the demo and the benchmarks need running: Redis, Postgres (with the migrated
// template database) and Kafka. Reuses servers that answer; starts (and installs) what is missing.
import { ensureKafka } from './kafka.ts';
import { ensurePostgres, ensureTemplateDatabase } from './postgres.ts';
import { ensureRedis } from './redis.ts';

export interface Infra {
  redisUrl: string;
  pgAdminUrl: string;
  templateDatabase: string;
  kafkaBrokers: string[];
  /** Stops the servers this call started (never one that was already running). */
  stopWhatWeStarted(): Promise<void>;
}

export async function ensureInfra(log: (msg: string) => void, options: { kafka?: boolean } = {}): Promise<Infra> {
  const [redis, postgres] = await Promise.all([ensureRedis(log), ensurePostgres(log)]);
  const kafka = options.kafka === false ? undefined : await ensureKafka({ log });
  const templateDatabase = await ensureTemplateDatabase(postgres.adminUrl);
  return {
    redisUrl: redis.url,
    pgAdminUrl: postgres.adminUrl,
    templateDatabase,
    kafkaBrokers: kafka?.brokers ?? [],
    async stopWhatWeStarted() {
      await kafka?.stop();
      await postgres.stop();
      await redis.stop();
    },
  };
}
