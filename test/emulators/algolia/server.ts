// The HTTP face of the Algolia emulator: the REST paths, headers and error bodies algoliasearch v5
// uses, authentication, the request log behind `GET /1/logs`, counters and failure injection.
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { AlgoliaEngine, AlgoliaHttpError, isRecordObject, type AlgoliaRecord } from './engine.ts';
import { LOG_TYPES, RequestLog, type AlgoliaLogEntry, type LogKind, type LogType } from './request-log.ts';

export type { AlgoliaRecord } from './engine.ts';
export type { AlgoliaLogEntry, LogType } from './request-log.ts';

/** Failures to inject, for the requests whose path (URL-encoded, no query string) matches `onlyPaths`. */
export interface AlgoliaFaults {
  /** Share of requests (0..1) answered with `status` before any work is done, spread evenly (0.2: every 5th). */
  errorRate?: number;
  /** Status of those failures (default 503). */
  status?: 500 | 502 | 503 | 504;
  /** Every n-th matching request is answered 429 with `Retry-After`. */
  rateLimitEvery?: number;
  /** Value of the `Retry-After` header of the 429s, in seconds (default 1). */
  retryAfterSeconds?: number;
  /** Delay added before every matching request is handled. */
  latencyMs?: number;
  onlyPaths?: RegExp;
}

export interface AlgoliaEmulatorOptions {
  port?: number;
  host?: string;
  appId?: string;
  apiKey?: string;
  /** The clock behind log timestamps and `updatedAt`s (tests move it to put a move in the past). */
  clock?: () => Date;
  /** Tasks answer `notPublished` for this long (real time), so that `waitForTask` polls. Default 0. */
  taskDelayMs?: number;
  /** Largest record accepted, in bytes of its JSON; a batch holding a bigger one is refused whole with Algolia's 400. Default 100,000 (Algolia's paid plans). */
  maxRecordBytes?: number;
  /** Entries kept for `GET /1/logs` (Algolia keeps about 1,000 per server; default 10,000). */
  logCapacity?: number;
}

export interface AlgoliaEmulatorCounters {
  /** Every request received (authenticated or not, failed or not). */
  readonly requests: number;
  /** Requests by route, e.g. `POST /1/indexes/:index/batch`. */
  readonly requestsByRoute: Readonly<Record<string, number>>;
  /** Records created, replaced, updated or deleted by API calls (not by direct `indices` access). */
  readonly writtenRecords: number;
  readonly writtenByIndex: Readonly<Record<string, number>>;
  readonly injectedErrors: number;
  readonly injectedRateLimits: number;
  reset(): void;
}

/** Direct access for tests: no log entries, no counters, no failure injection. */
export interface AlgoliaEmulatorIndices {
  list(): string[];
  has(index: string): boolean;
  /** Records in the index (0 when it does not exist). */
  size(index: string): number;
  /** A copy of one record. */
  get(index: string, objectID: string): AlgoliaRecord | undefined;
  /** Copies of every record, in browse order. */
  all(index: string): AlgoliaRecord[];
  /** Adds or replaces records (creating the index). */
  put<T extends { objectID: string }>(index: string, records: Iterable<T>): void;
  remove(index: string, objectID: string): boolean;
  drop(index: string): void;
  settings(index: string): Record<string, unknown> | undefined;
}

export interface AlgoliaEmulatorLogs {
  /** Entries newest first, filtered like `GET /1/logs` (without its 1,000-entry page limit). */
  entries(filter?: { type?: LogType; indexName?: string }): AlgoliaLogEntry[];
  readonly size: number;
  clear(): void;
}

export interface AlgoliaEmulator {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT`, what algoliasearch's `hosts[].url` takes. */
  host: string;
  appId: string;
  apiKey: string;
  indices: AlgoliaEmulatorIndices;
  logs: AlgoliaEmulatorLogs;
  counters: AlgoliaEmulatorCounters;
  /** Replaces the injected failures; `null` clears them. */
  inject(faults: AlgoliaFaults | null): void;
  close(): Promise<void>;
}

interface RequestContext {
  started: number;
  body: string;
  logged: boolean;
  nbHits?: number | undefined;
}

const BODY_LIMIT = 100 * 1024 * 1024;
const MAX_LOGS_LENGTH = 1000;

function randomAppId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return Array.from(randomBytes(10), (byte) => alphabet[byte % alphabet.length]).join('');
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const fromHeader = request.headers[name];
  if (typeof fromHeader === 'string') return fromHeader;
  const query = request.query;
  if (isRecordObject(query) && typeof query[name] === 'string') return query[name];
  return undefined;
}

function validateFaults(faults: AlgoliaFaults): void {
  const { errorRate, rateLimitEvery, latencyMs, retryAfterSeconds } = faults;
  if (errorRate !== undefined && !(errorRate >= 0 && errorRate <= 1)) throw new RangeError('errorRate must be between 0 and 1');
  if (rateLimitEvery !== undefined && !(Number.isInteger(rateLimitEvery) && rateLimitEvery >= 1)) throw new RangeError('rateLimitEvery must be a positive integer');
  if (latencyMs !== undefined && !(latencyMs >= 0)) throw new RangeError('latencyMs must be >= 0');
  if (retryAfterSeconds !== undefined && !(Number.isInteger(retryAfterSeconds) && retryAfterSeconds >= 0)) throw new RangeError('retryAfterSeconds must be an integer >= 0');
}

export async function startAlgoliaEmulator(options: AlgoliaEmulatorOptions = {}): Promise<AlgoliaEmulator> {
  const { port = 0, host = '127.0.0.1', appId = randomAppId(), apiKey = randomBytes(16).toString('hex'), clock = () => new Date(), taskDelayMs = 0, logCapacity = 10_000, maxRecordBytes = 100_000 } = options;
  const engine = new AlgoliaEngine({ clock, taskDelayMs, maxRecordBytes });
  const requestLog = new RequestLog(logCapacity);
  const contexts = new WeakMap<FastifyRequest, RequestContext>();
  const routeKinds = new Map<string, LogKind>();
  const stats = { requests: 0, byRoute: new Map<string, number>(), injectedErrors: 0, injectedRateLimits: 0 };
  let faults: AlgoliaFaults | null = null;
  let faultMatches = 0;
  /** Accumulates `errorRate` per matching request; a failure each time it reaches 1 (deterministic). */
  let errorCredit = 0;

  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT });

  // algoliasearch sends JSON as text/plain (optionally gzip-compressed): parse whatever comes
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (request, raw: Buffer, done) => {
    let text: string;
    try {
      text = (request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
    } catch {
      done(new AlgoliaHttpError(400, 'Invalid gzip body'), undefined);
      return;
    }
    const context = contexts.get(request);
    if (context !== undefined) context.body = text;
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text) as unknown);
    } catch {
      done(new AlgoliaHttpError(400, 'Invalid JSON'), undefined);
    }
  });

  app.setErrorHandler((error: unknown, _request, reply) => {
    if (error instanceof AlgoliaHttpError) return reply.code(error.status).send({ message: error.message, status: error.status });
    const status = isRecordObject(error) && typeof error.statusCode === 'number' ? error.statusCode : 500;
    const message = error instanceof Error ? error.message : 'Internal error';
    return reply.code(status).send({ message, status });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ message: 'Not Found', status: 404 }));

  const routeKey = (request: FastifyRequest): string => `${request.method} ${request.routeOptions.url ?? '(unknown)'}`;

  app.addHook('onRequest', async (request, reply) => {
    stats.requests += 1;
    const key = routeKey(request);
    stats.byRoute.set(key, (stats.byRoute.get(key) ?? 0) + 1);
    const context: RequestContext = { started: performance.now(), body: '', logged: false };
    contexts.set(request, context);
    if (headerValue(request, 'x-algolia-application-id') !== appId || headerValue(request, 'x-algolia-api-key') !== apiKey) {
      return reply.code(403).send({ message: 'Invalid Application-ID or API key', status: 403 });
    }
    context.logged = routeKinds.has(key);
    const active = faults;
    if (active === null || request.url.startsWith('/_emulator/')) return undefined;
    const path = request.url.split('?', 1)[0] ?? '';
    if (active.onlyPaths !== undefined) {
      active.onlyPaths.lastIndex = 0;
      if (!active.onlyPaths.test(path)) return undefined;
    }
    if (active.latencyMs !== undefined && active.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, active.latencyMs));
    faultMatches += 1;
    if (active.rateLimitEvery !== undefined && faultMatches % active.rateLimitEvery === 0) {
      stats.injectedRateLimits += 1;
      return reply
        .code(429)
        .header('retry-after', String(active.retryAfterSeconds ?? 1))
        .send({ message: 'Too many requests', status: 429 });
    }
    if (active.errorRate !== undefined && active.errorRate > 0 && (errorCredit += active.errorRate) >= 1) {
      errorCredit -= 1;
      stats.injectedErrors += 1;
      const status = active.status ?? 503;
      return reply.code(status).send({ message: status === 503 ? 'Service Unavailable (injected by the emulator)' : 'Internal error (injected by the emulator)', status });
    }
    return undefined;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const context = contexts.get(request);
    if (context === undefined || !context.logged) return payload;
    const [path = '', queryString = ''] = request.url.split('?', 2);
    const params = request.params;
    const index = isRecordObject(params) && typeof params.index === 'string' && params.index !== '*' ? params.index : undefined;
    requestLog.record({
      at: engine.now(),
      kind: routeKinds.get(routeKey(request)) ?? 'other',
      method: request.method,
      path,
      queryString,
      index,
      status: reply.statusCode,
      requestBody: context.body,
      responseBody: typeof payload === 'string' ? payload : '',
      ip: request.ip,
      headers: request.headers,
      processingTimeMs: performance.now() - context.started,
      nbHits: context.nbHits,
    });
    return payload;
  });

  type Handler = (request: FastifyRequest, reply: FastifyReply) => unknown;
  const route = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, kind: LogKind | null, handler: Handler): void => {
    if (kind !== null) routeKinds.set(`${method} ${url}`, kind);
    app.route({ method, url, handler: async (request, reply) => handler(request, reply) });
  };
  const param = (request: FastifyRequest, name: string): string => {
    const params = request.params;
    const value = isRecordObject(params) ? params[name] : undefined;
    if (typeof value !== 'string' || value === '') throw new AlgoliaHttpError(400, `${name} is required`);
    return value;
  };
  const query = (request: FastifyRequest): Record<string, unknown> => (isRecordObject(request.query) ? request.query : {});
  const body = (request: FastifyRequest): Record<string, unknown> => (isRecordObject(request.body) ? request.body : {});
  const setHits = (request: FastifyRequest, nbHits: number): void => {
    const context = contexts.get(request);
    if (context !== undefined) context.nbHits = nbHits;
  };
  const requireStar = (request: FastifyRequest): void => {
    if (param(request, 'index') !== '*') throw new AlgoliaHttpError(404, 'Not Found');
  };
  const optionalInteger = (value: unknown, name: string): number | undefined => {
    if (value === undefined || value === '') return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new AlgoliaHttpError(400, `${name} must be a non-negative integer`);
    return n;
  };

  route('GET', '/1/indexes', 'other', (request) => {
    const q = query(request);
    return engine.listIndices(optionalInteger(q.page, 'page'), optionalInteger(q.hitsPerPage, 'hitsPerPage'));
  });

  route('GET', '/1/logs', null, (request) => {
    const q = query(request);
    const type = (q.type ?? 'all') as LogType;
    if (!LOG_TYPES.includes(type)) throw new AlgoliaHttpError(400, `type must be one of ${LOG_TYPES.join(', ')}`);
    const offset = optionalInteger(q.offset, 'offset') ?? 0;
    const length = Math.min(MAX_LOGS_LENGTH, optionalInteger(q.length, 'length') ?? 10);
    const indexName = typeof q.indexName === 'string' && q.indexName !== '' ? q.indexName : undefined;
    return { logs: requestLog.query({ offset, length, type, indexName, now: engine.now() }) };
  });

  route('GET', '/1/task/:taskID', 'other', (request) => engine.getTask(Number(param(request, 'taskID'))));

  route('POST', '/1/indexes/:index/batch', 'build', (request) => {
    const index = param(request, 'index');
    const requests = body(request).requests;
    return index === '*' ? engine.multipleBatch(requests) : engine.batch(index, requests);
  });

  const browse = (request: FastifyRequest, params: Record<string, unknown>): unknown => {
    const response = engine.browse(param(request, 'index'), params);
    setHits(request, response.hits.length);
    return response;
  };
  route('POST', '/1/indexes/:index/browse', 'query', (request) => browse(request, body(request)));
  route('GET', '/1/indexes/:index/browse', 'query', (request) => browse(request, query(request)));

  route('POST', '/1/indexes/:index/query', 'query', (request) => {
    const response = engine.search(param(request, 'index'), body(request));
    setHits(request, response.nbHits);
    return response;
  });

  route('POST', '/1/indexes/:index/queries', 'query', (request) => {
    requireStar(request);
    const requests = body(request).requests;
    if (!Array.isArray(requests)) throw new AlgoliaHttpError(400, 'requests must be an array');
    const results = requests.map((item) => {
      if (!isRecordObject(item) || typeof item.indexName !== 'string') throw new AlgoliaHttpError(400, 'each request needs an indexName');
      if (item.type === 'facet') throw new AlgoliaHttpError(400, 'the emulator does not support facet searches');
      const { indexName, type: _type, ...params } = item;
      return { ...engine.search(indexName, params), index: indexName };
    });
    return { results };
  });

  route('POST', '/1/indexes/:index/objects', 'query', (request) => {
    requireStar(request);
    return engine.getObjects(body(request).requests);
  });

  route('POST', '/1/indexes/:index/operation', 'build', (request) => engine.operation(param(request, 'index'), request.body));

  route('GET', '/1/indexes/:index/task/:taskID', 'other', (request) => engine.getTask(Number(param(request, 'taskID'))));

  route('GET', '/1/indexes/:index/settings', 'other', (request) => engine.getSettings(param(request, 'index')));
  route('PUT', '/1/indexes/:index/settings', 'build', (request) => engine.setSettings(param(request, 'index'), request.body));

  route('POST', '/1/indexes/:index/clear', 'build', (request) => engine.clearObjects(param(request, 'index')));
  route('DELETE', '/1/indexes/:index', 'build', (request) => engine.deleteIndex(param(request, 'index')));
  route('POST', '/1/indexes/:index', 'build', (request, reply) => {
    void reply.code(201);
    return engine.saveObject(param(request, 'index'), request.body);
  });

  route('GET', '/1/indexes/:index/:objectID', 'other', (request) => {
    const attributes = query(request).attributesToRetrieve;
    const list = typeof attributes === 'string' && attributes !== '' ? attributes.split(',') : undefined;
    return engine.getObject(param(request, 'index'), param(request, 'objectID'), list);
  });
  route('PUT', '/1/indexes/:index/:objectID', 'build', (request) =>
    engine.addOrUpdateObject(param(request, 'index'), param(request, 'objectID'), request.body),
  );
  route('DELETE', '/1/indexes/:index/:objectID', 'build', (request) => engine.deleteObject(param(request, 'index'), param(request, 'objectID')));
  route('POST', '/1/indexes/:index/:objectID/partial', 'build', (request) => {
    const createIfNotExists = query(request).createIfNotExists !== 'false';
    return engine.partialUpdateObject(param(request, 'index'), param(request, 'objectID'), request.body, createIfNotExists);
  });

  const counters: AlgoliaEmulatorCounters = {
    get requests() {
      return stats.requests;
    },
    get requestsByRoute() {
      return Object.fromEntries(stats.byRoute);
    },
    get writtenRecords() {
      return engine.counters.writtenRecords;
    },
    get writtenByIndex() {
      return Object.fromEntries(engine.counters.writtenByIndex);
    },
    get injectedErrors() {
      return stats.injectedErrors;
    },
    get injectedRateLimits() {
      return stats.injectedRateLimits;
    },
    reset() {
      stats.requests = 0;
      stats.byRoute.clear();
      stats.injectedErrors = 0;
      stats.injectedRateLimits = 0;
      engine.counters.writtenRecords = 0;
      engine.counters.writtenByIndex.clear();
    },
  };

  const inject = (next: AlgoliaFaults | null): void => {
    if (next !== null) validateFaults(next);
    faults = next === null ? null : { ...next };
    faultMatches = 0;
    errorCredit = 0;
  };

  // the same controls over HTTP, for an emulator running in its own process (demo, benchmark)
  route('GET', '/_emulator/counters', null, () => {
    return {
      requests: counters.requests,
      requestsByRoute: counters.requestsByRoute,
      writtenRecords: counters.writtenRecords,
      writtenByIndex: counters.writtenByIndex,
      injectedErrors: counters.injectedErrors,
      injectedRateLimits: counters.injectedRateLimits,
    };
  });
  route('POST', '/_emulator/counters/reset', null, () => {
    counters.reset();
    return {};
  });
  route('PUT', '/_emulator/faults', null, (request) => {
    const { onlyPaths, ...rest } = body(request);
    try {
      inject({ ...(rest as AlgoliaFaults), ...(typeof onlyPaths === 'string' ? { onlyPaths: new RegExp(onlyPaths) } : {}) });
    } catch (error) {
      throw new AlgoliaHttpError(400, error instanceof Error ? error.message : String(error));
    }
    return {};
  });
  route('DELETE', '/_emulator/faults', null, () => {
    inject(null);
    return {};
  });

  const address = await app.listen({ port, host });
  const url = new URL(address);

  const indices: AlgoliaEmulatorIndices = {
    list: () => [...engine.indices.keys()].sort(),
    has: (index) => engine.indices.has(index),
    size: (index) => engine.getIndex(index)?.records.size ?? 0,
    get: (index, objectID) => {
      const record = engine.getIndex(index)?.records.get(objectID);
      return record === undefined ? undefined : { ...record };
    },
    all: (index) => Array.from(engine.getIndex(index)?.records.page(0, Number.MAX_SAFE_INTEGER).records ?? [], (record) => ({ ...record })),
    put: (index, records) => {
      const state = engine.ensureIndex(index);
      for (const record of records) {
        const objectID: unknown = record.objectID;
        if (typeof objectID !== 'string' || objectID === '') throw new TypeError('every record needs a string objectID');
        state.records.set({ ...record, objectID });
      }
      state.updatedAt = engine.now();
    },
    remove: (index, objectID) => engine.getIndex(index)?.records.delete(objectID) ?? false,
    drop: (index) => {
      engine.indices.delete(index);
    },
    settings: (index) => {
      const state = engine.getIndex(index);
      return state === undefined ? undefined : { ...state.settings };
    },
  };

  const logs: AlgoliaEmulatorLogs = {
    entries: ({ type = 'all', indexName } = {}) =>
      requestLog.query({ offset: 0, length: Number.MAX_SAFE_INTEGER, type, indexName, now: engine.now() }),
    get size() {
      return requestLog.size;
    },
    clear: () => requestLog.clear(),
  };

  return {
    url: `${url.protocol}//${url.host}`,
    host: url.host,
    appId,
    apiKey,
    indices,
    logs,
    counters,
    inject,
    close: () => app.close(),
  };
}
