import { assertJobName } from '../names.ts';
import type { RegisterCommand } from '../program.ts';

export const registerClean: RegisterCommand = (program, kit) => {
  program
    .command('clean')
    .description("remove a job's waiting, delayed and failed entries (an active run is left alone)")
    .argument('<job>', 'job name (see `fleet jobs`)')
    .action(
      kit.run(async (io, job: string) => {
        const control = kit.context.control();
        assertJobName(control, job);
        await kit.context.connect({ redis: true });
        const removed = await control.clean(job);
        io.print({ job, removed }, () => `removed ${removed} waiting, delayed or failed ${job} job(s)\n`);
      }),
    );
};
