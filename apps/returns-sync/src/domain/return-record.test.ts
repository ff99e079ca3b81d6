// The record mapping: every field, the tolerant parts (items, amounts), UTC instants and determinism.
import { describe, expect, test } from 'vitest';
import { normaliseItems, toInstant, toReturnRecord, type ReturnRow } from './return-record.ts';

const row: ReturnRow = {
  id: '900000000000000123', // bigint as pg returns it: beyond 2^53, kept exact as text
  order_id: 'ORD-42',
  channel_order_id: 'AMZ-403-1234567',
  client_account: 'acme-fashion',
  customer_name: 'Asha Rao',
  return_type: 'COURIER_RTO',
  status: 'QC_PASSED',
  reason: 'Customer unavailable',
  items: [
    { sku: 'TSHIRT-RED-M', quantity: 2 },
    { sku: 'JEANS-32', quantity: 1 },
    { sku: 'TSHIRT-RED-M', quantity: 1 },
  ],
  warehouse: 'BLR-1',
  courier: 'Delhivery',
  tracking_number: 'DLV123456789',
  refund_amount: '1499.50',
  created_at: new Date('2025-06-01T09:30:00+05:30'),
  updated_at: new Date('2025-06-02T18:45:12.345+05:30'),
};

describe('toReturnRecord', () => {
  test('maps every column; objectID is the return id', () => {
    expect(toReturnRecord(row)).toEqual({
      objectID: '900000000000000123',
      returnId: '900000000000000123',
      orderId: 'ORD-42',
      channelOrderId: 'AMZ-403-1234567',
      clientAccount: 'acme-fashion',
      customerName: 'Asha Rao',
      returnType: 'COURIER_RTO',
      status: 'QC_PASSED',
      reason: 'Customer unavailable',
      items: [
        { sku: 'TSHIRT-RED-M', quantity: 2 },
        { sku: 'JEANS-32', quantity: 1 },
        { sku: 'TSHIRT-RED-M', quantity: 1 },
      ],
      skus: ['TSHIRT-RED-M', 'JEANS-32'],
      itemCount: 4,
      warehouse: 'BLR-1',
      courier: 'Delhivery',
      trackingNumber: 'DLV123456789',
      refundAmount: 1499.5,
      createdAt: '2025-06-01T04:00:00.000Z',
      updatedAt: '2025-06-02T13:15:12.345Z',
      createdAtTimestamp: Date.UTC(2025, 5, 1, 4, 0, 0) / 1000,
      updatedAtTimestamp: Math.floor(Date.UTC(2025, 5, 2, 13, 15, 12, 345) / 1000),
    });
  });

  test('instants are UTC whatever offset they were written with', () => {
    const a = toReturnRecord({ ...row, updated_at: new Date('2025-10-26T02:30:00+02:00') });
    const b = toReturnRecord({ ...row, updated_at: new Date('2025-10-26T00:30:00Z') });
    expect(a.updatedAt).toBe('2025-10-26T00:30:00.000Z');
    expect(a.updatedAtTimestamp).toBe(b.updatedAtTimestamp);
  });

  test('a row as the page read returns it (JSON: UTC timestamp text, numbers) gives the same record as the typed row', () => {
    const fromJson: ReturnRow = {
      ...row,
      refund_amount: 1499.5,
      created_at: '2025-06-01T04:00:00',
      updated_at: '2025-06-02T13:15:12.345678',
    };
    expect(toReturnRecord(fromJson)).toEqual(toReturnRecord(row));
  });

  test('nullable columns stay null; a numeric id becomes text', () => {
    const record = toReturnRecord({
      ...row,
      id: 17,
      channel_order_id: null,
      customer_name: null,
      reason: null,
      warehouse: null,
      courier: null,
      tracking_number: null,
      refund_amount: null,
      created_at: null,
      items: [],
    });
    expect(record).toMatchObject({
      objectID: '17',
      channelOrderId: null,
      customerName: null,
      refundAmount: null,
      createdAt: null,
      createdAtTimestamp: null,
      items: [],
      skus: [],
      itemCount: 0,
    });
  });

  test('is deterministic and does not touch its input', () => {
    const copy = structuredClone(row);
    expect(toReturnRecord(row)).toEqual(toReturnRecord(row));
    expect(row).toEqual(copy);
  });

  test('a row without a valid updated_at or id cannot become a record', () => {
    expect(() => toReturnRecord({ ...row, updated_at: new Date('garbage') })).toThrow(/updated_at/);
    expect(() => toReturnRecord({ ...row, id: '' })).toThrow(/id/);
  });

  test('an amount that is not a number becomes null', () => {
    expect(toReturnRecord({ ...row, refund_amount: 'n/a' }).refundAmount).toBeNull();
    expect(toReturnRecord({ ...row, refund_amount: 0 }).refundAmount).toBe(0);
  });
});

describe('toInstant', () => {
  test('UTC timestamp text: milliseconds kept, further digits truncated (as a Date would)', () => {
    expect(toInstant('2025-06-02T13:15:12.345678')).toEqual({ iso: '2025-06-02T13:15:12.345Z', unix: Date.UTC(2025, 5, 2, 13, 15, 12) / 1000 });
    expect(toInstant('2025-06-02T13:15:12')?.iso).toBe('2025-06-02T13:15:12.000Z');
    expect(toInstant('2025-06-02 13:15:12.5+00')?.iso).toBe('2025-06-02T13:15:12.500Z');
    expect(toInstant('2025-06-02T13:15:12.5Z')?.iso).toBe('2025-06-02T13:15:12.500Z');
  });

  test('text with another offset is placed in UTC; a Date too', () => {
    expect(toInstant('2025-06-02T15:15:12.345+02:00')?.iso).toBe('2025-06-02T13:15:12.345Z');
    expect(toInstant('2025-03-30T03:30:00+02:00')?.iso).toBe('2025-03-30T01:30:00.000Z');
    expect(toInstant(new Date('2025-06-02T13:15:12.345Z'))).toEqual({ iso: '2025-06-02T13:15:12.345Z', unix: 1748870112 });
  });

  test('nothing usable gives null', () => {
    for (const value of [null, undefined, '', 'yesterday', '2025-13-45T10:00:00', new Date('nope')]) expect(toInstant(value)).toBeNull();
  });
});

describe('normaliseItems', () => {
  test('keeps {sku, quantity}; drops entries without a SKU; a bad quantity counts 0', () => {
    expect(
      normaliseItems([
        { sku: ' A-1 ', quantity: '3' },
        { sku: 'B-2' },
        { quantity: 5 },
        { sku: '', quantity: 1 },
        null,
        'C-3',
        { sku: 'D-4', quantity: 2.7, extra: true },
        { sku: 55, quantity: 'many' },
      ]),
    ).toEqual([
      { sku: 'A-1', quantity: 3 },
      { sku: 'B-2', quantity: 0 },
      { sku: 'D-4', quantity: 2 },
      { sku: '55', quantity: 0 },
    ]);
  });

  test('JSON text of the items is read too (a json or text column)', () => {
    expect(normaliseItems('[{"sku":"A-1","quantity":2}]')).toEqual([{ sku: 'A-1', quantity: 2 }]);
  });

  test('anything but an array is no items', () => {
    for (const value of [null, undefined, {}, 'x', '{"sku":"A"}', 3]) expect(normaliseItems(value)).toEqual([]);
  });
});
