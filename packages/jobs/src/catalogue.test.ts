// The catalogue's own checks: defineCatalogue rejects what types cannot, mergeCatalogues joins the
// syncs' catalogues and refuses a name declared twice. Pure: no I/O.
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { defineCatalogue, jobsOfQueue, mergeCatalogues } from './catalogue.ts';

const Empty = z.object({}).strict();
const job = { payload: Empty, overlap: 'skip', attempts: 1, backoff: { type: 'fixed', delay: 100 }, dryRun: false } as const;

const alpha = defineCatalogue(
  { alpha: { sync: 'alpha', singleton: true, concurrency: 1 } },
  {
    'alpha.initial': { ...job, sync: 'alpha', queue: 'alpha', kind: 'initial', description: 'a' },
    'alpha.tick': { ...job, sync: 'alpha', queue: 'alpha', kind: 'periodic', description: 'a', schedule: { every: 60_000 } },
  },
);
const beta = defineCatalogue(
  { beta: { sync: 'beta', singleton: false, concurrency: 4 } },
  { 'beta.run': { ...job, sync: 'beta', queue: 'beta', kind: 'manual', description: 'b' } },
);

describe('mergeCatalogues', () => {
  test('joins the queues and jobs of every sync', () => {
    const merged = mergeCatalogues(alpha, beta);
    expect(Object.keys(merged.queues).sort()).toEqual(['alpha', 'beta']);
    expect(Object.keys(merged.jobs).sort()).toEqual(['alpha.initial', 'alpha.tick', 'beta.run']);
    expect(merged.jobs['beta.run'].name).toBe('beta.run');
    expect(jobsOfQueue(merged, 'alpha').map((j) => j.name)).toEqual(['alpha.initial', 'alpha.tick']);
  });

  test('refuses a queue or job that two syncs declare, listing every clash', () => {
    expect(() => mergeCatalogues(alpha, beta, alpha)).toThrow(
      /queue "alpha" is declared twice[\s\S]*job "alpha.initial" is declared twice[\s\S]*job "alpha.tick" is declared twice/,
    );
  });
});

describe('defineCatalogue', () => {
  test('lists every problem at once', () => {
    expect(() =>
      defineCatalogue(
        { Bad_Queue: { sync: 's', singleton: true, concurrency: 2 } },
        {
          nodots: { ...job, sync: 's', queue: 'Bad_Queue', kind: 'periodic', description: 'x' },
          's.initial': { ...job, sync: 'other', queue: 'Bad_Queue', kind: 'initial', description: 'x', schedule: { every: 500 } },
          's.page': { ...job, sync: 's', queue: 'Bad_Queue', kind: 'part', description: 'x', schedule: { every: 60_000 } },
        },
      ),
    ).toThrow(
      /kebab-case[\s\S]*concurrency 1[\s\S]*dotted camelCase[\s\S]*needs a default schedule[\s\S]*belongs to "s"[\s\S]*has no schedule[\s\S]*at least 1000 ms[\s\S]*a part job has no schedule/,
    );
  });
});
