// The arena-ingest tables against a real Postgres: the status CHECK, the unique message key (a
// redelivered message is a no-op), unparsable messages stored once by their Kafka coordinates, and
// positions above 2^53 ordered as text.
import { describe, expect, test } from 'vitest';
import { readId } from '../apps/arena-ingest/src/domain/arena-message.ts';
import { writeEffects } from '../apps/arena-ingest/src/arena-store.ts';
import { useTestDatabase } from './support/fixtures.ts';

const db = useTestDatabase();

const insert = (values: { table?: string | null; id?: string | null; op?: string | null; pos?: string | null; status: string; offset?: number }) =>
  db.pool.query(
    `INSERT INTO arena_data (arena_table_name, arena_id, operation_type, operation_pos, ingest_status, kafka_topic, kafka_partition, kafka_offset)
     VALUES ($1, $2, $3, $4, $5, 'topic', 0, $6) ON CONFLICT DO NOTHING`,
    [values.table ?? null, values.id ?? null, values.op ?? null, values.pos ?? null, values.status, values.offset ?? 0],
  );

describe('arena_data', () => {
  test('refuses an unknown status, a malformed position and a keyless row that is not INVALID', async () => {
    const key = { table: 'SIAMO.TILTAKDELTAKER', id: '1', op: 'CREATED' };
    await expect(insert({ ...key, pos: '00000000000000000001', status: 'DONE' })).rejects.toThrow(/ingest_status_check/);
    await expect(insert({ ...key, pos: '1', status: 'NEW' })).rejects.toThrow(/operation_pos_check/);
    await expect(insert({ ...key, op: 'INSERT', pos: '00000000000000000001', status: 'NEW' })).rejects.toThrow(/operation_type_check/);
    await expect(insert({ status: 'HANDLED' })).rejects.toThrow(/arena_data_key_present/);
  });

  test('one row per (table, operation, position); one per Kafka offset for an unparsable message', async () => {
    const row = { table: 'SIAMO.TILTAKGJENNOMFORING', id: '7', op: 'MODIFIED', pos: '00000000000000000042', status: 'HANDLED' };
    expect((await insert(row)).rowCount).toBe(1);
    expect((await insert({ ...row, status: 'RETRY' })).rowCount).toBe(0);
    expect((await insert({ status: 'INVALID', offset: 5 })).rowCount).toBe(1);
    expect((await insert({ status: 'INVALID', offset: 5 })).rowCount).toBe(0);
    expect((await insert({ status: 'INVALID', offset: 6 })).rowCount).toBe(1);
  });

  test('positions above 2^53 sort in their real order', async () => {
    const positions = ['10000000000000000002', '10000000000000000001', '09007199254740993000', '10000000000000000010'];
    expect(Number(positions[0])).toBe(Number(positions[1])); // as JS numbers they are equal
    for (const [i, pos] of positions.entries()) await insert({ table: 'T', id: 'x', op: 'CREATED', pos, status: 'HANDLED', offset: i });
    const { rows } = await db.pool.query<{ operation_pos: string }>(`SELECT operation_pos FROM arena_data WHERE arena_table_name = 'T' ORDER BY operation_pos`);
    expect(rows.map((r) => r.operation_pos)).toEqual([...positions].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)));
  });
});

describe('gjennomføring ids in stored messages', () => {
  test('arena_normalized_id reads an id as the processors do (readId): trimmed, leading zeros dropped', async () => {
    const texts = ['020', '20', ' 20 ', '0', '000', '0007', '12345678901234567890'];
    const { rows } = await db.pool.query<{ id: string }>('SELECT arena_normalized_id(t) AS id FROM unnest($1::text[]) WITH ORDINALITY AS x(t, n) ORDER BY n', [texts]);
    expect(rows.map((r) => r.id)).toEqual(texts.map((t) => readId({ X: t }, 'X')));
  });

  test('a valid gjennomføring releases its WAITING deltakere whatever form their message gives its id in', async () => {
    const waiting = async (pos: number, gjennomforingId: unknown) =>
      db.pool.query(
        `INSERT INTO arena_data (arena_table_name, arena_id, operation_type, operation_pos, ingest_status, kafka_topic, kafka_partition, kafka_offset, after)
         VALUES ('SIAMO.TILTAKDELTAKER', $1, 'CREATED', $2, 'WAITING', 'topic', 0, $3, $4)`,
        [String(9000 + pos), String(pos).padStart(20, '0'), 1000 + pos, JSON.stringify({ TILTAKGJENNOMFORING_ID: gjennomforingId })],
      );
    await waiting(1, '020');
    await waiting(2, 20);
    await waiting(3, ' 20');
    await waiting(4, '200'); // another gjennomføring
    const client = await db.pool.connect();
    try {
      expect(await writeEffects(client, [{ kind: 'releaseWaiting', gjennomforingArenaId: '20' }])).toEqual({ released: 3 });
    } finally {
      client.release();
    }
    const { rows } = await db.pool.query<{ arena_id: string; ingest_status: string; note: string | null }>(
      `SELECT arena_id, ingest_status, note FROM arena_data WHERE arena_id LIKE '900_' ORDER BY arena_id`,
    );
    expect(rows).toEqual([
      { arena_id: '9001', ingest_status: 'RETRY', note: 'released: gjennomføring 20 is valid now' },
      { arena_id: '9002', ingest_status: 'RETRY', note: 'released: gjennomføring 20 is valid now' },
      { arena_id: '9003', ingest_status: 'RETRY', note: 'released: gjennomføring 20 is valid now' },
      { arena_id: '9004', ingest_status: 'WAITING', note: null },
    ]);
  });
});
