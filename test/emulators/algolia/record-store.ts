// The records of one emulated index, kept in insertion order so that a browse can resume from a
// position token in O(page) time while writes happen.
//
// Every record gets a sequence number when it is first inserted (updates keep it). Positions hold
// records in ascending sequence order; a delete leaves a tombstone that a compaction removes
// once tombstones are the majority. A browse cursor carries the last sequence number returned, so
// it survives compactions (a binary search finds where to resume): every record that existed when
// the browse started and was not deleted meanwhile is returned exactly once.

export type AlgoliaRecord = Record<string, unknown> & { objectID: string };

export interface RecordPage {
  records: AlgoliaRecord[];
  /** Sequence number of the last record of the page (resume after it). */
  lastSeq: number;
  /** Whether a live record matching the predicate remains after this page. */
  more: boolean;
}

/** One sequence for every store of an emulator, so that seqs never go backwards after a move. */
export interface SequenceSource {
  next(): number;
}

export function createSequence(): SequenceSource {
  let last = 0;
  return { next: () => ++last };
}

export class RecordStore {
  readonly #sequence: SequenceSource;
  /** objectID -> position in #records / #seqs */
  readonly #positions = new Map<string, number>();
  /** records by position; undefined marks a deleted record (tombstone) */
  #records: Array<AlgoliaRecord | undefined> = [];
  #seqs: number[] = [];
  #tombstones = 0;

  constructor(sequence: SequenceSource) {
    this.#sequence = sequence;
  }

  get size(): number {
    return this.#positions.size;
  }

  get(objectID: string): AlgoliaRecord | undefined {
    const position = this.#positions.get(objectID);
    return position === undefined ? undefined : this.#records[position];
  }

  has(objectID: string): boolean {
    return this.#positions.has(objectID);
  }

  /** Inserts or replaces (a replaced record keeps its place in browse order). */
  set(record: AlgoliaRecord): void {
    const position = this.#positions.get(record.objectID);
    if (position !== undefined) {
      this.#records[position] = record;
      return;
    }
    this.#positions.set(record.objectID, this.#records.length);
    this.#records.push(record);
    this.#seqs.push(this.#sequence.next());
  }

  delete(objectID: string): boolean {
    const position = this.#positions.get(objectID);
    if (position === undefined) return false;
    this.#positions.delete(objectID);
    this.#records[position] = undefined;
    this.#tombstones += 1;
    if (this.#tombstones > 1024 && this.#tombstones * 2 > this.#records.length) this.#compact();
    return true;
  }

  clear(): void {
    this.#positions.clear();
    this.#records = [];
    this.#seqs = [];
    this.#tombstones = 0;
  }

  /** An independent copy (records are shared: they are never mutated in place, only replaced). */
  copy(): RecordStore {
    const copy = new RecordStore(this.#sequence);
    for (const record of this.#records) if (record !== undefined) copy.set(record);
    return copy;
  }

  *values(): IterableIterator<AlgoliaRecord> {
    for (const record of this.#records) if (record !== undefined) yield record;
  }

  /** Up to `limit` live records with a sequence number above `afterSeq`, in browse order. */
  page(afterSeq: number, limit: number, predicate?: (record: AlgoliaRecord) => boolean): RecordPage {
    const page: AlgoliaRecord[] = [];
    const records = this.#records;
    let position = this.#firstPositionAfter(afterSeq);
    let lastSeq = afterSeq;
    while (position < records.length && page.length < limit) {
      const record = records[position];
      if (record !== undefined && (predicate === undefined || predicate(record))) {
        page.push(record);
        lastSeq = this.#seqs[position] ?? lastSeq;
      }
      position += 1;
    }
    // the cursor must be absent on the last page: look ahead for one more live match
    let more = false;
    while (position < records.length) {
      const record = records[position];
      if (record !== undefined && (predicate === undefined || predicate(record))) {
        more = true;
        break;
      }
      position += 1;
    }
    return { records: page, lastSeq, more };
  }

  #firstPositionAfter(seq: number): number {
    let low = 0;
    let high = this.#seqs.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.#seqs[mid] ?? Infinity) <= seq) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  #compact(): void {
    const records: AlgoliaRecord[] = [];
    const seqs: number[] = [];
    for (let position = 0; position < this.#records.length; position += 1) {
      const record = this.#records[position];
      if (record === undefined) continue;
      this.#positions.set(record.objectID, records.length);
      records.push(record);
      seqs.push(this.#seqs[position] ?? 0);
    }
    this.#records = records;
    this.#seqs = seqs;
    this.#tombstones = 0;
  }
}
