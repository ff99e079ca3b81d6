// The scheduler's one HTTP server: /healthz (open), /metrics, the API under /api and Bull Board under
// /admin/queues, all behind the auth hook unless auth is explicitly disabled.
import Fastify, { type FastifyInstance } from 'fastify';
import type { FleetControl } from '@syncfleet/control';
import type { Logger } from '@syncfleet/log';
import type { Registry } from '@syncfleet/metrics';
import { createErrorHandler, registerApiRoutes } from './api.routes.ts';
import { createAuthHook, type AuthSettings } from './auth.ts';
import { registerDashboard } from './dashboard.ts';
import { registerFleetMetrics } from './metrics.ts';

export interface HttpServerOptions {
  control: FleetControl;
  /** `undefined`: auth disabled (AUTH_DISABLED=true), every route is open. */
  auth: AuthSettings | undefined;
  registry: Registry;
  log: Logger;
  /** What /healthz reports; `ok: false` answers 503. */
  health: () => { ok: boolean } & Record<string, unknown>;
  /** Per sync, the lag (ms) above which the scheduler alerts (0: none), exposed on /metrics. */
  lagThresholds?: ReadonlyMap<string, number> | undefined;
}

const pathOf = (url: string): string => url.split('?')[0] ?? url;

export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const { control, auth, registry, log } = options;
  const server = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  if (auth) {
    const refused = createAuthHook(auth, (request, reason) =>
      log.warn({ method: request.method, url: pathOf(request.url), ip: request.ip, reason }, 'request refused'),
    );
    server.addHook('onRequest', refused);
  }
  server.addHook('onResponse', async (request, reply) => {
    const fields = {
      method: request.method,
      route: request.routeOptions.url ?? pathOf(request.url),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    };
    // Operations that change something are worth a line; the dashboard's polling is not.
    if (request.method !== 'GET' && request.method !== 'HEAD' && reply.statusCode < 400) log.info(fields, 'request');
    else log.debug(fields, 'request');
  });
  server.setErrorHandler(createErrorHandler(log));
  server.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not found' }));

  server.get('/healthz', async (_request, reply) => {
    const status = options.health();
    return reply.code(status.ok ? 200 : 503).send(status);
  });
  registerFleetMetrics(registry, control, log, options.lagThresholds);
  server.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  registerApiRoutes(server, control);
  await registerDashboard(server, control);
  return server;
}
