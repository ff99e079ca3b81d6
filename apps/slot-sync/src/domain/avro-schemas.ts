// The Avro schemas of the slot topic's keys and values (registered under `<topic>-key` and
// `<topic>-value`, Confluent's TopicNameStrategy). Field names and order are the seed's; fixed here:
// the ids are longs (upstream's key was a 32-bit int, and WIW ids pass 2^31), dates are ISO-8601
// UTC strings, nullable fields are unions with null first, break_time is WIW's double of hours and
// linked_users WIW's list of user ids.
import type { Slot } from './slot.ts';

export const AVRO_NAMESPACE = 'syncfleet.slots';

export const slotKeySchema = {
  type: 'record',
  name: 'Key',
  namespace: AVRO_NAMESPACE,
  doc: 'The key of a slot message: the When I Work shift id',
  fields: [{ name: 'id', type: 'long', doc: 'When I Work shift id' }],
} as const;

const nullableString = ['null', 'string'] as const;

export const slotValueSchema = {
  type: 'record',
  name: 'Slot',
  namespace: AVRO_NAMESPACE,
  doc: 'A When I Work shift; dates are ISO-8601 in UTC (e.g. 2018-10-07T20:00:00Z)',
  fields: [
    { name: 'account_id', type: 'long' },
    { name: 'acknowledged', type: 'long', doc: '1 once the user confirmed the shift, else 0' },
    { name: 'acknowledged_at', type: nullableString, default: null },
    { name: 'actionable', type: 'boolean' },
    { name: 'alerted', type: 'boolean' },
    { name: 'block_id', type: 'long' },
    { name: 'break_time', type: 'double', doc: 'Unpaid break length in hours' },
    { name: 'color', type: 'string' },
    { name: 'created_at', type: 'string' },
    { name: 'creator_id', type: 'long' },
    { name: 'end_time', type: 'string' },
    { name: 'id', type: 'long' },
    { name: 'instances', type: 'long' },
    { name: 'is_open', type: 'boolean' },
    { name: 'linked_users', type: ['null', { type: 'array', items: 'long' }], default: null, doc: 'Users who may take the open shift; null: everyone' },
    { name: 'location_id', type: 'long' },
    { name: 'notes', type: 'string' },
    { name: 'notified_at', type: nullableString, default: null },
    { name: 'position_id', type: 'long' },
    { name: 'published', type: 'boolean' },
    { name: 'published_date', type: nullableString, default: null },
    { name: 'shiftchain_key', type: 'string' },
    { name: 'site_id', type: 'long' },
    { name: 'start_time', type: 'string' },
    { name: 'updated_at', type: 'string' },
    { name: 'user_id', type: 'long', doc: '0 for an open shift' },
  ],
} as const;

/** Every Slot field is in the value schema and the other way round (checked at compile time). */
type SchemaFieldNames = (typeof slotValueSchema)['fields'][number]['name'];
export const schemaCoversSlot: [Exclude<keyof Slot, SchemaFieldNames>, Exclude<SchemaFieldNames, keyof Slot>] extends [never, never] ? true : false = true;
