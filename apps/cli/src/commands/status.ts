import type { SyncStatus } from '@syncfleet/control';
import type { RegisterCommand } from '../program.ts';
import { assertSyncName } from '../names.ts';
import { compactJson, formatDuration, formatTime, renderTable } from '../output.ts';

/** `12m`, `12m of 45m`, or `2h LAGGING (over 45m)` when over the scheduler's alert threshold. */
function lagText(status: SyncStatus): string {
  if (status.lagSeconds === null) return '-';
  const lag = formatDuration(status.lagSeconds * 1000);
  if (status.lagThresholdSeconds === null) return lag;
  const limit = formatDuration(status.lagThresholdSeconds * 1000);
  return status.lagging ? `${lag} LAGGING (over ${limit})` : `${lag} of ${limit}`;
}

function lastRunText(status: SyncStatus): string {
  const run = status.lastRun;
  return run ? `${run.status} ${run.jobName} ${formatTime(run.finishedAt ?? run.startedAt)}` : 'never';
}

export const registerStatus: RegisterCommand = (program, kit) => {
  program
    .command('status')
    .description('per sync: last run, last success, lag, pending and failed jobs, watermark, paused')
    .argument('[sync]', 'only this sync')
    .action(
      kit.run(async (io, sync: string | undefined) => {
        const control = kit.context.control();
        if (sync !== undefined) assertSyncName(control, sync);
        await kit.context.connect({ redis: true, postgres: true });
        const statuses = await control.syncStatus(sync);
        io.print(sync === undefined ? statuses : statuses[0], () =>
          renderTable(
            ['SYNC', 'PAUSED', 'LAST RUN', 'LAST SUCCESS', 'LAG', 'PENDING', 'ACTIVE', 'FAILED', 'WATERMARK'],
            statuses.map((s) => [
              s.sync,
              s.paused ? 'yes' : 'no',
              lastRunText(s),
              s.lastSuccess ? formatTime(s.lastSuccess.finishedAt) : 'never',
              lagText(s),
              s.pending,
              s.active,
              s.failed,
              compactJson(s.watermark),
            ]),
          ),
        );
      }),
    );
};
