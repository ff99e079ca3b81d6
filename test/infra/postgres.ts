// Ensures a PostgreSQL server: reuse the one at DATABASE_URL if it answers, otherwise initdb + start
// one on a free port (installing PostgreSQL with apt if missing). Idempotent across processes via a
// state file. Also builds the migrated template database that every test database is cloned from.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrationsDir, runMigrations } from '@syncfleet/db';
import { aptInstall, findPgBinary, freePort, waitFor } from './process.ts';

const stateDir = join(tmpdir(), 'syncfleet-pg');
const stateFile = join(stateDir, 'state.json');

export interface PostgresServer {
  /** URL of the maintenance database, where databases can be created and dropped. */
  adminUrl: string;
  startedHere: boolean;
  stop(): Promise<void>;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function asPostgresUser(cmd: string, args: string[]): void {
  const isRoot = process.getuid?.() === 0;
  if (isRoot) execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'ignore' });
  else execFileSync(cmd, args, { stdio: 'ignore' });
}

export async function ensurePostgres(log: (msg: string) => void = () => undefined): Promise<PostgresServer> {
  const configured = withDatabase(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', 'postgres');
  if (await answers(configured)) return { adminUrl: configured, startedHere: false, stop: async () => undefined };
  try {
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { adminUrl: string };
    if (await answers(state.adminUrl)) return { adminUrl: state.adminUrl, startedHere: false, stop: async () => undefined };
  } catch {
    // no usable state: start one below
  }
  if (!findPgBinary('initdb') || !findPgBinary('pg_ctl')) aptInstall(['postgresql'], log);
  const initdb = findPgBinary('initdb');
  const pgCtl = findPgBinary('pg_ctl');
  if (!initdb || !pgCtl) throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found after install');
  const port = await freePort();
  const dataDir = join(stateDir, String(port));
  mkdirSync(dataDir, { recursive: true });
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(stateDir, uid, gid);
    chownSync(dataDir, uid, gid);
  }
  log(`initdb + pg_ctl start on 127.0.0.1:${port}`);
  asPostgresUser(initdb, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  asPostgresUser(pgCtl, [
    '-D', dataDir, '-l', join(dataDir, 'server.log'), '-w', 'start',
    '-o', `-p ${port} -c listen_addresses=127.0.0.1 -k ${dataDir} -c fsync=off -c max_connections=300`,
  ]);
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await waitFor('postgres', () => answers(adminUrl), 30_000);
  writeFileSync(stateFile, JSON.stringify({ adminUrl }));
  return {
    adminUrl,
    startedHere: true,
    async stop() {
      asPostgresUser(pgCtl, ['-D', dataDir, '-m', 'fast', 'stop']);
      rmSync(stateFile, { force: true });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A name that changes whenever a migration file changes, so a stale template is never reused. */
export function templateDatabaseName(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(migrationsDir).sort()) {
    hash.update(file);
    hash.update(readFileSync(join(migrationsDir, file)));
  }
  return `syncfleet_tpl_${hash.digest('hex').slice(0, 12)}`;
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function databaseExists(adminUrl: string, name: string): Promise<boolean> {
  return withAdmin(adminUrl, async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1);
}

/** Creates (once, under an advisory lock) the migrated template database and returns its name. */
export async function ensureTemplateDatabase(adminUrl: string): Promise<string> {
  const name = templateDatabaseName();
  await withAdmin(adminUrl, async (client) => {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
    try {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rowCount === 1) return;
      const building = `${name}_building`;
      await client.query(`DROP DATABASE IF EXISTS "${building}"`);
      await client.query(`CREATE DATABASE "${building}"`);
      await runMigrations({ databaseUrl: withDatabase(adminUrl, building) });
      await client.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [name]);
    }
  });
  return name;
}

/** Creates an empty database (if missing) and migrates it: the demo's database. */
export async function ensureMigratedDatabase(adminUrl: string, name: string): Promise<string> {
  if (!(await databaseExists(adminUrl, name))) {
    await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  }
  const url = withDatabase(adminUrl, name);
  await runMigrations({ databaseUrl: url });
  return url;
}

/** A fresh database cloned from the template: one per test file. */
export async function createDatabaseFromTemplate(adminUrl: string, template: string, name: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
      return withDatabase(adminUrl, name);
    } catch (error) {
      // "source database is being accessed by other users": another clone is being made right now.
      if (attempt >= 20 || !String(error).includes('being accessed')) throw error;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withAdmin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

