import { describe, expect, it } from 'vitest';
import { parseIndexMove, parseLogTimestamp, type AlgoliaLog } from './index-moves.ts';

function log(overrides: Partial<AlgoliaLog> = {}): AlgoliaLog {
  return {
    timestamp: '2026-11-23T12:34:56Z',
    method: 'POST',
    answer_code: '200',
    query_body: '{"operation":"move","destination":"offers"}',
    answer: '{"taskID":42,"updatedAt":"2026-11-23T12:34:56.789Z"}',
    url: '/1/indexes/offers_tmp/operation',
    ip: '10.0.0.1',
    query_headers: 'x-algolia-api-key: abc***\n',
    sha1: '0123456789abcdef0123456789abcdef01234567',
    processing_time_ms: '1',
    index: 'offers_tmp',
    ...overrides,
  };
}

describe('parseLogTimestamp', () => {
  it.each([
    ['2026-11-23T12:34:56Z', '2026-11-23T12:34:56.000Z'],
    ['2026-11-23T12:34:56.250Z', '2026-11-23T12:34:56.250Z'],
    ['2026-11-23T13:34:56+01:00', '2026-11-23T12:34:56.000Z'],
    ['2013-09-17 13:10:31', '2013-09-17T13:10:31.000Z'],
  ])('%s', (text, iso) => {
    expect(parseLogTimestamp(text)?.toISOString()).toBe(iso);
  });

  it.each(['', 'yesterday', '2026-11-23', '2026-13-45T99:00:00Z', '1700000000'])('rejects %j', (text) => {
    expect(parseLogTimestamp(text)).toBeUndefined();
  });
});

describe('parseIndexMove', () => {
  it('reads a move', () => {
    expect(parseIndexMove(log())).toEqual({
      at: new Date('2026-11-23T12:34:56Z'),
      source: 'offers_tmp',
      destination: 'offers',
      sha1: '0123456789abcdef0123456789abcdef01234567',
      taskID: 42,
    });
  });

  it('decodes the source from the url when the entry has no index field', () => {
    const { index: _index, ...withoutIndex } = log({ url: '/1/indexes/offres%20d%E2%80%99%C3%A9t%C3%A9%2Ftmp/operation?x-algolia-agent=x' });
    expect(parseIndexMove(withoutIndex)?.source).toBe('offres d’été/tmp');
  });

  it('tolerates a body with other keys and an answer without taskID', () => {
    const move = parseIndexMove(log({ query_body: '{"destination":"offers","operation":"move","scope":null}', answer: 'not json' }));
    expect(move).toMatchObject({ destination: 'offers', taskID: undefined });
  });

  it.each<[string, Partial<AlgoliaLog>]>([
    ['a copy', { query_body: '{"operation":"copy","destination":"offers"}' }],
    ['a failed move', { answer_code: '503' }],
    ['a refused move', { answer_code: '400' }],
    ['a batch', { url: '/1/indexes/offers_tmp/batch', query_body: '{"requests":[]}' }],
    ['a GET', { method: 'GET' }],
    ['a body that is not JSON', { query_body: '{"operation":"move","destinat' }],
    ['a JSON array body', { query_body: '["move"]' }],
    ['a move without destination', { query_body: '{"operation":"move"}' }],
    ['an empty destination', { query_body: '{"operation":"move","destination":""}' }],
    ['a bad timestamp', { timestamp: 'soon' }],
    ['a bad url encoding', { url: '/1/indexes/%E0%A4%A/operation', index: undefined }],
    ['an operation on the app', { url: '/1/operation' }],
  ])('ignores %s', (_name, overrides) => {
    expect(parseIndexMove(log(overrides))).toBeUndefined();
  });
});
