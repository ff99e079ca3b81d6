// Arena DELTAKERSTATUSKODE -> AMT deltaker status, with the date the status took effect (ARENA.md,
// "Status conversion"). Pure: "today" is an argument (the calendar day in Europe/Oslo).
import { dayOf } from './arena-message.ts';

export const amtStatuses = [
  'VENTER_PA_OPPSTART',
  'DELTAR',
  'HAR_SLUTTET',
  'IKKE_AKTUELL',
  'FEILREGISTRERT',
  'SOKT_INN',
  'VURDERES',
  'VENTELISTE',
  'AVBRUTT',
  'FULLFORT',
] as const;
export type AmtStatus = (typeof amtStatuses)[number];

export const terminalStatuses: ReadonlySet<AmtStatus> = new Set<AmtStatus>(['IKKE_AKTUELL', 'HAR_SLUTTET', 'FEILREGISTRERT', 'AVBRUTT', 'FULLFORT']);

export function isTerminal(status: AmtStatus): boolean {
  return terminalStatuses.has(status);
}

const appliedCodes: Readonly<Record<string, AmtStatus>> = { AKTUELL: 'SOKT_INN', INFOMOETE: 'VURDERES', VENTELISTE: 'VENTELISTE' };
const ongoingCodes: ReadonlySet<string> = new Set(['GJENN', 'TILBUD', 'JATAKK']);
const endingCodes: ReadonlySet<string> = new Set(['DELAVB', 'FULLF', 'GJENN_AVB', 'GJENN_AVL', 'IKKEM']);
const notRelevantCodes: ReadonlySet<string> = new Set(['IKKAKTUELL', 'AVSLAG', 'NEITAKK']);

/** Every Arena code the table knows. */
export const knownArenaStatusCodes: readonly string[] = [
  ...Object.keys(appliedCodes),
  'FEILREG',
  ...ongoingCodes,
  ...endingCodes,
  ...notRelevantCodes,
];

export interface StatusInput {
  /** DELTAKERSTATUSKODE. */
  code: string;
  /** Arena date-times `yyyy-MM-dd HH:mm:ss`, or null. */
  datoFra: string | null;
  datoTil: string | null;
  datoStatusendring: string | null;
  regDato: string;
  /** The gjennomføring has ended (TILTAKSTATUSKODE AVSLUTT, AVBRUTT or AVLYST). */
  gjennomforingFinished: boolean;
  /** A single-place programme (ENKELAMO, ENKFAGYRKE, HOYEREUTD). */
  enkeltplass: boolean;
}

export interface ConvertedStatus {
  status: AmtStatus;
  /** When the status took effect (an Arena date-time), or null when Arena gave no date. */
  endretDato: string | null;
}

/** An Arena status code the table does not know: an error (the row retries, then fails), never a guess. */
export class UnknownStatusCodeError extends Error {
  constructor(code: string) {
    super(`unknown DELTAKERSTATUSKODE ${JSON.stringify(code)}`);
    this.name = 'UnknownStatusCodeError';
  }
}

function convertCode(input: StatusInput, today: string): ConvertedStatus {
  const { code, datoFra, datoTil, datoStatusendring, regDato } = input;
  const applied = appliedCodes[code];
  if (applied) return { status: applied, endretDato: datoStatusendring };
  if (code === 'FEILREG') return { status: 'FEILREGISTRERT', endretDato: datoStatusendring };
  if (ongoingCodes.has(code)) {
    // started: the start day is today or earlier; HAR_SLUTTET needs both days passed (before today)
    const started = datoFra !== null && dayOf(datoFra) <= today;
    const startPassed = datoFra !== null && dayOf(datoFra) < today;
    const ended = datoTil !== null && dayOf(datoTil) < today;
    if (startPassed && ended) return { status: 'HAR_SLUTTET', endretDato: datoTil };
    if (started) return { status: 'DELTAR', endretDato: datoFra };
    return { status: 'VENTER_PA_OPPSTART', endretDato: datoStatusendring };
  }
  if (endingCodes.has(code)) {
    const changedAfterStart = datoStatusendring !== null && datoFra !== null && dayOf(datoStatusendring) > dayOf(datoFra);
    if (!changedAfterStart) return { status: 'IKKE_AKTUELL', endretDato: datoStatusendring };
    const endedBeforeChange = datoTil !== null && dayOf(datoTil) < dayOf(datoStatusendring);
    return { status: 'HAR_SLUTTET', endretDato: endedBeforeChange ? datoTil : datoStatusendring };
  }
  if (notRelevantCodes.has(code)) {
    const sameDayAsRegistration = datoStatusendring !== null && dayOf(datoStatusendring) === dayOf(regDato);
    if (code === 'IKKAKTUELL' && sameDayAsRegistration) return { status: 'FEILREGISTRERT', endretDato: datoStatusendring };
    return { status: 'IKKE_AKTUELL', endretDato: datoStatusendring };
  }
  throw new UnknownStatusCodeError(code);
}

/**
 * The AMT status of an Arena participant on `today` (`yyyy-MM-dd`). A non-terminal status on a
 * finished gjennomføring (not enkeltplass) becomes IKKE_AKTUELL.
 * @throws UnknownStatusCodeError for a code outside the table.
 */
export function convertDeltakerStatus(input: StatusInput, today: string): ConvertedStatus {
  const converted = convertCode(input, today);
  if (input.gjennomforingFinished && !input.enkeltplass && !isTerminal(converted.status)) {
    return { status: 'IKKE_AKTUELL', endretDato: converted.endretDato };
  }
  return converted;
}
