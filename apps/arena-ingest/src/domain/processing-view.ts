// What a processor may look at (a snapshot of the state the chunk needs, loaded up front in a few
// queries) and what it may change (effects). `MemoryView` keeps both in maps: an effect applied to
// it is seen by the next message of the same chunk, and the same effects are written to Postgres
// in a few statements at the end. Pure: no I/O.
import { blockingStatuses, type IngestStatus } from './arena-message.ts';
import type { AmtEnvelope, DeltakerRecord, GjennomforingRecord, HistLink } from './records.ts';

export type PersonResult =
  | { kind: 'found'; ident: string }
  | { kind: 'notFound' }
  | { kind: 'failed'; reason: string }
  /** Not looked up for this chunk yet: the processor asks for it (`needsPerson`). */
  | { kind: 'unknown' };

export interface DeltakerMatchQuery {
  personId: string;
  gjennomforingArenaId: string;
  datoFra: string | null;
  datoTil: string | null;
  datoStatusendring: string | null;
}

export interface ProcessingView {
  /** The calendar day in Norway (`yyyy-MM-dd`) the statuses are computed for. */
  readonly today: string;
  readonly now: Date;
  /** `now` as ISO 8601 (the AMT envelopes' timestamp). */
  readonly nowIso: string;
  gjennomforing(arenaId: string): GjennomforingRecord | undefined;
  /** The AMT id of a TILTAKDELTAKER_ID, if it has one. */
  deltakerId(arenaId: string): string | undefined;
  histLink(histArenaId: string): HistLink | undefined;
  /** A hist deltaker has been linked to this TILTAKDELTAKER_ID (case 2). */
  isHistorised(deltakerArenaId: string): boolean;
  /** Deltakere from TILTAKDELTAKER with the same person and gjennomføring and equal dates. */
  matchDeltakere(query: DeltakerMatchQuery): DeltakerRecord[];
  person(personId: string): PersonResult;
  /**
   * The AMT id of an entity that has none yet, named `<kind>:<arena id>` (`deltaker:123`). The same
   * name always gives the same id: a message processed again after a rollback (its AMT message was
   * already published) gets the id it was published under.
   */
  newId(name: string): string;
}

export type Effect =
  | { kind: 'upsertGjennomforing'; record: GjennomforingRecord }
  /** WAITING participants of this gjennomføring go back to RETRY with attempts 0. */
  | { kind: 'releaseWaiting'; gjennomforingArenaId: string }
  | { kind: 'deltakerId'; arenaId: string; amtId: string }
  | { kind: 'histLink'; link: HistLink }
  | { kind: 'upsertDeltaker'; record: DeltakerRecord }
  /** `value`: the envelope's JSON, as published. */
  | { kind: 'publish'; key: string; envelope: AmtEnvelope; value: string };

export interface ViewSnapshot {
  today: string;
  now: Date;
  gjennomforinger?: Iterable<GjennomforingRecord>;
  deltakerIds?: Iterable<[arenaId: string, amtId: string]>;
  histLinks?: Iterable<HistLink>;
  deltakere?: Iterable<DeltakerRecord>;
  persons?: Iterable<[personId: string, result: PersonResult]>;
  /** Stored messages in a blocking status (RETRY, FAILED, WAITING), for the ordering guard. */
  blockingRows?: Iterable<{ table: string; arenaId: string; ref: string; pos: string }>;
  newId: (name: string) => string;
}

const deltakerKey = (d: Pick<DeltakerRecord, 'sourceTable' | 'arenaId'>): string => `${d.sourceTable}|${d.arenaId}`;
const matchKey = (personId: string, gjennomforingArenaId: string): string => `${personId}|${gjennomforingArenaId}`;
const participantKey = (table: string, arenaId: string): string => `${table}|${arenaId}`;

export class MemoryView implements ProcessingView {
  readonly today: string;
  readonly now: Date;
  readonly nowIso: string;
  readonly #gjennomforinger = new Map<string, GjennomforingRecord>();
  readonly #deltakerIds = new Map<string, string>();
  readonly #histLinks = new Map<string, HistLink>();
  readonly #historised = new Set<string>();
  readonly #deltakere = new Map<string, DeltakerRecord>();
  readonly #deltakereByMatch = new Map<string, Set<string>>();
  readonly #persons = new Map<string, PersonResult>();
  /** participant -> (message ref -> pos) of its messages in a blocking status */
  readonly #blocking = new Map<string, Map<string, string>>();
  readonly #newId: (name: string) => string;

  constructor(snapshot: ViewSnapshot) {
    this.today = snapshot.today;
    this.now = snapshot.now;
    this.nowIso = snapshot.now.toISOString();
    this.#newId = snapshot.newId;
    for (const g of snapshot.gjennomforinger ?? []) this.#gjennomforinger.set(g.arenaId, g);
    for (const [arenaId, amtId] of snapshot.deltakerIds ?? []) this.#deltakerIds.set(arenaId, amtId);
    for (const link of snapshot.histLinks ?? []) this.#addHistLink(link);
    for (const d of snapshot.deltakere ?? []) this.#putDeltaker(d);
    for (const [personId, result] of snapshot.persons ?? []) this.#persons.set(personId, result);
    for (const row of snapshot.blockingRows ?? []) this.setMessageStatus(row.table, row.arenaId, row.ref, row.pos, 'RETRY');
  }

  gjennomforing(arenaId: string): GjennomforingRecord | undefined {
    return this.#gjennomforinger.get(arenaId);
  }
  deltakerId(arenaId: string): string | undefined {
    return this.#deltakerIds.get(arenaId);
  }
  histLink(histArenaId: string): HistLink | undefined {
    return this.#histLinks.get(histArenaId);
  }
  isHistorised(deltakerArenaId: string): boolean {
    return this.#historised.has(deltakerArenaId);
  }
  matchDeltakere(query: DeltakerMatchQuery): DeltakerRecord[] {
    const keys = this.#deltakereByMatch.get(matchKey(query.personId, query.gjennomforingArenaId)) ?? new Set<string>();
    return [...keys]
      .map((key) => this.#deltakere.get(key)!)
      .filter(
        (d) =>
          d.sourceTable === 'SIAMO.TILTAKDELTAKER' &&
          d.datoFra === query.datoFra &&
          d.datoTil === query.datoTil &&
          d.datoStatusendring === query.datoStatusendring,
      );
  }
  person(personId: string): PersonResult {
    return this.#persons.get(personId) ?? { kind: 'unknown' };
  }
  newId(name: string): string {
    return this.#newId(name);
  }

  /** Adds person lookups done after the view was built. */
  addPersons(results: Iterable<[string, PersonResult]>): void {
    for (const [personId, result] of results) this.#persons.set(personId, result);
  }

  /** An earlier message of the same participant still in RETRY, FAILED or WAITING: its position. */
  blockedBy(table: string, arenaId: string, ref: string, pos: string): string | undefined {
    const messages = this.#blocking.get(participantKey(table, arenaId));
    if (!messages) return undefined;
    let earliest: string | undefined;
    for (const [otherRef, otherPos] of messages) {
      if (otherRef !== ref && otherPos < pos && (earliest === undefined || otherPos < earliest)) earliest = otherPos;
    }
    return earliest;
  }

  /** Records the status a message now has, for the ordering guard of the messages after it. */
  setMessageStatus(table: string, arenaId: string, ref: string, pos: string, status: IngestStatus): void {
    const key = participantKey(table, arenaId);
    let messages = this.#blocking.get(key);
    if (blockingStatuses.has(status)) {
      if (!messages) this.#blocking.set(key, (messages = new Map<string, string>()));
      messages.set(ref, pos);
    } else if (messages) {
      messages.delete(ref);
      if (messages.size === 0) this.#blocking.delete(key);
    }
  }

  apply(effect: Effect): void {
    switch (effect.kind) {
      case 'upsertGjennomforing':
        this.#gjennomforinger.set(effect.record.arenaId, effect.record);
        break;
      case 'deltakerId':
        this.#deltakerIds.set(effect.arenaId, effect.amtId);
        break;
      case 'histLink':
        this.#addHistLink(effect.link);
        break;
      case 'upsertDeltaker':
        this.#putDeltaker(effect.record);
        break;
      case 'releaseWaiting':
      case 'publish':
        break;
    }
  }

  #addHistLink(link: HistLink): void {
    this.#histLinks.set(link.histArenaId, link);
    if (link.deltakerArenaId !== null) this.#historised.add(link.deltakerArenaId);
  }

  #putDeltaker(record: DeltakerRecord): void {
    const key = deltakerKey(record);
    const previous = this.#deltakere.get(key);
    if (previous) this.#deltakereByMatch.get(matchKey(previous.personId, previous.gjennomforingArenaId))?.delete(key);
    this.#deltakere.set(key, record);
    const mk = matchKey(record.personId, record.gjennomforingArenaId);
    let keys = this.#deltakereByMatch.get(mk);
    if (!keys) this.#deltakereByMatch.set(mk, (keys = new Set()));
    keys.add(key);
  }
}
