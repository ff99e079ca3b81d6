// The ingest engine shared by the Kafka consumer and the retry jobs. A chunk of messages is one
// Postgres transaction: advisory locks per participant (so the consumer and the retry jobs never
// work on the same participant at once), the state the processors need loaded in a few queries,
// the processors run in memory, the AMT messages published and acknowledged, then every write in a
// few statements, and COMMIT. A crash anywhere before COMMIT leaves nothing behind but messages
// published at least once (under the same deltaker id and a deterministic transaction id).
import type { Pool, PoolClient } from '@syncfleet/db';
import { arenaTables, isArenaTable, parseArenaEnvelope, readId, readText, type ArenaTable, type IngestStatus, type RowData } from './domain/arena-message.ts';
import { processChunk, type ChunkOutcome, type ChunkRow, type RowOutcome } from './domain/process-chunk.ts';
import { MemoryView, type PersonResult } from './domain/processing-view.ts';
import { amtId, arenaDay, supportedTiltakskoder, type Clock } from './domain/records.ts';
import type { AmtPublisher } from './amt-publisher.ts';
import {
  insertMessages,
  loadKeylessCoordinates,
  loadParticipantMessages,
  loadSnapshot,
  lockKeys,
  lockStoredMessages,
  messageKeyText,
  selectRetryPage,
  updateMessages,
  writeEffects,
  type MessageKey,
  type NewMessageRow,
  type ParticipantMessage,
  type StoredMessage,
} from './arena-store.ts';
import type { PersonLookup } from './person-lookup.ts';

export interface ArenaIngestDeps {
  pool: Pool;
  persons: PersonLookup;
  publisher: AmtPublisher;
  clock: Clock;
  /** A RETRY row becomes FAILED when its attempts reach this. */
  maxAttempts: number;
  /** Default: `amtId`. */
  newId?: (name: string) => string;
}

/** One Kafka message as the consumer hands it over. */
export interface KafkaRecord {
  topic: string;
  partition: number;
  offset: string;
  value: Buffer | null;
}

export type StatusCounts = Partial<Record<Exclude<IngestStatus, 'NEW'>, number>>;

export interface ChunkSummary {
  /** Messages stored by this chunk (first deliveries). */
  stored: number;
  /** Messages that were stored already (redeliveries): nothing changed for them. */
  duplicates: number;
  statuses: StatusCounts;
  published: number;
  /** WAITING messages of earlier chunks released by a valid gjennomføring. */
  released: number;
  /** Messages Postgres refused (a value it cannot store): stored INVALID by their Kafka coordinates with the reason. */
  rejected: number;
  /** Milliseconds spent per phase (locks, load, persons, process, writes and publish in parallel, commit): for debug logs. */
  timings: Record<string, number>;
}

export interface RetrySummary {
  processed: number;
  statuses: StatusCounts;
  published: number;
  released: number;
}

/** How many passes a chunk gets to collect the person lookups its messages need. */
const PERSON_PASSES = 3;
const RETRYABLE_PG_CODES = new Set(['40P01', '40001']); // deadlock detected, serialization failure
const TRANSACTION_ATTEMPTS = 5;

/**
 * Postgres refused a value of the chunk: a data exception (class 22: a date out of range, a string it
 * cannot store...) or a NOT NULL or CHECK violation. Retrying the same chunk cannot help.
 */
function isRefusedValue(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code === '23502' || code === '23514');
}

function postgresErrorText(error: unknown): string {
  const { code, message } = error as { code?: unknown; message?: unknown };
  // a NUL cannot be stored in a text column either
  return `SQLSTATE ${String(code)}: ${String(message)}`.replaceAll('\u0000', '');
}

/** A message stored only by its Kafka coordinates, with its raw value and why (it is INVALID). */
function rawMessageRow(record: KafkaRecord, note: string): Omit<NewMessageRow, 'status' | 'attempts' | 'attempted'> & { note: string } {
  const { topic, partition, offset } = record;
  return { table: null, arenaId: null, operation: null, pos: null, opTs: null, before: null, after: null, source: null, note, raw: record.value ?? Buffer.alloc(0), topic, partition, offset };
}

function mergeSummaries(summaries: readonly ChunkSummary[]): ChunkSummary {
  const merged: ChunkSummary = { stored: 0, duplicates: 0, statuses: {}, published: 0, released: 0, rejected: 0, timings: {} };
  for (const s of summaries) {
    merged.stored += s.stored;
    merged.duplicates += s.duplicates;
    merged.published += s.published;
    merged.released += s.released;
    merged.rejected += s.rejected;
    for (const [status, count] of Object.entries(s.statuses) as Array<[keyof StatusCounts, number]>) merged.statuses[status] = (merged.statuses[status] ?? 0) + count;
  }
  return merged;
}

/** Accumulates the time spent in named phases. */
function createTimer(): { timings: Record<string, number>; lap(phase: string): void } {
  const timings: Record<string, number> = {};
  let last = performance.now();
  return {
    timings,
    lap(phase) {
      const now = performance.now();
      timings[phase] = Math.round((timings[phase] ?? 0) + now - last);
      last = now;
    },
  };
}

async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && RETRYABLE_PG_CODES.has(code) && attempt < TRANSACTION_ATTEMPTS) continue;
      throw error;
    } finally {
      client.release(broken);
    }
  }
}

const gjennomforingKey = (arenaId: string): string => `${arenaTables.gjennomforing}:${arenaId}`;

/**
 * The advisory locks a chunk takes: each participant (table, arena id) exclusively, as the retry
 * jobs do. Besides, what the processors read is locked against what others write: a (hist)
 * deltaker reads its gjennomføring (shared; a gjennomføring message takes it exclusively, so that
 * a deltaker found WAITING is committed before the valid version releases it), and a hist
 * deltaker matches the deltakere of its person (exclusive; a deltaker message takes it shared, so
 * deltakere of one person in two partitions do not wait for each other).
 */
function lockSets(rows: ReadonlyArray<Pick<ChunkRow, 'table' | 'arenaId' | 'data'>>): { exclusive: string[]; shared: string[] } {
  const exclusive: string[] = [];
  const shared: string[] = [];
  for (const row of rows) {
    if (row.table === arenaTables.gjennomforing) {
      exclusive.push(gjennomforingKey(row.arenaId));
      continue;
    }
    exclusive.push(`${row.table}:${row.arenaId}`);
    const personId = readId(row.data, 'PERSON_ID');
    const gjennomforingId = readId(row.data, 'TILTAKGJENNOMFORING_ID');
    if (personId !== null) (row.table === arenaTables.histDeltaker ? exclusive : shared).push(`person:${personId}`);
    if (gjennomforingId !== null) shared.push(gjennomforingKey(gjennomforingId));
  }
  return { exclusive, shared };
}

function countStatuses(outcomes: ReadonlyArray<{ status: Exclude<IngestStatus, 'NEW'> }>, into: StatusCounts = {}): StatusCounts {
  for (const { status } of outcomes) into[status] = (into[status] ?? 0) + 1;
  return into;
}

export interface ArenaIngest {
  /** Stores, processes and publishes one chunk of Kafka messages in one transaction. */
  ingestMessages(records: readonly KafkaRecord[]): Promise<ChunkSummary>;
  /** Processes the rows of `table` in `status` again, keyset by position, a chunk per transaction. */
  retryTable(table: ArenaTable, status: 'RETRY' | 'FAILED', options: { batchSize: number; chunkSize: number; signal?: AbortSignal }): Promise<RetrySummary>;
}

/** Gjennomføringer remembered as usable (supported and valid) for the person prefetch. */
const USABLE_GJENNOMFORINGER_REMEMBERED = 50_000;

export function createArenaIngest(deps: ArenaIngestDeps): ArenaIngest {
  const newId = deps.newId ?? amtId;
  /**
   * gjennomføring arena id -> usable (supported and valid), as last seen: lets a chunk look up the
   * persons its participants will need while its transaction takes the locks and loads the state,
   * without looking up persons whose participation is ignored.
   */
  const usableGjennomforinger = new Map<string, boolean>();
  const rememberGjennomforing = (arenaId: string, usable: boolean): void => {
    usableGjennomforinger.delete(arenaId);
    usableGjennomforinger.set(arenaId, usable);
    if (usableGjennomforinger.size > USABLE_GJENNOMFORINGER_REMEMBERED) usableGjennomforinger.delete(usableGjennomforinger.keys().next().value!);
  };

  /** Starts the lookups of the persons the participants of usable gjennomføringer will need. */
  const prefetchPersons = (rows: readonly ChunkRow[]): Promise<Map<string, PersonResult>> | undefined => {
    const ids = new Set<string>();
    for (const row of rows) {
      if (row.table === arenaTables.gjennomforing || readText(row.data, 'EKSTERN_ID') !== null || readText(row.data, 'DELTAKERTYPEKODE') === 'EKSTERN') continue;
      const gjennomforingId = readId(row.data, 'TILTAKGJENNOMFORING_ID');
      const personId = readId(row.data, 'PERSON_ID');
      if (gjennomforingId !== null && personId !== null && usableGjennomforinger.get(gjennomforingId) === true) ids.add(personId);
    }
    return ids.size > 0 ? deps.persons.lookup(ids) : undefined;
  };

  /**
   * Loads the view, runs the processors (again when they asked for persons), then writes the
   * effects and the messages' outcomes (`writeRows`) while the AMT messages are published; resolves
   * once both are done (the caller then commits).
   */
  async function processRows<T>(
    client: PoolClient,
    rows: readonly ChunkRow[],
    participantMessages: readonly ParticipantMessage[],
    retrying: boolean,
    writeRows: (outcomes: RowOutcome[]) => Promise<T>,
    timer: ReturnType<typeof createTimer> = createTimer(),
    prefetched?: Promise<Map<string, PersonResult>>,
  ): Promise<ChunkOutcome & { published: number; released: number; written: T }> {
    if (rows.length === 0) return { outcomes: [], effects: [], neededPersons: new Set(), published: 0, released: 0, written: await writeRows([]) };
    const query = {
      gjennomforingIds: new Set<string>(),
      deltakerIds: new Set<string>(),
      histIds: new Set<string>(),
      histPersonIds: new Set<string>(),
      participantMessages,
    };
    for (const row of rows) {
      if (row.table === arenaTables.gjennomforing) {
        query.gjennomforingIds.add(row.arenaId);
        continue;
      }
      const gjennomforingId = readId(row.data, 'TILTAKGJENNOMFORING_ID');
      if (gjennomforingId !== null) query.gjennomforingIds.add(gjennomforingId);
      if (row.table === arenaTables.deltaker) query.deltakerIds.add(row.arenaId);
      else {
        query.histIds.add(row.arenaId);
        const personId = readId(row.data, 'PERSON_ID');
        if (personId !== null) query.histPersonIds.add(personId);
      }
    }
    const snapshot = await loadSnapshot(client, query);
    timer.lap('load');
    const now = deps.clock.now();
    const today = arenaDay(now);
    const newerHandled = (table: string, arenaId: string, pos: string): string | undefined => {
      const newest = snapshot.newestHandled.get(`${table}|${arenaId}`);
      return newest !== undefined && newest > pos ? newest : undefined;
    };
    for (const g of snapshot.gjennomforinger ?? []) rememberGjennomforing(g.arenaId, g.isValid && supportedTiltakskoder.has(g.tiltakskode));
    const persons = new Map<string, PersonResult>(prefetched ? await prefetched : []);
    if (prefetched) timer.lap('persons');
    let result: ChunkOutcome;
    for (let pass = 1; ; pass++) {
      const view = new MemoryView({ ...snapshot, today, now, newId, persons });
      result = processChunk(rows, view, { maxAttempts: deps.maxAttempts, retrying, newerHandled });
      timer.lap('process');
      const missing = [...result.neededPersons].filter((id) => !persons.has(id));
      if (missing.length === 0 || pass === PERSON_PASSES) break;
      for (const [id, found] of await deps.persons.lookup(missing)) persons.set(id, found);
      timer.lap('persons');
    }
    for (const effect of result.effects) {
      if (effect.kind === 'upsertGjennomforing') rememberGjennomforing(effect.record.arenaId, effect.record.isValid && supportedTiltakskoder.has(effect.record.tiltakskode));
    }
    const publications = result.effects.filter((e) => e.kind === 'publish');
    const outcomes = result.outcomes;
    const writes = async (): Promise<{ released: number; written: T }> => {
      const { released } = await writeEffects(client, result.effects);
      return { released, written: await writeRows(outcomes) };
    };
    // published while the writes run, acknowledged before COMMIT: a row is HANDLED only once its message is on the broker
    const started = performance.now();
    const took = (): number => Math.round(performance.now() - started);
    const [{ released, written }] = await Promise.all([
      writes().then((done) => ((timer.timings.writes = took()), done)),
      deps.publisher.publish(publications).then(() => (timer.timings.publish = took())),
    ]);
    timer.lap('writeAndPublish');
    return { ...result, published: publications.length, released, written };
  }

  /** Stores, processes and publishes one chunk in one transaction (see `ingestMessages`). */
  async function ingestChunk(records: readonly KafkaRecord[]): Promise<ChunkSummary> {
    interface Entry {
      key: MessageKey | undefined;
      row: ChunkRow | undefined;
      insert: Omit<NewMessageRow, 'status' | 'attempts' | 'attempted' | 'note'> & { note: string | null };
    }
    const entries: Entry[] = [];
    const seen = new Set<string>();
    let duplicates = 0;
    for (const record of records) {
      const coordinates = { topic: record.topic, partition: record.partition, offset: record.offset };
      const parsed = parseArenaEnvelope(record.value);
      if (!parsed.ok) {
        entries.push({
          key: undefined,
          row: undefined,
          insert: rawMessageRow(record, `unparsable message: ${parsed.reason}`),
        });
        continue;
      }
      const m = parsed.message;
      const key: MessageKey = { table: m.table, operation: m.operation, pos: m.pos };
      const keyText = messageKeyText(key);
      if (seen.has(keyText)) {
        duplicates += 1;
        continue;
      }
      seen.add(keyText);
      const data: RowData | null = m.operation === 'DELETED' ? m.before : m.after;
      const table = m.table;
      const processable = m.problems.length === 0 && isArenaTable(table) && m.arenaId !== null && data !== null;
      entries.push({
        key,
        row:
          m.problems.length === 0 && isArenaTable(table) && m.arenaId !== null && data !== null
            ? { ref: keyText, table, operation: m.operation, pos: m.pos, arenaId: m.arenaId, data, attempts: 0, histLinkWaits: 0, previousStatus: 'NEW' }
            : undefined,
        insert: { table: m.table, arenaId: m.arenaId, operation: m.operation, pos: m.pos, opTs: m.opTs, before: m.before, after: m.after, source: m.source, note: processable ? null : m.problems.join('; '), raw: null, ...coordinates },
      });
    }

    const timer = createTimer();
    // before the transaction: the lookups run while it takes its locks and loads the state
    const prefetched = prefetchPersons(entries.flatMap((e) => (e.row ? [e.row] : [])));
    const summary = await inTransaction(deps.pool, async (client) => {
      timer.lap('connect');
      const candidates = entries.flatMap((e) => (e.row ? [e.row] : []));
      const locks = lockSets(candidates);
      await lockKeys(client, locks.exclusive, locks.shared);
      timer.lap('locks');
      const participantMessages = await loadParticipantMessages(client, candidates);
      const stored = new Set(participantMessages.map((m) => messageKeyText({ table: m.table, operation: m.operation, pos: m.pos })));
      timer.lap('stored');
      const keyless = await loadKeylessCoordinates(client, records);
      const fresh = entries.filter((e) => !(e.key && stored.has(messageKeyText(e.key))) && !keyless.has(`${e.insert.topic}|${e.insert.partition}|${e.insert.offset}`));
      const rows = fresh.flatMap((e) => (e.row ? [e.row] : []));
      let inserts: NewMessageRow[] = [];
      const processed = await processRows(client, rows, participantMessages, false, (outcomes) => {
        const outcomeOf = new Map<string, RowOutcome>(outcomes.map((o) => [o.ref, o]));
        inserts = fresh.map((e) => {
          const outcome = e.row ? outcomeOf.get(e.row.ref) : undefined;
          return outcome
            ? { ...e.insert, status: outcome.status, attempts: outcome.attempts, histLinkWaits: outcome.histLinkWaits, attempted: outcome.attempted, note: outcome.note }
            : { ...e.insert, status: 'INVALID', attempts: 0, attempted: false };
        });
        return insertMessages(client, inserts);
      }, timer, prefetched);
      const inserted = processed.written;
      return {
        stored: inserted,
        duplicates: duplicates + (entries.length - fresh.length) + (fresh.length - inserted),
        statuses: countStatuses(inserts),
        published: processed.published,
        released: processed.released,
        rejected: 0,
        timings: timer.timings,
      };
    });
    timer.lap('commit');
    return summary;
  }

  /** A message Postgres refused as a whole: stored INVALID by its Kafka coordinates, raw value and reason kept. */
  async function storeRejected(record: KafkaRecord, error: unknown): Promise<ChunkSummary> {
    const reason = `Postgres refused it (${postgresErrorText(error)})`;
    const inserted = await inTransaction(deps.pool, (client) =>
      insertMessages(client, [{ ...rawMessageRow(record, reason), status: 'INVALID', attempts: 0, attempted: false }]),
    );
    return { stored: inserted, duplicates: 1 - inserted, statuses: inserted ? { INVALID: 1 } : {}, published: 0, released: 0, rejected: inserted, timings: {} };
  }

  return {
    async ingestMessages(records) {
      try {
        return await ingestChunk(records);
      } catch (error) {
        if (!isRefusedValue(error)) throw error;
        // A value Postgres refuses fails the whole chunk, at every redelivery: its partition would
        // stall. Each message alone, then, and the one it refuses stored INVALID with the reason.
        const summaries: ChunkSummary[] = [];
        for (const record of records) {
          try {
            summaries.push(await ingestChunk([record]));
          } catch (single) {
            if (!isRefusedValue(single)) throw single;
            summaries.push(await storeRejected(record, single));
          }
        }
        return mergeSummaries(summaries);
      }
    },

    async retryTable(table, status, options) {
      const summary: RetrySummary = { processed: 0, statuses: {}, published: 0, released: 0 };
      let after: { pos: string; id: string } | undefined;
      for (;;) {
        const page = await selectRetryPage(deps.pool, table, status, after, options.batchSize);
        for (let i = 0; i < page.length; i += options.chunkSize) {
          options.signal?.throwIfAborted();
          const chunk = page.slice(i, i + options.chunkSize);
          const toRow = (m: StoredMessage): ChunkRow | undefined => {
            const data = m.operation === 'DELETED' ? m.before : m.after;
            return data ? { ref: `id:${m.id}`, table: m.table, operation: m.operation, pos: m.pos, arenaId: m.arenaId, data, attempts: m.attempts, histLinkWaits: m.histLinkWaits, previousStatus: m.status } : undefined;
          };
          const result = await inTransaction(deps.pool, async (client) => {
            const locks = lockSets(chunk.flatMap((m) => toRow(m) ?? []));
            await lockKeys(client, locks.exclusive, locks.shared);
            // still in this status now that they are locked (nothing else moves RETRY/FAILED rows, but be sure)
            const current = await lockStoredMessages(
              client,
              chunk.map((m) => m.id),
              status,
            );
            const rows = current.flatMap((m) => toRow(m) ?? []);
            return processRows(client, rows, await loadParticipantMessages(client, rows), true, (outcomes) => updateMessages(client, outcomes));
          });
          summary.processed += result.outcomes.length;
          countStatuses(result.outcomes, summary.statuses);
          summary.published += result.published;
          summary.released += result.released;
        }
        const last = page.at(-1);
        if (!last || page.length < options.batchSize) break;
        after = { pos: last.pos, id: last.id };
      }
      return summary;
    },
  };
}
