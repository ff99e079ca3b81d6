import { catalogue } from '@syncfleet/jobs';
import { createWorkerApp, type WorkerApp, type WorkerConfig } from '@syncfleet/runtime';
import { handleSample } from './sample.handler.ts';

export function createSampleWorkerApp(config: WorkerConfig): WorkerApp {
  return createWorkerApp({
    appName: 'sample-worker',
    catalogue,
    queue: 'sample',
    config,
    handlers: {
      'sample.initial': handleSample,
      'sample.tick': handleSample,
      'sample.heal': handleSample,
      'sample.echo': handleSample,
    },
  });
}
