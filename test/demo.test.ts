// The README's first command: `npm run demo` starts the fleet on local defaults, prints the dashboard
// URL and a generated API token that work, keeps sample jobs flowing, and stops cleanly (exit 0).
// Run in its own namespace (DEMO_FLEET_PREFIX, DEMO_DATABASE) against the test servers.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, expect, inject, test } from 'vitest';
import { dropDatabase } from './infra/postgres.ts';
import { deletePrefixKeys, randomSuffix, testPrefix, waitUntil } from './support/fixtures.ts';
import { repoRoot } from './support/processes.ts';

const prefix = testPrefix();
const database = `sf_demo_${randomSuffix()}`;

function exitedEarly(output: string): never {
  throw new Error(`the demo exited before its banner:\n${output.slice(-4000)}`);
}

afterAll(async () => {
  await dropDatabase(inject('pgAdminUrl'), database);
  await deletePrefixKeys(inject('redisUrl'), prefix);
});

test('npm run demo: the fleet runs, the printed dashboard URL and token work, SIGINT (Ctrl-C) stops everything with exit 0', async () => {
  const child = spawn(process.execPath, [join(repoRoot, 'test', 'demo.ts'), '--for', '150'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      REDIS_URL: inject('redisUrl'),
      DATABASE_URL: inject('pgAdminUrl'),
      KAFKA_BROKERS: inject('kafkaBrokers'),
      DEMO_FLEET_PREFIX: prefix,
      DEMO_DATABASE: database,
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const banner = await waitUntil(
      'the demo banner',
      () => {
        const token = /api token\s+(\S+)/.exec(out)?.[1];
        const dashboard = /dashboard\s+(http:\/\/\S+\/admin\/queues)/.exec(out)?.[1];
        return token && dashboard ? { token, dashboard } : child.exitCode !== null ? exitedEarly(out) : undefined;
      },
      120_000,
    );

    const refused = await fetch(banner.dashboard);
    expect(refused.status).toBe(401);
    const basic = Buffer.from(`operator:${banner.token}`).toString('base64');
    const page = await fetch(banner.dashboard, { headers: { authorization: `Basic ${basic}` } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const api = new URL('/api/syncs', banner.dashboard);
    const syncs = await fetch(api, { headers: { authorization: `Bearer ${banner.token}` } });
    expect(syncs.status).toBe(200);
    expect(JSON.stringify(await syncs.json())).toContain('"sample"');

    // sample data flows: the initial load the demo enqueues succeeds
    await waitUntil('sample.initial to succeed', () => /run finished sample\.initial #\S+ succeeded/.test(out), 30_000);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('stopped cleanly');
    expect(out).not.toMatch(/exited unexpectedly/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}, 240_000);
