// The emulated Algolia application without HTTP: indices, records, tasks, index operations, browse
// and a small search. Shapes of the answers follow algoliasearch v5's response types; errors are
// `AlgoliaHttpError`s that the server turns into Algolia's `{ message, status }` bodies.
import { RecordStore, createSequence, type AlgoliaRecord, type SequenceSource } from './record-store.ts';

export type { AlgoliaRecord } from './record-store.ts';

export class AlgoliaHttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'AlgoliaHttpError';
    this.status = status;
  }
}

export const INDEX_DOES_NOT_EXIST = 'Index does not exist';
export const OBJECT_DOES_NOT_EXIST = 'ObjectID does not exist';

/** The `action`s of a batch request, as algoliasearch v5 types them (`Action`). */
export const BATCH_ACTIONS = [
  'addObject',
  'updateObject',
  'partialUpdateObject',
  'partialUpdateObjectNoCreate',
  'deleteObject',
  'delete',
  'clear',
] as const;
export type BatchAction = (typeof BATCH_ACTIONS)[number];

export interface IndexState {
  name: string;
  records: RecordStore;
  settings: Record<string, unknown>;
  rules: Map<string, unknown>;
  synonyms: Map<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

const DEFAULT_SETTINGS: Readonly<Record<string, unknown>> = Object.freeze({
  minWordSizefor1Typo: 4,
  minWordSizefor2Typos: 8,
  hitsPerPage: 20,
  maxValuesPerFacet: 100,
  paginationLimitedTo: 1000,
  exactOnSingleWordQuery: 'attribute',
  ranking: ['typo', 'geo', 'words', 'filters', 'proximity', 'attribute', 'exact', 'custom'],
  separatorsToIndex: '',
  removeWordsIfNoResults: 'none',
  queryType: 'prefixLast',
  highlightPreTag: '<em>',
  highlightPostTag: '</em>',
  alternativesAsExact: ['ignorePlurals', 'singleWordSynonym'],
});

// parameters that narrow the result set: answering as if they were absent would mislead a test
const UNSUPPORTED_FILTERS = ['filters', 'facetFilters', 'numericFilters', 'tagFilters', 'aroundLatLng', 'insideBoundingBox', 'insidePolygon'];

export function isRecordObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toIso(date: Date): string {
  return date.toISOString();
}

export interface EngineCounters {
  writtenRecords: number;
  writtenByIndex: Map<string, number>;
}

export interface EngineOptions {
  clock: () => Date;
  /** How long a task answers `notPublished` (real time), so that `waitForTask` has to poll. */
  taskDelayMs: number;
  /** Largest record accepted, in bytes of its JSON (Algolia: 10 KB on the free plan, 100 KB on paid plans). */
  maxRecordBytes: number;
}

/** Algolia's answer to a record over the size limit (the batch is refused whole). */
export function recordTooBigMessage(position: number, objectID: string, bytes: number, limit: number): string {
  return (
    `Record at the position ${position} objectID=${objectID} is too big size=${bytes}/${limit} bytes. ` +
    'Please have a look at https://www.algolia.com/doc/guides/sending-and-managing-data/prepare-your-data/in-depth/index-and-records-size-and-usage-limitations/#record-size-limits'
  );
}

interface SearchParams {
  query: string;
  hitsPerPage: number | undefined;
  page: number;
  attributesToRetrieve: string[] | undefined;
  cursor: string | undefined;
}

interface CursorState {
  s: number; // last sequence number returned
  p: number; // page number of the next page
  h: number; // hits per page
  q: string; // query
  a?: string[] | undefined; // attributesToRetrieve
  n?: number | undefined; // nbHits computed on the first page of a filtered browse
}

export class AlgoliaEngine {
  readonly indices = new Map<string, IndexState>();
  readonly counters: EngineCounters = { writtenRecords: 0, writtenByIndex: new Map() };
  readonly #sequence: SequenceSource = createSequence();
  readonly #clock: () => Date;
  readonly #taskDelayMs: number;
  readonly #maxRecordBytes: number;
  readonly #pendingTasks = new Map<number, number>();
  /** Moves that take effect when their task is published (with a task delay, as Algolia applies them asynchronously). */
  readonly #deferred = new Map<number, () => void>();
  #lastTaskID = 0;
  #autoObjectID = 0;

  constructor(options: EngineOptions) {
    this.#clock = options.clock;
    this.#taskDelayMs = options.taskDelayMs;
    this.#maxRecordBytes = options.maxRecordBytes;
  }

  now(): Date {
    return this.#clock();
  }

  // ---------- indices ----------

  getIndex(name: string): IndexState | undefined {
    return this.indices.get(name);
  }

  requireIndex(name: string): IndexState {
    const index = this.indices.get(name);
    if (index === undefined) throw new AlgoliaHttpError(404, INDEX_DOES_NOT_EXIST);
    return index;
  }

  ensureIndex(name: string): IndexState {
    let index = this.indices.get(name);
    if (index === undefined) {
      const now = this.now();
      index = { name, records: new RecordStore(this.#sequence), settings: {}, rules: new Map(), synonyms: new Map(), createdAt: now, updatedAt: now };
      this.indices.set(name, index);
    }
    return index;
  }

  #touch(index: IndexState): Date {
    const now = this.now();
    index.updatedAt = now;
    return now;
  }

  #countWrites(index: string, n: number): void {
    if (n === 0) return;
    this.counters.writtenRecords += n;
    this.counters.writtenByIndex.set(index, (this.counters.writtenByIndex.get(index) ?? 0) + n);
  }

  // ---------- tasks ----------

  issueTask(): number {
    this.#lastTaskID += 1;
    if (this.#taskDelayMs > 0) {
      this.#pendingTasks.set(this.#lastTaskID, Date.now() + this.#taskDelayMs);
      if (this.#pendingTasks.size > 10_000) {
        const oldest = this.#pendingTasks.keys().next().value;
        if (oldest !== undefined) this.#pendingTasks.delete(oldest);
      }
    }
    return this.#lastTaskID;
  }

  getTask(taskID: number): { status: 'published' | 'notPublished' } {
    if (!Number.isSafeInteger(taskID) || taskID < 1 || taskID > this.#lastTaskID) throw new AlgoliaHttpError(404, 'Task does not exist');
    const publishAt = this.#pendingTasks.get(taskID);
    if (publishAt !== undefined) {
      if (Date.now() < publishAt) return { status: 'notPublished' };
      this.#pendingTasks.delete(taskID);
    }
    this.#runDeferred(taskID);
    return { status: 'published' };
  }

  /** Applies a deferred move whose task is published (by the timer, or by the first look at the task). */
  #runDeferred(taskID: number): void {
    const apply = this.#deferred.get(taskID);
    if (apply === undefined) return;
    this.#deferred.delete(taskID);
    apply();
  }

  // ---------- writes ----------

  #objectIDOf(body: Record<string, unknown>, action: string): string {
    const id = body.objectID;
    if (typeof id === 'string' && id !== '') return id;
    if (typeof id === 'number' && Number.isFinite(id)) return String(id);
    throw new AlgoliaHttpError(400, `objectID is missing or invalid in a "${action}" request`);
  }

  #withObjectID(body: Record<string, unknown>, objectID: string): AlgoliaRecord {
    if (body.objectID === objectID) return body as AlgoliaRecord;
    return { ...body, objectID };
  }

  #newObjectID(): string {
    this.#autoObjectID += 1;
    return `${Date.now()}${String(this.#autoObjectID).padStart(6, '0')}`;
  }

  /** Validates every request first (a batch is applied whole or not at all), then applies them. */
  batch(indexName: string, requests: unknown): { taskID: number; objectIDs: string[] } {
    if (!Array.isArray(requests)) throw new AlgoliaHttpError(400, 'requests must be an array');
    const planned = requests.map((request, position) => this.#planRequest(request, false, position));
    const index = this.ensureIndex(indexName);
    const objectIDs = this.#apply(index, planned);
    return { taskID: this.issueTask(), objectIDs };
  }

  /** `POST /1/indexes/*\/batch`: requests for several indices, one task per index. */
  multipleBatch(requests: unknown): { taskID: Record<string, number>; objectIDs: string[] } {
    if (!Array.isArray(requests)) throw new AlgoliaHttpError(400, 'requests must be an array');
    const planned = requests.map((request, position) => this.#planRequest(request, true, position));
    const objectIDs: string[] = [];
    const taskID: Record<string, number> = {};
    for (const step of planned) {
      const indexName = step.indexName ?? '';
      objectIDs.push(...this.#apply(this.ensureIndex(indexName), [step]));
      taskID[indexName] ??= this.issueTask();
    }
    return { taskID, objectIDs };
  }

  /** Refuses a record (or the attributes of a partial update) over the size limit. */
  #checkSize(body: Record<string, unknown>, objectID: string, position: number): void {
    const bytes = Buffer.byteLength(JSON.stringify(body));
    if (bytes > this.#maxRecordBytes) throw new AlgoliaHttpError(400, recordTooBigMessage(position, objectID, bytes, this.#maxRecordBytes));
  }

  #planRequest(request: unknown, withIndex: boolean, position = 0): PlannedWrite {
    if (!isRecordObject(request)) throw new AlgoliaHttpError(400, 'each request must be an object');
    const { action, body } = request;
    if (typeof action !== 'string' || !(BATCH_ACTIONS as readonly string[]).includes(action)) {
      throw new AlgoliaHttpError(400, `invalid action: ${String(action)}`);
    }
    let indexName: string | undefined;
    if (withIndex) {
      if (typeof request.indexName !== 'string' || request.indexName === '') throw new AlgoliaHttpError(400, 'indexName is missing in a request');
      indexName = request.indexName;
    }
    const typedAction = action as BatchAction;
    if (typedAction === 'delete' || typedAction === 'clear') return { action: typedAction, indexName, body: {}, objectID: undefined };
    if (!isRecordObject(body)) throw new AlgoliaHttpError(400, `body must be an object in a "${action}" request`);
    if (typedAction === 'addObject') {
      const id = body.objectID;
      const objectID = id === undefined || id === null || id === '' ? this.#newObjectID() : this.#objectIDOf(body, action);
      this.#checkSize(body, objectID, position);
      return { action: typedAction, indexName, body, objectID };
    }
    const objectID = this.#objectIDOf(body, action);
    if (typedAction !== 'deleteObject') this.#checkSize(body, objectID, position);
    return { action: typedAction, indexName, body, objectID };
  }

  #apply(index: IndexState, planned: PlannedWrite[]): string[] {
    const objectIDs: string[] = [];
    let written = 0;
    const store = index.records;
    for (const { action, body, objectID } of planned) {
      switch (action) {
        case 'addObject':
        case 'updateObject': {
          const id = objectID ?? '';
          store.set(this.#withObjectID(body, id));
          written += 1;
          objectIDs.push(id);
          break;
        }
        case 'partialUpdateObject':
        case 'partialUpdateObjectNoCreate': {
          const id = objectID ?? '';
          const existing = store.get(id);
          objectIDs.push(id);
          if (existing === undefined && action === 'partialUpdateObjectNoCreate') break;
          store.set(applyPartialUpdate(existing, body, id));
          written += 1;
          break;
        }
        case 'deleteObject': {
          const id = objectID ?? '';
          if (store.delete(id)) written += 1;
          objectIDs.push(id);
          break;
        }
        case 'clear':
          store.clear();
          break;
        case 'delete':
          store.clear();
          index.settings = {};
          break;
      }
    }
    this.#touch(index);
    this.#countWrites(index.name, written);
    if (planned.some((step) => step.action === 'delete')) this.indices.delete(index.name);
    return objectIDs;
  }

  saveObject(indexName: string, body: unknown): { createdAt: string; taskID: number; objectID: string } {
    if (!isRecordObject(body)) throw new AlgoliaHttpError(400, 'the record must be an object');
    const [objectID = ''] = this.#apply(this.ensureIndex(indexName), [this.#planRequest({ action: 'addObject', body }, false)]);
    return { createdAt: toIso(this.now()), taskID: this.issueTask(), objectID };
  }

  addOrUpdateObject(indexName: string, objectID: string, body: unknown): { objectID: string; taskID: number; updatedAt: string } {
    if (!isRecordObject(body)) throw new AlgoliaHttpError(400, 'the record must be an object');
    this.#checkSize(body, objectID, 0);
    this.#apply(this.ensureIndex(indexName), [{ action: 'updateObject', indexName: undefined, body, objectID }]);
    return { objectID, taskID: this.issueTask(), updatedAt: toIso(this.now()) };
  }

  partialUpdateObject(indexName: string, objectID: string, body: unknown, createIfNotExists: boolean): { objectID: string; taskID: number; updatedAt: string } {
    if (!isRecordObject(body)) throw new AlgoliaHttpError(400, 'the attributes to update must be an object');
    const action = createIfNotExists ? 'partialUpdateObject' : 'partialUpdateObjectNoCreate';
    this.#checkSize(body, objectID, 0);
    this.#apply(this.ensureIndex(indexName), [{ action, indexName: undefined, body, objectID }]);
    return { objectID, taskID: this.issueTask(), updatedAt: toIso(this.now()) };
  }

  deleteObject(indexName: string, objectID: string): { taskID: number; deletedAt: string } {
    const index = this.indices.get(indexName);
    if (index !== undefined) this.#apply(index, [{ action: 'deleteObject', indexName: undefined, body: {}, objectID }]);
    return { taskID: this.issueTask(), deletedAt: toIso(this.now()) };
  }

  clearObjects(indexName: string): { taskID: number; updatedAt: string } {
    const index = this.indices.get(indexName);
    if (index !== undefined) {
      index.records.clear();
      this.#touch(index);
    }
    return { taskID: this.issueTask(), updatedAt: toIso(this.now()) };
  }

  deleteIndex(indexName: string): { taskID: number; deletedAt: string } {
    this.indices.delete(indexName);
    return { taskID: this.issueTask(), deletedAt: toIso(this.now()) };
  }

  /** `move` replaces the destination with the source (a missing source is ignored); `copy` duplicates, or only the `scope`s. */
  operation(sourceName: string, params: unknown): { taskID: number; updatedAt: string } {
    if (!isRecordObject(params)) throw new AlgoliaHttpError(400, 'the operation parameters must be an object');
    const { operation, destination, scope } = params;
    if (operation !== 'move' && operation !== 'copy') throw new AlgoliaHttpError(400, 'operation must be "move" or "copy"');
    if (typeof destination !== 'string' || destination === '') throw new AlgoliaHttpError(400, 'destination is required');
    if (scope !== undefined && (!Array.isArray(scope) || scope.some((s) => s !== 'settings' && s !== 'synonyms' && s !== 'rules'))) {
      throw new AlgoliaHttpError(400, 'scope must be a list of "settings", "synonyms" and "rules"');
    }
    const source = this.indices.get(sourceName);
    const now = this.now();
    if (sourceName !== destination) {
      if (operation === 'move') {
        const move = (): void => {
          const moving = this.indices.get(sourceName);
          if (moving === undefined) return;
          this.indices.delete(sourceName);
          const previous = this.indices.get(destination);
          this.indices.set(destination, { ...moving, name: destination, createdAt: previous?.createdAt ?? moving.createdAt, updatedAt: now });
        };
        if (this.#taskDelayMs > 0) {
          // as Algolia does: answered (and logged) now, applied when its task is published
          const taskID = this.issueTask();
          this.#deferred.set(taskID, move);
          setTimeout(() => this.#runDeferred(taskID), this.#taskDelayMs).unref();
          return { taskID, updatedAt: toIso(now) };
        }
        move();
      } else if (Array.isArray(scope) && scope.length > 0) {
        const target = this.ensureIndex(destination);
        if (scope.includes('settings')) target.settings = { ...(source?.settings ?? {}) };
        if (scope.includes('rules')) target.rules = new Map(source?.rules ?? []);
        if (scope.includes('synonyms')) target.synonyms = new Map(source?.synonyms ?? []);
        target.updatedAt = now;
      } else {
        const previous = this.indices.get(destination);
        this.indices.set(destination, {
          name: destination,
          records: source?.records.copy() ?? new RecordStore(this.#sequence),
          settings: { ...(source?.settings ?? {}) },
          rules: new Map(source?.rules ?? []),
          synonyms: new Map(source?.synonyms ?? []),
          createdAt: previous?.createdAt ?? now,
          updatedAt: now,
        });
      }
    }
    return { taskID: this.issueTask(), updatedAt: toIso(now) };
  }

  // ---------- settings ----------

  getSettings(indexName: string): Record<string, unknown> {
    return { ...DEFAULT_SETTINGS, ...this.requireIndex(indexName).settings };
  }

  setSettings(indexName: string, settings: unknown): { taskID: number; updatedAt: string } {
    if (!isRecordObject(settings)) throw new AlgoliaHttpError(400, 'settings must be an object');
    const index = this.ensureIndex(indexName);
    index.settings = { ...index.settings, ...settings };
    return { taskID: this.issueTask(), updatedAt: toIso(this.#touch(index)) };
  }

  // ---------- reads ----------

  listIndices(page: number | undefined, hitsPerPage: number | undefined): { items: Array<Record<string, unknown>>; nbPages: number } {
    const all = [...this.indices.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const perPage = hitsPerPage ?? 100;
    const slice = page === undefined ? all : all.slice(page * perPage, (page + 1) * perPage);
    const items = slice.map((index) => {
      const dataSize = estimateDataSize(index.records);
      return {
        name: index.name,
        createdAt: toIso(index.createdAt),
        updatedAt: toIso(index.updatedAt),
        entries: index.records.size,
        dataSize,
        fileSize: dataSize,
        lastBuildTimeS: 0,
        numberOfPendingTasks: 0,
        pendingTask: false,
      };
    });
    return { items, nbPages: page === undefined ? 1 : Math.max(1, Math.ceil(all.length / perPage)) };
  }

  getObject(indexName: string, objectID: string, attributesToRetrieve: string[] | undefined): Record<string, unknown> {
    const record = this.indices.get(indexName)?.records.get(objectID);
    if (record === undefined) throw new AlgoliaHttpError(404, OBJECT_DOES_NOT_EXIST);
    return project(record, attributesToRetrieve);
  }

  getObjects(requests: unknown): { results: Array<Record<string, unknown> | null> } {
    if (!Array.isArray(requests)) throw new AlgoliaHttpError(400, 'requests must be an array');
    const results = requests.map((request) => {
      if (!isRecordObject(request) || typeof request.indexName !== 'string' || typeof request.objectID !== 'string') {
        throw new AlgoliaHttpError(400, 'each request needs an indexName and an objectID');
      }
      const record = this.indices.get(request.indexName)?.records.get(request.objectID);
      return record === undefined ? null : project(record, toStringList(request.attributesToRetrieve));
    });
    return { results };
  }

  /** A browse page: `cursor` is present while records remain and absent (not null) on the last page. */
  browse(indexName: string, raw: Record<string, unknown>): Record<string, unknown> & { hits: Record<string, unknown>[]; cursor?: string } {
    const started = performance.now();
    const index = this.requireIndex(indexName);
    const params = parseSearchParams(raw);
    let state: CursorState;
    if (params.cursor !== undefined) {
      state = decodeCursor(params.cursor);
      // explicit parameters override the ones the cursor carries
      if (params.hitsPerPage !== undefined) state.h = clampHitsPerPage(params.hitsPerPage);
      if (params.attributesToRetrieve !== undefined) state.a = params.attributesToRetrieve;
    } else {
      state = { s: 0, p: 0, h: clampHitsPerPage(params.hitsPerPage ?? 1000), q: params.query, a: params.attributesToRetrieve };
    }
    const predicate = state.q.trim() === '' ? undefined : queryMatcher(state.q);
    if (predicate !== undefined && state.n === undefined) state.n = countMatches(index.records, predicate);
    const page = index.records.page(state.s, state.h, predicate);
    const nbHits = state.n ?? index.records.size;
    const response: Record<string, unknown> & { hits: Record<string, unknown>[]; cursor?: string } = {
      hits: page.records.map((record) => project(record, state.a)),
      nbHits,
      page: state.p,
      nbPages: Math.ceil(nbHits / state.h),
      hitsPerPage: state.h,
      exhaustiveNbHits: true,
      exhaustive: { nbHits: true },
      query: state.q,
      params: new URLSearchParams({ query: state.q, hitsPerPage: String(state.h) }).toString(),
      processingTimeMS: Math.round(performance.now() - started),
    };
    if (page.more) response.cursor = encodeCursor({ ...state, s: page.lastSeq, p: state.p + 1 });
    return response;
  }

  /** A smoke-test search: every word of `query` must occur in the record's values (case and accents ignored). */
  search(indexName: string, raw: Record<string, unknown>): Record<string, unknown> & { hits: Record<string, unknown>[]; nbHits: number } {
    const started = performance.now();
    const index = this.requireIndex(indexName);
    const params = parseSearchParams(raw);
    const hitsPerPage = Math.min(1000, Math.max(0, params.hitsPerPage ?? numberOr(index.settings.hitsPerPage, 20)));
    const predicate = params.query.trim() === '' ? undefined : queryMatcher(params.query);
    const start = params.page * hitsPerPage;
    const hits: Record<string, unknown>[] = [];
    let nbHits = 0;
    for (const record of index.records.values()) {
      if (predicate !== undefined && !predicate(record)) continue;
      if (nbHits >= start && hits.length < hitsPerPage) hits.push(project(record, params.attributesToRetrieve));
      nbHits += 1;
    }
    return {
      hits,
      nbHits,
      page: params.page,
      nbPages: hitsPerPage === 0 ? 0 : Math.ceil(nbHits / hitsPerPage),
      hitsPerPage,
      exhaustiveNbHits: true,
      exhaustive: { nbHits: true },
      query: params.query,
      params: new URLSearchParams({ query: params.query, hitsPerPage: String(hitsPerPage), page: String(params.page) }).toString(),
      processingTimeMS: Math.round(performance.now() - started),
    };
  }
}

interface PlannedWrite {
  action: BatchAction;
  indexName: string | undefined;
  body: Record<string, unknown>;
  objectID: string | undefined;
}

/** Partial update with Algolia's built-in operations (`{ _operation: 'Increment', value: 1 }`...). */
export function applyPartialUpdate(existing: AlgoliaRecord | undefined, changes: Record<string, unknown>, objectID: string): AlgoliaRecord {
  const next: Record<string, unknown> = { ...existing };
  for (const [key, change] of Object.entries(changes)) {
    if (key === 'objectID') continue;
    if (!isRecordObject(change) || typeof change._operation !== 'string') {
      next[key] = change;
      continue;
    }
    const current = next[key];
    const value = change.value;
    switch (change._operation) {
      case 'Increment':
      case 'Decrement': {
        const delta = typeof value === 'number' ? value : 1;
        const base = typeof current === 'number' ? current : 0;
        next[key] = change._operation === 'Increment' ? base + delta : base - delta;
        break;
      }
      case 'Add':
        next[key] = Array.isArray(current) ? [...(current as unknown[]), value] : [value];
        break;
      case 'AddUnique':
        next[key] = Array.isArray(current) ? (current.includes(value) ? current : [...(current as unknown[]), value]) : [value];
        break;
      case 'Remove':
        next[key] = Array.isArray(current) ? current.filter((item) => item !== value) : current;
        break;
      default:
        throw new AlgoliaHttpError(400, `the emulator does not support the built-in operation ${change._operation}`);
    }
  }
  next.objectID = objectID;
  return next as AlgoliaRecord;
}

function project(record: AlgoliaRecord, attributes: string[] | undefined): Record<string, unknown> {
  if (attributes === undefined || (attributes.length === 1 && attributes[0] === '*')) return record;
  if (attributes.includes('*')) {
    const out: Record<string, unknown> = { ...record };
    for (const attribute of attributes) if (attribute.startsWith('-')) delete out[attribute.slice(1)];
    out.objectID = record.objectID;
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const attribute of attributes) if (attribute in record) out[attribute] = record[attribute];
  out.objectID = record.objectID;
  return out;
}

function toStringList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (Array.isArray(parsed)) return parsed.map(String);
      } catch {
        // fall through: a comma-separated list
      }
    }
    return text === '' ? [] : text.split(',').map((s) => s.trim());
  }
  throw new AlgoliaHttpError(400, 'attributesToRetrieve must be a list of attribute names');
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function toInteger(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0) throw new AlgoliaHttpError(400, `${name} must be a non-negative integer`);
  return n;
}

function clampHitsPerPage(n: number): number {
  return Math.min(1000, Math.max(1, n));
}

/** Search/browse parameters from an object, a `params` query string inside it, or a GET query. */
export function parseSearchParams(raw: Record<string, unknown>): SearchParams {
  const merged: Record<string, unknown> = {};
  if (typeof raw.params === 'string' && raw.params !== '') {
    for (const [key, value] of new URLSearchParams(raw.params)) merged[key] = value;
  }
  for (const [key, value] of Object.entries(raw)) if (key !== 'params' && value !== undefined) merged[key] = value;
  for (const name of UNSUPPORTED_FILTERS) {
    const value = merged[name];
    if (value !== undefined && value !== '' && !(Array.isArray(value) && value.length === 0)) {
      throw new AlgoliaHttpError(400, `the emulator does not support the ${name} parameter`);
    }
  }
  const query = merged.query;
  if (query !== undefined && typeof query !== 'string') throw new AlgoliaHttpError(400, 'query must be a string');
  const cursor = merged.cursor;
  if (cursor !== undefined && cursor !== null && typeof cursor !== 'string') throw new AlgoliaHttpError(400, 'cursor must be a string');
  return {
    query: query ?? '',
    hitsPerPage: toInteger(merged.hitsPerPage, 'hitsPerPage'),
    page: toInteger(merged.page, 'page') ?? 0,
    attributesToRetrieve: toStringList(merged.attributesToRetrieve),
    cursor: typeof cursor === 'string' && cursor !== '' ? cursor : undefined,
  };
}

function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify(state)).toString('base64url');
}

function decodeCursor(cursor: string): CursorState {
  try {
    const state: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      isRecordObject(state) &&
      typeof state.s === 'number' &&
      typeof state.p === 'number' &&
      typeof state.h === 'number' &&
      typeof state.q === 'string' &&
      (state.a === undefined || (Array.isArray(state.a) && state.a.every((a) => typeof a === 'string'))) &&
      (state.n === undefined || typeof state.n === 'number')
    ) {
      return state as unknown as CursorState;
    }
  } catch {
    // answered below
  }
  throw new AlgoliaHttpError(400, 'Cursor is not valid');
}

function normalize(text: string): string {
  return text.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();
}

function collectText(value: unknown, out: string[], depth: number): void {
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'number' || typeof value === 'boolean') out.push(String(value));
  else if (depth < 4 && Array.isArray(value)) for (const item of value) collectText(item, out, depth + 1);
  else if (depth < 4 && isRecordObject(value)) for (const item of Object.values(value)) collectText(item, out, depth + 1);
}

export function queryMatcher(query: string): (record: AlgoliaRecord) => boolean {
  const words = normalize(query).split(/\s+/).filter((w) => w !== '');
  return (record) => {
    const parts: string[] = [];
    collectText(record, parts, 0);
    const text = normalize(parts.join(' '));
    return words.every((word) => text.includes(word));
  };
}

function countMatches(store: RecordStore, predicate: (record: AlgoliaRecord) => boolean): number {
  let n = 0;
  for (const record of store.values()) if (predicate(record)) n += 1;
  return n;
}

/** Bytes of JSON, estimated from up to 100 records (listIndices must stay cheap on a million records). */
function estimateDataSize(store: RecordStore): number {
  if (store.size === 0) return 0;
  let bytes = 0;
  let sampled = 0;
  for (const record of store.values()) {
    bytes += Buffer.byteLength(JSON.stringify(record));
    sampled += 1;
    if (sampled >= 100) break;
  }
  return Math.round((bytes / sampled) * store.size);
}
