// The HTTP face of the When I Work emulator: `GET /2/shifts?start&end` and `GET /2/shifts/{id}`
// behind the `W-Token` header, admin routes for tests (change, add, delete shifts), failure
// injection (5xx, stalls), and a request log.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { createRandom, FIRST_SHIFT_ID, generateWiwData, parseDate, rfc1123, type WiwDataset, type WiwShift } from './data.ts';

export interface WiwEmulatorOptions {
  port?: number;
  host?: string;
  /** The W-Token the API accepts (default: random). */
  token?: string;
  /** Seed of the generated data (default 1). */
  seed?: number;
  /** Shifts to generate (default 50). */
  shifts?: number;
  /** First day of the shifts, in days from today (UTC); default 0. */
  fromDay?: number;
  /** Days the shifts spread over (default 2: today and tomorrow). */
  days?: number;
  /** The emulator's clock: "today", and the updated_at of changed shifts. */
  clock?: () => Date;
}

export interface WiwRequestRecord {
  method: string;
  path: string;
  /** `start`/`end` of a shifts query, as received. */
  start?: string;
  end?: string;
  status: number;
  at: Date;
}

export interface WiwFaults {
  /** Answer the next `count` API requests with `status` (default 503). */
  failNext?: number;
  status?: number;
  /** Hold the next `stallNext` API requests for `stallMs` before answering (client timeouts). */
  stallNext?: number;
  stallMs?: number;
}

/**
 * Direct access to the emulator's shifts (no HTTP, no failure injection). The shifts it gives are
 * read-only: change them through `update` or `touch` (the API serves a cached JSON of each shift).
 */
export interface WiwShiftStore {
  get(id: number): WiwShift | undefined;
  all(): WiwShift[];
  /** The shifts a `GET /2/shifts?start&end` query returns: those overlapping [start, end). */
  overlapping(start: Date, end: Date): WiwShift[];
  /** Changes fields of a shift; `updated_at` moves to the clock's now unless the patch sets it. */
  update(id: number, patch: Partial<WiwShift>): WiwShift;
  /** Adds a shift (generated like the others, then `fields` applied); returns it. */
  add(fields?: Partial<WiwShift>): WiwShift;
  remove(id: number): boolean;
  /** Changes `count` shifts (notes, color, updated_at), chosen deterministically from `seed`; returns their ids. */
  touch(count: number, seed?: number): number[];
  readonly size: number;
}

export interface WiwEmulator {
  /** `http://127.0.0.1:PORT`: what WIW_API_URL takes. */
  url: string;
  token: string;
  shifts: WiwShiftStore;
  data: Omit<WiwDataset, 'shifts'>;
  /** API requests (the /2/ routes), oldest first (the last 10,000). */
  requests: WiwRequestRecord[];
  inject(faults: WiwFaults | null): void;
  close(): Promise<void>;
}

interface StoredShift {
  shift: WiwShift;
  startMs: number;
  endMs: number;
  offset: number;
  /** `JSON.stringify(json.of)` as UTF-8, kept while `shift` is still that object (a change replaces it). */
  json?: { of: WiwShift; bytes: Buffer };
}

/**
 * A shift's JSON (UTF-8 bytes), serialised once per version of the shift: a window of shifts is
 * listed again and again (the benchmark lists 100,000 per run) while few of them change, and the
 * emulator shares the machine's CPUs with the worker it serves. Every change (update, touch)
 * replaces `stored.shift` with a new object, which invalidates the bytes.
 */
function shiftJson(stored: StoredShift): Buffer {
  if (stored.json?.of !== stored.shift) stored.json = { of: stored.shift, bytes: Buffer.from(JSON.stringify(stored.shift)) };
  return stored.json.bytes;
}

const COMMA = Buffer.from(',');

const REQUEST_LOG_LIMIT = 10_000;
const CHUNK_SHIFTS = 500;

class HttpError extends Error {
  readonly status: number;
  readonly code: number;
  constructor(status: number, code: number, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function offsetOf(date: string): number {
  const match = /([+-])(\d{2})(\d{2})$/.exec(date);
  if (!match) return 0;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
}

export async function startWiwEmulator(options: WiwEmulatorOptions = {}): Promise<WiwEmulator> {
  const { port = 0, host = '127.0.0.1', token = randomBytes(20).toString('hex'), seed = 1, clock = () => new Date() } = options;
  const now = clock();
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const dataset = generateWiwData({
    seed,
    shifts: options.shifts ?? 50,
    firstDay: new Date(today + (options.fromDay ?? 0) * 86_400_000),
    days: options.days ?? 2,
    now,
  });
  const byId = new Map<number, StoredShift>();
  /** Every shift in the listing order (start, then id), sorted again only after a shift was stored or removed. */
  let sorted: StoredShift[] | undefined;
  const store = (shift: WiwShift): StoredShift => {
    const startMs = parseDate(shift.start_time);
    const endMs = parseDate(shift.end_time);
    if (Number.isNaN(startMs) || Number.isNaN(endMs)) throw new HttpError(400, 1020, 'start_time and end_time must be dates');
    const stored = { shift, startMs, endMs, offset: offsetOf(shift.start_time) };
    byId.set(shift.id, stored);
    sorted = undefined;
    return stored;
  };
  for (const shift of dataset.shifts) store(shift);
  let nextId = FIRST_SHIFT_ID + dataset.shifts.length * 3;
  const requests: WiwRequestRecord[] = [];
  let faults: Required<Pick<WiwFaults, 'failNext' | 'status' | 'stallNext' | 'stallMs'>> = { failNext: 0, status: 503, stallNext: 0, stallMs: 0 };

  const overlapping = (startMs: number, endMs: number): StoredShift[] => {
    sorted ??= [...byId.values()].sort((a, b) => a.startMs - b.startMs || a.shift.id - b.shift.id);
    return sorted.filter((stored) => stored.startMs < endMs && stored.endMs > startMs);
  };

  const shiftsStore: WiwShiftStore = {
    get: (id) => byId.get(id)?.shift,
    all: () => [...byId.values()].map((s) => s.shift),
    overlapping: (start, end) => overlapping(start.getTime(), end.getTime()).map((s) => s.shift),
    update(id, patch) {
      const stored = byId.get(id);
      if (!stored) throw new HttpError(404, 1004, `Shift ${id} not found`);
      const updated: WiwShift = { ...stored.shift, ...patch, id, updated_at: patch.updated_at ?? rfc1123(clock().getTime(), stored.offset) };
      return store(updated).shift;
    },
    add(fields = {}) {
      const generated = generateWiwData({ seed: seed + nextId, shifts: 1, firstDay: new Date(today + (options.fromDay ?? 0) * 86_400_000), days: options.days ?? 2, now: clock() }).shifts[0]!;
      const id = fields.id ?? nextId;
      nextId = Math.max(nextId, id) + 3;
      if (byId.has(id)) throw new HttpError(409, 1009, `Shift ${id} exists`);
      return store({ ...generated, ...fields, id }).shift;
    },
    remove(id) {
      sorted = undefined;
      return byId.delete(id);
    },
    touch(count, touchSeed = 1) {
      const random = createRandom(touchSeed);
      const ids = [...byId.keys()];
      const chosen = new Set<number>();
      const wanted = Math.min(count, ids.length);
      while (chosen.size < wanted) chosen.add(ids[Math.floor(random() * ids.length)]!);
      const at = clock().getTime();
      for (const id of chosen) {
        const stored = byId.get(id)!;
        const shift: WiwShift = {
          ...stored.shift,
          notes: `changed #${touchSeed}: ${Math.floor(random() * 1e9).toString(36)}`,
          color: ['74a611', 'cc0000', '3b5998', 'f39c12'][Math.floor(random() * 4)]!,
          updated_at: rfc1123(at, stored.offset),
        };
        stored.shift = shift;
      }
      return [...chosen];
    },
    get size() {
      return byId.size;
    },
  };

  const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 });

  const record = (request: FastifyRequest, status: number): void => {
    const query = request.query as Record<string, string | undefined>;
    requests.push({
      method: request.method,
      path: request.url.split('?', 1)[0] ?? '',
      ...(query.start !== undefined ? { start: query.start } : {}),
      ...(query.end !== undefined ? { end: query.end } : {}),
      status,
      at: new Date(),
    });
    if (requests.length > REQUEST_LOG_LIMIT) requests.splice(0, requests.length - REQUEST_LOG_LIMIT);
  };

  app.setErrorHandler((error: unknown, request, reply) => {
    const status = error instanceof HttpError ? error.status : typeof (error as { statusCode?: unknown }).statusCode === 'number' ? (error as { statusCode: number }).statusCode : 500;
    const code = error instanceof HttpError ? error.code : 1000;
    if (request.url.startsWith('/2/')) record(request, status);
    return reply.code(status).send({ error: error instanceof Error ? error.message : 'Internal error', code });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'Not Found', code: 1004 }));

  // Every route needs the token (WIW answers 401 without it).
  app.addHook('onRequest', async (request, reply) => {
    if (request.headers['w-token'] !== token) {
      if (request.url.startsWith('/2/')) record(request, 401);
      return reply.code(401).send({ error: 'User not authenticated', code: 1000 });
    }
    if (!request.url.startsWith('/2/')) return undefined;
    if (faults.stallNext > 0) {
      faults.stallNext -= 1;
      await new Promise((resolve) => setTimeout(resolve, faults.stallMs));
    }
    if (faults.failNext > 0) {
      faults.failNext -= 1;
      record(request, faults.status);
      return reply.code(faults.status).send({ error: 'Service temporarily unavailable (injected by the emulator)', code: 5000 });
    }
    return undefined;
  });

  const parseQueryDate = (value: string | undefined, fallback: number, name: string): number => {
    if (value === undefined || value === '') return fallback;
    const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Date.parse(value);
    if (Number.isNaN(ms)) throw new HttpError(400, 1020, `Invalid ${name} time`);
    return ms;
  };

  app.get('/2/shifts', async (request: FastifyRequest, reply: FastifyReply) => {
    const query = request.query as Record<string, string | undefined>;
    const startMs = parseQueryDate(query.start, clock().getTime(), 'start');
    const endMs = parseQueryDate(query.end, startMs + 86_400_000, 'end');
    if (endMs <= startMs) throw new HttpError(400, 1020, 'The end time must be after the start time');
    const found = overlapping(startMs, endMs);
    const userIds = new Set<number>();
    const locationIds = new Set<number>();
    const positionIds = new Set<number>();
    const siteIds = new Set<number>();
    for (const { shift } of found) {
      userIds.add(shift.user_id);
      locationIds.add(shift.location_id);
      positionIds.add(shift.position_id);
      siteIds.add(shift.site_id);
    }
    record(request, 200);
    // Written in chunks: a window may hold hundreds of thousands of shifts.
    async function* body(): AsyncGenerator<string | Buffer> {
      yield `{"start":${JSON.stringify(rfc1123(startMs, 0))},"end":${JSON.stringify(rfc1123(endMs, 0))},"shifts":[`;
      for (let i = 0; i < found.length; i += CHUNK_SHIFTS) {
        // the cached bytes copied into one buffer per chunk (no string joined and encoded again)
        const parts: Buffer[] = [];
        for (let k = i; k < Math.min(found.length, i + CHUNK_SHIFTS); k++) {
          if (k > 0) parts.push(COMMA);
          parts.push(shiftJson(found[k]!));
        }
        yield Buffer.concat(parts);
      }
      yield `],"users":${JSON.stringify(dataset.users.filter((u) => userIds.has(u.id)))}`;
      yield `,"locations":${JSON.stringify(dataset.locations.filter((l) => locationIds.has(l.id)))}`;
      yield `,"positions":${JSON.stringify(dataset.positions.filter((p) => positionIds.has(p.id)))}`;
      yield `,"sites":${JSON.stringify(dataset.sites.filter((s) => siteIds.has(s.id)))}}`;
    }
    return reply.type('application/json; charset=utf-8').send(Readable.from(body()));
  });

  app.get('/2/shifts/:id', async (request) => {
    const id = Number((request.params as { id: string }).id);
    const stored = Number.isSafeInteger(id) ? byId.get(id) : undefined;
    if (!stored) throw new HttpError(404, 1004, 'Shift not found'); // recorded by the error handler
    record(request, 200);
    return { shift: stored.shift };
  });

  // Admin routes (tests, the demo, the benchmark): same token.
  const idParam = (request: FastifyRequest): number => {
    const id = Number((request.params as { id: string }).id);
    if (!Number.isSafeInteger(id)) throw new HttpError(400, 1020, 'id must be an integer');
    return id;
  };
  app.get('/_emulator/shifts/:id', async (request) => {
    const shift = shiftsStore.get(idParam(request));
    if (!shift) throw new HttpError(404, 1004, 'Shift not found');
    return { shift };
  });
  app.patch('/_emulator/shifts/:id', async (request) => ({ shift: shiftsStore.update(idParam(request), (request.body ?? {}) as Partial<WiwShift>) }));
  app.post('/_emulator/shifts', async (request) => ({ shift: shiftsStore.add((request.body ?? {}) as Partial<WiwShift>) }));
  app.delete('/_emulator/shifts/:id', async (request, reply) => {
    if (!shiftsStore.remove(idParam(request))) throw new HttpError(404, 1004, 'Shift not found');
    return reply.code(204).send();
  });
  app.post('/_emulator/shifts/touch', async (request) => {
    const body = (request.body ?? {}) as { count?: unknown; seed?: unknown };
    if (typeof body.count !== 'number' || !Number.isInteger(body.count) || body.count < 0) throw new HttpError(400, 1020, 'count must be an integer >= 0');
    const touchSeed = typeof body.seed === 'number' ? body.seed : 1;
    return { ids: shiftsStore.touch(body.count, touchSeed) };
  });
  app.get('/_emulator/stats', async () => ({ shifts: byId.size, requests: requests.length }));
  app.put('/_emulator/faults', async (request) => {
    const body: unknown = request.body ?? {};
    const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const faults: WiwFaults = {};
    for (const name of ['failNext', 'status', 'stallNext', 'stallMs'] as const) {
      const value = fields[name];
      if (value === undefined) continue;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new HttpError(400, 1020, `${name} must be an integer >= 0`);
      faults[name] = value;
    }
    inject(faults);
    return { ok: true };
  });
  app.delete('/_emulator/faults', async () => {
    inject(null);
    return { ok: true };
  });

  const inject = (next: WiwFaults | null): void => {
    faults = { failNext: next?.failNext ?? 0, status: next?.status ?? 503, stallNext: next?.stallNext ?? 0, stallMs: next?.stallMs ?? 0 };
  };

  const address = await app.listen({ port, host });
  const { shifts: _shifts, ...rest } = dataset;
  return {
    url: address,
    token,
    shifts: shiftsStore,
    data: rest,
    requests,
    inject,
    close: () => app.close(),
  };
}
