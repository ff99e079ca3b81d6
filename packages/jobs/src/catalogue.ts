/**
 * Glossary
 * - job: a named unit of work with a zod payload (e.g. `returns.sync`), declared once here and
 *   imported by everything that produces or consumes it (scheduler, API, CLI, workers).
 * - queue: a BullMQ queue owned by one worker app; a singleton queue runs one job at a time across
 *   every replica (global concurrency 1), a fan-out queue spreads its jobs over replicas.
 * - schedule: when a job comes due by itself (a cron pattern with its time zone, or an interval);
 *   the scheduler app turns each into one BullMQ job scheduler.
 * - run: one attempt of one job by a worker, recorded in the run ledger (Postgres) with its status,
 *   timing, counts, window and error.
 * - watermark: the point up to which a sync has provably caught up (a time, a log entry, a
 *   position); it moves only after a run succeeded.
 * - overlap policy: what happens to a scheduled tick that came due while a run of the same sync was
 *   active: `skip` records a skipped run and does no work, `bufferOne` runs it right after.
 */
import type { z } from 'zod';

/**
 * `part`: a piece of another job's run, enqueued by that run (e.g. a page of `returns.sync`), never
 * scheduled. It has its own ledger rows, but it is not a run of its sync: a sync's last run and last
 * success (`fleet status`) are those of its other jobs.
 */
export const jobKinds = ['initial', 'periodic', 'healing', 'dump', 'manual', 'part'] as const;
export type JobKind = (typeof jobKinds)[number];

export const overlapPolicies = ['skip', 'bufferOne'] as const;
export type OverlapPolicy = (typeof overlapPolicies)[number];

export type Schedule =
  /** A cron pattern (5 or 6 fields) evaluated in the time zone `tz` (IANA name). */
  | { readonly pattern: string; readonly tz: string }
  /** A fixed interval in milliseconds. */
  | { readonly every: number };

export interface Backoff {
  readonly type: 'exponential' | 'fixed';
  /** Milliseconds before the first retry (exponential doubles it each time). */
  readonly delay: number;
}

export interface QueueSpec {
  /** The sync that owns the queue. */
  readonly sync: string;
  /** One job at a time across every replica (BullMQ global concurrency 1). */
  readonly singleton: boolean;
  /** Jobs each worker process runs at once; 1 for singleton queues. */
  readonly concurrency: number;
}

export interface JobSpec<Q extends string = string, P extends z.ZodType = z.ZodType> {
  readonly sync: string;
  readonly queue: Q;
  readonly kind: JobKind;
  readonly description: string;
  /** Validated by the producer before enqueue and again by the worker before the handler runs. */
  readonly payload: P;
  /** Default schedule; env may override it (see `scheduleEnv`). Absent: only run when triggered. */
  readonly schedule?: Schedule;
  /**
   * An extra env variable, in whole seconds, that sets the job's interval (a name the sync's
   * users already know, e.g. `SYNC_SLEEP_PERIOD_SECONDS`); set together with `<JOB>_CRON` or `<JOB>_EVERY`, it is refused.
   */
  readonly scheduleSecondsEnv?: string;
  readonly overlap: OverlapPolicy;
  readonly attempts: number;
  readonly backoff: Backoff;
  /** The payload accepts `dryRun: true`: compute and report, write nothing. */
  readonly dryRun: boolean;
}

export type JobDefinition<N extends string = string, Q extends string = string, P extends z.ZodType = z.ZodType> =
  JobSpec<Q, P> & { readonly name: N };

export interface Catalogue<
  Qs extends Record<string, QueueSpec> = Record<string, QueueSpec>,
  Js extends Record<string, JobSpec<Extract<keyof Qs, string>>> = Record<string, JobSpec<Extract<keyof Qs, string>>>,
> {
  readonly queues: { readonly [Q in keyof Qs]: Qs[Q] & { readonly name: Q } };
  readonly jobs: { readonly [N in keyof Js]: Js[N] & { readonly name: N } };
}

/** Any catalogue, for code that works on every job (scheduler, API, CLI, runtime). */
export type AnyCatalogue = {
  readonly queues: Readonly<Record<string, QueueSpec & { readonly name: string }>>;
  readonly jobs: Readonly<Record<string, JobDefinition>>;
};

/** The names of the jobs that a queue owns: a worker's handler map is typed over exactly these. */
export type JobNamesOfQueue<C extends AnyCatalogue, Q extends string> = {
  [N in keyof C['jobs']]: C['jobs'][N]['queue'] extends Q ? N : never;
}[keyof C['jobs']] &
  string;

export type PayloadOf<C extends AnyCatalogue, N extends keyof C['jobs']> = z.output<C['jobs'][N]['payload']>;

const jobNamePattern = /^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)+$/;
const queueNamePattern = /^[a-z][a-z0-9-]*$/;

/**
 * Builds a catalogue and checks what types cannot: names, kinds, a schedule where the kind needs
 * one, positive attempts. Throws listing every problem.
 */
export function defineCatalogue<
  const Qs extends Record<string, QueueSpec>,
  const Js extends Record<string, JobSpec<Extract<keyof Qs, string>>>,
>(queues: Qs, jobs: Js): Catalogue<Qs, Js> {
  const problems: string[] = [];
  const namedQueues: Record<string, QueueSpec & { name: string }> = {};
  for (const [name, spec] of Object.entries(queues)) {
    if (!queueNamePattern.test(name)) problems.push(`queue "${name}": name must be kebab-case`);
    if (spec.singleton && spec.concurrency !== 1) problems.push(`queue "${name}": a singleton queue has concurrency 1`);
    if (!Number.isInteger(spec.concurrency) || spec.concurrency < 1) problems.push(`queue "${name}": concurrency must be a positive integer`);
    namedQueues[name] = { ...spec, name };
  }
  const namedJobs: Record<string, JobDefinition> = {};
  for (const [name, spec] of Object.entries(jobs)) {
    if (!jobNamePattern.test(name)) problems.push(`job "${name}": name must be dotted camelCase, e.g. returns.syncPage`);
    const queue = namedQueues[spec.queue];
    if (!queue) problems.push(`job "${name}": unknown queue "${spec.queue}"`);
    else if (queue.sync !== spec.sync) problems.push(`job "${name}": sync "${spec.sync}" but its queue belongs to "${queue.sync}"`);
    if ((spec.kind === 'periodic' || spec.kind === 'healing' || spec.kind === 'dump') && !spec.schedule) {
      problems.push(`job "${name}": a ${spec.kind} job needs a default schedule`);
    }
    if ((spec.kind === 'initial' || spec.kind === 'manual' || spec.kind === 'part') && spec.schedule) {
      problems.push(`job "${name}": a ${spec.kind} job has no schedule`);
    }
    if (!Number.isInteger(spec.attempts) || spec.attempts < 1) problems.push(`job "${name}": attempts must be >= 1`);
    if (spec.scheduleSecondsEnv !== undefined && !spec.schedule) problems.push(`job "${name}": scheduleSecondsEnv needs a default schedule`);
    if (spec.schedule && 'every' in spec.schedule && !(spec.schedule.every >= 1000)) {
      problems.push(`job "${name}": an interval schedule is at least 1000 ms`);
    }
    namedJobs[name] = { ...spec, name };
  }
  const initials = new Map<string, number>();
  for (const job of Object.values(namedJobs)) {
    if (job.kind === 'initial') initials.set(job.sync, (initials.get(job.sync) ?? 0) + 1);
  }
  for (const [sync, count] of initials) if (count > 1) problems.push(`sync "${sync}": at most one initial job`);
  if (problems.length > 0) throw new Error(`Invalid job catalogue:\n  - ${problems.join('\n  - ')}`);
  return { queues: namedQueues, jobs: namedJobs } as unknown as Catalogue<Qs, Js>;
}

export function jobsOfQueue(catalogue: AnyCatalogue, queue: string): JobDefinition[] {
  return Object.values(catalogue.jobs).filter((job) => job.queue === queue);
}

export function jobsOfSync(catalogue: AnyCatalogue, sync: string): JobDefinition[] {
  return Object.values(catalogue.jobs).filter((job) => job.sync === sync);
}

/** The sync's initial job, if it declares one: healing waits for it to have succeeded once. */
export function initialJobOf(catalogue: AnyCatalogue, sync: string): JobDefinition | undefined {
  return jobsOfSync(catalogue, sync).find((job) => job.kind === 'initial');
}

export function findJob(catalogue: AnyCatalogue, name: string): JobDefinition | undefined {
  return Object.hasOwn(catalogue.jobs, name) ? catalogue.jobs[name] : undefined;
}

type UnionToIntersection<U> = (U extends unknown ? (arg: U) => void : never) extends (arg: infer I) => void ? I : never;

/** The catalogues of several syncs as one: their queues and jobs side by side, every name once. */
export type MergedCatalogue<Cs extends readonly AnyCatalogue[]> = {
  readonly queues: UnionToIntersection<Cs[number]['queues']>;
  readonly jobs: UnionToIntersection<Cs[number]['jobs']>;
};

/**
 * Joins the catalogues of several syncs (each built with `defineCatalogue`) into the fleet's one.
 * Throws listing every queue or job name that two of them declare.
 */
export function mergeCatalogues<const Cs extends readonly AnyCatalogue[]>(...catalogues: Cs): MergedCatalogue<Cs> {
  const queues: Record<string, QueueSpec & { name: string }> = {};
  const jobs: Record<string, JobDefinition> = {};
  const problems: string[] = [];
  for (const part of catalogues) {
    for (const [name, queue] of Object.entries(part.queues)) {
      if (Object.hasOwn(queues, name)) problems.push(`queue "${name}" is declared twice`);
      queues[name] = queue;
    }
    for (const [name, job] of Object.entries(part.jobs)) {
      if (Object.hasOwn(jobs, name)) problems.push(`job "${name}" is declared twice`);
      jobs[name] = job;
    }
  }
  if (problems.length > 0) throw new Error(`Invalid job catalogue:\n  - ${problems.join('\n  - ')}`);
  return { queues, jobs } as unknown as MergedCatalogue<Cs>;
}
