import { loadEnvOrExit } from '@syncfleet/config';
import { runUntilSignalled } from '@syncfleet/runtime';
import { createDispoPatcherApp } from './app.ts';
import { DispoPatcherEnv } from './env.ts';

const config = loadEnvOrExit(DispoPatcherEnv, { appName: 'dispo-patcher' });
await runUntilSignalled(createDispoPatcherApp(config));
