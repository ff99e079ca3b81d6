import { Queue, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { JobDefinition } from '@syncfleet/jobs';
import { bullPrefix } from './keys.ts';

/** A payload that does not match its job's schema: nothing was enqueued. */
export class InvalidPayloadError extends Error {
  readonly jobName: string;
  readonly issues: z.core.$ZodIssue[];

  constructor(jobName: string, error: z.ZodError) {
    super(`invalid payload for ${jobName}:\n${z.prettifyError(error)}`);
    this.name = 'InvalidPayloadError';
    this.jobName = jobName;
    this.issues = error.issues;
  }
}

export function assertValidPayload(job: JobDefinition, data: unknown): void {
  const parsed = job.payload.safeParse(data);
  if (!parsed.success) throw new InvalidPayloadError(job.name, parsed.error);
}

/** Retries and retention come from the catalogue; BullMQ keeps a bounded history for inspection. */
export function jobOptionsFor(job: JobDefinition): JobsOptions {
  return {
    attempts: job.attempts,
    backoff: { type: job.backoff.type, delay: job.backoff.delay },
    removeOnComplete: { age: 7 * 24 * 3600, count: 5000 },
    removeOnFail: { age: 30 * 24 * 3600, count: 5000 },
  };
}

export function createFleetQueue(connection: Redis, fleetPrefix: string, name: string): Queue {
  return new Queue(name, { connection, prefix: bullPrefix(fleetPrefix) });
}

export interface EnqueueOptions {
  jobId?: string;
  /** While a job with this id is waiting or delayed, a second enqueue returns it instead. */
  deduplicationId?: string;
  delay?: number;
}

/** Validates the payload, then adds the job with the catalogue's options. */
export async function enqueueJob(queue: Queue, job: JobDefinition, data: unknown, options: EnqueueOptions = {}): Promise<Job> {
  if (queue.name !== job.queue) throw new Error(`${job.name} belongs to queue ${job.queue}, not ${queue.name}`);
  assertValidPayload(job, data);
  return queue.add(job.name, data, {
    ...jobOptionsFor(job),
    ...(options.jobId ? { jobId: options.jobId } : {}),
    ...(options.delay ? { delay: options.delay } : {}),
    ...(options.deduplicationId ? { deduplication: { id: options.deduplicationId } } : {}),
  });
}
