import type { SyncStatus } from '@syncfleet/control';
import type { RegisterCommand } from '../program.ts';
import { assertSyncName } from '../names.ts';
import { compactJson, formatDuration, formatTime, renderTable } from '../output.ts';

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
              s.lagSeconds === null ? '-' : formatDuration(s.lagSeconds * 1000),
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
