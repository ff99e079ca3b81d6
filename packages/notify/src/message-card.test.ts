import { describe, expect, it } from 'vitest';
import {
  MAX_ERROR_TEXT_LENGTH,
  THEME_COLORS,
  describeError,
  runFailedCard,
  runRecoveredCard,
  runSucceededCard,
  syncCaughtUpCard,
  syncLaggingCard,
  testCard,
  truncateText,
} from './message-card.ts';

const failedInput = {
  jobName: 'returns.sync',
  queue: 'returns-sync',
  sync: 'returns',
  runId: 'run-7',
  jobId: 'repeat:abc:1700000000000',
  attempts: 3,
  error: new Error('connect ECONNREFUSED db:5432'),
  finishedAt: new Date('2025-01-02T03:04:05.000Z'),
};

describe('runFailedCard', () => {
  it('builds a red MessageCard with every fact of the run and the error', () => {
    expect(runFailedCard(failedInput)).toEqual({
      '@type': 'MessageCard',
      '@context': 'https://schema.org/extensions',
      summary: 'returns.sync failed after 3 attempts',
      themeColor: THEME_COLORS.failure,
      title: 'returns.sync failed',
      sections: [
        {
          activityTitle: 'Run run-7 of returns.sync (returns) failed',
          facts: [
            { name: 'Sync', value: 'returns' },
            { name: 'Job', value: 'returns.sync' },
            { name: 'Queue', value: 'returns-sync' },
            { name: 'Job id', value: 'repeat:abc:1700000000000' },
            { name: 'Run id', value: 'run-7' },
            { name: 'Attempts', value: '3' },
            { name: 'Finished at', value: '2025-01-02T03:04:05.000Z' },
          ],
          text: 'Error: connect ECONNREFUSED db:5432',
          markdown: false,
        },
      ],
    });
    expect(THEME_COLORS.failure).toBe('D13438');
  });

  it('leaves out an unknown job id, says "1 attempt", accepts a string error and date', () => {
    const card = runFailedCard({ ...failedInput, jobId: undefined, attempts: 1, error: 'boom', finishedAt: 'yesterday' });
    expect(card.summary).toBe('returns.sync failed after 1 attempt');
    const section = card.sections[0];
    expect(section?.facts.map((f) => f.name)).not.toContain('Job id');
    expect(section?.facts).toContainEqual({ name: 'Finished at', value: 'yesterday' });
    expect(section?.text).toBe('boom');
  });

  it(`truncates long error texts to ${MAX_ERROR_TEXT_LENGTH} characters`, () => {
    const card = runFailedCard({ ...failedInput, error: new Error('x'.repeat(10_000)) });
    const text = card.sections[0]?.text ?? '';
    expect(text).toHaveLength(MAX_ERROR_TEXT_LENGTH);
    expect(text.startsWith('Error: xxx')).toBe(true);
    expect(text.endsWith('… (truncated)')).toBe(true);
  });

  it('says "still failing" with the runs in a row and since when, once earlier runs failed too', () => {
    const card = runFailedCard({ ...failedInput, failing: { runs: 12, since: new Date('2025-01-02T02:00:00.000Z') } });
    expect(card.title).toBe('returns.sync still failing (12 failed runs)');
    expect(card.themeColor).toBe(THEME_COLORS.failure);
    expect(card.sections[0]?.facts.slice(-2)).toEqual([
      { name: 'Failed runs in a row', value: '12' },
      { name: 'Failing since', value: '2025-01-02T02:00:00.000Z' },
    ]);
    // the first failure of a spell is a plain failure card
    expect(runFailedCard({ ...failedInput, failing: { runs: 1, since: failedInput.finishedAt } })).toEqual(runFailedCard(failedInput));
  });
});

describe('runRecoveredCard', () => {
  it('builds a green card: how many runs failed, since when, and the run that succeeded', () => {
    const input = { jobName: 'dispo.check', queue: 'dispo-patcher', sync: 'dispo-patcher', runId: 'run-9', finishedAt: new Date('2025-01-02T05:00:00.000Z') };
    const card = runRecoveredCard({ ...input, failedRuns: 57, failingSince: new Date('2025-01-02T04:00:00.000Z') });
    expect(card).toMatchObject({ title: 'dispo.check recovered after 57 failed runs', summary: 'dispo.check recovered after 57 failed runs', themeColor: THEME_COLORS.success });
    expect(card.sections).toEqual([
      {
        activityTitle: 'Run run-9 of dispo.check (dispo-patcher) succeeded',
        facts: [
          { name: 'Sync', value: 'dispo-patcher' },
          { name: 'Job', value: 'dispo.check' },
          { name: 'Queue', value: 'dispo-patcher' },
          { name: 'Run id', value: 'run-9' },
          { name: 'Failed runs', value: '57' },
          { name: 'Failing since', value: '2025-01-02T04:00:00.000Z' },
          { name: 'Succeeded at', value: '2025-01-02T05:00:00.000Z' },
        ],
        markdown: false,
      },
    ]);
    expect(runRecoveredCard({ ...input, failedRuns: 1, failingSince: 'earlier' }).title).toBe('dispo.check recovered after 1 failed run');
  });
});

describe('describeError', () => {
  it('names the error and follows up to three causes', () => {
    const root = new Error('socket hang up');
    const error = new TypeError('fetch failed', { cause: new Error('request to algolia failed', { cause: root }) });
    expect(describeError(error)).toBe(
      'TypeError: fetch failed\nCaused by: Error: request to algolia failed\nCaused by: Error: socket hang up',
    );
    let deep: Error = new Error('e0');
    for (let i = 1; i <= 6; i++) deep = new Error(`e${i}`, { cause: deep });
    expect(describeError(deep).split('\n')).toHaveLength(4);
  });

  it('describes non-errors', () => {
    expect(describeError({ code: 42 })).toBe('{"code":42}');
    expect(describeError(undefined)).toBe('undefined');
    expect(describeError(new Error(''))).toBe('Error');
  });
});

describe('truncateText', () => {
  it('keeps short texts and cuts long ones to the limit', () => {
    expect(truncateText('short', 10)).toBe('short');
    expect(truncateText('0123456789', 10)).toBe('0123456789');
    expect(truncateText('0123456789abcdefghij', 15)).toBe('01… (truncated)');
  });
});

describe('syncLaggingCard and syncCaughtUpCard', () => {
  const lastSuccess = { jobName: 'returns.sync', finishedAt: new Date('2025-01-02T03:00:00.000Z') };

  it('a lagging sync: how long, its threshold, its last success, what it did since and why', () => {
    const card = syncLaggingCard({
      sync: 'returns-sync',
      lagMs: 47 * 60_000 + 12_000,
      thresholdMs: 45 * 60_000,
      lastSuccess,
      lastRun: { jobName: 'returns.sync', status: 'skipped', finishedAt: new Date('2025-01-02T03:45:00.000Z'), error: 'skipped: run 12 is processing' },
      paused: true,
      pending: 2,
      failed: 0,
    });
    expect(card).toMatchObject({ title: 'returns-sync is lagging: no successful run for 47m 12s', themeColor: THEME_COLORS.failure });
    expect(card.sections).toEqual([
      {
        activityTitle: 'Over its threshold of 45m',
        facts: [
          { name: 'Sync', value: 'returns-sync' },
          { name: 'Last success', value: 'returns.sync at 2025-01-02T03:00:00.000Z' },
          { name: 'Last run', value: 'returns.sync skipped at 2025-01-02T03:45:00.000Z' },
          { name: 'Paused', value: 'yes: resume it with `fleet resume`' },
          { name: 'Pending jobs', value: '2' },
          { name: 'Failed jobs', value: '0' },
        ],
        text: 'skipped: run 12 is processing',
        markdown: false,
      },
    ]);
    const quiet = syncLaggingCard({ sync: 'returns-sync', lagMs: 3 * 3_600_000, thresholdMs: 3_600_000, lastSuccess, paused: false, pending: 0, failed: 1 });
    expect(quiet.title).toBe('returns-sync is lagging: no successful run for 3h');
    expect(quiet.sections[0]?.facts.map((f) => f.name)).not.toContain('Last run');
    expect(quiet.sections[0]?.text).toBeUndefined();
  });

  it('a sync that caught up: since when it lagged, its new success', () => {
    const card = syncCaughtUpCard({ sync: 'returns-sync', lastSuccess, laggingSince: new Date('2025-01-02T02:00:00.000Z') });
    expect(card).toMatchObject({ title: 'returns-sync caught up', themeColor: THEME_COLORS.success });
    expect(card.sections[0]).toEqual({
      activityTitle: 'returns.sync succeeded at 2025-01-02T03:00:00.000Z',
      facts: [
        { name: 'Sync', value: 'returns-sync' },
        { name: 'Reported lagging since', value: '2025-01-02T02:00:00.000Z' },
        { name: 'Last success', value: '2025-01-02T03:00:00.000Z' },
      ],
      markdown: false,
    });
  });
});

describe('runSucceededCard', () => {
  it('builds a green card from a record of facts, in order, leaving out empty ones', () => {
    expect(
      runSucceededCard({
        title: 'dispo-patcher: 5000 offers checked',
        facts: { Patched: 12, 'Dry run': false, 'Index moved at': new Date(0), Skipped: undefined, Note: null },
      }),
    ).toEqual({
      '@type': 'MessageCard',
      '@context': 'https://schema.org/extensions',
      summary: 'dispo-patcher: 5000 offers checked',
      themeColor: THEME_COLORS.success,
      title: 'dispo-patcher: 5000 offers checked',
      sections: [
        {
          activityTitle: 'dispo-patcher: 5000 offers checked',
          facts: [
            { name: 'Patched', value: '12' },
            { name: 'Dry run', value: 'false' },
            { name: 'Index moved at', value: '1970-01-01T00:00:00.000Z' },
          ],
          markdown: false,
        },
      ],
    });
  });

  it('accepts a list of facts and an optional text', () => {
    const card = runSucceededCard({ title: 't', facts: [{ name: 'a', value: '1' }], text: 'y'.repeat(3000) });
    expect(card.sections[0]?.facts).toEqual([{ name: 'a', value: '1' }]);
    expect(card.sections[0]?.text).toHaveLength(MAX_ERROR_TEXT_LENGTH);
  });
});

describe('testCard', () => {
  it('builds an info card naming the job', () => {
    const card = testCard({ jobName: 'dispo.patch', sentAt: new Date('2025-05-05T05:05:05.000Z') });
    expect(card).toMatchObject({
      '@type': 'MessageCard',
      themeColor: THEME_COLORS.info,
      title: 'Test notification from dispo.patch',
      summary: 'Test notification from dispo.patch',
    });
    expect(card.sections[0]?.facts).toEqual([
      { name: 'Job', value: 'dispo.patch' },
      { name: 'Sent at', value: '2025-05-05T05:05:05.000Z' },
    ]);
  });
});
