import { Option } from 'commander';
import { parseLimit } from '../arguments.ts';
import { assertJobName } from '../names.ts';
import type { RegisterCommand } from '../program.ts';
import { compactJson, formatDuration, formatTime, oneLine, renderTable } from '../output.ts';

export const registerRuns: RegisterCommand = (program, kit) => {
  program
    .command('runs')
    .description('the run ledger, newest first')
    .option('--job <name>', 'only the runs of this job')
    .addOption(new Option('--limit <n>', 'how many runs (1-1000)').argParser(parseLimit).default(20))
    .action(
      kit.run(async (io, options: { job?: string; limit: number }) => {
        const control = kit.context.control();
        if (options.job !== undefined) assertJobName(control, options.job);
        await kit.context.connect({ postgres: true });
        const runs = await control.runs({ ...(options.job !== undefined ? { job: options.job } : {}), limit: options.limit });
        io.print(runs, () =>
          runs.length === 0
            ? `no runs${options.job ? ` of ${options.job}` : ''} in fleet ${control.fleetPrefix}\n`
            : renderTable(
                ['STARTED', 'JOB', 'JOB ID', 'ATTEMPT', 'STATUS', 'DURATION', 'COUNTS', 'REASON / ERROR'],
                runs.map((r) => [
                  formatTime(r.startedAt),
                  r.jobName + (r.dryRun ? ' (dry run)' : ''),
                  r.jobId,
                  r.attempt,
                  r.status,
                  formatDuration(r.durationMs),
                  compactJson(r.counts),
                  oneLine(r.error ?? r.reason),
                ]),
              ),
        );
      }),
    );
};
