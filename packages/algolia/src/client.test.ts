import { describe, expect, it } from 'vitest';
import { createAlgoliaClient, toAlgoliaHosts } from './client.ts';

describe('toAlgoliaHosts', () => {
  it('turns origins into read-write hosts', () => {
    expect(toAlgoliaHosts(['http://127.0.0.1:8108', 'https://APPID-dsn.algolia.net', 'http://[::1]:9000/'])).toEqual([
      { url: '127.0.0.1', port: 8108, accept: 'readWrite', protocol: 'http' },
      { url: 'appid-dsn.algolia.net', accept: 'readWrite', protocol: 'https' },
      { url: '[::1]', port: 9000, accept: 'readWrite', protocol: 'http' },
    ]);
  });

  it.each(['127.0.0.1:8108', 'ftp://host', 'http://host:1/path', 'http://host?x=1', 'http://user:pw@host', ''])('refuses %j', (url) => {
    expect(() => toAlgoliaHosts([url])).toThrow(TypeError);
  });
});

describe('createAlgoliaClient', () => {
  it('keeps the credentials and uses the hosts given', () => {
    const client = createAlgoliaClient({ appId: 'APPID', apiKey: 'key', hosts: ['http://127.0.0.1:1234'] });
    expect(client.appId).toBe('APPID');
    expect(client.transporter.hosts).toEqual([{ url: '127.0.0.1', port: 1234, accept: 'readWrite', protocol: 'http' }]);
  });

  it("uses Algolia's hosts without an override", () => {
    const client = createAlgoliaClient({ appId: 'APPID', apiKey: 'key', timeouts: { read: 1000 } });
    expect(client.transporter.hosts.map((h) => h.url)).toContain('APPID-dsn.algolia.net');
    expect(client.transporter.timeouts).toEqual({ connect: 2000, read: 1000, write: 30_000 });
  });
});
