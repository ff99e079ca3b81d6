// Emulator of Algolia's Search REST API, for tests, the demo and the benchmarks.
//
// The real algoliasearch v5 client talks to it unchanged once its hosts point here:
//   algoliasearch(emulator.appId, emulator.apiKey, { hosts: [{ url: emulator.host, accept: 'readWrite', protocol: 'http' }] })
// (or `createAlgoliaClient({ appId, apiKey, hosts: [emulator.url] })` from @syncfleet/algolia).
//
// In-memory indices; batch (every action), browse with cursor, index operations (move/copy),
// tasks, settings, clear/delete, getObject(s), a small search, and `GET /1/logs` with an entry for
// every request (writes and operations under `type=build`). Tests reach the data directly through
// `indices`, read `logs` and `counters`, and `inject()` 5xx, 429 + Retry-After and latency.
// Everything is in ./algolia/ (record-store, engine, request-log, server, offers).
//
// Standalone (demo, benchmark): `node test/emulators/algolia.ts --port 0 [--seed-offers N --index offers]`
// prints one JSON line `{"url","appId","apiKey"}` on stdout once it listens. Other flags: --seed S
// (offers generator), --app-id, --api-key, --log-capacity, --task-delay-ms, --max-record-bytes. A process of its own is
// driven over HTTP with the same credentials: GET /_emulator/counters, POST /_emulator/counters/reset,
// PUT /_emulator/faults (the inject() object, onlyPaths as a regex string), DELETE /_emulator/faults.
import { parseArgs } from 'node:util';
import { generateOffers } from './algolia/offers.ts';
import { startAlgoliaEmulator } from './algolia/server.ts';
import { exitOnSignal, integerOption, usageError } from '../support/standalone.ts';

export { startAlgoliaEmulator } from './algolia/server.ts';
export type {
  AlgoliaEmulator,
  AlgoliaEmulatorCounters,
  AlgoliaEmulatorIndices,
  AlgoliaEmulatorLogs,
  AlgoliaEmulatorOptions,
  AlgoliaFaults,
  AlgoliaLogEntry,
  AlgoliaRecord,
  LogType,
} from './algolia/server.ts';
export { AVAILABILITIES, createRandom, generateOffer, generateOffers } from './algolia/offers.ts';
export type { Offer } from './algolia/offers.ts';

const TOOL = 'algolia-emulator';
const fail = (message: string): never => usageError(TOOL, message);

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'app-id': { type: 'string' },
      'api-key': { type: 'string' },
      'seed-offers': { type: 'string' },
      index: { type: 'string', default: 'offers' },
      seed: { type: 'string', default: '1' },
      'log-capacity': { type: 'string' },
      'task-delay-ms': { type: 'string' },
      'max-record-bytes': { type: 'string' },
    },
  });
  const port = integerOption(TOOL, values.port, 'port', 0, 65535) ?? 0;
  const seedOffers = integerOption(TOOL, values['seed-offers'], 'seed-offers', 0) ?? 0;
  const seed = integerOption(TOOL, values.seed, 'seed', 0) ?? 1;
  if (values.index === '') fail('--index must not be empty');
  const emulator = await startAlgoliaEmulator({
    port,
    host: values.host,
    appId: values['app-id'],
    apiKey: values['api-key'],
    logCapacity: integerOption(TOOL, values['log-capacity'], 'log-capacity', 1),
    taskDelayMs: integerOption(TOOL, values['task-delay-ms'], 'task-delay-ms', 0),
    maxRecordBytes: integerOption(TOOL, values['max-record-bytes'], 'max-record-bytes', 1),
  });
  if (seedOffers > 0) {
    const started = performance.now();
    emulator.indices.put(values.index, generateOffers(seedOffers, seed));
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(`algolia-emulator: seeded ${seedOffers} offers into "${values.index}" in ${seconds.toFixed(1)} s\n`);
  }
  process.stdout.write(`${JSON.stringify({ url: emulator.url, appId: emulator.appId, apiKey: emulator.apiKey })}\n`);
  exitOnSignal(() => emulator.close());
}
