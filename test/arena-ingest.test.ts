// arena-ingest end to end: the consumer as a real process (apps/arena-ingest/src/main.ts) against the
// real Kafka broker, Postgres and Redis, the person lookup emulator, and the AMT topic read back by
// a consumer in this process. Fixtures in the Arena format (test/support/arena-fixtures.ts). The
// maintenance jobs run in the same process (its BullMQ worker), triggered from here.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { catalogue } from '@syncfleet/jobs';
import { createIdempotentProducer, createKafka, createTopics, type Admin, type Consumer, type Producer } from '@syncfleet/kafka';
import { createFleetQueue, enqueueJob } from '@syncfleet/runtime';
import type { Queue } from 'bullmq';
import { runFleet } from '../apps/cli/src/program.ts';
import { startArenaPersonEmulator, fnrOf, type ArenaPersonEmulator } from './emulators/arena-person.ts';
import { startTeamsEmulator, type TeamsEmulator } from './emulators/teams.ts';
import { deltakerRow, envelope, generateArenaTraffic, gjennomforingRow, histDeltakerRow, pos, type Row } from './support/arena-fixtures.ts';
import { deletePrefixKeys, randomSuffix, testPrefix, useRedis, useTestDatabase, waitUntil, workerEnv } from './support/fixtures.ts';
import { assertNoLeftoverProcesses, repoRoot, startAppProcess, stopAppProcess, type AppProcess } from './support/processes.ts';

const entry = 'apps/arena-ingest/src/main.ts';
const db = useTestDatabase();
const run = randomSuffix();
const topics = {
  gjennomforing: `t-arena-gj-${run}`,
  deltaker: `t-arena-de-${run}`,
  hist: `t-arena-hist-${run}`,
  amt: `t-amt-${run}`,
};
const GJ = 'SIAMO.TILTAKGJENNOMFORING';
const DE = 'SIAMO.TILTAKDELTAKER';
const HI = 'SIAMO.HIST_TILTAKDELTAKER';

interface AmtMessage {
  key: string;
  partition: number;
  offset: string;
  envelope: { transactionId: string; operation: string; payload: { id: string; status: string; personIdent: string; gjennomforingId: string; sluttDato: string | null } };
}

let brokers: string[];
let admin: Admin;
let producer: Producer;
let amtConsumer: Consumer;
const amt: AmtMessage[] = [];
let persons: ArenaPersonEmulator;
let teams: TeamsEmulator;
const redis = useRedis();
let queue: Queue;
let app: AppProcess | undefined;
const prefix = testPrefix();
let groupId = `g-arena-${run}`;
let position = 10_000n;

const nextPos = (): string => pos((position += 1n));

function appEnv(extra: Record<string, string> = {}): Record<string, string> {
  return workerEnv(db.url, prefix, {
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_GROUP_ID: groupId,
    ARENA_TOPIC_GJENNOMFORING: topics.gjennomforing,
    ARENA_TOPIC_DELTAKER: topics.deltaker,
    ARENA_TOPIC_HIST_DELTAKER: topics.hist,
    AMT_TOPIC: topics.amt,
    ARENA_PERSON_LOOKUP_URL: persons.url,
    TEAMS_WEBHOOK_URL: teams.url,
    ARENA_CHUNK_SIZE: '50',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    ARENA_METRICS_REFRESH_MS: '500',
    NODE_OPTIONS: '--disable-warning=TimeoutNegativeWarning',
    ...extra,
  });
}

async function startApp(extra: Record<string, string> = {}): Promise<AppProcess> {
  const started = startAppProcess(entry, appEnv(extra));
  await started.waitForLog((l) => l.msg === 'arena-ingest started', 60_000);
  return started;
}

async function send(topic: string, messages: Array<{ key?: string; value: string | Buffer | null }>): Promise<void> {
  await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ key: m.key ?? null, value: m.value })) });
}

const gj = (id: number, patch: Row = {}, op: 'I' | 'U' | 'D' = 'I', p = nextPos()) => ({ key: String(id), value: envelope({ table: GJ, op, pos: p, row: gjennomforingRow(id, patch) }) });
const de = (id: number, g: number, person: number, patch: Row = {}, op: 'I' | 'U' | 'D' = 'I', p = nextPos()) => ({
  key: String(id),
  value: envelope({ table: DE, op, pos: p, row: deltakerRow(id, g, person, patch) }),
});
const hi = (id: number, g: number, person: number, patch: Row = {}, op: 'I' | 'U' | 'D' = 'I', p = nextPos()) => ({
  key: String(id),
  value: envelope({ table: HI, op, pos: p, row: histDeltakerRow(id, g, person, patch) }),
});

interface DataRow {
  arena_table_name: string | null;
  arena_id: string | null;
  operation_type: string | null;
  operation_pos: string | null;
  ingest_status: string;
  ingest_attempts: number;
  note: string | null;
  raw_value: Buffer | null;
}

async function rowsOf(table: string, arenaId: string): Promise<DataRow[]> {
  const { rows } = await db.pool.query<DataRow>('SELECT * FROM arena_data WHERE arena_table_name = $1 AND arena_id = $2 ORDER BY operation_pos', [table, arenaId]);
  return rows;
}

/** Waits until the participant's rows have these statuses (in position order). */
async function statusesOf(table: string, arenaId: string, expected: string[], timeoutMs = 30_000): Promise<DataRow[]> {
  return waitUntil(
    `${table} ${arenaId} to be ${expected.join(', ')}`,
    async () => {
      const rows = await rowsOf(table, arenaId);
      return JSON.stringify(rows.map((r) => r.ingest_status)) === JSON.stringify(expected) ? rows : undefined;
    },
    timeoutMs,
  );
}

const amtOf = async (deltakerAmtId: string): Promise<AmtMessage[]> => amt.filter((m) => m.key === deltakerAmtId);

async function amtIdOf(arenaId: string): Promise<string> {
  const { rows } = await db.pool.query<{ amt_id: string }>('SELECT amt_id FROM arena_deltaker_id_translation WHERE arena_id = $1', [arenaId]);
  if (!rows[0]) throw new Error(`deltaker ${arenaId} has no AMT id`);
  return rows[0].amt_id;
}

/** Runs a maintenance job on the app's worker and waits for it to complete. */
async function runJob(name: 'arena.retry' | 'arena.retryFailed' | 'arena.cleanup' | 'arena.reingest', payload: Record<string, unknown> = {}): Promise<unknown> {
  const job = await enqueueJob(queue, catalogue.jobs[name], payload);
  return waitUntil(`${name} to complete`, async () => {
    const state = await queue.getJobState(job.id!);
    if (state === 'failed') throw new Error(`${name} failed: ${(await queue.getJob(job.id!))?.failedReason}`);
    return state === 'completed' ? ((await queue.getJob(job.id!))?.returnvalue as unknown) ?? true : undefined;
  }, 30_000);
}

/** Every message currently produced to the Arena topics has been committed by the consumer group. */
async function consumerCaughtUp(): Promise<boolean> {
  for (const topic of [topics.gjennomforing, topics.deltaker, topics.hist]) {
    const high = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    for (const p of high) {
      const done = committed?.partitions.find((c) => c.partition === p.partition)?.offset ?? '-1';
      if (p.high !== '0' && done !== p.high) return false;
    }
  }
  return true;
}

beforeAll(async () => {
  brokers = String(inject('kafkaBrokers')).split(',').filter(Boolean);
  const kafka = createKafka({ brokers, clientId: `arena-test-${run}` });
  admin = kafka.admin();
  producer = createIdempotentProducer(kafka);
  amtConsumer = kafka.consumer({ groupId: `g-amt-${run}`, maxWaitTimeInMs: 200 });
  await Promise.all([admin.connect(), producer.connect(), amtConsumer.connect()]);
  await createTopics(admin, [
    { topic: topics.gjennomforing, numPartitions: 1 },
    { topic: topics.deltaker, numPartitions: 3 },
    { topic: topics.hist, numPartitions: 1 },
    { topic: topics.amt, numPartitions: 3 },
  ]);
  await amtConsumer.subscribe({ topics: [topics.amt], fromBeginning: true });
  await amtConsumer.run({
    eachMessage: async ({ partition, message }) => {
      amt.push({ key: message.key?.toString() ?? '', partition, offset: message.offset, envelope: JSON.parse(message.value?.toString() ?? '{}') as AmtMessage['envelope'] });
      await Promise.resolve();
    },
  });
  persons = await startArenaPersonEmulator();
  teams = await startTeamsEmulator();
  queue = createFleetQueue(redis, prefix, 'arena-ingest');
  app = await startApp();
}, 120_000);

afterAll(async () => {
  if (app) await stopAppProcess(app, 'SIGKILL');
  await amtConsumer?.disconnect();
  await producer?.disconnect();
  if (admin) {
    await admin.deleteGroups([`g-arena-${run}`, `g-arena-${run}-again`, `g-amt-${run}`]).catch(() => undefined);
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
  }
  await queue?.close();
  await deletePrefixKeys(inject('redisUrl'), prefix);
  await persons?.close();
  await teams?.close();
  assertNoLeftoverProcesses();
}, 60_000);

describe('dependencies between gjennomføring and deltaker', () => {
  test('a deltaker before its gjennomføring is RETRY, then HANDLED and published after arena.retry', async () => {
    await send(topics.deltaker, [de(101, 1001, 7001)]);
    const [early] = await statusesOf(DE, '101', ['RETRY']);
    expect(early).toMatchObject({ ingest_attempts: 1, note: 'gjennomføring 1001 not ingested yet' });

    await send(topics.gjennomforing, [gj(1001)]);
    await statusesOf(GJ, '1001', ['HANDLED']);
    expect((await rowsOf(DE, '101'))[0]?.ingest_status).toBe('RETRY'); // the consumer does not reprocess it

    await runJob('arena.retry');
    await statusesOf(DE, '101', ['HANDLED']);
    const id = await amtIdOf('101');
    const published = await waitUntil('the AMT message', async () => ((await amtOf(id)).length === 1 ? amtOf(id) : undefined));
    const { rows: gjennomforing } = await db.pool.query<{ id: string }>(`SELECT id FROM gjennomforing WHERE arena_id = '1001'`);
    expect(published[0]!.envelope).toMatchObject({
      operation: 'CREATED',
      payload: { id, status: 'DELTAR', personIdent: fnrOf('7001'), gjennomforingId: gjennomforing[0]!.id },
    });
  });

  test('an invalid gjennomføring makes its deltakere WAITING; a valid one releases them, and arena.retry handles them', async () => {
    await send(topics.gjennomforing, [gj(1002, { LOKALTNAVN: null })]);
    const [invalid] = await statusesOf(GJ, '1002', ['INVALID']);
    expect(invalid!.note).toBe('LOKALTNAVN missing');
    await send(topics.deltaker, [de(102, 1002, 7002)]);
    await statusesOf(DE, '102', ['WAITING']);

    await send(topics.gjennomforing, [gj(1002, {}, 'U')]);
    const [released] = await statusesOf(DE, '102', ['RETRY']);
    expect(released).toMatchObject({ ingest_attempts: 0, note: 'released: gjennomføring 1002 is valid now' });
    await runJob('arena.retry');
    await statusesOf(DE, '102', ['HANDLED']);
  });

  test('an unsupported tiltak code: the gjennomføring and its deltakere are IGNORED, nothing is published', async () => {
    await send(topics.gjennomforing, [gj(1003, { TILTAKSKODE: 'AMO' })]);
    await send(topics.deltaker, [de(103, 1003, 7003)]);
    const [g] = await statusesOf(GJ, '1003', ['IGNORED']);
    const [d] = await statusesOf(DE, '103', ['IGNORED']);
    expect(g!.note).toBe('unsupported tiltakskode AMO');
    expect(d!.note).toBe('gjennomføring 1003 has unsupported tiltakskode AMO');
    const { rowCount } = await db.pool.query(`SELECT 1 FROM arena_deltaker_id_translation WHERE arena_id = '103'`);
    expect(rowCount).toBe(0);
  });

  test('EKSTERN participants are EXTERNAL_SOURCE and not published', async () => {
    await send(topics.gjennomforing, [gj(1004)]);
    await send(topics.deltaker, [de(104, 1004, 7004, { EKSTERN_ID: 'f3b1' }), de(105, 1004, 7005, { DELTAKERTYPEKODE: 'EKSTERN' })]);
    await statusesOf(DE, '104', ['EXTERNAL_SOURCE']);
    await statusesOf(DE, '105', ['EXTERNAL_SOURCE']);
    const { rowCount } = await db.pool.query(`SELECT 1 FROM arena_deltaker_id_translation WHERE arena_id IN ('104', '105')`);
    expect(rowCount).toBe(0);
  });
});

describe('hist deltakere', () => {
  test('case 1: a hist deltaker with no matching deltaker becomes a new deltaker (terminal status), published as CREATED', async () => {
    await send(topics.gjennomforing, [gj(1010)]);
    await statusesOf(GJ, '1010', ['HANDLED']);
    await send(topics.hist, [hi(9010, 1010, 7010)]);
    const [row] = await statusesOf(HI, '9010', ['HANDLED']);
    expect(row!.note).toBe('case 1: created as a new deltaker');
    const { rows } = await db.pool.query<{ amt_id: string; deltaker_arena_id: string | null }>(
      `SELECT amt_id, deltaker_arena_id FROM arena_hist_deltaker_id_translation WHERE hist_arena_id = '9010'`,
    );
    expect(rows[0]!.deltaker_arena_id).toBeNull();
    const published = await waitUntil('the hist deltaker on the AMT topic', async () => ((await amtOf(rows[0]!.amt_id)).length === 1 ? amtOf(rows[0]!.amt_id) : undefined));
    expect(published[0]!.envelope).toMatchObject({ operation: 'CREATED', payload: { status: 'HAR_SLUTTET', personIdent: fnrOf('7010') } });
  });

  test('case 2: DELETE of the old deltaker waits, the hist message links to it, the DELETE is then handled without publishing', async () => {
    await send(topics.gjennomforing, [gj(1011)]);
    const dates = { DELTAKERSTATUSKODE: 'IKKEM', DATO_FRA: '2025-03-01 00:00:00', DATO_TIL: '2025-05-31 00:00:00', DATO_STATUSENDRING: '2025-04-02 12:00:00' };
    await send(topics.deltaker, [de(111, 1011, 7011, dates)]);
    await statusesOf(DE, '111', ['HANDLED']);
    const id = await amtIdOf('111');
    await waitUntil('the first publication', async () => (await amtOf(id)).length === 1);

    // Arena historises it: DELETE of the old id, CREATED of the hist row, CREATED of the new participation
    await send(topics.deltaker, [de(111, 1011, 7011, dates, 'D')]);
    await statusesOf(DE, '111', ['HANDLED', 'RETRY']);
    await send(topics.hist, [hi(9011, 1011, 7011, dates)]);
    const [hist] = await statusesOf(HI, '9011', ['HANDLED']);
    expect(hist!.note).toBe('case 2: linked to deltaker 111');
    await send(topics.deltaker, [de(112, 1011, 7011, { DATO_FRA: '2025-09-01 00:00:00' })]);
    await statusesOf(DE, '112', ['HANDLED']);

    await runJob('arena.retry');
    const rows = await statusesOf(DE, '111', ['HANDLED', 'HANDLED']);
    expect(rows[1]!.note).toBe('historised: the deletion is not published');
    const { rows: link } = await db.pool.query<{ amt_id: string }>(`SELECT amt_id FROM arena_hist_deltaker_id_translation WHERE hist_arena_id = '9011'`);
    expect(link[0]!.amt_id).toBe(id);
    await waitUntil('the new participation on the AMT topic', async () => (await amtOf(await amtIdOf('112'))).length === 1);
    expect((await amtOf(id)).map((m) => m.envelope.operation)).toEqual(['CREATED']); // no deletion, nothing for the hist row
  });

  test('a DELETE with no hist link retries twice, then the deltaker is published as FEILREGISTRERT', async () => {
    await send(topics.gjennomforing, [gj(1012)]);
    await send(topics.deltaker, [de(113, 1012, 7013)]);
    await statusesOf(DE, '113', ['HANDLED']);
    await send(topics.deltaker, [de(113, 1012, 7013, {}, 'D')]);
    await statusesOf(DE, '113', ['HANDLED', 'RETRY']);
    await runJob('arena.retry');
    expect((await rowsOf(DE, '113'))[1]).toMatchObject({ ingest_status: 'RETRY', ingest_attempts: 2 });
    await runJob('arena.retry');
    await statusesOf(DE, '113', ['HANDLED', 'HANDLED']);
    const id = await amtIdOf('113');
    const published = await waitUntil('the deletion', async () => ((await amtOf(id)).length === 2 ? amtOf(id) : undefined));
    expect(published.map((m) => [m.envelope.operation, m.envelope.payload.status])).toEqual([
      ['CREATED', 'DELTAR'],
      ['DELETED', 'FEILREGISTRERT'],
    ]);
  });

  test('several matching deltakere: FAILED, and a Teams card says FAILED rows grew', async () => {
    await send(topics.gjennomforing, [gj(1013)]);
    const same = { DELTAKERSTATUSKODE: 'FULLF', DATO_FRA: '2025-03-01 00:00:00', DATO_TIL: '2025-05-31 00:00:00', DATO_STATUSENDRING: '2025-04-02 12:00:00' };
    await send(topics.deltaker, [de(114, 1013, 7014, same), de(115, 1013, 7014, same)]);
    await statusesOf(DE, '114', ['HANDLED']);
    await statusesOf(DE, '115', ['HANDLED']);
    await send(topics.hist, [hi(9013, 1013, 7014, same)]);
    const [row] = await statusesOf(HI, '9013', ['FAILED']);
    expect(row!.note).toBe('2 deltakere match (114, 115): a person must look');

    const cards = teams.received.length;
    await runJob('arena.retry');
    const card = await waitUntil('a Teams card', () => teams.received[cards]);
    expect(JSON.stringify(card.body)).toMatch(/FAILED rows grew from \d+ to \d+/);
    await runJob('arena.retry');
    expect(teams.received).toHaveLength(cards + 1); // no growth, no second card
  });
});

describe('order and positions', () => {
  test('20-digit positions above 2^53 are ordered as numbers, never as JS numbers', async () => {
    const earlier = '10000000000000000001';
    const later = '10000000000000000002';
    expect(Number(earlier)).toBe(Number(later));
    // the later message reaches Kafka first; both wait for their gjennomføring
    await send(topics.deltaker, [de(120, 1020, 7020, { DELTAKERSTATUSKODE: 'FULLF', DATO_STATUSENDRING: '2025-04-02 12:00:00' }, 'U', later)]);
    await send(topics.deltaker, [de(120, 1020, 7020, { DELTAKERSTATUSKODE: 'GJENN' }, 'I', earlier)]);
    await statusesOf(DE, '120', ['RETRY', 'RETRY']);
    await send(topics.gjennomforing, [gj(1020)]);
    await statusesOf(GJ, '1020', ['HANDLED']);
    await runJob('arena.retry');
    await statusesOf(DE, '120', ['HANDLED', 'HANDLED']);
    const id = await amtIdOf('120');
    const published = await waitUntil('both publications', async () => ((await amtOf(id)).length === 2 ? amtOf(id) : undefined));
    expect(published.map((m) => m.envelope.payload.status)).toEqual(['DELTAR', 'HAR_SLUTTET']);
    const { rows } = await db.pool.query<{ status: string }>(`SELECT status FROM deltaker WHERE arena_id = '120'`);
    expect(rows[0]!.status).toBe('HAR_SLUTTET');
  });

  test('a later message of a participant waits while an earlier one is RETRY', async () => {
    persons.failFor(['7021'], 503);
    await send(topics.gjennomforing, [gj(1021)]);
    await statusesOf(GJ, '1021', ['HANDLED']);
    await send(topics.deltaker, [de(121, 1021, 7021), de(121, 1021, 7021, { DELTAKERSTATUSKODE: 'FULLF' }, 'U')]);
    const rows = await statusesOf(DE, '121', ['RETRY', 'RETRY']);
    expect(rows[0]!.note).toBe('person lookup failed: HTTP 503');
    expect(rows[1]!.note).toMatch(/^waits for the earlier message at pos \d{20} of the same arena id$/);
    persons.clearFailures();
    await runJob('arena.retry');
    await statusesOf(DE, '121', ['HANDLED', 'HANDLED']);
  });

  test('a person unknown to the lookup (404) makes the message INVALID', async () => {
    persons.unknown.add('7022');
    await send(topics.gjennomforing, [gj(1022)]);
    await send(topics.deltaker, [de(122, 1022, 7022)]);
    const [row] = await statusesOf(DE, '122', ['INVALID']);
    expect(row!.note).toBe('person 7022 not found by the person lookup');
  });
});

describe('one participant at a time', () => {
  /** Holds the participant's advisory lock (as another consumer or the retry job would) until `release` is called. */
  async function holdParticipant(table: string, arenaId: string): Promise<{ release(): Promise<void> }> {
    const client = await db.pool.connect();
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${table}:${arenaId}`]);
    return {
      async release() {
        await client.query('COMMIT');
        client.release();
      },
    };
  }
  const someoneWaitsForAnAdvisoryLock = async (): Promise<boolean> =>
    ((await db.pool.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).rowCount ?? 0) > 0;

  test('the consumer and the retry job wait for a participant another transaction is working on', async () => {
    await send(topics.gjennomforing, [gj(1040)]);
    await statusesOf(GJ, '1040', ['HANDLED']);

    const held = await holdParticipant(DE, '140');
    try {
      await send(topics.deltaker, [de(140, 1040, 7040)]);
      await waitUntil('the consumer to wait for the lock', someoneWaitsForAnAdvisoryLock);
      expect(await rowsOf(DE, '140')).toEqual([]);
    } finally {
      await held.release();
    }
    await statusesOf(DE, '140', ['HANDLED']);

    persons.failFor(['7041'], 500);
    await send(topics.deltaker, [de(141, 1040, 7041)]);
    await statusesOf(DE, '141', ['RETRY']);
    persons.clearFailures();
    const again = await holdParticipant(DE, '141');
    let retried: Promise<unknown> | undefined;
    try {
      retried = runJob('arena.retry');
      await waitUntil('the retry job to wait for the lock', someoneWaitsForAnAdvisoryLock);
      expect((await rowsOf(DE, '141'))[0]?.ingest_status).toBe('RETRY');
    } finally {
      await again.release();
    }
    await retried;
    await statusesOf(DE, '141', ['HANDLED']);
  });
});

describe('malformed messages', () => {
  test('interleaved with valid ones: every valid one HANDLED, every malformed one INVALID with its raw value and reason, no stall', async () => {
    await send(topics.gjennomforing, [gj(1030)]);
    await statusesOf(GJ, '1030', ['HANDLED']);
    const garbage = Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x41]);
    await send(topics.deltaker, [
      de(130, 1030, 7030),
      { key: 'x', value: '{"table": "SIAMO.TILTAKDELTAKER", "op_type": ' },
      de(131, 1030, 7031),
      { key: 'x', value: garbage },
      de(132, 1030, 7032),
      { key: 'x', value: null },
      { key: 'x', value: JSON.stringify({ table: DE, op_type: 'X', pos: nextPos(), after: {} }) },
      de(133, 1030, 7033, { REG_DATO: 'yesterday' }),
      de(134, 1030, 7034),
      // jsonb refuses \u0000 and unpaired surrogates: stored cleaned, never a failed chunk
      de(135, 1030, 7035, { BEGRUNNELSE_BESTILLING: 'a\u0000b \ud800 c', ['MOD\udc00']: 'x' }),
    ]);
    for (const id of ['130', '131', '132', '134', '135']) await statusesOf(DE, id, ['HANDLED']);
    const stored = await db.pool.query<{ id: string; after: Record<string, unknown>; before: unknown }>(
      `SELECT arena_id AS id, after, before FROM arena_data WHERE arena_table_name = $1 AND arena_id IN ('134', '135') ORDER BY arena_id`,
      [DE],
    );
    // as it came (from the message's own text), and cleaned
    expect(stored.rows[0]).toEqual({ id: '134', after: deltakerRow(134, 1030, 7034), before: null });
    expect(stored.rows[1]!.after).toEqual({ ...deltakerRow(135, 1030, 7035), BEGRUNNELSE_BESTILLING: 'ab \ufffd c', ['MOD\ufffd']: 'x' });
    const [bad] = await statusesOf(DE, '133', ['INVALID']);
    expect(bad!.note).toBe('REG_DATO unreadable');
    const { rows } = await db.pool.query<DataRow>(`SELECT * FROM arena_data WHERE operation_pos IS NULL AND kafka_topic = $1 ORDER BY kafka_offset`, [topics.deltaker]);
    expect(rows.map((r) => r.ingest_status)).toEqual(['INVALID', 'INVALID', 'INVALID', 'INVALID']);
    expect(rows.map((r) => r.note)).toEqual([
      expect.stringMatching(/^unparsable message: not JSON/) as unknown,
      expect.stringMatching(/^unparsable message: not JSON/) as unknown,
      'unparsable message: empty message value (tombstone)',
      'unparsable message: op_type "X" is not I, U or D',
    ]);
    expect(rows[1]!.raw_value).toEqual(garbage);
    expect(rows[0]!.raw_value!.toString()).toBe('{"table": "SIAMO.TILTAKDELTAKER", "op_type": ');
    await waitUntil('the consumer to commit past them', consumerCaughtUp);
  });

  test('a value Postgres refuses fails only its own message: stored INVALID with the reason, the rest of its chunk handled, no stall', async () => {
    // what no validation foresaw, played by a trigger: Postgres refuses deltaker 239's row
    await db.pool.query(`CREATE FUNCTION refuse_deltaker_239() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.arena_id = '239' THEN RAISE EXCEPTION 'date/time field value out of range: "0000-01-01"' USING ERRCODE = '22008'; END IF;
        RETURN NEW;
      END $$`);
    await db.pool.query('CREATE TRIGGER refuse_deltaker_239 BEFORE INSERT ON arena_data FOR EACH ROW EXECUTE FUNCTION refuse_deltaker_239()');
    try {
      await send(topics.gjennomforing, [gj(1031)]);
      await statusesOf(GJ, '1031', ['HANDLED']);
      await send(topics.deltaker, [de(238, 1031, 7038), de(239, 1031, 7039), de(240, 1031, 7040)]);
      for (const id of ['238', '240']) await statusesOf(DE, id, ['HANDLED']);
      const refused = await waitUntil('the refused message stored', async () => {
        const { rows } = await db.pool.query<DataRow>(`SELECT * FROM arena_data WHERE operation_pos IS NULL AND note LIKE 'Postgres refused it%'`);
        return rows[0];
      });
      expect(refused).toMatchObject({ ingest_status: 'INVALID', note: 'Postgres refused it (SQLSTATE 22008: date/time field value out of range: "0000-01-01")' });
      expect((JSON.parse(refused.raw_value!.toString()) as { after: Row }).after.TILTAKDELTAKER_ID).toBe(239);
      expect(await rowsOf(DE, '239')).toEqual([]);
      await waitUntil('the consumer to commit past them', consumerCaughtUp);
    } finally {
      await db.pool.query('DROP TRIGGER refuse_deltaker_239 ON arena_data');
      await db.pool.query('DROP FUNCTION refuse_deltaker_239()');
    }
  });
});

describe('crash and redelivery', () => {
  const N = 3000;
  const idBase = 5_000_000;
  const traffic = generateArenaTraffic(N, { seed: 42, idBase, startPos: 50_000_000_000_000_000n });
  const ours = `(arena_table_name = '${GJ}' AND arena_id::bigint >= ${idBase} AND arena_id::bigint < ${idBase * 10}) OR (arena_table_name = '${DE}' AND arena_id::bigint > ${idBase * 10})`;
  const storedCount = async (): Promise<number> => Number((await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM arena_data WHERE ${ours}`)).rows[0]!.n);

  test('kill -9 mid-stream and restart: every message stored exactly once, every AMT message published at least once and applied once', async () => {
    persons.setDelay(15); // slower lookups: transactions are in flight when the process dies
    for (let i = 0; i < traffic.length; i += 500) {
      const slice = traffic.slice(i, i + 500);
      await send(topics.gjennomforing, slice.filter((m) => m.topic === 'gjennomforing'));
      await send(topics.deltaker, slice.filter((m) => m.topic === 'deltaker'));
    }
    await waitUntil('part of the stream to be stored', async () => {
      const n = await storedCount();
      return n >= 300 ? n : undefined;
    }, 60_000, 20);
    app!.child.kill('SIGKILL');
    expect((await app!.exited).signal).toBe('SIGKILL');
    const atKill = await storedCount();
    expect(atKill).toBeLessThan(N);
    persons.setDelay(0);

    app = await startApp();
    await waitUntil('every message stored', async () => (await storedCount()) === N, 90_000);
    await waitUntil('the consumer to commit every offset', consumerCaughtUp, 30_000);
    // deltakere read before their gjennomføring (another topic) wait in RETRY: the retry job finishes them
    await runJob('arena.retry');
    const { rows: statuses } = await db.pool.query<{ ingest_status: string; n: string }>(`SELECT ingest_status, count(*) AS n FROM arena_data WHERE ${ours} GROUP BY 1`);
    const byStatus = Object.fromEntries(statuses.map((r) => [r.ingest_status, Number(r.n)]));
    expect(Object.keys(byStatus).sort()).toEqual(expect.arrayContaining(['HANDLED']) as unknown);
    expect(byStatus.RETRY ?? 0).toBe(0);
    expect(byStatus.FAILED ?? 0).toBe(0);
    expect(byStatus.INVALID ?? 0).toBe(0);

    // exactly once: one row per (table, op, pos) produced
    const { rows: keys } = await db.pool.query<{ n: string; distinct: string }>(
      `SELECT count(*) AS n, count(DISTINCT (arena_table_name, operation_type, operation_pos)) AS distinct FROM arena_data WHERE ${ours}`,
    );
    expect(Number(keys[0]!.n)).toBe(N);
    expect(Number(keys[0]!.distinct)).toBe(N);

    // at least once: every HANDLED deltaker message has an AMT message with its transaction id; duplicates are identical
    const { rows: handled } = await db.pool.query<{ amt_id: string; status: string; n: string }>(
      `SELECT t.amt_id, d.status, (SELECT count(*) FROM arena_data a WHERE a.arena_table_name = '${DE}' AND a.arena_id = t.arena_id AND a.ingest_status = 'HANDLED') AS n
         FROM arena_deltaker_id_translation t JOIN deltaker d ON d.source_table = '${DE}' AND d.arena_id = t.arena_id
        WHERE t.arena_id::bigint > ${idBase * 10}`,
    );
    expect(handled.length).toBeGreaterThan(100);
    const expectedPublications = handled.reduce((sum, r) => sum + Number(r.n), 0);
    const ids = new Set(handled.map((r) => r.amt_id));
    const published = await waitUntil('every publication on the AMT topic', () => {
      const mine = amt.filter((m) => ids.has(m.key));
      return new Set(mine.map((m) => m.envelope.transactionId)).size === expectedPublications ? mine : undefined;
    }, 30_000);
    const byTransaction = new Map<string, string>();
    for (const m of published) {
      const { timestamp: _t, ...content } = m.envelope as AmtMessage['envelope'] & { timestamp: string };
      const text = JSON.stringify(content);
      expect(byTransaction.get(m.envelope.transactionId) ?? text).toBe(text);
      byTransaction.set(m.envelope.transactionId, text);
    }
    // applied once, in order: a consumer that skips transaction ids it has seen ends with each deltaker's stored status
    const applied = new Map<string, string>();
    const seen = new Set<string>();
    for (const m of [...published].sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)))) {
      if (seen.has(m.envelope.transactionId)) continue;
      seen.add(m.envelope.transactionId);
      applied.set(m.key, m.envelope.payload.status);
    }
    for (const r of handled) expect(applied.get(r.amt_id)).toBe(r.status);
  }, 180_000);

  test('SIGTERM stops cleanly (exit 0); a full redelivery from offset 0 changes nothing and publishes nothing', async () => {
    const snapshot = async () => (await db.pool.query<Record<string, unknown>>('SELECT id, ingest_status, ingest_attempts, note FROM arena_data ORDER BY id')).rows;
    const before = await snapshot();
    const published = amt.length;
    expect((await stopAppProcess(app!)).code).toBe(0);
    const messages = app!.lines().map((l) => l.msg);
    expect(messages.indexOf('kafka consumer stopped')).toBeLessThan(messages.indexOf('worker app stopped'));
    expect(messages.at(-1)).toBe('arena-ingest stopped');
    // a new consumer group reads every topic from offset 0: every message arrives a second time
    groupId = `g-arena-${run}-again`;
    app = await startApp();
    await waitUntil('the redelivered messages to be read', async () => {
      const metrics = await (await fetch(`http://127.0.0.1:${healthPortOf(app!)}/metrics`)).text();
      const redelivered = [...metrics.matchAll(/^syncfleet_arena_redelivered_messages_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
      return redelivered === before.length && (await consumerCaughtUp());
    }, 60_000);
    expect(await snapshot()).toEqual(before);
    await new Promise((r) => setTimeout(r, 500));
    expect(amt.length).toBe(published);
  }, 120_000);
});

function healthPortOf(process: AppProcess): number {
  const line = process.lines().find((l) => l.msg === 'arena-ingest started');
  return Number(line?.healthPort);
}

describe('operations', () => {
  test('/metrics shows the row counts per table and status', async () => {
    const text = await waitUntil('the gauges', async () => {
      const body = await (await fetch(`http://127.0.0.1:${healthPortOf(app!)}/metrics`)).text();
      return /syncfleet_arena_rows\{[^}]*table="SIAMO.TILTAKDELTAKER"[^}]*status="HANDLED"[^}]*\} [1-9]/.test(body) ? body : undefined;
    });
    const failed = /syncfleet_arena_rows\{[^}]*table="SIAMO.HIST_TILTAKDELTAKER"[^}]*status="FAILED"[^}]*\} (\d+)/.exec(text);
    expect(Number(failed?.[1])).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/syncfleet_arena_rows\{[^}]*status="WAITING"[^}]*\} 0/);
    // every message stored and committed: no lag on any partition it reads
    const lags = [...text.matchAll(/^syncfleet_arena_consumer_lag_messages\{([^}]*)\} (\d+)$/gm)].map((m) => [/topic="([^"]+)"/.exec(m[1]!)?.[1], Number(m[2])] as const);
    expect(new Set(lags.map(([topic]) => topic))).toEqual(new Set([topics.gjennomforing, topics.deltaker, topics.hist]));
    expect(lags.every(([, lag]) => lag === 0)).toBe(true);
  });

  test('arena.cleanup deletes old IGNORED rows (a dry run only counts them)', async () => {
    const ignored = async () => Number((await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM arena_data WHERE ingest_status = 'IGNORED'`)).rows[0]!.n);
    const count = await ignored();
    expect(count).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(await runJob('arena.cleanup', { olderThanHours: 24 })).toMatchObject({ counts: { deleted: 0 } });
    expect(await runJob('arena.cleanup', { olderThanHours: 0.00001, dryRun: true })).toMatchObject({ counts: { wouldDelete: count } });
    expect(await ignored()).toBe(count);
    expect(await runJob('arena.cleanup', { olderThanHours: 0.00001 })).toMatchObject({ counts: { deleted: count } });
    expect(await ignored()).toBe(0);
  });
});

/** Runs `fleet <args>` against this test's fleet: in this process, or (`asProcess`) as its own process. */
async function fleet(args: string[], options: { env?: Record<string, string>; asProcess?: boolean } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { REDIS_URL: inject('redisUrl'), DATABASE_URL: db.url, FLEET_PREFIX: prefix, ...options.env };
  if (!options.asProcess) {
    let stdout = '';
    let stderr = '';
    const code = await runFleet(args, { env, output: { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) } });
    return { code, stdout, stderr };
  }
  const child = spawn(process.execPath, [join(repoRoot, 'apps/cli/src/main.ts'), ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('fleet arena (CLI)', () => {
  test('reingest republishes the newest handled message of every participant of the table', async () => {
    const { rows: newest } = await db.pool.query<{ arena_id: string }>(
      `SELECT DISTINCT arena_id FROM arena_data WHERE arena_table_name = '${DE}' AND ingest_status = 'HANDLED'`,
    );
    const id = await amtIdOf('101');
    const before = (await amtOf(id)).length;
    const dry = await fleet(['arena', 'reingest', '--table', DE, '--dry-run', '--wait', '--json']);
    expect(dry.code).toBe(0);
    expect((JSON.parse(dry.stdout) as { result: { wouldMark: number } }).result.wouldMark).toBe(newest.length);

    const done = await fleet(['arena', 'reingest', '--table', DE, '--wait'], { asProcess: true });
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(new RegExp(`${newest.length} row\\(s\\) of ${DE.replace('.', '\\.')} marked RETRY; arena\\.retry \\(job \\S+\\) republishes them`));
    const retryJobId = /arena\.retry \(job (\S+)\)/.exec(done.stdout)![1]!;
    await waitUntil('the arena.retry it queued to complete', async () => (await queue.getJobState(retryJobId)) === 'completed', 30_000);
    // every participant's newest message handled again, but for deletions: they wait for a hist link again (two attempts)
    const { rows: left } = await db.pool.query<{ operation_type: string }>(`SELECT operation_type FROM arena_data WHERE ingest_status = 'RETRY' AND arena_table_name = '${DE}'`);
    expect(left.map((r) => r.operation_type)).toEqual(['DELETED']);
    const again = await waitUntil('deltaker 101 republished', async () => ((await amtOf(id)).length === before + 1 ? amtOf(id) : undefined));
    expect(again.at(-1)!.envelope.payload).toEqual(again.at(-2)!.envelope.payload);

    // only one tiltak code: the participants of gjennomføringer with that code
    const { rows: ofCode } = await db.pool.query<{ n: string }>(
      `SELECT count(DISTINCT arena_id) AS n FROM arena_data WHERE arena_table_name = '${DE}' AND ingest_status = 'HANDLED'
          AND after ->> 'TILTAKGJENNOMFORING_ID' IN (SELECT arena_id FROM gjennomforing WHERE tiltakskode = 'VASV')`,
    );
    const filtered = await fleet(['arena', 'reingest', '--table', DE, '--tiltakskode', 'VASV', '--dry-run', '--wait', '--json']);
    expect((JSON.parse(filtered.stdout) as { result: { wouldMark: number } }).result.wouldMark).toBe(Number(ofCode[0]!.n));
    expect(Number(ofCode[0]!.n)).toBeLessThan(newest.length);
  }, 90_000);

  test('stale lists the participants whose newest message is not the one handled last', async () => {
    const clean = await fleet(['arena', 'stale', '--table', DE]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain(`no stale arena_id in ${DE}`);

    // as after a reingest that raced with a newer message: the older message handled last
    const rows = await rowsOf(DE, '120');
    const { rows: ids } = await db.pool.query<{ id: string }>(`SELECT id FROM arena_data WHERE arena_table_name = '${DE}' AND arena_id = '120' ORDER BY operation_pos`);
    expect(rows.map((r) => r.ingest_status)).toEqual(['HANDLED', 'HANDLED']);
    await db.pool.query(`UPDATE arena_data SET ingested_timestamp = now() + interval '1 minute' WHERE id = $1`, [ids[0]!.id]);
    const stale = await fleet(['arena', 'stale', '--table', DE]);
    expect(stale.code).toBe(0);
    expect(stale.stdout).toContain(`1 stale arena_id(s) in ${DE}`);
    expect(stale.stdout).toMatch(/^120\s+10000000000000000002\s+\d+\s+10000000000000000001\s/m);
    expect(stale.stdout).toContain(`WHERE id IN (${ids[1]!.id})`);
    const json = JSON.parse((await fleet(['arena', 'stale', '--table', DE, '--json'])).stdout) as { total: number; stale: Array<{ arenaId: string }> };
    expect(json).toMatchObject({ total: 1, stale: [{ arenaId: '120' }] });
    await db.pool.query(`UPDATE arena_data SET ingested_timestamp = now() - interval '1 minute' WHERE id = $1`, [ids[0]!.id]);
  });

  test('bad input exits 2 and queues nothing; an unreachable database exits 1', async () => {
    const jobs = await queue.count();
    const cases = [
      ['arena', 'reingest', '--table', 'SIAMO.SOMETHING'],
      ['arena', 'reingest'],
      ['arena', 'reingest', '--table', DE, '--tiltakskode', 'not a code'],
      ['arena', 'reingest', '--table', DE, '--timeout', '5'],
      ['arena', 'stale'],
      ['arena', 'stale', '--table', DE, '--limit', '0'],
    ];
    for (const args of cases) {
      const result = await fleet(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).not.toBe('');
    }
    expect(await queue.count()).toBe(jobs);
    const down = await fleet(['arena', 'stale', '--table', DE], { env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' } });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach Postgres/);
  });
});

describe('stall watch', () => {
  test('a chunk that fails at every redelivery stalls its partition: a Teams card names it and the gauge counts; once it passes, a card says the consumer moves again', async () => {
    expect((await stopAppProcess(app!)).code).toBe(0);
    app = await startApp({ ARENA_STALL_ALERT_MS: '3s', ARENA_STALL_CHECK_INTERVAL_MS: '200ms' });
    // not a value Postgres refuses (that is stored INVALID): an error no retry gets past, played by a trigger
    await db.pool.query(`CREATE FUNCTION fail_deltaker_250() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.arena_id = '250' THEN RAISE EXCEPTION 'disk full (played by a trigger)'; END IF;
        RETURN NEW;
      END $$`);
    await db.pool.query('CREATE TRIGGER fail_deltaker_250 BEFORE INSERT ON arena_data FOR EACH ROW EXECUTE FUNCTION fail_deltaker_250()');
    const title = (i: number): string => (teams.received[i]!.body as { title: string }).title;
    const cards = teams.received.length;
    const stallCards = () => teams.received.slice(cards).filter((c) => /has not moved/.test((c.body as { title: string }).title) && JSON.stringify(c.body).includes(topics.deltaker));
    try {
      await send(topics.gjennomforing, [gj(1050)]);
      await statusesOf(GJ, '1050', ['HANDLED']);
      await send(topics.deltaker, [de(250, 1050, 7050)]);
      const stalled = await waitUntil('a stall card', () => stallCards()[0], 30_000);
      const text = JSON.stringify(stalled.body);
      expect(text).toMatch(/arena-ingest: the consumer has not moved for \d+(\.\d+)?s on 1 partition/);
      expect(text).toContain(`${topics.deltaker} [`);
      expect(text).toMatch(/1 message\(s\) waiting at offset \d+/);
      const metrics = await (await fetch(`http://127.0.0.1:${healthPortOf(app)}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`^syncfleet_arena_partition_stalled_seconds\\{[^}]*topic="${topics.deltaker}"[^}]*\\} [1-9]`, 'm'));
      // the log line may reach this process after the card
      await waitUntil('the warning in the logs', () => app!.lines().some((l) => l.msg === 'consumer stalled: messages wait behind a committed offset that stands still'), 10_000);
      // `fleet status` shows the group's position as the sync's watermark
      const status = JSON.parse((await fleet(['status', 'arena-ingest', '--json'])).stdout) as { watermark: { messagesBehind: number; stalledPartitions: number } };
      expect(status.watermark).toMatchObject({ messagesBehind: 1, stalledPartitions: 1 });
    } finally {
      await db.pool.query('DROP TRIGGER fail_deltaker_250 ON arena_data');
      await db.pool.query('DROP FUNCTION fail_deltaker_250()');
    }
    await statusesOf(DE, '250', ['HANDLED'], 60_000);
    await waitUntil('a card that it moves again', () => teams.received.slice(cards).some((_, i) => title(cards + i) === 'arena-ingest: the consumer moves again on every partition'), 30_000);
    await waitUntil('the consumer to commit every offset', consumerCaughtUp, 30_000);
    expect(stallCards()).toHaveLength(1); // one card per stall (TEAMS_ALERT_REPEAT_MS)
    await waitUntil('fleet status to show the group caught up', async () => {
      const status = JSON.parse((await fleet(['status', 'arena-ingest', '--json'])).stdout) as { watermark: { messagesBehind: number; stalledPartitions: number } };
      return status.watermark.messagesBehind === 0 && status.watermark.stalledPartitions === 0;
    }, 10_000);
  }, 120_000);
});
