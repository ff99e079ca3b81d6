// How a slot becomes a Kafka message's key and value: Avro in Confluent's wire format (magic byte 0,
// 4-byte schema id, Avro body) with the schemas in a Confluent-compatible registry, or plain JSON.
import { SchemaRegistry, SchemaType, type COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import type { Logger } from '@syncfleet/log';
import { slotKeySchema, slotValueSchema } from './domain/avro-schemas.ts';
import { parseSlot } from './domain/slot.ts';

/** A slot that does not fit the schema (`publisher.encoding.error`): skipped, never published. */
export class SlotEncodingError extends Error {
  override readonly name = 'SlotEncodingError';
}

export interface SlotEncoder {
  readonly encoding: 'avro' | 'json';
  /**
   * Before a run publishes: registers the schemas if this process has not yet, and otherwise asks
   * the registry for their ids again, re-registering them when it answers that it does not know
   * them (a registry restored empty, a deleted subject). Concurrent calls share one attempt.
   */
  prepare(log: Logger): Promise<void>;
  /** Synchronous (once prepared): a run encodes thousands of slots. */
  encodeKey(id: number): Buffer;
  /** The value of a slot, from its canonical JSON. */
  encodeValue(slotJson: string): Buffer;
  /** The schema ids in use (Avro), for logs and tests. */
  readonly schemaIds: { key: number; value: number } | undefined;
}

/** What the registry client gives back for an Avro schema id (an avsc type). */
interface AvroType {
  toBuffer(payload: object): Buffer;
  isValid(payload: object, options?: { errorHook: (path: string[]) => void }): boolean;
}

export function createJsonEncoder(): SlotEncoder {
  return {
    encoding: 'json',
    schemaIds: undefined,
    async prepare() {},
    encodeKey(id) {
      return Buffer.from(String(id));
    },
    encodeValue(slotJson) {
      return Buffer.from(slotJson);
    },
  };
}

function isStatus(error: unknown, status: number): boolean {
  return typeof error === 'object' && error !== null && (error as { status?: unknown }).status === status;
}

/** The registry URL without its credentials, and the credentials as the client's basic auth. */
export function registryConnection(url: string): { host: string; auth?: { username: string; password: string } } {
  const parsed = new URL(url);
  const auth = parsed.username ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) } : undefined;
  parsed.username = '';
  parsed.password = '';
  return { host: parsed.toString().replace(/\/+$/, ''), ...(auth ? { auth } : {}) };
}

export interface AvroEncoderOptions {
  registryUrl: string;
  /** Subjects `<topic>-key` and `<topic>-value` (Confluent's TopicNameStrategy). */
  topic: string;
  clientId?: string;
}

export function createAvroEncoder(options: AvroEncoderOptions): SlotEncoder {
  const connection = registryConnection(options.registryUrl);
  const registry = new SchemaRegistry({
    ...connection,
    clientId: options.clientId ?? 'slot-sync',
    retry: { retries: 2, initialRetryTimeInSecs: 0.1, maxRetryTimeInSecs: 2 },
  });
  const subjects = { key: `${options.topic}-key`, value: `${options.topic}-value` };
  const schemas = {
    key: { type: SchemaType.AVRO as const, schema: JSON.stringify(slotKeySchema) },
    value: { type: SchemaType.AVRO as const, schema: JSON.stringify(slotValueSchema) },
  };
  let ids: { key: number; value: number } | undefined;
  /** The avsc types of those ids, as the registry gives them back. */
  let types: { key: AvroType; value: AvroType } | undefined;
  let inFlight: Promise<void> | undefined;

  /**
   * The subject's own compatibility level (`GET /config/<subject>`), or undefined when it has none
   * and the registry's default applies. The client library refuses to register under a subject whose
   * level is not the one it is given (BACKWARD by default): it is given the subject's own.
   */
  const subjectCompatibility = async (subject: string): Promise<COMPATIBILITY | undefined> => {
    const { username, password } = connection.auth ?? {};
    const response = await fetch(`${connection.host}/config/${encodeURIComponent(subject)}`, {
      headers: { accept: 'application/vnd.schemaregistry.v1+json', ...(username !== undefined ? { authorization: `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}` } : {}) },
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`schema registry: GET /config/${subject} answered HTTP ${response.status}`);
    const { compatibilityLevel } = (await response.json()) as { compatibilityLevel?: string };
    return compatibilityLevel?.toUpperCase() as COMPATIBILITY | undefined;
  };

  /** Registers a schema under its subject, leaving the subject's compatibility level as the registry has it. */
  const register = async (which: 'key' | 'value'): Promise<number> => {
    const compatibility = await subjectCompatibility(subjects[which]);
    return (await registry.register(schemas[which], { subject: subjects[which], updateConfig: false, ...(compatibility ? { compatibility } : {}) })).id;
  };

  /** The id the registry gives our schema under its subject; re-registered when it does not know it. */
  const refresh = async (which: 'key' | 'value', known: number, log: Logger): Promise<number> => {
    try {
      const id = await registry.getRegistryIdBySchema(subjects[which], schemas[which]);
      if (id !== known) log.info({ subject: subjects[which], was: known, now: id }, 'schema id changed in the registry: using the new one');
      return id;
    } catch (error) {
      // 404: subject or schema unknown to the registry (the library rethrows it without its status)
      if (error instanceof Error && error.name === 'ConfluentSchemaRegistryError') {
        const id = await register(which);
        log.warn({ subject: subjects[which], was: known, now: id }, 'the registry did not know our schema: registered it again');
        return id;
      }
      if (isStatus(error, 401) || isStatus(error, 403)) throw error;
      // the registry is unreachable: the ids we hold stay valid for encoding
      log.warn({ err: error, subject: subjects[which] }, 'schema registry not reachable: publishing with the schema ids already known');
      return known;
    }
  };

  const prepareOnce = async (log: Logger): Promise<void> => {
    let next: { key: number; value: number };
    if (ids === undefined) {
      next = { key: await register('key'), value: await register('value') };
      log.info({ subjects, schemaIds: next }, 'Avro schemas registered');
    } else {
      const known = ids;
      const [key, value] = await Promise.all([refresh('key', known.key, log), refresh('value', known.value, log)]);
      next = { key, value };
    }
    // the schemas of those ids (from the library's cache, or asked from the registry by id)
    const [key, value] = await Promise.all([registry.getSchema(next.key), registry.getSchema(next.value)]);
    types = { key, value };
    ids = next;
  };

  /** Confluent's wire format: magic byte 0, the schema id (4 bytes, big endian), the Avro body. */
  const encode = (which: 'key' | 'value', payload: object): Buffer => {
    const type = types?.[which];
    const id = ids?.[which];
    if (type === undefined || id === undefined) throw new Error('Avro schemas not registered yet (prepare() first)');
    let body: Buffer;
    try {
      body = type.toBuffer(payload);
    } catch (error) {
      const paths: string[] = [];
      type.isValid(payload, { errorHook: (path) => paths.push(path.join('.')) });
      throw new SlotEncodingError(`does not fit the Avro schema (${paths.join(', ') || (error instanceof Error ? error.message : String(error))})`, { cause: error });
    }
    const out = Buffer.allocUnsafe(body.length + 5);
    out[0] = 0;
    out.writeUInt32BE(id, 1);
    body.copy(out, 5);
    return out;
  };

  return {
    encoding: 'avro',
    get schemaIds() {
      return ids;
    },
    async prepare(log) {
      inFlight ??= prepareOnce(log).finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    encodeKey: (id) => encode('key', { id }),
    encodeValue: (slotJson) => encode('value', parseSlot(slotJson)),
  };
}
