// The watermark of dispo.check: the newest index move already patched. Stored in Postgres
// (sync_state, key 'watermark') and moved only after a patch succeeded.
//
// Algolia's log timestamps are to the second, so "strictly after the watermark's second" would hide
// a second reindex finished within that same second. The watermark therefore keeps the log entries
// (sha1) of the moves of its second: the next check reads from that second on and leaves out only
// the moves it already handled.
import { z } from 'zod';
import type { IndexMove } from '@syncfleet/algolia';

export const WATERMARK_KEY = 'watermark';
/** The watermark of the runs made under DISPO_DRY_RUN=true: they never touch the real one. */
export const DRY_RUN_WATERMARK_KEY = 'watermark:dryRun';

export const DispoWatermark = z.object({
  /** When the newest patched move was logged (ISO 8601, to the second). */
  movedAt: z.iso.datetime(),
  /** Log entries (sha1) of the patched moves logged in that same second. */
  logSha1s: z.array(z.string()).default([]),
});
export type DispoWatermark = z.output<typeof DispoWatermark>;

/** A stored value, or undefined when there is none or it is not a watermark (then every move in the logs counts). */
export function parseWatermark(value: unknown): DispoWatermark | undefined {
  const parsed = DispoWatermark.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** The instant to read the logs from: just before the watermark's second, so that second is read again. */
export function logsSince(watermark: DispoWatermark | undefined): Date | null {
  return watermark === undefined ? null : new Date(Date.parse(watermark.movedAt) - 1);
}

/** The moves that the watermark does not cover (newest first, as given). */
export function movesAfter(moves: readonly IndexMove[], watermark: DispoWatermark | undefined): IndexMove[] {
  if (watermark === undefined) return [...moves];
  const mark = Date.parse(watermark.movedAt);
  const seen = new Set(watermark.logSha1s);
  return moves.filter((move) => move.at.getTime() > mark || (move.at.getTime() === mark && !seen.has(move.sha1)));
}

/** The watermark after patching `moves` (the new ones): their newest second, with every move of that second. */
export function advanceWatermark(watermark: DispoWatermark | undefined, moves: readonly IndexMove[]): DispoWatermark | undefined {
  if (moves.length === 0) return watermark;
  const newest = Math.max(...moves.map((move) => move.at.getTime()));
  const previous = watermark === undefined ? Number.NEGATIVE_INFINITY : Date.parse(watermark.movedAt);
  if (newest < previous) return watermark;
  const sha1s = new Set(newest === previous ? watermark?.logSha1s : []);
  for (const move of moves) if (move.at.getTime() === newest) sha1s.add(move.sha1);
  return { movedAt: new Date(newest).toISOString(), logSha1s: [...sha1s].sort() };
}
