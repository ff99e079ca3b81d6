import { describe, expect, test } from 'vitest';
import { isAuthorized, parseAuthorization, secretEquals } from './auth.ts';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const settings = { apiToken: 'token-0123456789abcdef', dashboardUser: 'ops', dashboardPassword: 'p4ss:word' };

describe('parseAuthorization', () => {
  test('reads bearer tokens and basic credentials; anything else is no credentials', () => {
    expect(parseAuthorization('Bearer abc')).toEqual({ scheme: 'bearer', token: 'abc' });
    expect(parseAuthorization('bearer abc')).toEqual({ scheme: 'bearer', token: 'abc' });
    // the password may hold colons: the user ends at the first one
    expect(parseAuthorization(basic('ops', 'p4ss:word'))).toEqual({ scheme: 'basic', user: 'ops', password: 'p4ss:word' });
    for (const header of [undefined, '', 'abc', 'Bearer', 'Bearer a b', 'Digest abc', `Basic ${Buffer.from('no-colon').toString('base64')}`]) {
      expect(parseAuthorization(header)).toEqual({ scheme: 'none' });
    }
  });
});

describe('isAuthorized', () => {
  test('the API takes the bearer token only', () => {
    expect(isAuthorized(settings, 'api', { scheme: 'bearer', token: settings.apiToken })).toBe(true);
    expect(isAuthorized(settings, 'api', { scheme: 'bearer', token: `${settings.apiToken}x` })).toBe(false);
    expect(isAuthorized(settings, 'api', { scheme: 'basic', user: 'x', password: settings.apiToken })).toBe(false);
    expect(isAuthorized(settings, 'api', { scheme: 'basic', user: 'ops', password: 'p4ss:word' })).toBe(false);
    expect(isAuthorized(settings, 'api', { scheme: 'none' })).toBe(false);
  });

  test('the dashboard takes the token (bearer, or as the Basic password of any user) or the dashboard user', () => {
    expect(isAuthorized(settings, 'dashboard', { scheme: 'bearer', token: settings.apiToken })).toBe(true);
    expect(isAuthorized(settings, 'dashboard', { scheme: 'basic', user: 'anyone', password: settings.apiToken })).toBe(true);
    expect(isAuthorized(settings, 'dashboard', { scheme: 'basic', user: 'ops', password: 'p4ss:word' })).toBe(true);
    expect(isAuthorized(settings, 'dashboard', { scheme: 'basic', user: 'other', password: 'p4ss:word' })).toBe(false);
    expect(isAuthorized(settings, 'dashboard', { scheme: 'basic', user: 'ops', password: 'p4ss' })).toBe(false);
    expect(isAuthorized({ apiToken: settings.apiToken }, 'dashboard', { scheme: 'basic', user: '', password: '' })).toBe(false);
  });

  test('without configured secrets nothing matches, not even empty credentials', () => {
    expect(isAuthorized({}, 'api', { scheme: 'bearer', token: '' })).toBe(false);
    expect(isAuthorized({}, 'dashboard', { scheme: 'basic', user: '', password: '' })).toBe(false);
  });
});

test('secretEquals compares whole secrets of any length', () => {
  expect(secretEquals('abc', 'abc')).toBe(true);
  expect(secretEquals('abc', 'abcd')).toBe(false);
  expect(secretEquals('', 'a')).toBe(false);
});
