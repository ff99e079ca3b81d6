// Emulator of the When I Work API (v2), for tests, the demo and the benchmark.
//
// `GET /2/shifts?start=&end=` (the shifts overlapping [start, end), with the users, locations,
// positions and sites they reference) and `GET /2/shifts/{id}` (404 once deleted), both behind the
// `W-Token` header (401 without it, as WIW answers). Shifts are generated deterministically from a
// seed, with WIW's fields and its RFC 1123 dates ("Mon, 08 Oct 2018 00:15:00 +0100"), in locations
// of several time zones, ids above 2^31. Tests reach the shifts directly through `shifts` (update,
// add, remove, touch), read `requests`, and `inject()` 5xx answers or stalls.
// Everything is in ./wiw/ (data, server).
//
// Standalone (demo, benchmark): `node test/emulators/wiw.ts --port 0 [--shifts N --seed S --from-day D --days K --token T]`
// prints one JSON line `{"url","token","shifts"}` on stdout once it listens. A process of its own is
// driven over HTTP with the same W-Token header: GET/PATCH/DELETE /_emulator/shifts/:id,
// POST /_emulator/shifts (add), POST /_emulator/shifts/touch {"count","seed"} (change that many),
// PUT /_emulator/faults {"failNext","status","stallNext","stallMs"}, DELETE /_emulator/faults,
// GET /_emulator/stats.
import { parseArgs } from 'node:util';
import { startWiwEmulator } from './wiw/server.ts';
import { exitOnSignal, integerOption, usageError } from '../support/standalone.ts';

export { startWiwEmulator } from './wiw/server.ts';
export type { WiwEmulator, WiwEmulatorOptions, WiwFaults, WiwRequestRecord, WiwShiftStore } from './wiw/server.ts';
export { createRandom, FIRST_SHIFT_ID, generateWiwData, parseDate, rfc1123 } from './wiw/data.ts';
export type { WiwDataset, WiwLocation, WiwPosition, WiwShift, WiwSite, WiwUser } from './wiw/data.ts';

const TOOL = 'wiw-emulator';
const fail = (message: string): never => usageError(TOOL, message);

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      token: { type: 'string' },
      shifts: { type: 'string', default: '200' },
      seed: { type: 'string', default: '1' },
      'from-day': { type: 'string', default: '0' },
      days: { type: 'string', default: '2' },
    },
  });
  if (values.token === '') fail('--token must not be empty');
  const started = performance.now();
  const emulator = await startWiwEmulator({
    port: integerOption(TOOL, values.port, 'port', 0, 65535) ?? 0,
    host: values.host,
    ...(values.token !== undefined ? { token: values.token } : {}),
    shifts: integerOption(TOOL, values.shifts, 'shifts', 0, 5_000_000) ?? 200,
    seed: integerOption(TOOL, values.seed, 'seed', 0) ?? 1,
    fromDay: integerOption(TOOL, values['from-day'], 'from-day', -366, 366) ?? 0,
    days: integerOption(TOOL, values.days, 'days', 1, 366) ?? 2,
  });
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(`wiw-emulator: ${emulator.shifts.size} shifts generated in ${seconds.toFixed(1)} s\n`);
  process.stdout.write(`${JSON.stringify({ url: emulator.url, token: emulator.token, shifts: emulator.shifts.size })}\n`);
  exitOnSignal(() => emulator.close());
}
