// The jobs of the dispo-patcher queue. `dispo.check` patches when the logs show a new reindex;
// `dispo.initial`, `dispo.heal` and `dispo.patch` patch whatever the logs say (one handler).
import { UnrecoverableError } from 'bullmq';
import { findIndexMovesSince, type AlgoliaClient, type IndexMove } from '@syncfleet/algolia';
import type { SyncState } from '@syncfleet/db';
import type { FleetCatalogue, PayloadOf } from '@syncfleet/jobs';
import { runSucceededCard, testCard, type Notifier } from '@syncfleet/notify';
import type { RunContext, RunOutcome } from '@syncfleet/runtime';
import { patchOffers, type PatchOffersResult } from './patch-offers.ts';
import { DRY_RUN_WATERMARK_KEY, WATERMARK_KEY, advanceWatermark, logsSince, movesAfter, parseWatermark, type DispoWatermark } from './watermark.ts';

export type DispoCheckPayload = PayloadOf<FleetCatalogue, 'dispo.check'>;
export type DispoPatchPayload = PayloadOf<FleetCatalogue, 'dispo.patch'>;

export interface DispoDeps {
  client: AlgoliaClient;
  state: SyncState;
  notifier: Notifier;
  indexName: string;
  tmpIndexName: string;
  /** DISPO_DRY_RUN: every run is a dry run. */
  dryRun: boolean;
  /** DISPO_DRY_RUN_NOTIFY: a dry run posts a test card. */
  dryRunNotify: boolean;
  batchSize: number;
  maxInFlight: number;
}

/** Bad credentials or missing ACLs do not heal by retrying: fail at once (one card). */
function asPermanent(error: unknown): unknown {
  const status = typeof error === 'object' && error !== null && 'status' in error ? error.status : undefined;
  if (status === 401 || status === 403) {
    return new UnrecoverableError(`Algolia refused the credentials (HTTP ${status}): check ALGOLIA_APP_ID, ALGOLIA_API_KEY and the key's ACLs (browse, addObject, logs)`);
  }
  return error;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function createDispoHandlers(deps: DispoDeps) {
  const { client, state, notifier, indexName, tmpIndexName } = deps;

  /**
   * Which watermark a run reads, and which one it moves after its patch (none: it moves nothing).
   * A run that writes reads and moves the real one. Under DISPO_DRY_RUN every run is dry: those
   * keep a watermark of their own, so each reindex is reported once (and one test card sent),
   * not again every minute while the move stays in the logs. A dry run asked by the payload
   * compares with the real watermark and moves nothing.
   */
  const watermarkKeys = (payloadDryRun: boolean): { read: string; advance: string | undefined } => {
    if (deps.dryRun) return { read: DRY_RUN_WATERMARK_KEY, advance: DRY_RUN_WATERMARK_KEY };
    return { read: WATERMARK_KEY, advance: payloadDryRun ? undefined : WATERMARK_KEY };
  };

  const readWatermark = async (ctx: RunContext, key: string): Promise<DispoWatermark | undefined> => {
    const stored = await state.get<unknown>(key);
    const watermark = parseWatermark(stored);
    if (stored !== undefined && watermark === undefined) ctx.log.warn('stored watermark is not readable: every move still in the logs counts as new');
    return watermark;
  };

  const newMoves = async (watermark: DispoWatermark | undefined): Promise<IndexMove[]> => {
    const moves = await findIndexMovesSince(client, { source: tmpIndexName, destination: indexName, since: logsSince(watermark) });
    return movesAfter(moves, watermark);
  };

  /** Patches the index, then moves the watermark `advance` (if any) past `moves`, then tells Teams. */
  const patch = async (
    ctx: RunContext,
    dryRun: boolean,
    watermark: DispoWatermark | undefined,
    advance: string | undefined,
    moves: IndexMove[],
    trigger: string,
  ): Promise<RunOutcome> => {
    ctx.log.info({ index: indexName, dryRun, trigger, moves: moves.map((m) => m.at.toISOString()) }, 'patch started');
    let result: PatchOffersResult;
    try {
      result = await patchOffers({
        client,
        indexName,
        dryRun,
        batchSize: deps.batchSize,
        maxInFlight: deps.maxInFlight,
        signal: ctx.signal,
        log: ctx.log,
      });
    } catch (error) {
      throw asPermanent(error);
    }
    const next = advance === undefined ? watermark : advanceWatermark(watermark, moves);
    if (advance !== undefined && next !== watermark && next !== undefined) await state.set(advance, next);
    const counts = { scanned: result.scanned, changed: result.changed, written: result.written, batches: result.batches, moves: moves.length };
    ctx.log.info({ index: indexName, dryRun, ...counts, durationMs: result.durationMs, watermark: next?.movedAt ?? null }, 'patch done');

    if (!dryRun) {
      await notifier.send(
        runSucceededCard({
          title: `dispo-patcher: ${result.changed} of ${result.scanned} offers patched on ${indexName}`,
          facts: {
            Index: indexName,
            Trigger: trigger,
            'Offers scanned': result.scanned,
            'Offers changed': result.changed,
            Duration: seconds(result.durationMs),
            'Index moved at': moves[0]?.at,
            Job: ctx.jobName,
            'Run id': ctx.runId,
          },
        }),
      );
    } else if (deps.dryRunNotify) {
      const card = testCard({ jobName: ctx.jobName });
      card.sections[0]?.facts.push(
        { name: 'Index', value: indexName },
        { name: 'Offers scanned', value: String(result.scanned) },
        { name: 'Offers that would change', value: String(result.changed) },
      );
      await notifier.send(card);
    }
    return {
      counts,
      // DISPO_DRY_RUN: the ledger records the run as a dry run, as when the payload asks for one
      ...(dryRun ? { dryRun: true } : {}),
      result: {
        index: indexName,
        dryRun,
        trigger,
        moves: moves.map((m) => m.at.toISOString()),
        scanned: result.scanned,
        changed: result.changed,
        written: result.written,
        durationMs: result.durationMs,
        watermark: next ?? null,
      },
    };
  };

  const handleCheck = async (payload: DispoCheckPayload, ctx: RunContext): Promise<RunOutcome> => {
    const dryRun = deps.dryRun || payload.dryRun;
    const keys = watermarkKeys(payload.dryRun);
    const watermark = await readWatermark(ctx, keys.read);
    let moves: IndexMove[];
    try {
      moves = await newMoves(watermark);
    } catch (error) {
      throw asPermanent(error);
    }
    if (moves.length === 0) {
      const since = watermark === undefined ? 'in the logs' : `since ${watermark.movedAt}`;
      return { skipped: `no move of ${tmpIndexName} onto ${indexName} ${since}`, counts: { moves: 0 }, ...(dryRun ? { dryRun: true } : {}) };
    }
    // Algolia applies a move when its task is published, not when it logs it: browsing before that
    // would read (and leave) the index the move is about to replace
    try {
      for (const move of moves) {
        if (move.taskID !== undefined) await client.waitForTask({ indexName: move.source, taskID: move.taskID });
      }
    } catch (error) {
      throw asPermanent(error);
    }
    return patch(ctx, dryRun, watermark, keys.advance, moves, `reindex: ${tmpIndexName} moved onto ${indexName}`);
  };

  const handleFullPatch = async (payload: DispoPatchPayload, ctx: RunContext): Promise<RunOutcome> => {
    const dryRun = deps.dryRun || payload.dryRun;
    const keys = watermarkKeys(payload.dryRun);
    const watermark = await readWatermark(ctx, keys.read);
    // A full patch covers every move logged before it starts: the watermark may pass them too, so
    // the next check does not patch again. Best effort: without the logs, the patch still runs.
    let moves: IndexMove[] = [];
    try {
      moves = await newMoves(watermark);
    } catch (error) {
      ctx.log.warn({ err: error }, 'algolia logs not readable: patching anyway, the watermark stays where it is');
    }
    const trigger = payload.reason === undefined ? `full patch (${ctx.jobName})` : `full patch (${ctx.jobName}): ${payload.reason}`;
    return patch(ctx, dryRun, watermark, keys.advance, moves, trigger);
  };

  return {
    'dispo.check': handleCheck,
    'dispo.initial': handleFullPatch,
    'dispo.heal': handleFullPatch,
    'dispo.patch': handleFullPatch,
  };
}
