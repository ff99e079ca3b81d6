// The returns Algolia refused on their own (`order_return_algolia_refused`): a page records the ones
// it set aside and, in the same statement, forgets the ones it saved, so the table holds exactly
// the returns whose newest record is not in the index because Algolia refused it.
import type { Pool } from '@syncfleet/db';
import type { RefusedRecord } from '@syncfleet/algolia';

export interface RefusedRecordStore {
  /** After a page: `saved` leave the table, `refused` enter it (or count one more refusal). */
  settle(runId: number, saved: readonly string[], refused: readonly RefusedRecord[]): Promise<void>;
}

const settleSql = `
  WITH saved AS (
    DELETE FROM order_return_algolia_refused WHERE index_name = $1 AND object_id = ANY($2::text[])
  )
  INSERT INTO order_return_algolia_refused AS r (index_name, object_id, reason, run_id)
  SELECT $1, refused.object_id, refused.reason, $5 FROM unnest($3::text[], $4::text[]) AS refused(object_id, reason)
  ON CONFLICT (index_name, object_id) DO UPDATE
     SET reason = EXCLUDED.reason, run_id = EXCLUDED.run_id, refusals = r.refusals + 1, last_refused_at = now()`;

export function createRefusedRecordStore(pool: Pool, indexName: string): RefusedRecordStore {
  return {
    async settle(runId, saved, refused) {
      if (saved.length === 0 && refused.length === 0) return;
      await pool.query(settleSql, [indexName, saved, refused.map((r) => r.objectID), refused.map((r) => r.reason), runId]);
    },
  };
}
