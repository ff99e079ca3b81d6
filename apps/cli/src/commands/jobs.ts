import type { RegisterCommand } from '../program.ts';
import { renderTable } from '../output.ts';
import { formatSchedule } from './schedule-text.ts';

export const registerJobs: RegisterCommand = (program, kit) => {
  program
    .command('jobs')
    .description("list the catalogue's jobs: sync, queue, kind, schedule (with this shell's env overrides), overlap policy")
    .action(
      kit.run(async (io) => {
        const control = kit.context.control({ schedules: true });
        const jobs = control.listJobs();
        io.print(jobs, () =>
          renderTable(
            ['JOB', 'SYNC', 'QUEUE', 'KIND', 'SCHEDULE', 'ENABLED', 'OVERLAP', 'ATTEMPTS', 'DRY RUN', 'DESCRIPTION'],
            jobs.map((j) => [
              j.name,
              j.sync,
              j.queue,
              j.kind,
              formatSchedule(j.schedule) + (j.scheduleSource && j.scheduleSource !== 'catalogue' ? ` [${j.scheduleSource}]` : ''),
              j.schedule ? (j.enabled ? 'yes' : 'no') : '-',
              j.overlap,
              j.attempts,
              j.dryRun ? 'yes' : 'no',
              j.description,
            ]),
          ),
        );
      }),
    );
};
