import { loadEnvOrExit } from '@syncfleet/config';
import { runUntilSignalled } from '@syncfleet/runtime';
import { createArenaIngestApp } from './app.ts';
import { ArenaIngestEnv } from './env.ts';

const config = loadEnvOrExit(ArenaIngestEnv, { appName: 'arena-ingest' });
const app = createArenaIngestApp(config, {
  // kafkajs gave up on the consumer: stop cleanly and exit 1 (the orchestrator restarts the process)
  onFatal: () => {
    process.exitCode = 1;
    void app.stop().finally(() => app.log.flush(() => process.exit(1)));
  },
});
await runUntilSignalled(app);
