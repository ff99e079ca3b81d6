// Emulator of a Confluent Schema Registry (REST API v1), for tests, the demo and the benchmark.
//
// The routes that @kafkajs/confluent-schema-registry (4.x) calls, answered as Confluent's registry
// does (same paths, bodies, error codes and content type), so that the library works unchanged:
//   POST /subjects/{subject}/versions         register (same schema again: same id, no new version)
//   POST /subjects/{subject}                   is this schema registered under the subject? (lookup)
//   GET  /subjects, /subjects/{s}/versions, /subjects/{s}/versions/{version|latest}[/schema]
//   GET  /schemas/ids/{id}[/versions], /schemas/types
//   GET|PUT|DELETE /config/{subject}, GET|PUT /config   (compatibility levels)
//   POST /compatibility/subjects/{s}/versions/{version|latest}
//   DELETE /subjects/{s}[?permanent=true], DELETE /subjects/{s}/versions/{version}
// Ids are global and increase from 1; one schema (whitespace aside) has one id whatever the subject.
// Registering checks the subject's compatibility level against the earlier versions (BACKWARD by
// default; the _TRANSITIVE levels against all of them) with avsc's schema resolution. AVRO only
// (no JSON Schema, no Protobuf, no references). Optional basic auth.
//
// Tests use `subjects()`, `counters`, `reset()` (a registry restored empty: every id forgotten,
// new ids carry on from the last one) and `failNext()`.
//
// Standalone (demo, benchmark): `node test/emulators/schema-registry.ts --port 0` prints one JSON
// line `{"url"}` on stdout once it listens.
import { parseArgs } from 'node:util';
import avro from 'avsc';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { exitOnSignal } from '../support/standalone.ts';

export const COMPATIBILITY_LEVELS = ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

export interface SchemaRegistryEmulatorOptions {
  port?: number;
  host?: string;
  /** Require HTTP basic auth with these credentials. */
  credentials?: { username: string; password: string };
  /** The global compatibility level (Confluent's default: BACKWARD). */
  compatibility?: CompatibilityLevel;
}

export interface RegisteredVersion {
  subject: string;
  version: number;
  id: number;
  schema: string;
  deleted: boolean;
}

export interface SchemaRegistryCounters {
  readonly requests: number;
  readonly requestsByRoute: Readonly<Record<string, number>>;
  /** POST /subjects/{s}/versions answered 200. */
  readonly registrations: number;
  /** GET /schemas/ids/{id} answered 404. */
  readonly unknownIdLookups: number;
  reset(): void;
}

export interface SchemaRegistryEmulator {
  url: string;
  /** The live versions of every subject (soft-deleted ones flagged). */
  subjects(): Record<string, RegisteredVersion[]>;
  /** The schema text of an id, if known. */
  schemaById(id: number): string | undefined;
  counters: SchemaRegistryCounters;
  /** Forgets every schema, subject and config (ids are not reused). */
  reset(): void;
  /** Answers the next `n` requests with `status` (default 500, Confluent's 50001 body). */
  failNext(n: number, status?: number): void;
  close(): Promise<void>;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const MAX_VERSION = 2 ** 31 - 1;

class RegistryError extends Error {
  readonly status: number;
  readonly errorCode: number;
  constructor(status: number, errorCode: number, message: string) {
    super(message);
    this.status = status;
    this.errorCode = errorCode;
  }
}

const subjectNotFound = (subject: string) => new RegistryError(404, 40401, `Subject '${subject}' not found.`);

function isLevel(value: unknown): value is CompatibilityLevel {
  return typeof value === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(value.toUpperCase());
}

/** The schema text as the registry keeps it: parsed and written back (no whitespace), and its avsc type. */
function parseAvro(schema: unknown, schemaType: unknown, references: unknown): { text: string; type: avro.Type } {
  if (schemaType !== undefined && schemaType !== null && schemaType !== 'AVRO') {
    throw new RegistryError(422, 42201, `Invalid schema: schema type ${JSON.stringify(schemaType)} is not supported by this emulator (AVRO only)`);
  }
  if (Array.isArray(references) && references.length > 0) throw new RegistryError(422, 42201, 'Invalid schema: references are not supported by this emulator');
  if (typeof schema !== 'string') throw new RegistryError(422, 42201, 'Invalid schema: the "schema" field must be a string');
  let parsed: unknown;
  try {
    parsed = JSON.parse(schema);
  } catch {
    // Avro allows a bare primitive name
    parsed = schema;
  }
  try {
    const type = avro.Type.forSchema(parsed as avro.Schema);
    return { text: JSON.stringify(parsed), type };
  } catch (error) {
    throw new RegistryError(422, 42201, `Invalid schema ${schema.slice(0, 200)}, details: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Can data written with `writer` be read with `reader`? (Avro schema resolution, as avsc does it.) */
function canRead(reader: avro.Type, writer: avro.Type): boolean {
  try {
    reader.createResolver(writer);
    return true;
  } catch {
    return false;
  }
}

export async function startSchemaRegistryEmulator(options: SchemaRegistryEmulatorOptions = {}): Promise<SchemaRegistryEmulator> {
  const { port = 0, host = '127.0.0.1' } = options;
  let globalLevel: CompatibilityLevel = options.compatibility ?? 'BACKWARD';
  let nextId = 1;
  // id -> schema text; text -> id (one id per schema)
  let schemasById = new Map<number, { text: string; type: avro.Type }>();
  let idsByText = new Map<string, number>();
  let subjects = new Map<string, RegisteredVersion[]>();
  let subjectLevels = new Map<string, CompatibilityLevel>();
  const stats = { requests: 0, byRoute: new Map<string, number>(), registrations: 0, unknownIdLookups: 0 };
  let failures = { remaining: 0, status: 500 };

  const live = (subject: string): RegisteredVersion[] => (subjects.get(subject) ?? []).filter((v) => !v.deleted);
  const levelOf = (subject: string): CompatibilityLevel => subjectLevels.get(subject) ?? globalLevel;

  const versionParam = (subject: string, raw: string): RegisteredVersion => {
    const versions = live(subject);
    if (!subjects.has(subject) || versions.length === 0) throw subjectNotFound(subject);
    if (raw === 'latest' || raw === '-1') return versions[versions.length - 1]!;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > MAX_VERSION) {
      throw new RegistryError(422, 42202, `The specified version '${raw}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`);
    }
    const found = versions.find((v) => v.version === n);
    if (!found) throw new RegistryError(404, 40402, `Version ${n} not found.`);
    return found;
  };

  /** The versions a new schema must be compatible with, and in which direction, under `level`. */
  const compatible = (subject: string, candidate: avro.Type, level: CompatibilityLevel): boolean => {
    if (level === 'NONE') return true;
    const versions = live(subject);
    const against = level.endsWith('_TRANSITIVE') ? versions : versions.slice(-1);
    return against.every((v) => {
      const existing = schemasById.get(v.id)!.type;
      const backward = canRead(candidate, existing);
      const forward = canRead(existing, candidate);
      if (level.startsWith('BACKWARD')) return backward;
      if (level.startsWith('FORWARD')) return forward;
      return backward && forward;
    });
  };

  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text) as unknown);
    } catch {
      done(new RegistryError(400, 400, 'Unrecognized token: the body is not JSON'), undefined);
    }
  });
  app.setErrorHandler((error: unknown, _request, reply) => {
    if (error instanceof RegistryError) return reply.code(error.status).type(CONTENT_TYPE).send({ error_code: error.errorCode, message: error.message });
    const status = typeof (error as { statusCode?: unknown }).statusCode === 'number' ? (error as { statusCode: number }).statusCode : 500;
    return reply
      .code(status)
      .type(CONTENT_TYPE)
      .send({ error_code: status === 500 ? 50001 : status, message: error instanceof Error ? error.message : 'Internal Server Error' });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).type(CONTENT_TYPE).send({ error_code: 404, message: 'HTTP 404 Not Found' }));

  app.addHook('onRequest', async (request, reply) => {
    stats.requests += 1;
    const route = `${request.method} ${request.routeOptions.url ?? '(unknown)'}`;
    stats.byRoute.set(route, (stats.byRoute.get(route) ?? 0) + 1);
    if (options.credentials) {
      const expected = `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString('base64')}`;
      if (request.headers.authorization !== expected) {
        return reply.code(401).type(CONTENT_TYPE).header('www-authenticate', 'Basic realm="SchemaRegistry"').send({ error_code: 401, message: 'Unauthorized' });
      }
    }
    if (failures.remaining > 0) {
      failures.remaining -= 1;
      return reply.code(failures.status).type(CONTENT_TYPE).send({ error_code: 50001, message: 'Error in the backend data store (injected by the emulator)' });
    }
    return undefined;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (String(reply.getHeader('content-type') ?? '').startsWith('application/json')) reply.type(CONTENT_TYPE);
    return payload;
  });

  const param = (request: FastifyRequest, name: string): string => (request.params as Record<string, string>)[name] ?? '';
  const body = (request: FastifyRequest): Record<string, unknown> => {
    const value = request.body;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RegistryError(422, 42201, 'Invalid schema: the body must be a JSON object');
    return value as Record<string, unknown>;
  };
  const versionBody = (v: RegisteredVersion) => ({ subject: v.subject, version: v.version, id: v.id, schema: v.schema });

  app.get('/', async () => ({}));
  app.get('/schemas/types', async () => ['AVRO']);
  app.get('/subjects', async () => [...subjects.keys()].filter((s) => live(s).length > 0).sort());

  app.get('/subjects/:subject/versions', async (request) => {
    const versions = live(param(request, 'subject'));
    if (versions.length === 0) throw subjectNotFound(param(request, 'subject'));
    return versions.map((v) => v.version);
  });
  app.get('/subjects/:subject/versions/:version', async (request) => versionBody(versionParam(param(request, 'subject'), param(request, 'version'))));
  app.get('/subjects/:subject/versions/:version/schema', async (request, reply: FastifyReply) =>
    reply.type(CONTENT_TYPE).send(versionParam(param(request, 'subject'), param(request, 'version')).schema),
  );

  app.post('/subjects/:subject/versions', async (request) => {
    const subject = param(request, 'subject');
    const { schema, schemaType, references } = body(request);
    const parsed = parseAvro(schema, schemaType, references);
    const versions = live(subject);
    const existingId = idsByText.get(parsed.text);
    const already = existingId === undefined ? undefined : versions.find((v) => v.id === existingId);
    if (already) {
      stats.registrations += 1;
      return { id: already.id };
    }
    if (!compatible(subject, parsed.type, levelOf(subject))) {
      throw new RegistryError(409, 409, `Schema being registered is incompatible with an earlier schema for subject "${subject}" (compatibility ${levelOf(subject)})`);
    }
    let id = existingId;
    if (id === undefined) {
      id = nextId++;
      schemasById.set(id, parsed);
      idsByText.set(parsed.text, id);
    }
    const all = subjects.get(subject) ?? [];
    const version = (all[all.length - 1]?.version ?? 0) + 1;
    all.push({ subject, version, id, schema: parsed.text, deleted: false });
    subjects.set(subject, all);
    stats.registrations += 1;
    return { id };
  });

  app.post('/subjects/:subject', async (request) => {
    const subject = param(request, 'subject');
    const versions = live(subject);
    if (versions.length === 0) throw subjectNotFound(subject);
    const { schema, schemaType, references } = body(request);
    const parsed = parseAvro(schema, schemaType, references);
    const id = idsByText.get(parsed.text);
    const found = id === undefined ? undefined : versions.find((v) => v.id === id);
    if (!found) throw new RegistryError(404, 40403, 'Schema not found');
    return versionBody(found);
  });

  app.delete('/subjects/:subject', async (request) => {
    const subject = param(request, 'subject');
    const all = subjects.get(subject);
    if (!all || all.length === 0) throw subjectNotFound(subject);
    const permanent = (request.query as Record<string, string | undefined>).permanent === 'true';
    if (permanent) {
      if (all.some((v) => !v.deleted)) throw new RegistryError(404, 40405, `Subject '${subject}' was not deleted first before being permanently deleted`);
      subjects.delete(subject);
      subjectLevels.delete(subject);
      return all.map((v) => v.version);
    }
    const deleted = all.filter((v) => !v.deleted);
    if (deleted.length === 0) throw new RegistryError(404, 40404, `Subject '${subject}' was soft deleted.Set permanent=true to delete permanently`);
    for (const v of deleted) v.deleted = true;
    return deleted.map((v) => v.version);
  });
  app.delete('/subjects/:subject/versions/:version', async (request) => {
    const found = versionParam(param(request, 'subject'), param(request, 'version'));
    found.deleted = true;
    return found.version;
  });

  app.get('/schemas/ids/:id', async (request) => {
    const id = Number(param(request, 'id'));
    const found = Number.isInteger(id) ? schemasById.get(id) : undefined;
    if (!found) {
      stats.unknownIdLookups += 1;
      throw new RegistryError(404, 40403, `Schema ${param(request, 'id')} not found`);
    }
    return { schema: found.text };
  });
  app.get('/schemas/ids/:id/versions', async (request) => {
    const id = Number(param(request, 'id'));
    if (!schemasById.has(id)) throw new RegistryError(404, 40403, `Schema ${param(request, 'id')} not found`);
    return [...subjects.values()].flatMap((versions) => versions.filter((v) => v.id === id && !v.deleted).map((v) => ({ subject: v.subject, version: v.version })));
  });

  app.get('/config', async () => ({ compatibilityLevel: globalLevel }));
  app.put('/config', async (request) => {
    const { compatibility } = body(request);
    if (!isLevel(compatibility)) throw new RegistryError(422, 42203, 'Invalid compatibility level');
    globalLevel = compatibility.toUpperCase() as CompatibilityLevel;
    return { compatibility: globalLevel };
  });
  app.get('/config/:subject', async (request) => {
    const subject = param(request, 'subject');
    const level = subjectLevels.get(subject);
    if (level !== undefined) return { compatibilityLevel: level };
    if ((request.query as Record<string, string | undefined>).defaultToGlobal === 'true') return { compatibilityLevel: globalLevel };
    throw new RegistryError(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`);
  });
  app.put('/config/:subject', async (request) => {
    const { compatibility } = body(request);
    if (!isLevel(compatibility)) throw new RegistryError(422, 42203, 'Invalid compatibility level');
    const level = compatibility.toUpperCase() as CompatibilityLevel;
    subjectLevels.set(param(request, 'subject'), level);
    return { compatibility: level };
  });
  app.delete('/config/:subject', async (request) => {
    const subject = param(request, 'subject');
    const level = subjectLevels.get(subject);
    if (level === undefined) throw subjectNotFound(subject);
    subjectLevels.delete(subject);
    return { compatibilityLevel: level };
  });

  app.post('/compatibility/subjects/:subject/versions/:version', async (request) => {
    const subject = param(request, 'subject');
    const against = versionParam(subject, param(request, 'version'));
    const { schema, schemaType, references } = body(request);
    const parsed = parseAvro(schema, schemaType, references);
    const existing = schemasById.get(against.id)!.type;
    const level = levelOf(subject);
    const backward = canRead(parsed.type, existing);
    const forward = canRead(existing, parsed.type);
    const ok = level === 'NONE' || (level.startsWith('BACKWARD') ? backward : level.startsWith('FORWARD') ? forward : backward && forward);
    return { is_compatible: ok };
  });

  const address = await app.listen({ port, host });
  return {
    url: address,
    subjects: () => Object.fromEntries([...subjects].map(([name, versions]) => [name, versions.map((v) => ({ ...v }))])),
    schemaById: (id) => schemasById.get(id)?.text,
    counters: {
      get requests() {
        return stats.requests;
      },
      get requestsByRoute() {
        return Object.fromEntries(stats.byRoute);
      },
      get registrations() {
        return stats.registrations;
      },
      get unknownIdLookups() {
        return stats.unknownIdLookups;
      },
      reset() {
        stats.requests = 0;
        stats.byRoute.clear();
        stats.registrations = 0;
        stats.unknownIdLookups = 0;
      },
    },
    reset() {
      schemasById = new Map();
      idsByText = new Map();
      subjects = new Map();
      subjectLevels = new Map();
      globalLevel = options.compatibility ?? 'BACKWARD';
    },
    failNext(n, status = 500) {
      failures = { remaining: n, status };
    },
    close: () => app.close(),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write('schema-registry-emulator: --port must be a port number (0-65535)\n');
    process.exit(2);
  }
  const emulator = await startSchemaRegistryEmulator({ port, host: values.host });
  process.stdout.write(`${JSON.stringify({ url: emulator.url })}\n`);
  exitOnSignal(() => emulator.close());
}
