// The sync's window arithmetic and the claim decision: pure functions of instants (UTC, ms since
// the epoch in Date objects), no I/O, no clock of their own.
//
// Coverage: the instant up to which every change is known to be in the index, i.e. the end of the
// last successful run that started at or before the coverage of its time (a periodic run always
// does: it starts at coverage minus the overlap). A run's window is [start, end): the returns
// with start <= updated_at < end. The next periodic window starts at coverage minus the overlap,
// so a row committed late with an updated_at a little in the past still falls in a window.

export const runKinds = ['periodic', 'initial', 'healing'] as const;
export type RunKind = (typeof runKinds)[number];

export interface SyncWindow {
  start: Date;
  end: Date;
  /** The run starts at or before the coverage minus the overlap: once it succeeded, the coverage moves to its end. */
  advancesWatermark: boolean;
}

export interface WindowInput {
  kind: RunKind;
  /** The claim time (end of the window). */
  now: Date;
  /** End of the last successful run that advanced the watermark; null before the first one. */
  coverageEnd: Date | null;
  overlapMs: number;
  /** Where coverage begins when nothing was synced yet (RETURNS_BACKFILL_SINCE). */
  origin: Date;
  /** initial: every return changed since this instant (default: origin). */
  since?: Date | undefined;
  /** healing: the last `healHours` hours. */
  healHours: number;
}

const hourMs = 3_600_000;

function assertInstant(name: string, value: Date): void {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new RangeError(`${name} must be a valid Date`);
}

/** The window of a run claimed at `now`. */
export function computeWindow(input: WindowInput): SyncWindow {
  const { kind, now, coverageEnd, overlapMs, origin, healHours } = input;
  assertInstant('now', now);
  assertInstant('origin', origin);
  if (coverageEnd !== null) assertInstant('coverageEnd', coverageEnd);
  if (!(Number.isFinite(overlapMs) && overlapMs >= 0)) throw new RangeError('overlapMs must be a non-negative number');
  if (!(Number.isInteger(healHours) && healHours >= 1)) throw new RangeError('healHours must be a positive integer');

  let startMs: number;
  switch (kind) {
    case 'periodic':
      startMs = coverageEnd === null ? origin.getTime() : coverageEnd.getTime() - overlapMs;
      break;
    case 'initial':
      startMs = (input.since ?? origin).getTime();
      break;
    case 'healing':
      startMs = now.getTime() - healHours * hourMs;
      break;
  }
  // a coverage in the future (clocks moved back) gives an empty window, never a negative one
  const endMs = now.getTime();
  startMs = Math.min(startMs, endMs);
  // A run moves the coverage only if it re-reads the overlap before it, as a periodic run does: a heal
  // or backfill starting inside the overlap would skip rows committed late with an older updated_at.
  const reach = coverageEnd === null ? origin.getTime() : coverageEnd.getTime() - overlapMs;
  return { start: new Date(startMs), end: new Date(endMs), advancesWatermark: startMs <= reach };
}

/** The newest row of the state table, as the claim decision needs it. */
export interface NewestRun {
  id: number;
  /** 0 idle (succeeded), 1 queued, 2 processing, 3 failed */
  status: number;
  createdAt: Date;
  heartbeatAt: Date;
  ownerJob: string;
  advancesWatermark: boolean;
}

export type ClaimDecision =
  | { action: 'claim'; takeOver?: { id: number; reason: string } }
  /** Another run is alive: the seed's "status 1 or 2: return nothing". */
  | { action: 'busy'; reason: string }
  /** A periodic tick that a run claimed after it came due already covers. */
  | { action: 'covered'; reason: string };

export interface ClaimInput {
  newest: NewestRun | null;
  now: Date;
  staleAfterMs: number;
  /** The BullMQ job asking (`<queue>/<job id>`): a job may always take over its own earlier attempt. */
  ownerJob: string;
  kind: RunKind;
  /** periodic: when the tick came due. */
  dueAt?: Date | undefined;
}

export const runStatus = { idle: 0, queued: 1, processing: 2, failed: 3 } as const;

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

export function decideClaim(input: ClaimInput): ClaimDecision {
  const { newest, now, staleAfterMs, ownerJob, kind, dueAt } = input;
  if (newest === null) return { action: 'claim' };
  const active = newest.status === runStatus.queued || newest.status === runStatus.processing;
  if (active) {
    const silentMs = now.getTime() - newest.heartbeatAt.getTime();
    if (newest.ownerJob === ownerJob) {
      return { action: 'claim', takeOver: { id: newest.id, reason: `taken over by a later attempt of the same job (${ownerJob})` } };
    }
    if (silentMs >= staleAfterMs) {
      return {
        action: 'claim',
        takeOver: { id: newest.id, reason: `taken over: no heartbeat for ${seconds(silentMs)} (stale after ${seconds(staleAfterMs)}), its worker is presumed dead` },
      };
    }
    return {
      action: 'busy',
      reason: `run ${newest.id} is still active (status ${newest.status}, last heartbeat ${seconds(Math.max(0, silentMs))} ago)`,
    };
  }
  if (kind === 'periodic' && dueAt !== undefined && newest.status === runStatus.idle && newest.advancesWatermark && newest.createdAt.getTime() >= dueAt.getTime()) {
    return {
      action: 'covered',
      reason: `run ${newest.id} was claimed at ${newest.createdAt.toISOString()}, after this tick came due (${dueAt.toISOString()}): nothing left to do`,
    };
  }
  return { action: 'claim' };
}
