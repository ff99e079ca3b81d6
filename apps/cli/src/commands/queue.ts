import { assertQueueName } from '../names.ts';
import type { RegisterCommand } from '../program.ts';

export const registerQueueCommands: RegisterCommand = (program, kit) => {
  program
    .command('pause')
    .description('pause a queue: workers finish their active job and take no new one')
    .argument('<queue>', 'queue name (see `fleet jobs`)')
    .action(
      kit.run(async (io, queue: string) => {
        const control = kit.context.control();
        assertQueueName(control, queue);
        await kit.context.connect({ redis: true });
        await control.pause(queue);
        io.print({ queue, paused: true }, () => `paused queue ${queue}\n`);
      }),
    );

  program
    .command('resume')
    .description('resume a paused queue')
    .argument('<queue>', 'queue name')
    .action(
      kit.run(async (io, queue: string) => {
        const control = kit.context.control();
        assertQueueName(control, queue);
        await kit.context.connect({ redis: true });
        await control.resume(queue);
        io.print({ queue, paused: false }, () => `resumed queue ${queue}\n`);
      }),
    );

  program
    .command('retry-failed')
    .description('put every failed job of a queue back to wait')
    .argument('<queue>', 'queue name')
    .action(
      kit.run(async (io, queue: string) => {
        const control = kit.context.control();
        assertQueueName(control, queue);
        await kit.context.connect({ redis: true });
        const retried = await control.retryFailed(queue);
        io.print({ queue, retried }, () => `${retried} failed job(s) of queue ${queue} put back to wait\n`);
      }),
    );
};
