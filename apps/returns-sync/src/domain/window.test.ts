// Window arithmetic and the claim decision, without I/O. Every instant is absolute (UTC): inputs
// written with other offsets, or across a daylight-saving change, give the same arithmetic.
import { describe, expect, test } from 'vitest';
import { computeWindow, decideClaim, runStatus, type NewestRun, type WindowInput } from './window.ts';

const at = (iso: string): Date => new Date(iso);
const minutes = (n: number): number => n * 60_000;
const origin = at('1970-01-01T00:00:00Z');
const base: WindowInput = {
  kind: 'periodic',
  now: at('2025-06-01T12:15:00Z'),
  coverageEnd: at('2025-06-01T12:00:00Z'),
  overlapMs: minutes(30),
  origin,
  healHours: 24,
};

describe('computeWindow', () => {
  test('periodic: start = end of the last successful run minus the overlap, end = now', () => {
    expect(computeWindow(base)).toEqual({ start: at('2025-06-01T11:30:00Z'), end: at('2025-06-01T12:15:00Z'), advancesWatermark: true });
  });

  test('periodic before any successful run: from the origin (a full sync), and it advances the watermark', () => {
    expect(computeWindow({ ...base, coverageEnd: null })).toEqual({ start: origin, end: base.now, advancesWatermark: true });
  });

  test('the overlap is configurable; 0 gives windows that touch exactly', () => {
    expect(computeWindow({ ...base, overlapMs: 0 }).start).toEqual(base.coverageEnd);
    expect(computeWindow({ ...base, overlapMs: minutes(90) }).start).toEqual(at('2025-06-01T10:30:00Z'));
  });

  test('instants given with offsets or across a daylight-saving change are computed in absolute time', () => {
    // Europe/Paris moved from +01:00 to +02:00 at 2025-03-30 01:00 UTC
    const window = computeWindow({ ...base, now: at('2025-03-30T03:20:00+02:00'), coverageEnd: at('2025-03-30T03:10:00+02:00') });
    expect(window.start.toISOString()).toBe('2025-03-30T00:40:00.000Z'); // 01:40+01:00, before the change
    expect(window.end.toISOString()).toBe('2025-03-30T01:20:00.000Z');
    expect(window.end.getTime() - window.start.getTime()).toBe(minutes(40));
  });

  test('a coverage in the future (the clock moved back) gives an empty window, never an inverted one', () => {
    const window = computeWindow({ ...base, coverageEnd: at('2025-06-01T13:00:00Z') });
    expect(window.start).toEqual(base.now);
    expect(window.end).toEqual(base.now);
  });

  test('initial: from the given date; it advances the watermark only when it reaches back to the coverage', () => {
    const since = at('2024-01-01T00:00:00Z');
    expect(computeWindow({ ...base, kind: 'initial', since })).toEqual({ start: since, end: base.now, advancesWatermark: true });
    expect(computeWindow({ ...base, kind: 'initial' }).start).toEqual(origin);
    // nothing synced yet and a backfill that starts after the origin: it leaves a gap, so no coverage from it
    expect(computeWindow({ ...base, kind: 'initial', since, coverageEnd: null }).advancesWatermark).toBe(false);
    expect(computeWindow({ ...base, kind: 'initial', since: origin, coverageEnd: null }).advancesWatermark).toBe(true);
    // a backfill that starts after the coverage would leave a gap too
    expect(computeWindow({ ...base, kind: 'initial', since: at('2025-06-01T12:05:00Z') }).advancesWatermark).toBe(false);
  });

  test('healing: the last N hours; it advances the watermark only when those hours reach the coverage', () => {
    expect(computeWindow({ ...base, kind: 'healing' })).toEqual({ start: at('2025-05-31T12:15:00Z'), end: base.now, advancesWatermark: true });
    expect(computeWindow({ ...base, kind: 'healing', healHours: 2 }).start).toEqual(at('2025-06-01T10:15:00Z'));
    expect(computeWindow({ ...base, kind: 'healing', coverageEnd: at('2025-05-01T00:00:00Z') }).advancesWatermark).toBe(false);
    expect(computeWindow({ ...base, kind: 'healing', coverageEnd: null }).advancesWatermark).toBe(false);
  });

  test('a heal or backfill starting inside the overlap before the coverage does not move it (the next periodic run re-reads that overlap)', () => {
    // coverage 12:00, overlap 30 min: a run must start at or before 11:30 to move the coverage
    expect(computeWindow({ ...base, kind: 'healing', healHours: 1, now: at('2025-06-01T12:45:00Z') })).toMatchObject({ start: at('2025-06-01T11:45:00Z'), advancesWatermark: false });
    expect(computeWindow({ ...base, kind: 'healing', healHours: 1, now: at('2025-06-01T12:30:00Z') }).advancesWatermark).toBe(true);
    expect(computeWindow({ ...base, kind: 'initial', since: at('2025-06-01T11:50:00Z') }).advancesWatermark).toBe(false);
    expect(computeWindow({ ...base, kind: 'initial', since: at('2025-06-01T11:30:00Z') }).advancesWatermark).toBe(true);
  });

  test('refuses invalid inputs', () => {
    expect(() => computeWindow({ ...base, now: new Date('nope') })).toThrow(/now/);
    expect(() => computeWindow({ ...base, overlapMs: -1 })).toThrow(/overlapMs/);
    expect(() => computeWindow({ ...base, kind: 'healing', healHours: 0 })).toThrow(/healHours/);
  });

  test('successive periodic runs, each starting from the last success, leave no gap whatever fails in between', () => {
    let seed = 42;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let now = at('2025-01-01T00:00:00Z').getTime();
    let coverage: Date | null = null;
    const succeeded: Array<{ start: number; end: number }> = [];
    for (let i = 0; i < 500; i++) {
      now += minutes(1 + Math.floor(random() * 30));
      const window = computeWindow({ ...base, now: new Date(now), coverageEnd: coverage });
      if (random() < 0.2) continue; // this run failed: the coverage stays
      succeeded.push({ start: window.start.getTime(), end: window.end.getTime() });
      coverage = window.end;
    }
    expect(succeeded[0]!.start).toBe(origin.getTime());
    for (let i = 1; i < succeeded.length; i++) {
      // each window starts at or before the end of the previous successful one: the union is contiguous
      expect(succeeded[i]!.start).toBeLessThanOrEqual(succeeded[i - 1]!.end);
      expect(succeeded[i]!.start).toBe(succeeded[i - 1]!.end - minutes(30));
    }
  });
});

describe('decideClaim', () => {
  const now = at('2025-06-01T12:15:00Z');
  const row = (patch: Partial<NewestRun>): NewestRun => ({
    id: 7,
    status: runStatus.idle,
    createdAt: at('2025-06-01T12:00:00Z'),
    heartbeatAt: at('2025-06-01T12:01:00Z'),
    ownerJob: 'returns-sync/repeat:a:1',
    advancesWatermark: true,
    ...patch,
  });
  const input = { now, staleAfterMs: minutes(10), ownerJob: 'returns-sync/repeat:a:2', kind: 'periodic' as const };

  test('nothing yet, an idle run or a failed run: claim', () => {
    expect(decideClaim({ ...input, newest: null })).toEqual({ action: 'claim' });
    expect(decideClaim({ ...input, newest: row({}) })).toEqual({ action: 'claim' });
    expect(decideClaim({ ...input, newest: row({ status: runStatus.failed }) })).toEqual({ action: 'claim' });
  });

  test('a queued or processing run with a fresh heartbeat: busy (the tick is skipped)', () => {
    for (const status of [runStatus.queued, runStatus.processing]) {
      const decision = decideClaim({ ...input, newest: row({ status, heartbeatAt: at('2025-06-01T12:14:00Z') }) });
      expect(decision.action).toBe('busy');
      expect(decision.action === 'busy' && decision.reason).toMatch(new RegExp(`run 7 is still active \\(status ${status}, last heartbeat 60 s ago\\)`));
    }
  });

  test('an active run whose heartbeat is older than the timeout: taken over', () => {
    const decision = decideClaim({ ...input, newest: row({ status: runStatus.processing, heartbeatAt: at('2025-06-01T12:05:00Z') }) });
    expect(decision).toEqual({ action: 'claim', takeOver: { id: 7, reason: expect.stringMatching(/no heartbeat for 600 s/) as string } });
    const justFresh = decideClaim({ ...input, newest: row({ status: runStatus.processing, heartbeatAt: at('2025-06-01T12:05:00.001Z') }) });
    expect(justFresh.action).toBe('busy');
  });

  test('a later attempt of the job that owns the active run takes it over at once', () => {
    const decision = decideClaim({ ...input, ownerJob: 'returns-sync/repeat:a:1', newest: row({ status: runStatus.queued, heartbeatAt: now }) });
    expect(decision.action).toBe('claim');
    expect(decision.action === 'claim' && decision.takeOver?.id).toBe(7);
  });

  test('a periodic tick that a successful run claimed after it came due is covered; earlier or other kinds are not', () => {
    const claimedAfterDue = row({ createdAt: at('2025-06-01T12:00:01Z') });
    expect(decideClaim({ ...input, newest: claimedAfterDue, dueAt: at('2025-06-01T12:00:00Z') }).action).toBe('covered');
    expect(decideClaim({ ...input, newest: claimedAfterDue, dueAt: at('2025-06-01T12:00:02Z') }).action).toBe('claim');
    expect(decideClaim({ ...input, newest: row({ createdAt: at('2025-06-01T12:00:01Z'), advancesWatermark: false }), dueAt: at('2025-06-01T12:00:00Z') }).action).toBe('claim');
    expect(decideClaim({ ...input, newest: row({ createdAt: at('2025-06-01T12:00:01Z'), status: runStatus.failed }), dueAt: at('2025-06-01T12:00:00Z') }).action).toBe('claim');
    expect(decideClaim({ ...input, kind: 'healing', newest: claimedAfterDue, dueAt: at('2025-06-01T12:00:00Z') }).action).toBe('claim');
  });
});
