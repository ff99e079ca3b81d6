import { loadEnvOrExit } from '@syncfleet/config';
import { runUntilSignalled } from '@syncfleet/runtime';
import { createReturnsSyncApp } from './app.ts';
import { ReturnsSyncEnv } from './env.ts';

const config = loadEnvOrExit(ReturnsSyncEnv, { appName: 'returns-sync' });
await runUntilSignalled(createReturnsSyncApp(config));
