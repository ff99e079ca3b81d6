import { describe, expect, test } from 'vitest';
import { normalizePos, parseArenaDateTime, parseArenaEnvelope, readDate, readId, readNumber } from './arena-message.ts';

const envelope = (patch: Record<string, unknown> = {}) =>
  JSON.stringify({
    table: 'SIAMO.TILTAKDELTAKER',
    op_type: 'I',
    op_ts: '2025-06-01 10:11:12.123456',
    current_ts: '2025-06-01T10:11:13.000000',
    pos: '00000000000000012345',
    before: null,
    after: { TILTAKDELTAKER_ID: 42, PERSON_ID: 7 },
    ...patch,
  });

describe('parseArenaEnvelope', () => {
  test('reads the key, the operation and the row data', () => {
    const parsed = parseArenaEnvelope(Buffer.from(envelope()));
    expect(parsed).toEqual({
      ok: true,
      message: {
        table: 'SIAMO.TILTAKDELTAKER',
        operation: 'CREATED',
        pos: '00000000000000012345',
        opTs: '2025-06-01 10:11:12.123456',
        arenaId: '42',
        before: null,
        after: { TILTAKDELTAKER_ID: 42, PERSON_ID: 7 },
        problems: [],
        source: envelope(),
      },
    });
  });

  test('U is MODIFIED, D is DELETED and reads `before`', () => {
    const modified = parseArenaEnvelope(envelope({ op_type: 'U' }));
    expect(modified.ok && modified.message.operation).toBe('MODIFIED');
    const deleted = parseArenaEnvelope(envelope({ op_type: 'D', before: { TILTAKDELTAKER_ID: '43' }, after: null }));
    expect(deleted.ok && [deleted.message.operation, deleted.message.arenaId, deleted.message.problems]).toEqual(['DELETED', '43', []]);
  });

  test('raw NUL characters and \\u0000 escapes are stripped', () => {
    const raw = Buffer.from(envelope({ after: { TILTAKDELTAKER_ID: 42, LOKALTNAVN: 'A\u0000B' } }).replace('"I"', '"I\u0000"'));
    const parsed = parseArenaEnvelope(raw);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.message.operation).toBe('CREATED');
      expect(parsed.message.after).toEqual({ TILTAKDELTAKER_ID: 42, LOKALTNAVN: 'AB' });
    }
  });

  test('escaped unpaired surrogates become U+FFFD; a message that needed cleaning has no verbatim source', () => {
    const raw = envelope({ after: { TILTAKDELTAKER_ID: 42, BEGRUNNELSE: 'x\ud800y', ['K\udfff']: 1, PAIR: '\ud83d\ude00' } });
    expect(raw).toContain('\\ud800');
    const parsed = parseArenaEnvelope(raw);
    expect(parsed.ok && parsed.message.after).toEqual({ TILTAKDELTAKER_ID: 42, BEGRUNNELSE: 'x\ufffdy', ['K\ufffd']: 1, PAIR: '\ud83d\ude00' });
    expect(parsed.ok && parsed.message.source).toBeNull();
    const nul = parseArenaEnvelope(envelope({ after: { TILTAKDELTAKER_ID: 42, NOTE: 'a\u0000b' } }));
    expect(nul.ok && nul.message.source).toBeNull();
    // raw NUL characters are stripped from the text itself: the rest can be stored as it came
    const rawNul = parseArenaEnvelope(envelope().replace('"I"', '"I\u0000"'));
    expect(rawNul.ok && rawNul.message.source).toBe(envelope());
  });

  test('positions keep every digit above 2^53, shorter ones are zero-padded', () => {
    const parsed = parseArenaEnvelope(envelope({ pos: '12345678901234567891' }));
    expect(parsed.ok && parsed.message.pos).toBe('12345678901234567891');
    expect(normalizePos('7')).toBe('00000000000000000007');
    expect(normalizePos(7)).toBe('00000000000000000007');
    expect(normalizePos(2 ** 60)).toBeUndefined(); // a JSON number that has lost digits
    expect(normalizePos('123456789012345678901')).toBeUndefined();
    expect(normalizePos('-1')).toBeUndefined();
  });

  test.each([
    [null, /tombstone/],
    ['', /tombstone/],
    ['{"table":', /not JSON/],
    ['[1,2]', /not a JSON object/],
    [envelope({ table: '' }), /no table/],
    [envelope({ op_type: 'X' }), /op_type "X"/],
    [envelope({ pos: 'abc' }), /pos "abc"/],
    [envelope({ pos: undefined }), /pos null/],
  ])('an unreadable key is not ok: %s', (value, reason) => {
    const parsed = parseArenaEnvelope(value);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  test('a readable key with other problems is ok with problems (stored INVALID under its key)', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ op_ts: '2025-13-01 00:00:00.000000' }, /op_ts/],
      [{ op_ts: '0000-01-01 00:00:00.000000' }, /op_ts/],
      [{ after: null }, /no row data \(after\)/],
      [{ table: 'SIAMO.SOMETHING' }, /unknown table SIAMO.SOMETHING/],
      [{ after: { PERSON_ID: 1 } }, /TILTAKDELTAKER_ID missing/],
    ];
    for (const [patch, problem] of cases) {
      const parsed = parseArenaEnvelope(envelope(patch));
      expect(parsed.ok).toBe(true);
      if (parsed.ok) expect(parsed.message.problems.join('; ')).toMatch(problem);
    }
  });
});

describe('field readers', () => {
  test('dates', () => {
    expect(parseArenaDateTime('2025-02-28 23:59:59')).toBe('2025-02-28 23:59:59');
    expect(parseArenaDateTime('2025-02-28')).toBe('2025-02-28 00:00:00');
    expect(parseArenaDateTime('2025-02-30 00:00:00')).toBeUndefined();
    expect(parseArenaDateTime('2025-01-01 24:00:00')).toBeUndefined();
    expect(parseArenaDateTime('01.02.2025')).toBeUndefined();
    expect(parseArenaDateTime('2024-02-29 12:00:00')).toBe('2024-02-29 12:00:00');
    expect(parseArenaDateTime('2100-02-29 12:00:00')).toBeUndefined();
    expect(parseArenaDateTime('2000-02-29T23:59:59')).toBe('2000-02-29 23:59:59');
    expect(parseArenaDateTime('2025-04-31')).toBeUndefined();
    expect(parseArenaDateTime('2025-1-01 00:00:00')).toBeUndefined();
    expect(parseArenaDateTime('2025-01-01 10:60:00')).toBeUndefined();
    expect(parseArenaDateTime('2025-01-01 10:00:0x')).toBeUndefined();
    // no year 0 (Postgres refuses it); year 1 is the first
    expect(parseArenaDateTime('0000-01-01 00:00:00')).toBeUndefined();
    expect(parseArenaDateTime('0001-01-01')).toBe('0001-01-01 00:00:00');
    expect(readDate({ D: null }, 'D')).toEqual({ ok: true, value: null });
    expect(readDate({}, 'D')).toEqual({ ok: true, value: null });
    expect(readDate({ D: ' ' }, 'D')).toEqual({ ok: true, value: null });
    expect(readDate({ D: 20250101 }, 'D')).toEqual({ ok: false });
    expect(readDate({ D: 'soon' }, 'D')).toEqual({ ok: false });
  });
  test('ids and numbers', () => {
    expect(readId({ X: 42 }, 'X')).toBe('42');
    expect(readId({ X: '0042' }, 'X')).toBe('42');
    expect(readId({ X: 0 }, 'X')).toBe('0');
    expect(readId({ X: 'abc' }, 'X')).toBeNull();
    expect(readId({ X: 1.5 }, 'X')).toBeNull();
    expect(readNumber({ X: '2,5' }, 'X')).toBe(2.5);
    expect(readNumber({ X: 100 }, 'X')).toBe(100);
    expect(readNumber({ X: 'lots' }, 'X')).toBeNull();
  });
});
