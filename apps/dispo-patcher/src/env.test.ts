// dispo-patcher's env: defaults, the tmp index default, every problem listed at once, no value echoed.
import { describe, expect, test } from 'vitest';
import { ConfigError, parseEnv } from '@syncfleet/config';
import { DispoPatcherEnv, tmpIndexOf } from './env.ts';

const base = { ALGOLIA_APP_ID: 'APPID12345', ALGOLIA_API_KEY: 'super-secret-api-key', ALGOLIA_INDEX_NAME: 'offers' };

describe('DispoPatcherEnv', () => {
  test('defaults: Algolia hosts, tmp index <index>_tmp, no dry run, batches of 1000, 4 in flight', () => {
    const config = parseEnv(DispoPatcherEnv, base);
    expect(config).toMatchObject({ ALGOLIA_HOSTS: [], DISPO_DRY_RUN: false, DISPO_DRY_RUN_NOTIFY: false, DISPO_BATCH_SIZE: 1000, DISPO_MAX_IN_FLIGHT: 4 });
    expect(tmpIndexOf(config)).toBe('offers_tmp');
    expect(tmpIndexOf(parseEnv(DispoPatcherEnv, { ...base, ALGOLIA_TMP_INDEX_NAME: 'offers_rebuild' }))).toBe('offers_rebuild');
  });

  test('hosts override and flags', () => {
    const config = parseEnv(DispoPatcherEnv, {
      ...base,
      ALGOLIA_HOSTS: 'http://127.0.0.1:8108, http://127.0.0.1:8109',
      DISPO_DRY_RUN: 'true',
      DISPO_DRY_RUN_NOTIFY: 'yes',
      TEAMS_WEBHOOK_URL: 'http://127.0.0.1:9/webhookb2/x',
    });
    expect(config.ALGOLIA_HOSTS).toEqual(['http://127.0.0.1:8108', 'http://127.0.0.1:8109']);
    expect(config.DISPO_DRY_RUN && config.DISPO_DRY_RUN_NOTIFY).toBe(true);
  });

  test('every problem at once, without the secret values', () => {
    let error: unknown;
    try {
      parseEnv(DispoPatcherEnv, {
        ALGOLIA_API_KEY: '',
        ALGOLIA_INDEX_NAME: 'offers',
        ALGOLIA_TMP_INDEX_NAME: 'offers',
        ALGOLIA_HOSTS: 'ftp://algolia.example',
        DISPO_DRY_RUN: 'maybe',
        DISPO_DRY_RUN_NOTIFY: 'true',
        DISPO_BATCH_SIZE: '5000',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const variables = (error as ConfigError).issues.map((issue) => issue.variable).sort();
    expect(variables).toEqual(['ALGOLIA_API_KEY', 'ALGOLIA_APP_ID', 'ALGOLIA_HOSTS', 'ALGOLIA_TMP_INDEX_NAME', 'DISPO_BATCH_SIZE', 'DISPO_DRY_RUN', 'DISPO_DRY_RUN_NOTIFY']);
  });
});
