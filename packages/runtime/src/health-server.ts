import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from '@syncfleet/metrics';

export interface HealthServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** What /healthz reports; `ok: false` answers 503. */
  status: () => { ok: boolean } & Record<string, unknown>;
}

/** /healthz (liveness and readiness) and /metrics (Prometheus) of one app. */
export async function startHealthServer(options: HealthServerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const app: FastifyInstance = Fastify({ logger: false });
  app.get('/healthz', async (_request, reply) => {
    const status = options.status();
    return reply.code(status.ok ? 200 : 503).send(status);
  });
  app.get('/metrics', async (_request, reply) => {
    const body = await options.registry.metrics();
    return reply.type(options.registry.contentType).send(body);
  });
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return { port, close: () => app.close() };
}
