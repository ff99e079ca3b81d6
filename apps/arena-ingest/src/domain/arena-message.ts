// The Arena change-data-capture envelope and the field readers the processors share. Pure: no I/O.
//
// Envelope: { table, op_type: I|U|D, op_ts: 'yyyy-MM-dd HH:mm:ss.SSSSSS', current_ts, pos: 20 digits,
// before, after }. The row data is `after` for CREATED/MODIFIED and `before` for DELETED.

export const arenaTables = {
  gjennomforing: 'SIAMO.TILTAKGJENNOMFORING',
  deltaker: 'SIAMO.TILTAKDELTAKER',
  histDeltaker: 'SIAMO.HIST_TILTAKDELTAKER',
} as const;
export type ArenaTable = (typeof arenaTables)[keyof typeof arenaTables];
export const arenaTableNames: readonly ArenaTable[] = [arenaTables.gjennomforing, arenaTables.deltaker, arenaTables.histDeltaker];

export function isArenaTable(value: string): value is ArenaTable {
  return (arenaTableNames as readonly string[]).includes(value);
}

/** The column that holds the Arena id of a row of each table. */
export const arenaIdField: Record<ArenaTable, string> = {
  [arenaTables.gjennomforing]: 'TILTAKGJENNOMFORING_ID',
  [arenaTables.deltaker]: 'TILTAKDELTAKER_ID',
  [arenaTables.histDeltaker]: 'HIST_TILTAKDELTAKER_ID',
};

export const operations = ['CREATED', 'MODIFIED', 'DELETED'] as const;
export type Operation = (typeof operations)[number];
const operationOfOpType: Record<string, Operation> = { I: 'CREATED', U: 'MODIFIED', D: 'DELETED' };

export const ingestStatuses = ['NEW', 'HANDLED', 'RETRY', 'FAILED', 'IGNORED', 'INVALID', 'WAITING', 'EXTERNAL_SOURCE'] as const;
export type IngestStatus = (typeof ingestStatuses)[number];
/** An earlier message of the same arena_id in one of these makes a later one wait. */
export const blockingStatuses: ReadonlySet<IngestStatus> = new Set<IngestStatus>(['RETRY', 'FAILED', 'WAITING']);

export type RowData = Record<string, unknown>;

/** One Arena message whose key could be read. `problems` non-empty: stored as INVALID. */
export interface ArenaMessage {
  table: string;
  operation: Operation;
  /** 20 digits, zero-padded. */
  pos: string;
  /** `yyyy-MM-dd HH:mm:ss.SSSSSS` as sent, or null when absent or unreadable (then a problem). */
  opTs: string | null;
  arenaId: string | null;
  before: RowData | null;
  after: RowData | null;
  problems: string[];
  /**
   * The message's JSON text when Postgres can take `before` and `after` from it as they are (no
   * `\u0000` escape, no surrogate escape that might be unpaired: jsonb refuses both); else null,
   * and the parsed (cleaned) objects are stored instead.
   */
  source: string | null;
}

export type ParsedEnvelope = { ok: true; message: ArenaMessage } | { ok: false; reason: string };

const POS_LENGTH = 20;
const opTsPattern = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,9})?$/;

function isRecord(value: unknown): value is RowData {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string without NUL characters and with every unpaired surrogate replaced by U+FFFD. */
const cleanString = (text: string): string => (text.includes('\u0000') ? text.replaceAll('\u0000', '') : text).toWellFormed();

/** Every string (keys too) of a parsed value cleaned: what jsonb accepts. */
function withCleanStrings(value: unknown): unknown {
  if (typeof value === 'string') return cleanString(value);
  if (Array.isArray(value)) return value.map(withCleanStrings);
  if (isRecord(value)) {
    const out: RowData = {};
    for (const [key, inner] of Object.entries(value)) out[cleanString(key)] = withCleanStrings(inner);
    return out;
  }
  return value;
}

/** A `\u0000` escape or a surrogate escape (`\uD800`-`\uDFFF`): the parsed strings need cleaning. */
const escapesToClean = /\\u(?:0000|[dD][89a-fA-F])/;

/** A position as its 20-digit text; undefined when it is not a non-negative whole number of at most 20 digits. */
export function normalizePos(value: unknown): string | undefined {
  let text: string | undefined;
  if (typeof value === 'string') text = value.trim();
  // a JSON number above 2^53 has already lost digits: only safe integers are taken as numbers
  else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) text = String(value);
  if (text === undefined || !/^\d{1,20}$/.test(text)) return undefined;
  return text.padStart(POS_LENGTH, '0');
}

/** The id column of the row, as text; null when missing. */
export function readArenaId(table: string, data: RowData | null): string | null {
  if (!data || !isArenaTable(table)) return null;
  return readId(data, arenaIdField[table]);
}

/**
 * Reads one Kafka message value. `ok: false` only when the key (table, op_type, pos) cannot be
 * read: such a message is stored by its Kafka coordinates. Raw NUL characters are stripped first.
 */
export function parseArenaEnvelope(value: Buffer | string | null | undefined): ParsedEnvelope {
  if (value === null || value === undefined || value.length === 0) return { ok: false, reason: 'empty message value (tombstone)' };
  let text = typeof value === 'string' ? value : value.toString('utf8');
  if (text.includes('\u0000')) text = text.replaceAll('\u0000', '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  // the escape sequence \u0000 survives the strip above as text and becomes NUL when parsed; an
  // escaped lone surrogate becomes a string that is not well-formed: both are cleaned
  const verbatim = !escapesToClean.test(text);
  if (!verbatim) parsed = withCleanStrings(parsed);
  if (!isRecord(parsed)) return { ok: false, reason: 'not a JSON object' };
  const { table, op_type: opType, op_ts: opTs, pos } = parsed;
  if (typeof table !== 'string' || table.trim() === '') return { ok: false, reason: 'no table' };
  const operation = typeof opType === 'string' ? operationOfOpType[opType] : undefined;
  if (!operation) return { ok: false, reason: `op_type ${JSON.stringify(opType ?? null)} is not I, U or D` };
  const normalizedPos = normalizePos(pos);
  if (normalizedPos === undefined) return { ok: false, reason: `pos ${JSON.stringify(pos ?? null)} is not a decimal string of at most 20 digits` };

  const problems: string[] = [];
  const before = isRecord(parsed.before) ? parsed.before : null;
  const after = isRecord(parsed.after) ? parsed.after : null;
  const validOpTs = typeof opTs === 'string' && opTsPattern.test(opTs) && parseArenaDateTime(opTs.slice(0, 19)) !== undefined;
  if (!validOpTs) problems.push(`op_ts ${JSON.stringify(opTs ?? null)} is not yyyy-MM-dd HH:mm:ss.SSSSSS`);
  if (!isArenaTable(table)) problems.push(`unknown table ${table}`);
  const data = operation === 'DELETED' ? before : after;
  if (!data) problems.push(`no row data (${operation === 'DELETED' ? 'before' : 'after'})`);
  const arenaId = readArenaId(table, data);
  if (data && isArenaTable(table) && arenaId === null) problems.push(`${arenaIdField[table]} missing`);
  return {
    ok: true,
    message: { table, operation, pos: normalizedPos, opTs: validOpTs ? opTs : null, arenaId, before, after, problems, source: verbatim ? text : null },
  };
}

// ---------------------------------------------------------------------------------------------
// Field readers. Arena sends ids and numbers as JSON numbers or strings, dates as
// 'yyyy-MM-dd HH:mm:ss' (local time, Europe/Oslo).

/** Text of a field: trimmed, numbers as their decimal text; null when absent or blank. */
export function readText(data: RowData, field: string): string | null {
  const value = data[field];
  if (typeof value === 'string') return value.trim() === '' ? null : value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/** A whole-number id as text (leading zeros dropped); null when absent or not a whole number. */
export function readId(data: RowData, field: string): string | null {
  const text = readText(data, field);
  if (text === null || !/^\d+$/.test(text)) return null;
  return text.replace(/^0+(?=\d)/, '');
}

/** A number (decimal comma accepted); null when absent or not a number. */
export function readNumber(data: RowData, field: string): number | null {
  const text = readText(data, field);
  if (text === null) return null;
  const value = Number(text.replace(',', '.'));
  return Number.isFinite(value) ? value : null;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The number written by the digits text[from..from+length), or -1 if one is not a digit. */
function digitsAt(text: string, from: number, length: number): number {
  let value = 0;
  for (let i = from; i < from + length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * `yyyy-MM-dd HH:mm:ss` (or `yyyy-MM-ddTHH:mm:ss`, or a bare `yyyy-MM-dd`) as a valid calendar
 * date-time in the form `yyyy-MM-dd HH:mm:ss`; undefined otherwise. Year 0000 does not exist (the
 * calendar goes from 1 BC to AD 1, and Postgres refuses it: a message carrying it would fail its whole
 * chunk). (Called for every date of every message: character checks, no regular expression, no Date.)
 */
export function parseArenaDateTime(text: string): string | undefined {
  const length = text.length;
  if ((length !== 10 && length !== 19) || text[4] !== '-' || text[7] !== '-') return undefined;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (length === 10) return `${text} 00:00:00`;
  const separator = text[10];
  if ((separator !== ' ' && separator !== 'T') || text[13] !== ':' || text[16] !== ':') return undefined;
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  return separator === ' ' ? text : `${text.slice(0, 10)} ${text.slice(11)}`;
}

export type DateField = { ok: true; value: string | null } | { ok: false };

/** A date field: null when absent, the normalised `yyyy-MM-dd HH:mm:ss` when valid, `ok: false` when unreadable. */
export function readDate(data: RowData, field: string): DateField {
  const raw = data[field];
  if (raw === null || raw === undefined || (typeof raw === 'string' && raw.trim() === '')) return { ok: true, value: null };
  if (typeof raw !== 'string') return { ok: false };
  const value = parseArenaDateTime(raw.trim());
  return value === undefined ? { ok: false } : { ok: true, value };
}

/** The calendar day of an Arena date-time. */
export function dayOf(dateTime: string): string {
  return dateTime.slice(0, 10);
}
