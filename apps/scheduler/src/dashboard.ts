// Bull Board, mounted under /admin/queues with every queue of the fleet. Its routes sit behind the
// same auth hook as the API (see auth.ts): a bearer token or HTTP Basic auth.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { FleetControl } from '@syncfleet/control';
import { dashboardBasePath } from './auth.ts';

export async function registerDashboard(app: FastifyInstance, control: FleetControl): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(dashboardBasePath);
  createBullBoard({
    queues: control.queueNames.map((name) => new BullMQAdapter(control.queue(name), { description: `sync ${control.catalogue.queues[name]!.sync}` })),
    serverAdapter,
    options: { uiConfig: { boardTitle: `syncfleet · ${control.fleetPrefix}` } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: dashboardBasePath });
}
