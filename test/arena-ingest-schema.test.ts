// The arena-ingest tables against a real Postgres: the status CHECK, the unique message key (a
// redelivered message is a no-op), unparsable messages stored once by their Kafka coordinates, and
// positions above 2^53 ordered as text.
import { describe, expect, test } from 'vitest';
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
