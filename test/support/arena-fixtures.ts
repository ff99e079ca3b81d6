// Arena messages in the format of the Arena change-data-capture topics, for the arena-ingest tests,
// its benchmark and the demo: `{ table, op_type, op_ts, current_ts, pos, before, after }`.

export type ArenaOpType = 'I' | 'U' | 'D';
export type Row = Record<string, unknown>;

export const TOPICS = ['gjennomforing', 'deltaker', 'hist-deltaker'] as const;

/** `yyyy-MM-dd HH:mm:ss` of a Date (UTC fields; the tests only care about the text). */
export function arenaDate(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** A 20-digit position: `n` zero-padded, or a BigInt-sized one when given as bigint. */
export function pos(n: number | bigint): string {
  return n.toString().padStart(20, '0');
}

export interface EnvelopeOptions {
  table: 'SIAMO.TILTAKGJENNOMFORING' | 'SIAMO.TILTAKDELTAKER' | 'SIAMO.HIST_TILTAKDELTAKER';
  op: ArenaOpType;
  pos: string;
  row: Row;
  /** For U: the previous values (default: the same row). */
  before?: Row | null;
  opTs?: string;
}

export function envelope(options: EnvelopeOptions): string {
  const opTs = options.opTs ?? '2025-06-01 10:00:00.123456';
  return JSON.stringify({
    table: options.table,
    op_type: options.op,
    op_ts: opTs,
    current_ts: `${opTs.replace(' ', 'T')}`,
    pos: options.pos,
    before: options.op === 'I' ? null : options.op === 'D' ? options.row : (options.before ?? options.row),
    after: options.op === 'D' ? null : options.row,
  });
}

export function gjennomforingRow(id: number, patch: Row = {}): Row {
  return {
    TILTAKGJENNOMFORING_ID: id,
    SAK_ID: 100_000 + id,
    TILTAKSKODE: 'INDOPPFAG',
    ARBGIV_ID_ARRANGOR: 5000 + (id % 97),
    LOKALTNAVN: `Oppfølging ${id}`,
    TILTAKSTATUSKODE: 'GJENNOMFOR',
    REG_DATO: '2025-01-02 08:00:00',
    DATO_FRA: '2025-02-01 00:00:00',
    DATO_TIL: '2099-12-31 00:00:00',
    ...patch,
  };
}

export function deltakerRow(id: number, gjennomforingId: number, personId: number, patch: Row = {}): Row {
  return {
    TILTAKDELTAKER_ID: id,
    PERSON_ID: personId,
    TILTAKGJENNOMFORING_ID: gjennomforingId,
    DELTAKERSTATUSKODE: 'GJENN',
    DELTAKERTYPEKODE: 'INNSOKT',
    DATO_FRA: '2025-03-01 00:00:00',
    DATO_TIL: '2099-06-30 00:00:00',
    DATO_STATUSENDRING: '2025-02-20 10:00:00',
    REG_DATO: '2025-02-10 09:00:00',
    MOD_DATO: '2025-02-20 10:00:00',
    PROSENT_DELTID: 100,
    ANTALL_DAGER_PR_UKE: 5,
    BEGRUNNELSE_BESTILLING: 'Behov for oppfølging',
    EKSTERN_ID: null,
    ...patch,
  };
}

/** A hist deltaker: the deltaker fields under HIST_TILTAKDELTAKER_ID (an ended participation by default). */
export function histDeltakerRow(histId: number, gjennomforingId: number, personId: number, patch: Row = {}): Row {
  const { TILTAKDELTAKER_ID: _id, ...fields } = deltakerRow(0, gjennomforingId, personId, {
    DELTAKERSTATUSKODE: 'FULLF',
    DATO_TIL: '2025-05-31 00:00:00',
    DATO_STATUSENDRING: '2025-06-02 12:00:00',
    ...patch,
  });
  return { HIST_TILTAKDELTAKER_ID: histId, ...fields };
}

export interface GeneratedMessage {
  topic: (typeof TOPICS)[number];
  /** The Kafka key: the row's Arena id (as the CDC tool keys them). */
  key: string;
  value: string;
}

/**
 * Realistic Arena traffic: `n` messages, a tenth of them gjennomføringer (each before its
 * deltakere), the rest deltakere spread over them, each created and then modified a few times
 * (status changes), some on unsupported tiltak codes, some EKSTERN; persons recur across
 * participations. Deterministic for a given `n` and `seed`.
 */
export function generateArenaTraffic(n: number, options: { seed?: number; startPos?: bigint; idBase?: number } = {}): GeneratedMessage[] {
  let state = (options.seed ?? 1) >>> 0 || 1;
  const random = (): number => {
    // xorshift32: fast, deterministic
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
  const idBase = options.idBase ?? 1_000_000;
  let position = options.startPos ?? 1_000_000_000_000_000n;
  const nextPos = (): string => pos((position += 1n));
  const gjennomforingCount = Math.max(1, Math.floor(n / 10));
  const deltakerMessages = n - gjennomforingCount;
  const personPool = Math.max(1, Math.floor(deltakerMessages / 3));
  const codes = ['INDOPPFAG', 'ARBFORB', 'AVKLARAG', 'VASV', 'ARBRRHDAG', 'DIGIOPPARB', 'JOBBK', 'GRUPPEAMO', 'GRUFAGYRKE', 'ENKELAMO', 'AMO'];
  const statuses = ['AKTUELL', 'INFOMOETE', 'TILBUD', 'GJENN', 'GJENN', 'FULLF', 'DELAVB', 'IKKAKTUELL'];
  const out: GeneratedMessage[] = [];

  const gjennomforingIds: number[] = [];
  for (let g = 0; g < gjennomforingCount; g++) {
    const id = idBase + g;
    gjennomforingIds.push(id);
    out.push({
      topic: 'gjennomforing',
      key: String(id),
      value: envelope({
        table: 'SIAMO.TILTAKGJENNOMFORING',
        op: 'I',
        pos: nextPos(),
        row: gjennomforingRow(id, { TILTAKSKODE: codes[Math.floor(random() * codes.length)] }),
      }),
    });
  }
  // deltakere: each created, then modified 0-3 times
  let deltakerId = idBase * 10;
  let written = 0;
  while (written < deltakerMessages) {
    deltakerId += 1;
    const gjennomforingId = gjennomforingIds[Math.floor(random() * gjennomforingIds.length)]!;
    const personId = 10_000_000 + Math.floor(random() * personPool);
    const external = random() < 0.02;
    const updates = Math.min(Math.floor(random() * 4), deltakerMessages - written - 1);
    for (let u = 0; u <= updates; u++) {
      const status = statuses[Math.min(statuses.length - 1, Math.floor(random() * statuses.length))]!;
      out.push({
        topic: 'deltaker',
        key: String(deltakerId),
        value: envelope({
          table: 'SIAMO.TILTAKDELTAKER',
          op: u === 0 ? 'I' : 'U',
          pos: nextPos(),
          row: deltakerRow(deltakerId, gjennomforingId, personId, {
            DELTAKERSTATUSKODE: status,
            DATO_STATUSENDRING: `2025-0${3 + u}-1${u} 10:00:00`,
            ...(external ? { EKSTERN_ID: `ext-${deltakerId}` } : {}),
          }),
        }),
      });
      written += 1;
    }
  }
  return out;
}
