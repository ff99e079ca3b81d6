// Every SQL statement of arena-ingest. A chunk of messages costs a fixed number of statements,
// whatever its size: values travel as arrays and are expanded with `unnest`. The statements of the
// chunk path are named (prepared once per connection): Postgres does not parse and plan them again
// for every chunk.
import type { Pool, PoolClient } from '@syncfleet/db';
import { arenaTables, type ArenaTable, type IngestStatus, type Operation, type RowData } from './domain/arena-message.ts';
import type { RowOutcome } from './domain/process-chunk.ts';
import type { Effect, ViewSnapshot } from './domain/processing-view.ts';
import type { DeltakerRecord, GjennomforingRecord, HistLink } from './domain/records.ts';
import type { AmtStatus } from './domain/status-conversion.ts';

export type Queryable = Pick<PoolClient, 'query'>;

/**
 * Transaction-scoped advisory locks, taken in one statement in a fixed order (by hash) so that two
 * transactions locking overlapping sets never deadlock. Shared locks for keys only read.
 */
export async function lockKeys(client: Queryable, exclusive: Iterable<string>, shared: Iterable<string> = []): Promise<void> {
  const keys: string[] = [];
  const isShared: boolean[] = [];
  for (const key of new Set(exclusive)) {
    keys.push(key);
    isShared.push(false);
  }
  for (const key of new Set(shared)) {
    keys.push(key);
    isShared.push(true);
  }
  if (keys.length === 0) return;
  await client.query({
    name: 'arena-ingest:lock',
    text: `SELECT CASE WHEN exclusive THEN pg_advisory_xact_lock(h) ELSE pg_advisory_xact_lock_shared(h) END
       FROM (SELECT hashtextextended(k, 0) AS h, bool_or(NOT s) AS exclusive
               FROM unnest($1::text[], $2::bool[]) AS t(k, s) GROUP BY 1 ORDER BY 1) AS ordered`,
    values: [keys, isShared],
  });
}

export interface MessageKey {
  table: string;
  operation: Operation;
  pos: string;
}
export const messageKeyText = (key: MessageKey): string => `${key.table}|${key.operation}|${key.pos}`;

export interface ParticipantMessage {
  table: string;
  arenaId: string;
  operation: Operation;
  pos: string;
  id: string;
  status: IngestStatus;
}

/**
 * Every stored message of these participants (table, arena id), through the (arena_id, table)
 * index: which messages of a chunk are stored already, which earlier ones block the ordering, the
 * newest handled one. (A participant has a handful of messages.)
 */
export async function loadParticipantMessages(client: Queryable, participants: ReadonlyArray<{ table: string; arenaId: string }>): Promise<ParticipantMessage[]> {
  if (participants.length === 0) return [];
  const { rows } = await client.query<{ t: string; a: string; o: Operation; p: string; id: string; s: IngestStatus }>({
    name: 'arena-ingest:participant-messages',
    text: `SELECT d.arena_table_name AS t, d.arena_id AS a, d.operation_type AS o, d.operation_pos AS p, d.id, d.ingest_status AS s
       FROM (SELECT DISTINCT t, a FROM unnest($1::text[], $2::text[]) AS k(t, a)) AS k
       JOIN arena_data d ON d.arena_id = k.a AND d.arena_table_name = k.t`,
    values: [participants.map((p) => p.table), participants.map((p) => p.arenaId)],
  });
  return rows.map((r) => ({ table: r.t, arenaId: r.a, operation: r.o, pos: r.p, id: r.id, status: r.s }));
}

/**
 * The Kafka coordinates (`topic|partition|offset`) among these that are stored without a message key:
 * unparsable messages, and messages Postgres refused. A redelivery of one of them changes nothing
 * and, above all, publishes nothing.
 */
export async function loadKeylessCoordinates(client: Queryable, records: ReadonlyArray<{ topic: string; partition: number; offset: string }>): Promise<Set<string>> {
  if (records.length === 0) return new Set();
  const { rows } = await client.query<{ c: string }>({
    name: 'arena-ingest:keyless-coordinates',
    text: `SELECT d.kafka_topic || '|' || d.kafka_partition || '|' || d.kafka_offset AS c
       FROM unnest($1::text[], $2::int[], $3::bigint[]) AS k(t, p, o)
       JOIN arena_data d ON d.kafka_topic = k.t AND d.kafka_partition = k.p AND d.kafka_offset = k.o AND d.operation_pos IS NULL`,
    values: [records.map((r) => r.topic), records.map((r) => r.partition), records.map((r) => r.offset)],
  });
  return new Set(rows.map((r) => r.c));
}

export interface SnapshotQuery {
  gjennomforingIds: Set<string>;
  deltakerIds: Set<string>;
  histIds: Set<string>;
  /** Persons of hist messages: their deltakere are the candidates for matching. */
  histPersonIds: Set<string>;
  /** The stored messages of the chunk's participants (`loadParticipantMessages`). */
  participantMessages: readonly ParticipantMessage[];
}

const ARENA_DATE_TIME = 'YYYY-MM-DD HH24:MI:SS';

/** What the processors of a chunk need, in at most four queries (fewer when some sets are empty). */
export async function loadSnapshot(
  client: Queryable,
  query: SnapshotQuery,
): Promise<Omit<ViewSnapshot, 'today' | 'now' | 'newId' | 'persons'> & { newestHandled: Map<string, string> }> {
  const gjennomforinger: GjennomforingRecord[] = [];
  const deltakerIds: Array<[string, string]> = [];
  const histLinks: HistLink[] = [];
  const deltakere: DeltakerRecord[] = [];
  const blockingRows: Array<{ table: string; arenaId: string; ref: string; pos: string }> = [];
  const newestHandled = new Map<string, string>();

  if (query.gjennomforingIds.size > 0) {
    const { rows } = await client.query<{ arena_id: string; id: string; tiltakskode: string; tiltakstatuskode: string | null; is_valid: boolean; dato_fra: string | null; dato_til: string | null }>({
      name: 'arena-ingest:gjennomforinger',
      text: `SELECT arena_id, id, tiltakskode, tiltakstatuskode, is_valid, to_char(dato_fra, 'YYYY-MM-DD') AS dato_fra, to_char(dato_til, 'YYYY-MM-DD') AS dato_til
         FROM gjennomforing WHERE arena_id = ANY($1::text[])`,
      values: [[...query.gjennomforingIds]],
    });
    for (const r of rows) {
      gjennomforinger.push({ arenaId: r.arena_id, id: r.id, tiltakskode: r.tiltakskode, tiltakstatuskode: r.tiltakstatuskode, isValid: r.is_valid, datoFra: r.dato_fra, datoTil: r.dato_til });
    }
  }
  if (query.deltakerIds.size > 0) {
    const { rows } = await client.query<{ arena_id: string; amt_id: string }>({
      name: 'arena-ingest:deltaker-ids',
      text: 'SELECT arena_id, amt_id FROM arena_deltaker_id_translation WHERE arena_id = ANY($1::text[])',
      values: [[...query.deltakerIds]],
    });
    for (const r of rows) deltakerIds.push([r.arena_id, r.amt_id]);
  }
  if (query.histIds.size > 0 || query.deltakerIds.size > 0) {
    const { rows } = await client.query<{ hist_arena_id: string; amt_id: string; deltaker_arena_id: string | null }>({
      name: 'arena-ingest:hist-links',
      text: `SELECT hist_arena_id, amt_id, deltaker_arena_id FROM arena_hist_deltaker_id_translation
        WHERE hist_arena_id = ANY($1::text[]) OR deltaker_arena_id = ANY($2::text[])`,
      values: [[...query.histIds], [...query.deltakerIds]],
    });
    for (const r of rows) histLinks.push({ histArenaId: r.hist_arena_id, amtId: r.amt_id, deltakerArenaId: r.deltaker_arena_id });
  }
  if (query.histPersonIds.size > 0) {
    const { rows } = await client.query<{
      source_table: DeltakerRecord['sourceTable'];
      arena_id: string;
      id: string;
      person_id: string;
      gjennomforing_arena_id: string;
      dato_fra: string | null;
      dato_til: string | null;
      dato_statusendring: string | null;
      status: AmtStatus;
    }>({
      name: 'arena-ingest:hist-deltakere',
      text: `SELECT source_table, arena_id, id, person_id, gjennomforing_arena_id, to_char(dato_fra, '${ARENA_DATE_TIME}') AS dato_fra,
              to_char(dato_til, '${ARENA_DATE_TIME}') AS dato_til, to_char(dato_statusendring, '${ARENA_DATE_TIME}') AS dato_statusendring, status
         FROM deltaker WHERE person_id = ANY($1::text[])`,
      values: [[...query.histPersonIds]],
    });
    for (const r of rows) {
      deltakere.push({
        sourceTable: r.source_table,
        arenaId: r.arena_id,
        id: r.id,
        personId: r.person_id,
        gjennomforingArenaId: r.gjennomforing_arena_id,
        datoFra: r.dato_fra,
        datoTil: r.dato_til,
        datoStatusendring: r.dato_statusendring,
        status: r.status,
      });
    }
  }
  for (const m of query.participantMessages) {
    if (m.status === 'HANDLED') {
      const key = `${m.table}|${m.arenaId}`;
      const known = newestHandled.get(key);
      if (known === undefined || m.pos > known) newestHandled.set(key, m.pos);
    } else if (m.status === 'RETRY' || m.status === 'FAILED' || m.status === 'WAITING') {
      blockingRows.push({ table: m.table, arenaId: m.arenaId, ref: `id:${m.id}`, pos: m.pos });
    }
  }
  return { gjennomforinger, deltakerIds, histLinks, deltakere, blockingRows, newestHandled };
}

/** Keeps the last of several values with the same key (one statement may not touch a row twice). */
function lastByKey<T>(items: T[], key: (item: T) => string): T[] {
  return [...new Map(items.map((item) => [key(item), item])).values()];
}

/**
 * Writes the effects of a chunk (everything but the publishing), in a fixed number of statements.
 * The WAITING release runs first: it must not reach a message of this chunk that waits again.
 */
export async function writeEffects(client: Queryable, effects: readonly Effect[]): Promise<{ released: number }> {
  const gjennomforinger: GjennomforingRecord[] = [];
  const translations: Array<{ arenaId: string; amtId: string }> = [];
  const links: HistLink[] = [];
  const deltakere: DeltakerRecord[] = [];
  const releases = new Set<string>();
  for (const effect of effects) {
    if (effect.kind === 'upsertGjennomforing') gjennomforinger.push(effect.record);
    else if (effect.kind === 'deltakerId') translations.push(effect);
    else if (effect.kind === 'histLink') links.push(effect.link);
    else if (effect.kind === 'upsertDeltaker') deltakere.push(effect.record);
    else if (effect.kind === 'releaseWaiting') releases.add(effect.gjennomforingArenaId);
  }
  let released = 0;
  if (releases.size > 0) {
    const result = await client.query({
      name: 'arena-ingest:release-waiting',
      text: `UPDATE arena_data SET ingest_status = 'RETRY', ingest_attempts = 0, ingested_timestamp = now(),
              note = 'released: gjennomføring ' || arena_normalized_id(COALESCE(after, before) ->> 'TILTAKGJENNOMFORING_ID') || ' is valid now'
        WHERE ingest_status = 'WAITING' AND arena_normalized_id(COALESCE(after, before) ->> 'TILTAKGJENNOMFORING_ID') = ANY($1::text[])`,
      values: [[...releases]],
    });
    released = result.rowCount ?? 0;
  }
  if (gjennomforinger.length > 0) {
    const rows = lastByKey(gjennomforinger, (g) => g.arenaId);
    await client.query({
      name: 'arena-ingest:upsert-gjennomforinger',
      text: `INSERT INTO gjennomforing (arena_id, id, tiltakskode, tiltakstatuskode, is_valid, dato_fra, dato_til)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::bool[], $6::date[], $7::date[])
       ON CONFLICT (arena_id) DO UPDATE SET tiltakskode = excluded.tiltakskode, tiltakstatuskode = excluded.tiltakstatuskode,
         is_valid = excluded.is_valid, dato_fra = excluded.dato_fra, dato_til = excluded.dato_til, updated_at = now()`,
      values: [
        rows.map((g) => g.arenaId),
        rows.map((g) => g.id),
        rows.map((g) => g.tiltakskode),
        rows.map((g) => g.tiltakstatuskode),
        rows.map((g) => g.isValid),
        rows.map((g) => g.datoFra),
        rows.map((g) => g.datoTil),
      ],
    });
  }
  if (translations.length > 0) {
    const rows = lastByKey(translations, (t) => t.arenaId);
    await client.query({
      name: 'arena-ingest:insert-deltaker-ids',
      text: `INSERT INTO arena_deltaker_id_translation (arena_id, amt_id) SELECT * FROM unnest($1::text[], $2::uuid[]) ON CONFLICT DO NOTHING`,
      values: [rows.map((t) => t.arenaId), rows.map((t) => t.amtId)],
    });
  }
  if (links.length > 0) {
    const rows = lastByKey(links, (l) => l.histArenaId);
    await client.query({
      name: 'arena-ingest:upsert-hist-links',
      text: `INSERT INTO arena_hist_deltaker_id_translation (hist_arena_id, amt_id, deltaker_arena_id)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[])
       ON CONFLICT (hist_arena_id) DO UPDATE SET amt_id = excluded.amt_id, deltaker_arena_id = excluded.deltaker_arena_id`,
      values: [rows.map((l) => l.histArenaId), rows.map((l) => l.amtId), rows.map((l) => l.deltakerArenaId)],
    });
  }
  if (deltakere.length > 0) {
    const rows = lastByKey(deltakere, (d) => `${d.sourceTable}|${d.arenaId}`);
    await client.query({
      name: 'arena-ingest:upsert-deltakere',
      text: `INSERT INTO deltaker (source_table, arena_id, id, person_id, gjennomforing_arena_id, dato_fra, dato_til, dato_statusendring, status)
       SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::timestamp[], $7::timestamp[], $8::timestamp[], $9::text[])
       ON CONFLICT (source_table, arena_id) DO UPDATE SET id = excluded.id, person_id = excluded.person_id,
         gjennomforing_arena_id = excluded.gjennomforing_arena_id, dato_fra = excluded.dato_fra, dato_til = excluded.dato_til,
         dato_statusendring = excluded.dato_statusendring, status = excluded.status, updated_at = now()`,
      values: [
        rows.map((d) => d.sourceTable),
        rows.map((d) => d.arenaId),
        rows.map((d) => d.id),
        rows.map((d) => d.personId),
        rows.map((d) => d.gjennomforingArenaId),
        rows.map((d) => d.datoFra),
        rows.map((d) => d.datoTil),
        rows.map((d) => d.datoStatusendring),
        rows.map((d) => d.status),
      ],
    });
  }
  return { released };
}

/** A message to insert into arena_data with its final status (first delivery). */
export interface NewMessageRow {
  table: string | null;
  arenaId: string | null;
  operation: Operation | null;
  pos: string | null;
  opTs: string | null;
  status: Exclude<IngestStatus, 'NEW'>;
  attempts: number;
  /** A DELETE that waited for a hist link on its first delivery (absent: 0). */
  histLinkWaits?: number;
  attempted: boolean;
  before: RowData | null;
  after: RowData | null;
  /** The message's JSON text, when `before` and `after` are stored from it as they are (`ArenaMessage.source`). */
  source: string | null;
  note: string | null;
  topic: string;
  partition: number;
  offset: string;
  /** Only for a message that could not be parsed. */
  raw: Buffer | null;
}

/**
 * Inserts the messages of a chunk in one statement; a message stored already is left as it is. The
 * rows travel as one JSON document, each message's own JSON text spliced in as it came (`e`; its
 * `before` and `after` are taken from it) or, when it had to be cleaned, its parsed row data: one
 * parse in Postgres, and no serialisation of the row data in Node.
 */
export async function insertMessages(client: Queryable, rows: readonly NewMessageRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const parts: string[] = [];
  for (const r of rows) {
    const fields = JSON.stringify({
      t: r.table,
      a: r.arenaId,
      o: r.operation,
      p: r.pos,
      ts: r.opTs,
      s: r.status,
      n: r.attempts,
      ...(r.histLinkWaits ? { hw: r.histLinkWaits } : {}),
      att: r.attempted,
      ...(r.source === null ? { b: r.before, af: r.after } : {}),
      note: r.note,
      kt: r.topic,
      kp: r.partition,
      ko: r.offset,
      raw: r.raw === null ? null : r.raw.toString('hex'),
    });
    // the source was parsed by JSON.parse already: it is one JSON value
    parts.push(r.source === null ? fields : `${fields.slice(0, -1)},"e":${r.source}}`);
  }
  const result = await client.query({
    name: 'arena-ingest:insert-messages',
    text: `INSERT INTO arena_data (arena_table_name, arena_id, operation_type, operation_pos, operation_timestamp, ingest_status, ingest_attempts,
                             hist_link_waits, last_attempted, before, after, note, kafka_topic, kafka_partition, kafka_offset, raw_value)
     SELECT t, a, o, p, ts::timestamp, s, n, COALESCE(hw, 0), CASE WHEN att THEN now() END,
            CASE WHEN e IS NULL THEN b WHEN jsonb_typeof(e -> 'before') = 'object' THEN e -> 'before' END,
            CASE WHEN e IS NULL THEN af WHEN jsonb_typeof(e -> 'after') = 'object' THEN e -> 'after' END,
            note, kt, kp, ko, decode(raw, 'hex')
       FROM jsonb_to_recordset($1::jsonb)
            AS m(t text, a text, o text, p text, ts text, s text, n int, hw int, att bool, b jsonb, af jsonb, e jsonb, note text, kt text, kp int, ko bigint, raw text)
     ON CONFLICT DO NOTHING`,
    values: [`[${parts.join(',')}]`],
  });
  return result.rowCount ?? 0;
}

/** Sets the outcome of stored messages (retry path); `ref` is `id:<arena_data.id>`. */
export async function updateMessages(client: Queryable, outcomes: readonly RowOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  await client.query(
    `UPDATE arena_data d SET ingest_status = x.s, ingest_attempts = x.n, hist_link_waits = x.hw, note = x.note, ingested_timestamp = now(),
            last_attempted = CASE WHEN x.att THEN now() ELSE d.last_attempted END
       FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::bool[], $6::int[]) AS x(id, s, n, note, att, hw)
      WHERE d.id = x.id`,
    [
      outcomes.map((o) => o.ref.slice('id:'.length)),
      outcomes.map((o) => o.status),
      outcomes.map((o) => o.attempts),
      outcomes.map((o) => o.note),
      outcomes.map((o) => o.attempted),
      outcomes.map((o) => o.histLinkWaits),
    ],
  );
}

export interface StoredMessage {
  id: string;
  table: ArenaTable;
  arenaId: string;
  operation: Operation;
  pos: string;
  attempts: number;
  histLinkWaits: number;
  status: IngestStatus;
  before: RowData | null;
  after: RowData | null;
}

interface StoredRow {
  id: string;
  arena_table_name: ArenaTable;
  arena_id: string;
  operation_type: Operation;
  operation_pos: string;
  ingest_attempts: number;
  hist_link_waits: number;
  ingest_status: IngestStatus;
  before: RowData | null;
  after: RowData | null;
}
const storedColumns = 'id, arena_table_name, arena_id, operation_type, operation_pos, ingest_attempts, hist_link_waits, ingest_status, before, after';
const toStored = (r: StoredRow): StoredMessage => ({
  id: r.id,
  table: r.arena_table_name,
  arenaId: r.arena_id,
  operation: r.operation_type,
  pos: r.operation_pos,
  attempts: r.ingest_attempts,
  histLinkWaits: r.hist_link_waits,
  status: r.ingest_status,
  before: r.before,
  after: r.after,
});

/** One keyset page of a table's rows in `status`, after (pos, id), in position order. */
export async function selectRetryPage(
  client: Queryable,
  table: ArenaTable,
  status: 'RETRY' | 'FAILED',
  after: { pos: string; id: string } | undefined,
  limit: number,
): Promise<StoredMessage[]> {
  const { rows } = await client.query<StoredRow>(
    `SELECT ${storedColumns} FROM arena_data
      WHERE arena_table_name = $1 AND ingest_status = $2 AND (operation_pos, id) > ($3, $4::bigint)
      ORDER BY operation_pos, id LIMIT $5`,
    [table, status, after?.pos ?? '', after?.id ?? '0', limit],
  );
  return rows.map(toStored);
}

/** The rows among `ids` still in `status`, locked for this transaction. */
export async function lockStoredMessages(client: Queryable, ids: readonly string[], status: IngestStatus): Promise<StoredMessage[]> {
  const { rows } = await client.query<StoredRow>(
    `SELECT ${storedColumns} FROM arena_data WHERE id = ANY($1::bigint[]) AND ingest_status = $2 ORDER BY operation_pos, id FOR UPDATE`,
    [ids, status],
  );
  return rows.map(toStored);
}

/** The filter that limits a table's rows to one tiltakskode (the gjennomføring's, for participants). */
function tiltakskodeFilter(table: ArenaTable, parameter: string): string {
  return table === arenaTables.gjennomforing
    ? `btrim(COALESCE(after, before) ->> 'TILTAKSKODE') = ${parameter}`
    : `arena_normalized_id(COALESCE(after, before) ->> 'TILTAKGJENNOMFORING_ID') IN (SELECT arena_id FROM gjennomforing WHERE tiltakskode = ${parameter})`;
}

/**
 * Seed 003's reingest: the newest HANDLED row of every arena_id of `table` (of one tiltakskode) back
 * to RETRY with 0 attempts and no last attempt. `dryRun`: only counts them.
 */
export async function markForReingest(pool: Pool, table: ArenaTable, tiltakskode: string | undefined, dryRun: boolean): Promise<number> {
  const newest = `SELECT DISTINCT ON (arena_id) id FROM arena_data
                   WHERE arena_table_name = $1 AND ingest_status = 'HANDLED' ${tiltakskode ? `AND ${tiltakskodeFilter(table, '$2')}` : ''}
                   ORDER BY arena_id, operation_pos DESC`;
  const params = tiltakskode ? [table, tiltakskode] : [table];
  if (dryRun) {
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM (${newest}) AS newest`, params);
    return Number(rows[0]?.n ?? 0);
  }
  const result = await pool.query(
    `UPDATE arena_data SET ingest_status = 'RETRY', ingest_attempts = 0, hist_link_waits = 0, last_attempted = NULL, ingested_timestamp = now(), note = 'reingest'
      WHERE id IN (${newest})`,
    params,
  );
  return result.rowCount ?? 0;
}

/** Deletes IGNORED rows that got their status more than `olderThanMs` ago, in batches; `dryRun` counts them. */
export async function deleteOldIgnored(pool: Pool, olderThanMs: number, dryRun: boolean, batchSize = 10_000): Promise<number> {
  const cutoff = `ingest_status = 'IGNORED' AND ingested_timestamp < now() - $1 * interval '1 millisecond'`;
  if (dryRun) {
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM arena_data WHERE ${cutoff}`, [olderThanMs]);
    return Number(rows[0]?.n ?? 0);
  }
  let deleted = 0;
  for (;;) {
    const result = await pool.query(`DELETE FROM arena_data WHERE id IN (SELECT id FROM arena_data WHERE ${cutoff} LIMIT $2)`, [olderThanMs, batchSize]);
    deleted += result.rowCount ?? 0;
    if ((result.rowCount ?? 0) < batchSize) return deleted;
  }
}

/** Row counts per (table, status); unparsable rows count under the table '(unparsable)'. */
export async function countByStatus(client: Queryable): Promise<Array<{ table: string; status: IngestStatus; count: number }>> {
  const { rows } = await client.query<{ t: string | null; s: IngestStatus; n: string }>(
    'SELECT arena_table_name AS t, ingest_status AS s, count(*) AS n FROM arena_data GROUP BY 1, 2',
  );
  return rows.map((r) => ({ table: r.t ?? '(unparsable)', status: r.s, count: Number(r.n) }));
}

