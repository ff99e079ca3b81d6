// How a slot becomes a Kafka message's key and value: Avro in Confluent's wire format (magic byte 0,
// 4-byte schema id, Avro body) with the schemas in a Confluent-compatible registry, or plain JSON.
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
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
  encodeKey(id: number): Promise<Buffer>;
  /** The value of a slot, from its canonical JSON. */
  encodeValue(slotJson: string): Promise<Buffer>;
  /** The schema ids in use (Avro), for logs and tests. */
  readonly schemaIds: { key: number; value: number } | undefined;
}

export function createJsonEncoder(): SlotEncoder {
  return {
    encoding: 'json',
    schemaIds: undefined,
    async prepare() {},
    async encodeKey(id) {
      return Buffer.from(String(id));
    },
    async encodeValue(slotJson) {
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
  const registry = new SchemaRegistry({
    ...registryConnection(options.registryUrl),
    clientId: options.clientId ?? 'slot-sync',
    retry: { retries: 2, initialRetryTimeInSecs: 0.1, maxRetryTimeInSecs: 2 },
  });
  const subjects = { key: `${options.topic}-key`, value: `${options.topic}-value` };
  const schemas = {
    key: { type: SchemaType.AVRO as const, schema: JSON.stringify(slotKeySchema) },
    value: { type: SchemaType.AVRO as const, schema: JSON.stringify(slotValueSchema) },
  };
  let ids: { key: number; value: number } | undefined;
  let inFlight: Promise<void> | undefined;

  const register = async (which: 'key' | 'value'): Promise<number> => (await registry.register(schemas[which], { subject: subjects[which] })).id;

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
    if (ids === undefined) {
      const [key, value] = [await register('key'), await register('value')];
      ids = { key, value };
      log.info({ subjects, schemaIds: ids }, 'Avro schemas registered');
      return;
    }
    const known = ids;
    const [key, value] = await Promise.all([refresh('key', known.key, log), refresh('value', known.value, log)]);
    ids = { key, value };
  };

  const encode = async (id: number | undefined, payload: object): Promise<Buffer> => {
    if (id === undefined) throw new Error('Avro schemas not registered yet (prepare() first)');
    try {
      return await registry.encode(id, payload);
    } catch (error) {
      if (error instanceof Error && error.name === 'ConfluentSchemaRegistryValidationError') {
        const paths = (error as { paths?: string[][] }).paths ?? [];
        throw new SlotEncodingError(`does not fit the Avro schema (${paths.map((p) => p.join('.')).join(', ') || error.message})`, { cause: error });
      }
      throw error;
    }
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
    encodeKey: (id) => encode(ids?.key, { id }),
    encodeValue: (slotJson) => encode(ids?.value, parseSlot(slotJson)),
  };
}
