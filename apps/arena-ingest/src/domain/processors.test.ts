// Every processor rule of ARENA.md on the pure functions, with a fixed clock and fixed ids.
import { describe, expect, test } from 'vitest';
import { arenaTables, type ArenaTable, type RowData } from './arena-message.ts';
import { processChunk, type ChunkOptions, type ChunkRow } from './process-chunk.ts';
import { MemoryView, type Effect, type PersonResult, type ViewSnapshot } from './processing-view.ts';
import { amtId, amtTransactionId, type AmtEnvelope, type DeltakerRecord, type GjennomforingRecord } from './records.ts';

const NOW = new Date('2025-06-15T08:00:00Z');
const TODAY = '2025-06-15';
const options: ChunkOptions = { maxAttempts: 10, retrying: false };

function view(snapshot: Partial<ViewSnapshot> = {}): MemoryView {
  let n = 0;
  return new MemoryView({
    today: TODAY,
    now: NOW,
    newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    persons: [
      ['1001', { kind: 'found', ident: '01019012345' }],
      ['404', { kind: 'notFound' }],
      ['500', { kind: 'failed', reason: 'HTTP 500' }],
    ],
    ...snapshot,
  });
}

let posCounter = 0;
function row(table: ArenaTable, data: RowData, patch: Partial<ChunkRow> = {}): ChunkRow {
  const idField = table === arenaTables.gjennomforing ? 'TILTAKGJENNOMFORING_ID' : table === arenaTables.deltaker ? 'TILTAKDELTAKER_ID' : 'HIST_TILTAKDELTAKER_ID';
  const pos = patch.pos ?? String(++posCounter).padStart(20, '0');
  return {
    ref: `${table}|${patch.operation ?? 'CREATED'}|${pos}`,
    table,
    operation: 'CREATED',
    pos,
    arenaId: String(data[idField]),
    data,
    attempts: 0,
    histLinkWaits: 0,
    previousStatus: 'NEW',
    ...patch,
  };
}

const gjennomforingData = (patch: RowData = {}): RowData => ({
  TILTAKGJENNOMFORING_ID: 500,
  SAK_ID: 9,
  TILTAKSKODE: 'INDOPPFAG',
  ARBGIV_ID_ARRANGOR: 77,
  LOKALTNAVN: 'Oppfølging Oslo',
  TILTAKSTATUSKODE: 'GJENNOMFOR',
  REG_DATO: '2025-01-01 00:00:00',
  DATO_FRA: '2025-02-01 00:00:00',
  DATO_TIL: '2025-12-31 00:00:00',
  ...patch,
});

const deltakerData = (patch: RowData = {}): RowData => ({
  TILTAKDELTAKER_ID: 1,
  PERSON_ID: 1001,
  TILTAKGJENNOMFORING_ID: 500,
  DELTAKERSTATUSKODE: 'GJENN',
  DELTAKERTYPEKODE: 'INNSOKT',
  DATO_FRA: '2025-06-01 00:00:00',
  DATO_TIL: '2025-08-31 00:00:00',
  DATO_STATUSENDRING: '2025-05-20 10:00:00',
  REG_DATO: '2025-05-01 09:00:00',
  MOD_DATO: '2025-05-20 10:00:00',
  PROSENT_DELTID: 50,
  ANTALL_DAGER_PR_UKE: 2.5,
  BEGRUNNELSE_BESTILLING: 'Trenger oppfølging',
  EKSTERN_ID: null,
  ...patch,
});

const histData = (patch: RowData = {}): RowData => {
  const { TILTAKDELTAKER_ID: _omitted, ...rest } = deltakerData({ DELTAKERSTATUSKODE: 'FULLF', DATO_STATUSENDRING: '2025-06-10 10:00:00', ...patch });
  return { HIST_TILTAKDELTAKER_ID: 9001, ...rest };
};

const validGjennomforing: GjennomforingRecord = {
  arenaId: '500',
  id: 'aaaaaaaa-0000-4000-8000-000000000500',
  tiltakskode: 'INDOPPFAG',
  tiltakstatuskode: 'GJENNOMFOR',
  isValid: true,
  datoFra: '2025-02-01',
  datoTil: '2025-12-31',
};

const run = (rows: ChunkRow[], v = view({ gjennomforinger: [validGjennomforing] }), opts: ChunkOptions = options) => {
  const result = processChunk(rows, v, opts);
  return { ...result, view: v, published: result.effects.filter((e): e is Extract<Effect, { kind: 'publish' }> => e.kind === 'publish').map((e) => e.envelope) };
};

describe('gjennomføring', () => {
  test('valid and supported: HANDLED, stored with a new id, releases its WAITING deltakere', () => {
    const { outcomes, effects } = run([row(arenaTables.gjennomforing, gjennomforingData())], view());
    expect(outcomes[0]).toMatchObject({ status: 'HANDLED', attempts: 0, attempted: false });
    expect(effects).toEqual([
      {
        kind: 'upsertGjennomforing',
        record: { arenaId: '500', id: '00000000-0000-4000-8000-000000000001', tiltakskode: 'INDOPPFAG', tiltakstatuskode: 'GJENNOMFOR', isValid: true, datoFra: '2025-02-01', datoTil: '2025-12-31' },
      },
      { kind: 'releaseWaiting', gjennomforingArenaId: '500' },
    ]);
  });

  test('an update keeps the id created the first time', () => {
    const { effects } = run([row(arenaTables.gjennomforing, gjennomforingData({ LOKALTNAVN: 'Nytt navn' }), { operation: 'MODIFIED' })]);
    expect(effects[0]).toMatchObject({ kind: 'upsertGjennomforing', record: { id: validGjennomforing.id } });
  });

  test('unsupported tiltakskode: IGNORED, but remembered so that its deltakere are ignored too', () => {
    const { outcomes, effects } = run([row(arenaTables.gjennomforing, gjennomforingData({ TILTAKSKODE: 'AMO' }))], view());
    expect(outcomes[0]).toMatchObject({ status: 'IGNORED', note: 'unsupported tiltakskode AMO' });
    expect(effects).toHaveLength(1);
    expect(effects[0]).toMatchObject({ kind: 'upsertGjennomforing', record: { tiltakskode: 'AMO' } });
  });

  test('no TILTAKSKODE: not a supported one, so IGNORED and remembered (its deltakere are ignored, not retried until FAILED)', () => {
    const { outcomes, effects } = run([row(arenaTables.gjennomforing, gjennomforingData({ TILTAKSKODE: null }))], view());
    expect(outcomes[0]).toMatchObject({ status: 'IGNORED', note: 'TILTAKSKODE missing: not a supported tiltakskode' });
    expect(effects).toHaveLength(1);
    expect(effects[0]).toMatchObject({ kind: 'upsertGjennomforing', record: { tiltakskode: '', arenaId: '500' } });
  });

  test.each([
    [{ SAK_ID: null }, 'SAK_ID missing'],
    [{ ARBGIV_ID_ARRANGOR: '' }, 'ARBGIV_ID_ARRANGOR missing'],
    [{ LOKALTNAVN: undefined }, 'LOKALTNAVN missing'],
    [{ TILTAKSTATUSKODE: null }, 'TILTAKSTATUSKODE missing'],
    [{ REG_DATO: null }, 'REG_DATO missing'],
    [{ DATO_FRA: '2025-02-31 00:00:00' }, 'DATO_FRA unreadable'],
  ])('invalid (%o): INVALID, stored as invalid', (patch, note) => {
    const { outcomes, effects } = run([row(arenaTables.gjennomforing, gjennomforingData(patch))], view());
    expect(outcomes[0]).toMatchObject({ status: 'INVALID', note });
    expect(effects).toHaveLength(1);
    expect(effects[0]).toMatchObject({ kind: 'upsertGjennomforing', record: { isValid: false } });
  });

  test('a DELETE is IGNORED', () => {
    expect(run([row(arenaTables.gjennomforing, gjennomforingData(), { operation: 'DELETED' })]).outcomes[0]?.status).toBe('IGNORED');
  });
});

describe('new AMT ids', () => {
  test('name-based: processed again with nothing stored (its transaction rolled back after the publish), a message is published under the same id', () => {
    const named = (): MemoryView => new MemoryView({ today: TODAY, now: NOW, newId: amtId, gjennomforinger: [validGjennomforing], persons: [['1001', { kind: 'found', ident: '01019012345' }]] });
    const message = row(arenaTables.deltaker, deltakerData());
    const first = run([message], named()).published[0]!;
    const again = run([message], named()).published[0]!;
    expect(again.payload.id).toBe(first.payload.id);
    expect(again.transactionId).toBe(first.transactionId);
    expect(first.payload.id).toBe(amtId('deltaker:1'));
    expect(first.payload.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // one id per entity: another participant, or a hist deltaker or a gjennomføring with the same arena id, gets another
    expect(new Set([amtId('deltaker:1'), amtId('deltaker:2'), amtId('hist-deltaker:1'), amtId('gjennomforing:1')]).size).toBe(4);
  });
});

describe('deltaker', () => {
  test('HANDLED: a new id, the deltaker stored, the AMT envelope published under that id', () => {
    const { outcomes, effects, published } = run([row(arenaTables.deltaker, deltakerData())]);
    expect(outcomes[0]).toMatchObject({ status: 'HANDLED', attempts: 0, note: null });
    const id = '00000000-0000-4000-8000-000000000001';
    expect(effects[0]).toEqual({ kind: 'deltakerId', arenaId: '1', amtId: id });
    expect(effects[1]).toEqual({
      kind: 'upsertDeltaker',
      record: {
        sourceTable: 'SIAMO.TILTAKDELTAKER',
        arenaId: '1',
        id,
        personId: '1001',
        gjennomforingArenaId: '500',
        datoFra: '2025-06-01 00:00:00',
        datoTil: '2025-08-31 00:00:00',
        datoStatusendring: '2025-05-20 10:00:00',
        status: 'DELTAR',
      },
    });
    expect(effects[2]).toMatchObject({ kind: 'publish', key: id });
    const publishEffect = effects[2] as Extract<Effect, { kind: 'publish' }>;
    expect(publishEffect.value).toBe(JSON.stringify(publishEffect.envelope));
    expect(published[0]?.transactionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(published[0]).toEqual({
      transactionId: published[0]!.transactionId,
      source: 'AMT_ARENA_ACL',
      type: 'DELTAKER',
      timestamp: NOW.toISOString(),
      operation: 'CREATED',
      payload: {
        id,
        gjennomforingId: validGjennomforing.id,
        personIdent: '01019012345',
        startDato: '2025-06-01',
        sluttDato: '2025-08-31',
        status: 'DELTAR',
        statusAarsak: null,
        dagerPerUke: 2.5,
        prosentDeltid: 50,
        registrertDato: '2025-05-01T09:00:00',
        statusEndretDato: '2025-06-01T00:00:00',
        innsokBegrunnelse: 'Trenger oppfølging',
      },
    } satisfies AmtEnvelope);
  });

  test('a MODIFIED message keeps the id and is published as MODIFIED', () => {
    const v = view({ gjennomforinger: [validGjennomforing], deltakerIds: [['1', 'bbbbbbbb-0000-4000-8000-000000000001']] });
    const { effects, published } = run([row(arenaTables.deltaker, deltakerData({ DELTAKERSTATUSKODE: 'FULLF', DATO_STATUSENDRING: '2025-06-10 10:00:00' }), { operation: 'MODIFIED' })], v);
    expect(effects.some((e) => e.kind === 'deltakerId')).toBe(false);
    expect(published[0]).toMatchObject({ operation: 'MODIFIED', payload: { id: 'bbbbbbbb-0000-4000-8000-000000000001', status: 'HAR_SLUTTET' } });
  });

  test.each([
    [{ TILTAKDELTAKER_ID: 0 }, 'TILTAKDELTAKER_ID missing or 0'],
    [{ TILTAKGJENNOMFORING_ID: 0 }, 'TILTAKGJENNOMFORING_ID missing or 0'],
    [{ PERSON_ID: null }, 'PERSON_ID missing'],
    [{ REG_DATO: null }, 'REG_DATO missing'],
    [{ DATO_TIL: '31.08.2025' }, 'DATO_TIL unreadable'],
    [{ DATO_STATUSENDRING: '2025-02-29 00:00:00' }, 'DATO_STATUSENDRING unreadable'],
  ])('invalid (%o): INVALID, nothing published', (patch, note) => {
    const { outcomes, effects } = run([row(arenaTables.deltaker, deltakerData(patch), { arenaId: '1' })]);
    expect(outcomes[0]).toMatchObject({ status: 'INVALID' });
    expect(outcomes[0]!.note).toContain(note);
    expect(effects).toEqual([]);
  });

  test.each([[{ EKSTERN_ID: 'abc-123' }], [{ DELTAKERTYPEKODE: 'EKSTERN' }]])('managed elsewhere (%o): EXTERNAL_SOURCE', (patch) => {
    const { outcomes, effects } = run([row(arenaTables.deltaker, deltakerData(patch))]);
    expect(outcomes[0]?.status).toBe('EXTERNAL_SOURCE');
    expect(effects).toEqual([]);
  });

  test('gjennomføring not ingested yet: RETRY, attempt counted', () => {
    const { outcomes } = run([row(arenaTables.deltaker, deltakerData())], view());
    expect(outcomes[0]).toMatchObject({ status: 'RETRY', attempts: 1, note: 'gjennomføring 500 not ingested yet', attempted: true });
  });

  test('gjennomføring invalid: WAITING, attempts unchanged', () => {
    const { outcomes } = run([row(arenaTables.deltaker, deltakerData())], view({ gjennomforinger: [{ ...validGjennomforing, isValid: false }] }));
    expect(outcomes[0]).toMatchObject({ status: 'WAITING', attempts: 0, note: 'gjennomføring 500 is invalid' });
  });

  test('gjennomføring unsupported: IGNORED', () => {
    const { outcomes } = run([row(arenaTables.deltaker, deltakerData())], view({ gjennomforinger: [{ ...validGjennomforing, tiltakskode: 'AMO' }] }));
    expect(outcomes[0]).toMatchObject({ status: 'IGNORED', note: 'gjennomføring 500 has unsupported tiltakskode AMO' });
  });

  test('person unknown to the lookup (404): INVALID; lookup failure: RETRY; not looked up yet: asks for it', () => {
    expect(run([row(arenaTables.deltaker, deltakerData({ PERSON_ID: 404 }))]).outcomes[0]).toMatchObject({ status: 'INVALID', note: 'person 404 not found by the person lookup' });
    expect(run([row(arenaTables.deltaker, deltakerData({ PERSON_ID: 500 }))]).outcomes[0]).toMatchObject({ status: 'RETRY', note: 'person lookup failed: HTTP 500' });
    const pending = run([row(arenaTables.deltaker, deltakerData({ PERSON_ID: 2002 }))]);
    expect(pending.outcomes[0]?.status).toBe('RETRY');
    expect([...pending.neededPersons]).toEqual(['2002']);
  });

  test('a later lookup result is used by the next pass', () => {
    const v = view({ gjennomforinger: [validGjennomforing] });
    v.addPersons([['2002', { kind: 'found', ident: '02029012345' } satisfies PersonResult]]);
    expect(run([row(arenaTables.deltaker, deltakerData({ PERSON_ID: 2002 }))], v).published[0]?.payload.personIdent).toBe('02029012345');
  });

  test('an unknown status code: RETRY with the reason, FAILED when the attempts reach 10', () => {
    const first = run([row(arenaTables.deltaker, deltakerData({ DELTAKERSTATUSKODE: 'NYKODE' }))]);
    expect(first.outcomes[0]).toMatchObject({ status: 'RETRY', attempts: 1, note: 'UnknownStatusCodeError: unknown DELTAKERSTATUSKODE "NYKODE"' });
    expect(first.effects).toEqual([]);
    const ninth = run([row(arenaTables.deltaker, deltakerData({ DELTAKERSTATUSKODE: 'NYKODE' }), { attempts: 8, previousStatus: 'RETRY' })], undefined, { ...options, retrying: true });
    expect(ninth.outcomes[0]).toMatchObject({ status: 'RETRY', attempts: 9 });
    const tenth = run([row(arenaTables.deltaker, deltakerData({ DELTAKERSTATUSKODE: 'NYKODE' }), { attempts: 9, previousStatus: 'RETRY' })], undefined, { ...options, retrying: true });
    expect(tenth.outcomes[0]).toMatchObject({ status: 'FAILED', attempts: 10, attempted: true });
  });

  test('a FAILED message retried once more (retryFailed) stays FAILED when it fails again', () => {
    const { outcomes } = run([row(arenaTables.deltaker, deltakerData(), { attempts: 10, previousStatus: 'FAILED' })], view(), { ...options, retrying: true });
    expect(outcomes[0]).toMatchObject({ status: 'FAILED', attempts: 11 });
  });

  test('the same message converted to the same payload gets the same transaction id', () => {
    const a = run([row(arenaTables.deltaker, deltakerData(), { pos: '00000000000000000777' })]).published[0]!;
    const b = run([row(arenaTables.deltaker, deltakerData(), { pos: '00000000000000000777' })]).published[0]!;
    const c = run([row(arenaTables.deltaker, deltakerData(), { pos: '00000000000000000778' })]).published[0]!;
    expect(a.transactionId).toBe(b.transactionId);
    expect(c.transactionId).not.toBe(a.transactionId);
    expect(amtTransactionId({ table: 'T', operation: 'CREATED', pos: '1' }, 'CREATED', a.payload)).not.toBe(a.transactionId);
  });
});

describe('deltaker DELETE', () => {
  const known = (): MemoryView => view({ gjennomforinger: [validGjennomforing], deltakerIds: [['1', 'cccccccc-0000-4000-8000-000000000001']] });
  const deletion = (patch: Partial<ChunkRow> = {}) => row(arenaTables.deltaker, deltakerData(), { operation: 'DELETED', ...patch });

  test('historised (a hist deltaker is linked to it): HANDLED, nothing published', () => {
    const v = view({
      gjennomforinger: [validGjennomforing],
      deltakerIds: [['1', 'cccccccc-0000-4000-8000-000000000001']],
      histLinks: [{ histArenaId: '9001', amtId: 'cccccccc-0000-4000-8000-000000000001', deltakerArenaId: '1' }],
    });
    const { outcomes, effects } = run([deletion()], v);
    expect(outcomes[0]).toMatchObject({ status: 'HANDLED', note: 'historised: the deletion is not published' });
    expect(effects).toEqual([]);
  });

  test('no hist link: waits two attempts, then is published as FEILREGISTRERT', () => {
    expect(run([deletion()], known()).outcomes[0]).toMatchObject({ status: 'RETRY', attempts: 1, histLinkWaits: 1, note: 'deletion waits for a hist deltaker to link it' });
    expect(run([deletion({ attempts: 1, histLinkWaits: 1, previousStatus: 'RETRY' })], known(), { ...options, retrying: true }).outcomes[0]).toMatchObject({ status: 'RETRY', attempts: 2, histLinkWaits: 2 });
    const third = run([deletion({ attempts: 2, histLinkWaits: 2, previousStatus: 'RETRY' })], known(), { ...options, retrying: true });
    expect(third.outcomes[0]).toMatchObject({ status: 'HANDLED', attempts: 2, histLinkWaits: 2 });
    expect(third.published).toHaveLength(1);
    expect(third.published[0]).toMatchObject({ operation: 'DELETED', payload: { id: 'cccccccc-0000-4000-8000-000000000001', status: 'FEILREGISTRERT' } });
  });

  test('attempts spent behind an earlier message of the participant are no wait for the hist link', () => {
    // two attempts blocked behind its own CREATED (still RETRY), then processed: it still waits twice
    const blocked = run([deletion({ attempts: 2, histLinkWaits: 0, previousStatus: 'RETRY' })], known(), { ...options, retrying: true });
    expect(blocked.outcomes[0]).toMatchObject({ status: 'RETRY', attempts: 3, histLinkWaits: 1, note: 'deletion waits for a hist deltaker to link it' });
    expect(blocked.published).toEqual([]);
    // the ordering guard's RETRY does not count as a wait either
    const guard = view({
      gjennomforinger: [validGjennomforing],
      deltakerIds: [['1', 'cccccccc-0000-4000-8000-000000000001']],
      blockingRows: [{ table: arenaTables.deltaker, arenaId: '1', ref: 'id:1', pos: '00000000000000000001' }],
    });
    const behind = run([deletion({ pos: '00000000000000000002', attempts: 0, previousStatus: 'RETRY' })], guard, { ...options, retrying: true });
    expect(behind.outcomes[0]).toMatchObject({ status: 'RETRY', attempts: 1, histLinkWaits: 0 });
  });

  test('a deltaker that was never ingested: IGNORED', () => {
    expect(run([deletion()]).outcomes[0]).toMatchObject({ status: 'IGNORED', note: 'deleted deltaker was never ingested' });
  });
});

describe('ordering per participant', () => {
  test('an earlier stored message still RETRY, FAILED or WAITING makes a later one wait', () => {
    for (const status of ['RETRY', 'FAILED', 'WAITING']) {
      const v = view({
        gjennomforinger: [validGjennomforing],
        blockingRows: [{ table: arenaTables.deltaker, arenaId: '1', ref: `stored-${status}`, pos: '00000000000000000005' }],
      });
      const { outcomes, effects } = run([row(arenaTables.deltaker, deltakerData(), { pos: '00000000000000000006' })], v);
      expect(outcomes[0]).toMatchObject({ status: 'RETRY', note: 'waits for the earlier message at pos 00000000000000000005 of the same arena id' });
      expect(effects).toEqual([]);
    }
  });

  test('a later stored blocked message does not hold back an earlier one; other participants are not held back', () => {
    const v = view({
      gjennomforinger: [validGjennomforing],
      blockingRows: [{ table: arenaTables.deltaker, arenaId: '1', ref: 'later', pos: '00000000000000000009' }],
    });
    const { outcomes } = run(
      [row(arenaTables.deltaker, deltakerData(), { pos: '00000000000000000006' }), row(arenaTables.deltaker, deltakerData({ TILTAKDELTAKER_ID: 2 }), { pos: '00000000000000000010' })],
      v,
    );
    expect(outcomes.map((o) => o.status)).toEqual(['HANDLED', 'HANDLED']);
  });

  test('within a chunk: the second message of a participant waits when the first must retry', () => {
    const { outcomes } = run(
      [row(arenaTables.deltaker, deltakerData({ PERSON_ID: 500 })), row(arenaTables.deltaker, deltakerData({ DELTAKERSTATUSKODE: 'FULLF' }))],
    );
    expect(outcomes.map((o) => o.status)).toEqual(['RETRY', 'RETRY']);
    expect(outcomes[1]!.note).toMatch(/waits for the earlier message/);
  });

  test('positions above 2^53 are compared exactly', () => {
    const earlier = '10000000000000000001';
    const later = '10000000000000000002';
    expect(Number(earlier)).toBe(Number(later));
    const v = view({ gjennomforinger: [validGjennomforing], blockingRows: [{ table: arenaTables.deltaker, arenaId: '1', ref: 'stored', pos: earlier }] });
    expect(run([row(arenaTables.deltaker, deltakerData(), { pos: later })], v).outcomes[0]?.status).toBe('RETRY');
    const w = view({ gjennomforinger: [validGjennomforing], blockingRows: [{ table: arenaTables.deltaker, arenaId: '1', ref: 'stored', pos: later }] });
    expect(run([row(arenaTables.deltaker, deltakerData(), { pos: earlier })], w).outcomes[0]?.status).toBe('HANDLED');
  });

  test('retrying: a message superseded by a newer handled one is IGNORED, not republished', () => {
    const { outcomes, effects } = run([row(arenaTables.deltaker, deltakerData(), { pos: '00000000000000000003', previousStatus: 'RETRY' })], undefined, {
      ...options,
      retrying: true,
      newerHandled: (_t, _id, pos) => (pos < '00000000000000000004' ? '00000000000000000004' : undefined),
    });
    expect(outcomes[0]).toMatchObject({ status: 'IGNORED', note: 'superseded: the newer message at pos 00000000000000000004 is already handled' });
    expect(effects).toEqual([]);
  });
});

describe('WAITING released by a valid gjennomføring', () => {
  test('in the same chunk: the waiting deltaker goes back to RETRY with attempts 0', () => {
    const v = view({ gjennomforinger: [{ ...validGjennomforing, isValid: false }] });
    const { outcomes, effects } = run([row(arenaTables.deltaker, deltakerData(), { attempts: 3 }), row(arenaTables.gjennomforing, gjennomforingData())], v);
    expect(outcomes[0]).toMatchObject({ status: 'RETRY', attempts: 0, note: 'released: gjennomføring 500 is valid now' });
    expect(outcomes[1]?.status).toBe('HANDLED');
    expect(effects.filter((e) => e.kind === 'releaseWaiting')).toHaveLength(1);
  });
});

describe('hist deltaker', () => {
  const existing: DeltakerRecord = {
    sourceTable: 'SIAMO.TILTAKDELTAKER',
    arenaId: '1',
    id: 'dddddddd-0000-4000-8000-000000000001',
    personId: '1001',
    gjennomforingArenaId: '500',
    datoFra: '2025-06-01 00:00:00',
    datoTil: '2025-08-31 00:00:00',
    datoStatusendring: '2025-06-10 10:00:00',
    status: 'HAR_SLUTTET',
  };

  test.each(['MODIFIED', 'DELETED'] as const)('%s: IGNORED (only CREATED counts)', (operation) => {
    expect(run([row(arenaTables.histDeltaker, histData(), { operation })]).outcomes[0]).toMatchObject({ status: 'IGNORED' });
  });

  test('case 1 (no match): a new deltaker with a new id, terminal status, published as CREATED', () => {
    const { outcomes, effects, published } = run([row(arenaTables.histDeltaker, histData())]);
    expect(outcomes[0]).toMatchObject({ status: 'HANDLED', note: 'case 1: created as a new deltaker' });
    const id = '00000000-0000-4000-8000-000000000001';
    expect(effects[0]).toEqual({ kind: 'histLink', link: { histArenaId: '9001', amtId: id, deltakerArenaId: null } });
    expect(effects[1]).toMatchObject({ kind: 'upsertDeltaker', record: { sourceTable: 'SIAMO.HIST_TILTAKDELTAKER', arenaId: '9001', id, status: 'HAR_SLUTTET' } });
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ operation: 'CREATED', payload: { id, status: 'HAR_SLUTTET' } });
  });

  test('case 1 processed again keeps its id', () => {
    const v = view({ gjennomforinger: [validGjennomforing], histLinks: [{ histArenaId: '9001', amtId: 'eeeeeeee-0000-4000-8000-000000000001', deltakerArenaId: null }] });
    const { effects, published } = run([row(arenaTables.histDeltaker, histData())], v);
    expect(effects.some((e) => e.kind === 'histLink')).toBe(false);
    expect(published[0]?.payload.id).toBe('eeeeeeee-0000-4000-8000-000000000001');
  });

  test('case 1 with a non-terminal status: INVALID', () => {
    const { outcomes, effects } = run([row(arenaTables.histDeltaker, histData({ DELTAKERSTATUSKODE: 'GJENN', DATO_TIL: '2025-12-31 00:00:00' }))]);
    expect(outcomes[0]).toMatchObject({ status: 'INVALID', note: 'hist deltaker with the non-terminal status DELTAR (GJENN)' });
    expect(effects).toEqual([]);
  });

  test('case 2 (one match on person, gjennomføring and the three dates): linked to it, nothing published', () => {
    const v = view({ gjennomforinger: [validGjennomforing], deltakere: [existing] });
    const { outcomes, effects } = run([row(arenaTables.histDeltaker, histData())], v);
    expect(outcomes[0]).toMatchObject({ status: 'HANDLED', note: 'case 2: linked to deltaker 1' });
    expect(effects).toEqual([{ kind: 'histLink', link: { histArenaId: '9001', amtId: existing.id, deltakerArenaId: '1' } }]);
    expect(v.isHistorised('1')).toBe(true);
  });

  test('a deltaker that differs in one date, or that came from the hist table, does not match', () => {
    for (const other of [{ ...existing, datoTil: '2025-09-01 00:00:00' }, { ...existing, datoStatusendring: null }, { ...existing, sourceTable: 'SIAMO.HIST_TILTAKDELTAKER' as const }]) {
      const v = view({ gjennomforinger: [validGjennomforing], deltakere: [other] });
      expect(run([row(arenaTables.histDeltaker, histData())], v).outcomes[0]?.note).toBe('case 1: created as a new deltaker');
    }
  });

  test('several matches: FAILED at once (a person must look)', () => {
    const v = view({ gjennomforinger: [validGjennomforing], deltakere: [existing, { ...existing, arenaId: '2', id: 'dddddddd-0000-4000-8000-000000000002' }] });
    const { outcomes, effects } = run([row(arenaTables.histDeltaker, histData())], v);
    expect(outcomes[0]).toMatchObject({ status: 'FAILED', attempts: 1, note: '2 deltakere match (1, 2): a person must look' });
    expect(effects).toEqual([]);
  });

  test('the live flow of case 2: DELETE waits, the hist links, the retried DELETE is handled silently', () => {
    const v = view({ gjennomforinger: [validGjennomforing], deltakere: [existing], deltakerIds: [['1', existing.id]] });
    const deletion = row(arenaTables.deltaker, deltakerData({ DELTAKERSTATUSKODE: 'FULLF', DATO_STATUSENDRING: '2025-06-10 10:00:00' }), { operation: 'DELETED' });
    const first = run([deletion, row(arenaTables.histDeltaker, histData())], v);
    expect(first.outcomes.map((o) => o.status)).toEqual(['RETRY', 'HANDLED']);
    const retried = run([{ ...deletion, attempts: 1, previousStatus: 'RETRY' }], v, { ...options, retrying: true });
    expect(retried.outcomes[0]).toMatchObject({ status: 'HANDLED', note: 'historised: the deletion is not published' });
    expect([...first.published, ...retried.published]).toEqual([]);
  });

  test('validation, EKSTERN and the gjennomføring rules apply to hist deltakere too', () => {
    expect(run([row(arenaTables.histDeltaker, histData({ HIST_TILTAKDELTAKER_ID: 0 }), { arenaId: '0' })]).outcomes[0]?.status).toBe('INVALID');
    expect(run([row(arenaTables.histDeltaker, histData({ EKSTERN_ID: 'x' }))]).outcomes[0]?.status).toBe('EXTERNAL_SOURCE');
    expect(run([row(arenaTables.histDeltaker, histData())], view()).outcomes[0]?.status).toBe('RETRY');
  });
});
