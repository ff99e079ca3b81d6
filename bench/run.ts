// `npm run bench -- <name> [--n N]`: runs one benchmark. Each prints a readable summary and, as its
// last line, one JSON object {"bench","n","seconds","perSec","baselinePerSec","ratio","peakRssMb"}
// with the baseline measured in the same run.
import { parseArgs } from 'node:util';
import type { BenchResult } from './support/result.ts';

const benches: Record<string, { defaultN: number; run: (n: number) => Promise<BenchResult> }> = {
  runtime: { defaultN: 20_000, run: async (n) => (await import('./runtime.bench.ts')).runRuntimeBench(n) },
  'dispo-patcher': { defaultN: 200_000, run: async (n) => (await import('./dispo-patcher.bench.ts')).runDispoPatcherBench(n) },
  'returns-sync': { defaultN: 200_000, run: async (n) => (await import('./returns-sync.bench.ts')).runReturnsSyncBench(n) },
  'slot-sync': { defaultN: 100_000, run: async (n) => (await import('./slot-sync.bench.ts')).runSlotSyncBench(n) },
  'arena-ingest': { defaultN: 100_000, run: async (n) => (await import('./arena-ingest.bench.ts')).runArenaIngestBench(n) },
};

const { positionals, values } = parseArgs({ allowPositionals: true, options: { n: { type: 'string' } } });
const name = positionals[0];
const bench = name ? benches[name] : undefined;
if (!name || !bench) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [--n N]\n`);
  process.exit(2);
}
const n = values.n === undefined ? bench.defaultN : Number(values.n);
if (!Number.isInteger(n) || n < 1) {
  process.stderr.write(`--n must be a positive integer, got ${values.n}\n`);
  process.exit(2);
}
const result = await bench.run(n);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
