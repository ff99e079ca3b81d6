// The HTTP API under /api: a thin layer over the control plane (packages/control), which the
// `fleet` CLI shares. Params and query strings are checked with zod; errors are JSON
// `{ error, issues?, known? }`.
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { DryRunNotSupportedError, UnknownJobError, UnknownQueueError, UnknownSyncError, type FleetControl } from '@syncfleet/control';
import type { Logger } from '@syncfleet/log';
import { InvalidPayloadError } from '@syncfleet/runtime';

/** A request the API refuses, with what was wrong. */
export class RequestError extends Error {
  readonly statusCode: number;
  readonly issues: z.core.$ZodIssue[] | undefined;
  constructor(statusCode: number, message: string, issues?: z.core.$ZodIssue[]) {
    super(message);
    this.name = 'RequestError';
    this.statusCode = statusCode;
    this.issues = issues;
  }
}

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new RequestError(400, `invalid ${what}`, result.error.issues);
  return result.data;
}

const boolParam = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const name = z.string().min(1).max(200);
const JobParams = z.object({ name });
const QueueParams = z.object({ queue: name });
const SyncParams = z.object({ sync: name });
const TriggerQuery = z.object({ dryRun: boolParam.optional() }).strict();
const RunsQuery = z
  .object({
    job: name.optional(),
    sync: name.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(20),
  })
  .strict();

export function registerApiRoutes(app: FastifyInstance, control: FleetControl): void {
  app.get('/api/jobs', async () => ({ jobs: control.listJobs() }));

  app.get('/api/schedules', async () => ({ schedules: await control.listSchedules() }));

  app.post('/api/jobs/:name', async (request, reply) => {
    const { name: job } = parse(JobParams, request.params, 'path');
    const { dryRun } = parse(TriggerQuery, request.query, 'query string');
    // No body: the job's defaults (an empty object), as a scheduled run gets.
    const payload: unknown = request.body === undefined ? {} : request.body;
    const queued = await control.enqueue(job, payload, { dryRun: dryRun ?? false });
    return reply.code(queued.deduplicated ? 200 : 201).send(queued);
  });

  app.delete('/api/jobs/:name', async (request) => {
    const { name: job } = parse(JobParams, request.params, 'path');
    return { job, removed: await control.clean(job) };
  });

  app.post('/api/queues/:queue/pause', async (request) => {
    const { queue } = parse(QueueParams, request.params, 'path');
    await control.pause(queue);
    return { queue, paused: await control.isPaused(queue) };
  });

  app.post('/api/queues/:queue/resume', async (request) => {
    const { queue } = parse(QueueParams, request.params, 'path');
    await control.resume(queue);
    return { queue, paused: await control.isPaused(queue) };
  });

  app.get('/api/syncs', async () => ({ syncs: await control.syncStatus() }));

  app.get('/api/syncs/:sync', async (request) => {
    const { sync } = parse(SyncParams, request.params, 'path');
    const [status] = await control.syncStatus(sync);
    return status;
  });

  app.get('/api/runs', async (request) => {
    const { job, sync, limit } = parse(RunsQuery, request.query, 'query string');
    return { runs: await control.runs({ limit, ...(job !== undefined ? { job } : {}), ...(sync !== undefined ? { sync } : {}) }) };
  });
}

/** Known refusals answer 4xx with what was wrong; anything else is logged and answers a bare 500. */
export function createErrorHandler(log: Logger) {
  return (error: FastifyError | Error, request: { method: string; url: string }, reply: FastifyReply): FastifyReply => {
    if (error instanceof RequestError) return reply.code(error.statusCode).send({ error: error.message, ...(error.issues ? { issues: error.issues } : {}) });
    if (error instanceof InvalidPayloadError) return reply.code(400).send({ error: `invalid payload for ${error.jobName}`, issues: error.issues });
    if (error instanceof DryRunNotSupportedError) return reply.code(400).send({ error: error.message });
    if (error instanceof UnknownJobError || error instanceof UnknownQueueError || error instanceof UnknownSyncError) {
      return reply.code(404).send({ error: error.message, known: error.known });
    }
    const statusCode = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (statusCode < 500) return reply.code(statusCode).send({ error: error.message });
    log.error({ err: error, method: request.method, url: request.url.split('?')[0] }, 'request failed');
    return reply.code(500).send({ error: 'internal error (see the scheduler log)' });
  };
}
