import { describe, expect, test } from 'vitest';
import { arenaDay } from './records.ts';
import { convertDeltakerStatus, isTerminal, knownArenaStatusCodes, UnknownStatusCodeError, type StatusInput } from './status-conversion.ts';

const today = '2025-06-15';
const base: StatusInput = {
  code: 'GJENN',
  datoFra: null,
  datoTil: null,
  datoStatusendring: '2025-05-01 10:00:00',
  regDato: '2025-04-01 09:00:00',
  gjennomforingFinished: false,
  enkeltplass: false,
};
const convert = (patch: Partial<StatusInput>) => convertDeltakerStatus({ ...base, ...patch }, today);

describe('applied and FEILREG (date: the status change)', () => {
  test.each([
    ['AKTUELL', 'SOKT_INN'],
    ['INFOMOETE', 'VURDERES'],
    ['VENTELISTE', 'VENTELISTE'],
    ['FEILREG', 'FEILREGISTRERT'],
  ])('%s -> %s', (code, status) => {
    expect(convert({ code })).toEqual({ status, endretDato: '2025-05-01 10:00:00' });
  });
});

describe.each(['GJENN', 'TILBUD', 'JATAKK'])('ongoing %s', (code) => {
  test('start and end both passed -> HAR_SLUTTET on the end date', () => {
    expect(convert({ code, datoFra: '2025-06-01 00:00:00', datoTil: '2025-06-14 00:00:00' })).toEqual({ status: 'HAR_SLUTTET', endretDato: '2025-06-14 00:00:00' });
  });
  test('started, ending today -> DELTAR on the start date (an end date of today has not passed)', () => {
    expect(convert({ code, datoFra: '2025-06-01 00:00:00', datoTil: '2025-06-15 00:00:00' })).toEqual({ status: 'DELTAR', endretDato: '2025-06-01 00:00:00' });
  });
  test('starting today -> DELTAR', () => {
    expect(convert({ code, datoFra: '2025-06-15 00:00:00', datoTil: '2025-09-01 00:00:00' })).toEqual({ status: 'DELTAR', endretDato: '2025-06-15 00:00:00' });
  });
  test('starting today with an end date already passed (inconsistent dates): the start has not passed, so DELTAR', () => {
    expect(convert({ code, datoFra: '2025-06-15 00:00:00', datoTil: '2025-06-14 00:00:00' })).toEqual({ status: 'DELTAR', endretDato: '2025-06-15 00:00:00' });
  });
  test('started, no end date -> DELTAR', () => {
    expect(convert({ code, datoFra: '2025-01-01 00:00:00' }).status).toBe('DELTAR');
  });
  test('starting tomorrow -> VENTER_PA_OPPSTART on the status change date', () => {
    expect(convert({ code, datoFra: '2025-06-16 00:00:00' })).toEqual({ status: 'VENTER_PA_OPPSTART', endretDato: '2025-05-01 10:00:00' });
  });
  test('no start date -> VENTER_PA_OPPSTART, even when the end date has passed', () => {
    expect(convert({ code, datoTil: '2025-01-01 00:00:00' }).status).toBe('VENTER_PA_OPPSTART');
  });
});

describe.each(['DELAVB', 'FULLF', 'GJENN_AVB', 'GJENN_AVL', 'IKKEM'])('ending %s', (code) => {
  test('changed after the start, end already passed then -> HAR_SLUTTET on the end date', () => {
    expect(convert({ code, datoFra: '2025-03-01 00:00:00', datoTil: '2025-04-30 00:00:00', datoStatusendring: '2025-05-02 12:00:00' })).toEqual({
      status: 'HAR_SLUTTET',
      endretDato: '2025-04-30 00:00:00',
    });
  });
  test('changed after the start, end not passed then -> HAR_SLUTTET on the status change date', () => {
    expect(convert({ code, datoFra: '2025-03-01 00:00:00', datoTil: '2025-08-01 00:00:00', datoStatusendring: '2025-05-02 12:00:00' })).toEqual({
      status: 'HAR_SLUTTET',
      endretDato: '2025-05-02 12:00:00',
    });
  });
  test('changed after the start, no end date -> HAR_SLUTTET on the status change date', () => {
    expect(convert({ code, datoFra: '2025-03-01 00:00:00', datoStatusendring: '2025-05-02 12:00:00' }).endretDato).toBe('2025-05-02 12:00:00');
  });
  test('changed on the start day -> IKKE_AKTUELL', () => {
    expect(convert({ code, datoFra: '2025-05-02 00:00:00', datoStatusendring: '2025-05-02 12:00:00' })).toEqual({ status: 'IKKE_AKTUELL', endretDato: '2025-05-02 12:00:00' });
  });
  test('changed before the start -> IKKE_AKTUELL', () => {
    expect(convert({ code, datoFra: '2025-06-01 00:00:00', datoStatusendring: '2025-05-02 12:00:00' }).status).toBe('IKKE_AKTUELL');
  });
  test('no start date or no status change date -> IKKE_AKTUELL', () => {
    expect(convert({ code, datoStatusendring: '2025-05-02 12:00:00' }).status).toBe('IKKE_AKTUELL');
    expect(convert({ code, datoFra: '2025-03-01 00:00:00', datoStatusendring: null }).status).toBe('IKKE_AKTUELL');
  });
});

describe('not relevant', () => {
  test('IKKAKTUELL changed on the day of registration -> FEILREGISTRERT', () => {
    expect(convert({ code: 'IKKAKTUELL', regDato: '2025-05-01 08:00:00', datoStatusendring: '2025-05-01 16:00:00' })).toEqual({
      status: 'FEILREGISTRERT',
      endretDato: '2025-05-01 16:00:00',
    });
  });
  test('IKKAKTUELL changed later -> IKKE_AKTUELL', () => {
    expect(convert({ code: 'IKKAKTUELL', regDato: '2025-04-30 08:00:00', datoStatusendring: '2025-05-01 16:00:00' }).status).toBe('IKKE_AKTUELL');
  });
  test.each(['AVSLAG', 'NEITAKK'])('%s -> IKKE_AKTUELL, even on the day of registration', (code) => {
    expect(convert({ code, regDato: '2025-05-01 08:00:00', datoStatusendring: '2025-05-01 16:00:00' })).toEqual({
      status: 'IKKE_AKTUELL',
      endretDato: '2025-05-01 16:00:00',
    });
  });
});

describe('finished gjennomføring', () => {
  test('a non-terminal status becomes IKKE_AKTUELL', () => {
    expect(convert({ code: 'GJENN', datoFra: '2025-06-01 00:00:00', gjennomforingFinished: true }).status).toBe('IKKE_AKTUELL');
    expect(convert({ code: 'AKTUELL', gjennomforingFinished: true }).status).toBe('IKKE_AKTUELL');
  });
  test('a terminal status stays', () => {
    expect(convert({ code: 'GJENN', datoFra: '2025-06-01 00:00:00', datoTil: '2025-06-10 00:00:00', gjennomforingFinished: true }).status).toBe('HAR_SLUTTET');
    expect(convert({ code: 'FEILREG', gjennomforingFinished: true }).status).toBe('FEILREGISTRERT');
  });
  test('enkeltplass keeps its non-terminal status', () => {
    expect(convert({ code: 'GJENN', datoFra: '2025-06-01 00:00:00', gjennomforingFinished: true, enkeltplass: true }).status).toBe('DELTAR');
  });
});

describe('unknown codes and terminal statuses', () => {
  test('an unknown code is an error, never a guess', () => {
    expect(() => convert({ code: 'NYKODE' })).toThrow(UnknownStatusCodeError);
    expect(() => convert({ code: '' })).toThrow(/unknown DELTAKERSTATUSKODE/);
  });
  test('every known code converts', () => {
    for (const code of knownArenaStatusCodes) expect(() => convert({ code })).not.toThrow();
    expect(knownArenaStatusCodes).toHaveLength(15);
  });
  test('terminal statuses', () => {
    expect(['IKKE_AKTUELL', 'HAR_SLUTTET', 'FEILREGISTRERT', 'AVBRUTT', 'FULLFORT'].every((s) => isTerminal(s as never))).toBe(true);
    expect(['DELTAR', 'VENTER_PA_OPPSTART', 'SOKT_INN', 'VURDERES', 'VENTELISTE'].some((s) => isTerminal(s as never))).toBe(false);
  });
});

describe('the day in Norway', () => {
  test('late evening UTC is already tomorrow in Oslo', () => {
    expect(arenaDay(new Date('2025-01-31T23:30:00Z'))).toBe('2025-02-01');
    expect(arenaDay(new Date('2025-07-31T21:59:00Z'))).toBe('2025-07-31');
    expect(arenaDay(new Date('2025-07-31T22:00:00Z'))).toBe('2025-08-01');
  });
});
