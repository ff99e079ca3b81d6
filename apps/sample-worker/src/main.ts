import { loadEnvOrExit } from '@syncfleet/config';
import { runUntilSignalled, WorkerEnv } from '@syncfleet/runtime';
import { createSampleWorkerApp } from './app.ts';

const config = loadEnvOrExit(WorkerEnv, { appName: 'sample-worker' });
await runUntilSignalled(createSampleWorkerApp(config));
