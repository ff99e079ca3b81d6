import type { FleetControl } from '@syncfleet/control';
import { assertQueueName } from '../names.ts';
import type { RegisterCommand } from '../program.ts';

/** A command on one queue: what it does, and what it prints (the JSON document, the line for humans). */
interface QueueCommand {
  name: string;
  description: string;
  act(control: FleetControl, queue: string): Promise<{ document: Record<string, unknown>; human: string }>;
}

const queueCommands: QueueCommand[] = [
  {
    name: 'pause',
    description: 'pause a queue: workers finish their active job and take no new one',
    async act(control, queue) {
      await control.pause(queue);
      return { document: { queue, paused: true }, human: `paused queue ${queue}\n` };
    },
  },
  {
    name: 'resume',
    description: 'resume a paused queue',
    async act(control, queue) {
      await control.resume(queue);
      return { document: { queue, paused: false }, human: `resumed queue ${queue}\n` };
    },
  },
  {
    name: 'retry-failed',
    description: 'put every failed job of a queue back to wait',
    async act(control, queue) {
      const retried = await control.retryFailed(queue);
      return { document: { queue, retried }, human: `${retried} failed job(s) of queue ${queue} put back to wait\n` };
    },
  },
];

export const registerQueueCommands: RegisterCommand = (program, kit) => {
  for (const command of queueCommands) {
    program
      .command(command.name)
      .description(command.description)
      .argument('<queue>', 'queue name (see `fleet jobs`)')
      .action(
        kit.run(async (io, queue: string) => {
          const control = kit.context.control();
          assertQueueName(control, queue);
          await kit.context.connect({ redis: true });
          const { document, human } = await command.act(control, queue);
          io.print(document, () => human);
        }),
      );
  }
};
