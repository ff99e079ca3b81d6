// The Algolia client the workers use: the real algoliasearch v5 client, pointed at Algolia's own
// hosts, or at the hosts given (the emulator in tests, the demo and the benchmarks).
import { algoliasearch, type Algoliasearch } from 'algoliasearch';

export type AlgoliaClient = Algoliasearch;
type ClientOptions = NonNullable<Parameters<typeof algoliasearch>[2]>;
export type AlgoliaHost = NonNullable<ClientOptions['hosts']>[number];

export interface AlgoliaClientConfig {
  appId: string;
  apiKey: string;
  /** Overrides Algolia's hosts, e.g. `['http://127.0.0.1:8108']`; every host takes reads and writes. */
  hosts?: readonly string[] | undefined;
  /** Milliseconds (client defaults: connect 2000, read 5000, write 30000). */
  timeouts?: { connect?: number; read?: number; write?: number } | undefined;
}

/** `http://host:port` / `https://host` URLs -> algoliasearch hosts. Throws on anything else. */
export function toAlgoliaHosts(urls: readonly string[]): AlgoliaHost[] {
  return urls.map((raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new TypeError(`Algolia host "${raw}" is not a URL (expected http://host:port or https://host)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`Algolia host "${raw}" must use http or https`);
    if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
      throw new TypeError(`Algolia host "${raw}" must be a bare origin (no path, query or credentials)`);
    }
    const host: AlgoliaHost = { url: url.hostname, accept: 'readWrite', protocol: url.protocol === 'https:' ? 'https' : 'http' };
    if (url.port !== '') host.port = Number(url.port);
    return host;
  });
}

export function createAlgoliaClient(config: AlgoliaClientConfig): AlgoliaClient {
  const options: ClientOptions = {};
  if (config.hosts !== undefined && config.hosts.length > 0) options.hosts = toAlgoliaHosts(config.hosts);
  if (config.timeouts !== undefined) {
    options.timeouts = { connect: 2000, read: 5000, write: 30_000, ...config.timeouts };
  }
  return algoliasearch(config.appId, config.apiKey, options);
}
