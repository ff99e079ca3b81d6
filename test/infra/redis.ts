// Ensures a Redis server: reuse the one at REDIS_URL if it answers, otherwise start redis-server on a
// free port (installing it with apt if missing). Idempotent across processes via a state file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { aptInstall, commandExists, freePort, waitFor } from './process.ts';

const stateDir = join(tmpdir(), 'syncfleet-redis');
const stateFile = join(stateDir, 'state.json');

export interface RedisServer {
  url: string;
  startedHere: boolean;
  stop(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export async function ensureRedis(log: (msg: string) => void = () => undefined): Promise<RedisServer> {
  const configured = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (await answers(configured)) return { url: configured, startedHere: false, stop: async () => undefined };
  try {
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { url: string };
    if (await answers(state.url)) return { url: state.url, startedHere: false, stop: async () => undefined };
  } catch {
    // no usable state: start one below
  }
  if (!commandExists('redis-server')) aptInstall(['redis-server'], log);
  const port = await freePort();
  const dir = join(stateDir, String(port));
  mkdirSync(dir, { recursive: true });
  log(`starting redis-server on 127.0.0.1:${port}`);
  execFileSync('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'yes', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--logfile', join(dir, 'redis.log'), '--pidfile', join(dir, 'redis.pid'),
  ]);
  const url = `redis://127.0.0.1:${port}`;
  await waitFor('redis-server', () => answers(url), 15_000);
  writeFileSync(stateFile, JSON.stringify({ url }));
  return {
    url,
    startedHere: true,
    async stop() {
      const client = new Redis(url, { maxRetriesPerRequest: 0 });
      client.on('error', () => undefined);
      await client.shutdown('NOSAVE').catch(() => undefined);
      client.disconnect();
      rmSync(stateFile, { force: true });
    },
  };
}

/**
 * Removes every Redis key of a fleet prefix (a test's or a benchmark's): the fleet's own keys
 * (`{prefix}...`) and the ones an app names after it (`prefix:...`, e.g. slot-sync's cache).
 */
export async function deletePrefixKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    for (const pattern of [`{${prefix}}*`, `${prefix}:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
