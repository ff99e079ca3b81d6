// A row of the returns table -> the Algolia record: pure, total (a malformed field becomes a
// neutral value instead of failing the page: one bad row must not block the sync) and
// deterministic (the same row always gives the same record).

/**
 * A row of the returns table: as the page read returns it (JSON built by Postgres: ids as text,
 * amounts as numbers, instants as UTC timestamp text such as `2025-06-01T10:00:00.123456`), or as
 * `pg` returns the columns themselves (bigint and numeric as strings, timestamptz as Date).
 */
export interface ReturnRow {
  id: string | number;
  order_id: string | null;
  channel_order_id: string | null;
  client_account: string | null;
  customer_name: string | null;
  return_type: string | null;
  status: string | null;
  reason: string | null;
  items: unknown;
  warehouse: string | null;
  courier: string | null;
  tracking_number: string | null;
  refund_amount: string | number | null;
  created_at: Date | string | null;
  updated_at: Date | string;
}

/** The columns the sync reads, in order (documented in the migration and the README). */
export const returnColumns = [
  'id',
  'order_id',
  'channel_order_id',
  'client_account',
  'customer_name',
  'return_type',
  'status',
  'reason',
  'items',
  'warehouse',
  'courier',
  'tracking_number',
  'refund_amount',
  'created_at',
  'updated_at',
] as const satisfies ReadonlyArray<keyof ReturnRow>;

export interface ReturnItem {
  sku: string;
  quantity: number;
}

export interface ReturnRecord {
  [key: string]: unknown;
  objectID: string;
  returnId: string;
  orderId: string | null;
  channelOrderId: string | null;
  clientAccount: string | null;
  customerName: string | null;
  /** CUSTOMER_RETURN | COURIER_RTO */
  returnType: string | null;
  status: string | null;
  reason: string | null;
  items: ReturnItem[];
  /** Every SKU once, for facet filters. */
  skus: string[];
  /** Units returned (sum of the quantities). */
  itemCount: number;
  warehouse: string | null;
  courier: string | null;
  trackingNumber: string | null;
  refundAmount: number | null;
  /** ISO 8601 UTC */
  createdAt: string | null;
  updatedAt: string;
  /** Unix seconds, for numeric filters and sorting. */
  createdAtTimestamp: number | null;
  updatedAtTimestamp: number;
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return null;
}

function quantityOf(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

/** `[{sku, quantity}]` (or its JSON text); entries without a SKU are dropped, a missing or bad quantity counts 0. */
export function normaliseItems(value: unknown): ReturnItem[] {
  if (typeof value === 'string') {
    try {
      return normaliseItems(JSON.parse(value) as unknown);
    } catch {
      return [];
    }
  }
  if (!Array.isArray(value)) return [];
  const items: ReturnItem[] = [];
  for (const entry of value) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { sku, quantity } = entry as { sku?: unknown; quantity?: unknown };
    const skuText = text(sku)?.trim();
    if (!skuText) continue;
    items.push({ sku: skuText, quantity: quantityOf(quantity) });
  }
  return items;
}

function amount(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

/** UTC timestamp text: `2025-06-01T10:00:00`, with up to 9 fraction digits, optionally `Z` or `+00:00`. */
const utcTimestampText = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(?:Z|[+]00(?::?00)?)?$/;

/** An instant as ISO 8601 UTC with milliseconds (what `Date#toISOString` gives) and Unix seconds. */
export function toInstant(value: Date | string | null | undefined): { iso: string; unix: number } | null {
  let ms: number;
  if (typeof value === 'string') {
    const utc = utcTimestampText.exec(value);
    if (utc !== null) {
      // already UTC: only the fraction changes (truncated to milliseconds, as a Date would)
      const iso = `${utc[1]}T${utc[2]}.${`${utc[3] ?? ''}000`.slice(0, 3)}Z`;
      ms = Date.parse(iso);
      return Number.isNaN(ms) ? null : { iso, unix: Math.floor(ms / 1000) };
    }
    ms = Date.parse(value); // another offset: let the Date parser place it
  } else if (value instanceof Date) {
    ms = value.getTime();
  } else {
    return null;
  }
  return Number.isNaN(ms) ? null : { iso: new Date(ms).toISOString(), unix: Math.floor(ms / 1000) };
}

export function toReturnRecord(row: ReturnRow): ReturnRecord {
  const returnId = String(row.id);
  if (returnId === '') throw new TypeError('a return without an id cannot become a record');
  const items = normaliseItems(row.items);
  const created = toInstant(row.created_at);
  const updated = toInstant(row.updated_at);
  if (updated === null) throw new TypeError(`return ${returnId} has no valid updated_at`);
  return {
    objectID: returnId,
    returnId,
    orderId: text(row.order_id),
    channelOrderId: text(row.channel_order_id),
    clientAccount: text(row.client_account),
    customerName: text(row.customer_name),
    returnType: text(row.return_type),
    status: text(row.status),
    reason: text(row.reason),
    items,
    skus: [...new Set(items.map((item) => item.sku))],
    itemCount: items.reduce((sum, item) => sum + item.quantity, 0),
    warehouse: text(row.warehouse),
    courier: text(row.courier),
    trackingNumber: text(row.tracking_number),
    refundAmount: amount(row.refund_amount),
    createdAt: created?.iso ?? null,
    updatedAt: updated.iso,
    createdAtTimestamp: created?.unix ?? null,
    updatedAtTimestamp: updated.unix,
  };
}
