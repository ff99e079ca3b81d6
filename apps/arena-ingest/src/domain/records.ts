// What the processors read and write besides arena_data: gjennomføringer, deltakere, id
// translations, the AMT envelope; and the clock. Pure types and helpers.
import { hash } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import type { ArenaTable, Operation } from './arena-message.ts';
import type { AmtStatus } from './status-conversion.ts';

export const supportedTiltakskoder: ReadonlySet<string> = new Set([
  'INDOPPFAG',
  'ARBFORB',
  'AVKLARAG',
  'VASV',
  'ARBRRHDAG',
  'DIGIOPPARB',
  'JOBBK',
  'GRUPPEAMO',
  'GRUFAGYRKE',
  'ENKELAMO',
  'ENKFAGYRKE',
  'HOYEREUTD',
]);
/** Single-place programmes ("enkeltplass"). */
export const enkeltplassTiltakskoder: ReadonlySet<string> = new Set(['ENKELAMO', 'ENKFAGYRKE', 'HOYEREUTD']);
/** TILTAKSTATUSKODE values of a gjennomføring that has ended. */
export const finishedGjennomforingStatuses: ReadonlySet<string> = new Set(['AVSLUTT', 'AVBRUTT', 'AVLYST']);

export interface GjennomforingRecord {
  arenaId: string;
  /** The AMT id, created once. */
  id: string;
  tiltakskode: string;
  tiltakstatuskode: string | null;
  isValid: boolean;
  /** `yyyy-MM-dd` or null. */
  datoFra: string | null;
  datoTil: string | null;
}

export type DeltakerSourceTable = Extract<ArenaTable, 'SIAMO.TILTAKDELTAKER' | 'SIAMO.HIST_TILTAKDELTAKER'>;

export interface DeltakerRecord {
  sourceTable: DeltakerSourceTable;
  arenaId: string;
  /** The AMT id. */
  id: string;
  personId: string;
  gjennomforingArenaId: string;
  /** Arena date-times `yyyy-MM-dd HH:mm:ss`, or null. */
  datoFra: string | null;
  datoTil: string | null;
  datoStatusendring: string | null;
  status: AmtStatus;
}

/** A hist deltaker's AMT id: a new one (case 1) or that of the deltaker it was historised from (case 2). */
export interface HistLink {
  histArenaId: string;
  amtId: string;
  /** Case 2: the TILTAKDELTAKER_ID it is linked to; null for case 1. */
  deltakerArenaId: string | null;
}

export interface AmtDeltakerPayload {
  id: string;
  gjennomforingId: string;
  personIdent: string;
  /** `yyyy-MM-dd` */
  startDato: string | null;
  sluttDato: string | null;
  status: AmtStatus;
  statusAarsak: string | null;
  dagerPerUke: number | null;
  prosentDeltid: number | null;
  /** `yyyy-MM-ddTHH:mm:ss` */
  registrertDato: string;
  statusEndretDato: string | null;
  innsokBegrunnelse: string | null;
}

export interface AmtEnvelope {
  transactionId: string;
  source: 'AMT_ARENA_ACL';
  type: 'DELTAKER';
  /** ISO 8601, when the message was built. */
  timestamp: string;
  operation: Operation;
  payload: AmtDeltakerPayload;
}

/**
 * The transaction id of an AMT message: derived from the Arena message and the payload, so that the
 * same message converted to the same payload (a redelivery, a retry after a crash) carries the same
 * id and a consumer of the AMT topic can apply it once; a changed payload gets a new id.
 */
export function amtTransactionId(
  source: { table: string; operation: Operation; pos: string },
  operation: Operation,
  payload: AmtDeltakerPayload,
  /** `JSON.stringify(payload)`, when the caller has it already. */
  payloadJson: string = JSON.stringify(payload),
): string {
  const hex = hash('sha256', `${source.table}|${source.operation}|${source.pos}|${operation}|${payloadJson}`, 'hex');
  // shaped as an RFC 4122 name-based UUID (version 5 layout, variant 10)
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The namespace of the name-based AMT ids (a random UUID, fixed once: changing it would change every new id). */
const AMT_ID_NAMESPACE = '3f0c5b7e-2a4d-4d8e-9b61-5c2f7a9e1d04';

/**
 * The AMT id of an entity named `<kind>:<arena id>`: a name-based UUID (version 5), so that a message
 * processed again after its transaction rolled back (its AMT message published and acknowledged
 * already) is published under the same id, never a second one. Ids already in the translation
 * tables are kept as they are.
 */
export function amtId(name: string): string {
  return uuidv5(name, AMT_ID_NAMESPACE);
}

/** Arena `yyyy-MM-dd HH:mm:ss` -> ISO local date-time `yyyy-MM-ddTHH:mm:ss`. */
export function isoDateTime(arena: string | null): string | null {
  return arena === null ? null : arena.replace(' ', 'T');
}

/** Arena `yyyy-MM-dd HH:mm:ss` -> `yyyy-MM-dd`. */
export function isoDate(arena: string | null): string | null {
  return arena === null ? null : arena.slice(0, 10);
}

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

const osloDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Oslo', year: 'numeric', month: '2-digit', day: '2-digit' });

/** The calendar day (`yyyy-MM-dd`) in Norway at `at`: Arena's dates are Norwegian local dates. */
export function arenaDay(at: Date): string {
  return osloDay.format(at);
}
