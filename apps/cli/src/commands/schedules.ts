import type { RegisterCommand } from '../program.ts';
import { formatTime, renderTable } from '../output.ts';
import { formatSchedule } from './schedule-text.ts';

export const registerSchedules: RegisterCommand = (program, kit) => {
  program
    .command('schedules')
    .description('list the live BullMQ job schedulers of the fleet with their next run')
    .action(
      kit.run(async (io) => {
        const control = kit.context.control();
        await kit.context.connect({ redis: true });
        const schedules = await control.listSchedules();
        io.print(schedules, () =>
          schedules.length === 0
            ? `no job schedulers in fleet ${control.fleetPrefix} (the scheduler app creates them when it starts)\n`
            : renderTable(
                ['JOB', 'QUEUE', 'SCHEDULE', 'NEXT RUN'],
                schedules.map((s) => [s.job, s.queue, formatSchedule(s), formatTime(s.next)]),
              ),
        );
      }),
    );
};
