// Processes the messages of one chunk in order against a MemoryView: the ordering guard, the
// processor of each table, the attempt accounting (RETRY -> FAILED at the limit), and the release
// of WAITING messages of the same chunk. Pure: the caller loads the view and writes the outcome.
import type { IngestStatus } from './arena-message.ts';
import type { Effect, MemoryView } from './processing-view.ts';
import { processors, type ArenaRow, type DecidedStatus, type Decision } from './processors.ts';

export interface ChunkRow extends ArenaRow {
  /** The status the message has now: NEW on first delivery, RETRY or FAILED on a retry. */
  previousStatus: IngestStatus;
}

export interface RowOutcome {
  ref: string;
  status: DecidedStatus;
  attempts: number;
  note: string | null;
  /** Set last_attempted: a retry, or a first delivery that did not succeed. */
  attempted: boolean;
  histLinkWaits: number;
}

export interface ChunkOutcome {
  /** In the order of the rows. */
  outcomes: RowOutcome[];
  /** Every effect of every message, in order (the view has applied them already). */
  effects: Effect[];
  /** Person lookups some message needed and the view did not have. */
  neededPersons: Set<string>;
}

export interface ChunkOptions {
  /** A message in RETRY becomes FAILED when its attempts reach this. */
  maxAttempts: number;
  /** The retry jobs: every processing sets last_attempted, and a message superseded by a newer handled one is IGNORED, not republished. */
  retrying: boolean;
  /** Retry path: the newest HANDLED position of a participant, if newer than the message. */
  newerHandled?: (table: string, arenaId: string, pos: string) => string | undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function decideRow(row: ChunkRow, view: MemoryView, options: ChunkOptions): Decision {
  const blocking = view.blockedBy(row.table, row.arenaId, row.ref, row.pos);
  if (blocking !== undefined) return { status: 'RETRY', note: `waits for the earlier message at pos ${blocking} of the same arena id` };
  if (options.retrying) {
    const newer = options.newerHandled?.(row.table, row.arenaId, row.pos);
    // only after a reingest raced with newer messages: republishing it would overwrite newer data
    if (newer !== undefined) return { status: 'IGNORED', note: `superseded: the newer message at pos ${newer} is already handled` };
  }
  try {
    return processors[row.table](row, view);
  } catch (error) {
    // any unexpected error (an unknown status code among them): retried, then FAILED
    return { status: 'RETRY', note: errorText(error) };
  }
}

export function processChunk(rows: readonly ChunkRow[], view: MemoryView, options: ChunkOptions): ChunkOutcome {
  const outcomes: RowOutcome[] = [];
  const effects: Effect[] = [];
  const neededPersons = new Set<string>();
  /** gjennomføring arena id -> outcomes of this chunk WAITING for it (with their rows) */
  const waiting = new Map<string, Array<{ outcome: RowOutcome; row: ChunkRow }>>();

  for (const row of rows) {
    const decision = decideRow(row, view, options);
    if (decision.needsPerson !== undefined) neededPersons.add(decision.needsPerson);
    let status = decision.status;
    let attempts = row.attempts;
    if (status === 'RETRY' || status === 'FAILED') {
      attempts = row.attempts + 1;
      if (attempts >= options.maxAttempts || row.previousStatus === 'FAILED') status = 'FAILED';
    }
    const outcome: RowOutcome = {
      ref: row.ref,
      status,
      attempts,
      note: decision.note ?? null,
      attempted: options.retrying || status === 'RETRY' || status === 'FAILED' || status === 'WAITING',
      histLinkWaits: row.histLinkWaits + (decision.waitsForHistLink ? 1 : 0),
    };
    outcomes.push(outcome);
    view.setMessageStatus(row.table, row.arenaId, row.ref, row.pos, status);
    if (status === 'WAITING' && decision.waitingOn !== undefined) {
      const list = waiting.get(decision.waitingOn) ?? [];
      list.push({ outcome, row });
      waiting.set(decision.waitingOn, list);
    }
    for (const effect of decision.effects ?? []) {
      view.apply(effect);
      effects.push(effect);
      if (effect.kind === 'releaseWaiting') {
        for (const released of waiting.get(effect.gjennomforingArenaId) ?? []) {
          released.outcome.status = 'RETRY';
          released.outcome.attempts = 0;
          released.outcome.note = `released: gjennomføring ${effect.gjennomforingArenaId} is valid now`;
          view.setMessageStatus(released.row.table, released.row.arenaId, released.row.ref, released.row.pos, 'RETRY');
        }
        waiting.delete(effect.gjennomforingArenaId);
      }
    }
  }
  return { outcomes, effects, neededPersons };
}
