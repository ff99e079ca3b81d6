import { loadEnvOrExit } from '@syncfleet/config';
import { runUntilSignalled } from '@syncfleet/runtime';
import { createSchedulerApp } from './app.ts';
import { SchedulerEnv } from './env.ts';

const config = loadEnvOrExit(SchedulerEnv, { appName: 'scheduler' });
await runUntilSignalled(createSchedulerApp(config));
