import { loadEnvOrExit } from '@syncfleet/config';
import { runUntilSignalled } from '@syncfleet/runtime';
import { createSlotSyncApp } from './app.ts';
import { SlotSyncEnv } from './env.ts';

const config = loadEnvOrExit(SlotSyncEnv, { appName: 'slot-sync' });
await runUntilSignalled(createSlotSyncApp(config));
