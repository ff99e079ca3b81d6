import { setTimeout as sleep } from 'node:timers/promises';
import { UnrecoverableError } from 'bullmq';
import type { SamplePayload } from '@syncfleet/jobs';
import type { RunContext, RunOutcome } from '@syncfleet/runtime';

/** Works for `sleepMs`, reports `records`, and fails when asked to: the kit's test subject. */
export async function handleSample(payload: SamplePayload, ctx: RunContext): Promise<RunOutcome> {
  if (payload.sleepMs > 0) await sleep(payload.sleepMs, undefined, { signal: ctx.signal });
  const failing = payload.failWith && (payload.failAttempts === undefined || ctx.attempt <= payload.failAttempts);
  if (failing && payload.failWith === 'permanent') throw new UnrecoverableError('sample failure (permanent, as requested)');
  if (failing) throw new Error(`sample failure on attempt ${ctx.attempt} (transient, as requested)`);
  return {
    counts: { records: payload.records, written: ctx.dryRun ? 0 : payload.records },
    result: { note: payload.note ?? null, dryRun: ctx.dryRun },
  };
}
