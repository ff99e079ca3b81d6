// The three Arena processors (ARENA.md): gjennomføring, deltaker, hist deltaker. Each decides a
// message's ingest status and the effects of handling it, from the message and a ProcessingView.
// Pure: no I/O, the clock and new ids come from the view.
import {
  arenaTables,
  readDate,
  readId,
  readNumber,
  readText,
  type ArenaTable,
  type IngestStatus,
  type Operation,
  type RowData,
} from './arena-message.ts';
import type { Effect, PersonResult, ProcessingView } from './processing-view.ts';
import {
  amtTransactionId,
  enkeltplassTiltakskoder,
  finishedGjennomforingStatuses,
  isoDate,
  isoDateTime,
  supportedTiltakskoder,
  type AmtDeltakerPayload,
  type AmtEnvelope,
  type DeltakerRecord,
  type DeltakerSourceTable,
  type GjennomforingRecord,
} from './records.ts';
import { convertDeltakerStatus, isTerminal, type AmtStatus } from './status-conversion.ts';

/** A well-formed message handed to a processor (its key and row data could be read). */
export interface ArenaRow {
  /** Identifies the message within a chunk (and in the ordering guard). */
  ref: string;
  table: ArenaTable;
  operation: Operation;
  pos: string;
  arenaId: string;
  /** `after` for CREATED/MODIFIED, `before` for DELETED. */
  data: RowData;
  /** ingest_attempts before this processing (0 on first delivery). */
  attempts: number;
  /** Times a DELETE has waited for a hist deltaker to link it (0 on first delivery; see `processDeltakerDeletion`). */
  histLinkWaits: number;
}

export type DecidedStatus = Exclude<IngestStatus, 'NEW'>;

export interface Decision {
  status: DecidedStatus;
  note?: string;
  effects?: Effect[];
  /** WAITING: the gjennomføring whose valid version releases it. */
  waitingOn?: string;
  /** The person lookup this decision needs and did not have: look it up and process again. */
  needsPerson?: string;
  /** A DELETE waits for a hist deltaker to link it: one more such wait. */
  waitsForHistLink?: true;
}

/** A DELETE for a deltaker without a hist link is retried this many times before it is published as FEILREGISTRERT. */
export const DELETE_WAITS_FOR_HIST_ATTEMPTS = 2;

const decide = (status: DecidedStatus, note?: string, effects?: Effect[]): Decision => ({
  status,
  ...(note !== undefined ? { note } : {}),
  ...(effects !== undefined ? { effects } : {}),
});

// ---------------------------------------------------------------------------------------------
// Gjennomføring

export function processGjennomforing(row: ArenaRow, view: ProcessingView): Decision {
  if (row.operation === 'DELETED') return decide('IGNORED', 'a deleted gjennomføring is not propagated');
  const { data, arenaId } = row;
  // no TILTAKSKODE: not a supported one (IGNORED, and its deltakere with it), not an invalid row
  const tiltakskode = readText(data, 'TILTAKSKODE') ?? '';

  const problems: string[] = [];
  for (const field of ['SAK_ID', 'ARBGIV_ID_ARRANGOR', 'LOKALTNAVN', 'TILTAKSTATUSKODE']) {
    if (readText(data, field) === null) problems.push(`${field} missing`);
  }
  const regDato = readDate(data, 'REG_DATO');
  const datoFra = readDate(data, 'DATO_FRA');
  const datoTil = readDate(data, 'DATO_TIL');
  if (!regDato.ok) problems.push('REG_DATO unreadable');
  else if (regDato.value === null) problems.push('REG_DATO missing');
  if (!datoFra.ok) problems.push('DATO_FRA unreadable');
  if (!datoTil.ok) problems.push('DATO_TIL unreadable');

  const record: GjennomforingRecord = {
    arenaId,
    id: view.gjennomforing(arenaId)?.id ?? view.newId(`gjennomforing:${arenaId}`),
    tiltakskode,
    tiltakstatuskode: readText(data, 'TILTAKSTATUSKODE'),
    isValid: problems.length === 0,
    datoFra: datoFra.ok ? isoDate(datoFra.value) : null,
    datoTil: datoTil.ok ? isoDate(datoTil.value) : null,
  };
  // kept even when unsupported or invalid: its deltakere are then IGNORED or WAITING, not retried
  const upsert: Effect = { kind: 'upsertGjennomforing', record };
  if (!supportedTiltakskoder.has(tiltakskode)) return decide('IGNORED', tiltakskode === '' ? 'TILTAKSKODE missing: not a supported tiltakskode' : `unsupported tiltakskode ${tiltakskode}`, [upsert]);
  if (problems.length > 0) return decide('INVALID', problems.join('; '), [upsert]);
  return decide('HANDLED', undefined, [upsert, { kind: 'releaseWaiting', gjennomforingArenaId: arenaId }]);
}

// ---------------------------------------------------------------------------------------------
// Deltaker and hist deltaker: shared reading and checks

export interface DeltakerFields {
  personId: string;
  gjennomforingArenaId: string;
  statuskode: string | null;
  datoFra: string | null;
  datoTil: string | null;
  datoStatusendring: string | null;
  regDato: string;
  prosentDeltid: number | null;
  dagerPerUke: number | null;
  begrunnelse: string | null;
  external: boolean;
}

/** The fields of a (hist) deltaker row, or the validation problems that make it INVALID. */
export function readDeltakerFields(data: RowData, idField: string): { ok: true; fields: DeltakerFields } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const id = readId(data, idField);
  if (id === null || id === '0') problems.push(`${idField} missing or 0`);
  const gjennomforingArenaId = readId(data, 'TILTAKGJENNOMFORING_ID');
  if (gjennomforingArenaId === null || gjennomforingArenaId === '0') problems.push('TILTAKGJENNOMFORING_ID missing or 0');
  const personId = readId(data, 'PERSON_ID');
  if (personId === null) problems.push('PERSON_ID missing');
  const dates: Record<string, string | null> = {};
  for (const field of ['DATO_FRA', 'DATO_TIL', 'DATO_STATUSENDRING', 'REG_DATO', 'MOD_DATO']) {
    const date = readDate(data, field);
    if (date.ok) dates[field] = date.value;
    else problems.push(`${field} unreadable`);
  }
  if (dates.REG_DATO === null) problems.push('REG_DATO missing');
  if (problems.length > 0) return { ok: false, problems };
  const externalId = readText(data, 'EKSTERN_ID');
  return {
    ok: true,
    fields: {
      personId: personId!,
      gjennomforingArenaId: gjennomforingArenaId!,
      statuskode: readText(data, 'DELTAKERSTATUSKODE'),
      datoFra: dates.DATO_FRA ?? null,
      datoTil: dates.DATO_TIL ?? null,
      datoStatusendring: dates.DATO_STATUSENDRING ?? null,
      regDato: dates.REG_DATO!,
      prosentDeltid: readNumber(data, 'PROSENT_DELTID'),
      dagerPerUke: readNumber(data, 'ANTALL_DAGER_PR_UKE'),
      begrunnelse: readText(data, 'BEGRUNNELSE_BESTILLING'),
      external: externalId !== null || readText(data, 'DELTAKERTYPEKODE') === 'EKSTERN',
    },
  };
}

/** The gjennomføring of a participant, or the decision when there is none to use. */
function usableGjennomforing(fields: DeltakerFields, view: ProcessingView): { ok: true; gjennomforing: GjennomforingRecord } | { ok: false; decision: Decision } {
  const id = fields.gjennomforingArenaId;
  const gjennomforing = view.gjennomforing(id);
  if (!gjennomforing) return { ok: false, decision: decide('RETRY', `gjennomføring ${id} not ingested yet`) };
  if (!supportedTiltakskoder.has(gjennomforing.tiltakskode)) {
    return { ok: false, decision: decide('IGNORED', `gjennomføring ${id} has unsupported tiltakskode ${gjennomforing.tiltakskode}`) };
  }
  if (!gjennomforing.isValid) return { ok: false, decision: { status: 'WAITING', note: `gjennomføring ${id} is invalid`, waitingOn: id } };
  return { ok: true, gjennomforing };
}

/** The person's ident, or the decision when the lookup did not give one. */
function personIdent(personId: string, view: ProcessingView): { ok: true; ident: string } | { ok: false; decision: Decision } {
  const result: PersonResult = view.person(personId);
  switch (result.kind) {
    case 'found':
      return { ok: true, ident: result.ident };
    case 'notFound':
      return { ok: false, decision: decide('INVALID', `person ${personId} not found by the person lookup`) };
    case 'failed':
      return { ok: false, decision: decide('RETRY', `person lookup failed: ${result.reason}`) };
    case 'unknown':
      return { ok: false, decision: { status: 'RETRY', note: 'person lookup not done', needsPerson: personId } };
  }
}

function statusOf(fields: DeltakerFields, gjennomforing: GjennomforingRecord, today: string): { status: AmtStatus; endretDato: string | null } {
  return convertDeltakerStatus(
    {
      code: fields.statuskode ?? '(missing)',
      datoFra: fields.datoFra,
      datoTil: fields.datoTil,
      datoStatusendring: fields.datoStatusendring,
      regDato: fields.regDato,
      gjennomforingFinished: gjennomforing.tiltakstatuskode !== null && finishedGjennomforingStatuses.has(gjennomforing.tiltakstatuskode),
      enkeltplass: enkeltplassTiltakskoder.has(gjennomforing.tiltakskode),
    },
    today,
  );
}

interface Publication {
  row: ArenaRow;
  operation: Operation;
  amtId: string;
  gjennomforing: GjennomforingRecord;
  ident: string;
  fields: DeltakerFields;
  status: AmtStatus;
  endretDato: string | null;
  sourceTable: DeltakerSourceTable;
  deltakerArenaId: string;
}

/** The deltaker row and the AMT message of one published participant. */
function publication(p: Publication, view: ProcessingView): Effect[] {
  const payload: AmtDeltakerPayload = {
    id: p.amtId,
    gjennomforingId: p.gjennomforing.id,
    personIdent: p.ident,
    startDato: isoDate(p.fields.datoFra),
    sluttDato: isoDate(p.fields.datoTil),
    status: p.status,
    statusAarsak: null,
    dagerPerUke: p.fields.dagerPerUke,
    prosentDeltid: p.fields.prosentDeltid,
    registrertDato: isoDateTime(p.fields.regDato)!,
    statusEndretDato: isoDateTime(p.endretDato),
    innsokBegrunnelse: p.fields.begrunnelse,
  };
  const payloadJson = JSON.stringify(payload);
  const envelope: AmtEnvelope = {
    transactionId: amtTransactionId(p.row, p.operation, payload, payloadJson),
    source: 'AMT_ARENA_ACL',
    type: 'DELTAKER',
    timestamp: view.nowIso,
    operation: p.operation,
    payload,
  };
  // JSON.stringify(envelope), without serialising the payload a second time
  const { payload: _payload, ...head } = envelope;
  const value = `${JSON.stringify(head).slice(0, -1)},"payload":${payloadJson}}`;
  const record: DeltakerRecord = {
    sourceTable: p.sourceTable,
    arenaId: p.deltakerArenaId,
    id: p.amtId,
    personId: p.fields.personId,
    gjennomforingArenaId: p.fields.gjennomforingArenaId,
    datoFra: p.fields.datoFra,
    datoTil: p.fields.datoTil,
    datoStatusendring: p.fields.datoStatusendring,
    status: p.status,
  };
  return [
    { kind: 'upsertDeltaker', record },
    { kind: 'publish', key: p.amtId, envelope, value },
  ];
}

// ---------------------------------------------------------------------------------------------
// Deltaker

export function processDeltaker(row: ArenaRow, view: ProcessingView): Decision {
  const read = readDeltakerFields(row.data, 'TILTAKDELTAKER_ID');
  if (!read.ok) return decide('INVALID', read.problems.join('; '));
  const { fields } = read;
  if (fields.external) return decide('EXTERNAL_SOURCE', 'managed by another system (EKSTERN_ID or DELTAKERTYPEKODE EKSTERN)');
  if (row.operation === 'DELETED') return processDeltakerDeletion(row, fields, view);

  const usable = usableGjennomforing(fields, view);
  if (!usable.ok) return usable.decision;
  const person = personIdent(fields.personId, view);
  if (!person.ok) return person.decision;
  const { status, endretDato } = statusOf(fields, usable.gjennomforing, view.today);
  const known = view.deltakerId(row.arenaId);
  const amtId = known ?? view.newId(`deltaker:${row.arenaId}`);
  return decide('HANDLED', undefined, [
    ...(known ? [] : [{ kind: 'deltakerId', arenaId: row.arenaId, amtId } satisfies Effect]),
    ...publication(
      {
        row,
        operation: row.operation,
        amtId,
        gjennomforing: usable.gjennomforing,
        ident: person.ident,
        fields,
        status,
        endretDato,
        sourceTable: arenaTables.deltaker,
        deltakerArenaId: row.arenaId,
      },
      view,
    ),
  ]);
}

/**
 * A DELETE of a deltaker. Historised (a hist deltaker was linked to it, case 2): HANDLED, nothing
 * published. Not (yet) historised: wait for the hist message for two attempts, then publish the
 * deltaker as FEILREGISTRERT.
 */
function processDeltakerDeletion(row: ArenaRow, fields: DeltakerFields, view: ProcessingView): Decision {
  const amtId = view.deltakerId(row.arenaId);
  if (!amtId) return decide('IGNORED', 'deleted deltaker was never ingested');
  if (view.isHistorised(row.arenaId)) return decide('HANDLED', 'historised: the deletion is not published');
  // counted apart from the attempts: those spent behind an earlier message of the participant are no wait for the link
  if (row.histLinkWaits < DELETE_WAITS_FOR_HIST_ATTEMPTS) return { ...decide('RETRY', 'deletion waits for a hist deltaker to link it'), waitsForHistLink: true };
  const usable = usableGjennomforing(fields, view);
  if (!usable.ok) return usable.decision;
  const person = personIdent(fields.personId, view);
  if (!person.ok) return person.decision;
  return decide(
    'HANDLED',
    `deleted without a hist link: published as FEILREGISTRERT`,
    publication(
      {
        row,
        operation: 'DELETED',
        amtId,
        gjennomforing: usable.gjennomforing,
        ident: person.ident,
        fields,
        status: 'FEILREGISTRERT',
        endretDato: fields.datoStatusendring,
        sourceTable: arenaTables.deltaker,
        deltakerArenaId: row.arenaId,
      },
      view,
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Hist deltaker (seed 003, cases 1 and 2)

export function processHistDeltaker(row: ArenaRow, view: ProcessingView): Decision {
  if (row.operation !== 'CREATED') return decide('IGNORED', `only CREATED hist messages count (this one is ${row.operation})`);
  const read = readDeltakerFields(row.data, 'HIST_TILTAKDELTAKER_ID');
  if (!read.ok) return decide('INVALID', read.problems.join('; '));
  const { fields } = read;
  if (fields.external) return decide('EXTERNAL_SOURCE', 'managed by another system (EKSTERN_ID or DELTAKERTYPEKODE EKSTERN)');
  const usable = usableGjennomforing(fields, view);
  if (!usable.ok) return usable.decision;

  const existing = view.histLink(row.arenaId);
  if (existing?.deltakerArenaId) return decide('HANDLED', `case 2: linked to deltaker ${existing.deltakerArenaId}`);
  if (!existing) {
    const matches = view.matchDeltakere({
      personId: fields.personId,
      gjennomforingArenaId: fields.gjennomforingArenaId,
      datoFra: fields.datoFra,
      datoTil: fields.datoTil,
      datoStatusendring: fields.datoStatusendring,
    });
    if (matches.length > 1) {
      const ids = matches.map((m) => m.arenaId).sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
      return decide('FAILED', `${matches.length} deltakere match (${ids.join(', ')}): a person must look`);
    }
    const [match] = matches;
    if (match) {
      return decide('HANDLED', `case 2: linked to deltaker ${match.arenaId}`, [
        { kind: 'histLink', link: { histArenaId: row.arenaId, amtId: match.id, deltakerArenaId: match.arenaId } },
      ]);
    }
  }

  // case 1: no deltaker to link to: a new deltaker, which must have ended
  const person = personIdent(fields.personId, view);
  if (!person.ok) return person.decision;
  const { status, endretDato } = statusOf(fields, usable.gjennomforing, view.today);
  if (!isTerminal(status)) return decide('INVALID', `hist deltaker with the non-terminal status ${status} (${fields.statuskode})`);
  const amtId = existing?.amtId ?? view.newId(`hist-deltaker:${row.arenaId}`);
  return decide('HANDLED', 'case 1: created as a new deltaker', [
    ...(existing ? [] : [{ kind: 'histLink', link: { histArenaId: row.arenaId, amtId, deltakerArenaId: null } } satisfies Effect]),
    ...publication(
      {
        row,
        operation: 'CREATED',
        amtId,
        gjennomforing: usable.gjennomforing,
        ident: person.ident,
        fields,
        status,
        endretDato,
        sourceTable: arenaTables.histDeltaker,
        deltakerArenaId: row.arenaId,
      },
      view,
    ),
  ]);
}

export const processors: Record<ArenaTable, (row: ArenaRow, view: ProcessingView) => Decision> = {
  [arenaTables.gjennomforing]: processGjennomforing,
  [arenaTables.deltaker]: processDeltaker,
  [arenaTables.histDeltaker]: processHistDeltaker,
};
