// slot-sync in the demo: a When I Work emulator (in the demo's process) with a few hundred shifts
// around today, a schema registry emulator, and the slot topic (3 partitions). Every
// `changeEveryMs` some shifts change (and now and then one is deleted and one added), so that the
// next `slots.sync` (every 10 s, scheduled by the scheduler) publishes them: Avro messages keyed by
// shift id, and a tombstone per deleted shift.
//
// Standalone, to try the worker by hand: `npm exec -- node test/demo/slot-sync.ts` (with
// KAFKA_BROKERS set) starts both emulators, creates the topic, prints the env for the worker and
// keeps changing shifts until Ctrl-C.
import { createKafka, createTopics } from '@syncfleet/kafka';
import { startSchemaRegistryEmulator } from '../emulators/schema-registry.ts';
import { startWiwEmulator } from '../emulators/wiw.ts';
import type { DemoContext, DemoPart } from './types.ts';
import { runDemoStandalone } from '../support/standalone.ts';

export interface SlotSyncDemoOptions {
  /** Shifts in the emulator, spread from yesterday to three days ahead. */
  shifts?: number;
  /** Time between two rounds of changes; 0: none. */
  changeEveryMs?: number;
  /** Shifts changed per round. */
  changesPerRound?: number;
}

export async function startSlotSyncDemo(context: DemoContext, options: SlotSyncDemoOptions = {}): Promise<DemoPart> {
  const { shifts = 400, changeEveryMs = 20_000, changesPerRound = 5 } = options;
  const topic = `${context.fleetPrefix}.slots`;
  if (context.kafkaBrokers.length > 0) {
    const admin = createKafka({ brokers: context.kafkaBrokers, clientId: 'slot-sync-demo' }).admin();
    await admin.connect();
    try {
      await createTopics(admin, [{ topic, numPartitions: 3 }]);
    } finally {
      await admin.disconnect();
    }
  }
  const wiw = await startWiwEmulator({ shifts, seed: 2018, fromDay: -1, days: 5 });
  const registry = await startSchemaRegistryEmulator();

  let round = 0;
  const change = (): void => {
    round += 1;
    const ids = wiw.shifts.touch(changesPerRound, round);
    let note = `${ids.length} shifts changed`;
    if (round % 3 === 0) {
      const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
      const victim = wiw.shifts.all().find((s) => {
        const start = Date.parse(s.start_time);
        return start >= today && start < today + 86_400_000;
      });
      if (victim) {
        wiw.shifts.remove(victim.id);
        note += `, shift ${victim.id} deleted (a tombstone follows)`;
      }
      const added = wiw.shifts.add();
      note += `, shift ${added.id} added`;
    }
    context.log(`slot-sync demo: round #${round}: ${note}; the next slots.sync publishes them to ${topic}`);
  };
  const timer = changeEveryMs > 0 ? setInterval(change, changeEveryMs) : undefined;
  timer?.unref();

  return {
    env: {
      WIW_KEY: wiw.token,
      WIW_API_URL: wiw.url,
      KAFKA_TOPIC_NAME: topic,
      AVLIZER_CONFLUENT_SCHEMAREGISTRY_URL: registry.url,
      SLOT_CACHE_PREFIX: `${context.fleetPrefix}:slot:`,
      // as in docker-compose.yml: a bounded young generation keeps the worker's RSS low
      NODE_OPTIONS: '--disable-warning=TimeoutNegativeWarning --max-semi-space-size=16',
    },
    links: [
      ['wiw emulator', `${wiw.url}/2/shifts  (W-Token as in the app's WIW_KEY; ${shifts} shifts, ${changesPerRound} change every ${Math.round(changeEveryMs / 1000)} s)`],
      ['schema registry', `${registry.url}/subjects  (emulator: subjects ${topic}-key and ${topic}-value)`],
      ['slot topic', `${topic}  (Avro, keyed by shift id; slots.sync every 10 s)`],
    ],
    async stop() {
      if (timer) clearInterval(timer);
      await wiw.close();
      await registry.close();
    },
  };
}

/** The demo's contract (test/demo/types.ts). */
export function startDemo(context: DemoContext): Promise<DemoPart> {
  return startSlotSyncDemo(context);
}

if (import.meta.main) {
  if (!process.env.KAFKA_BROKERS) process.stdout.write('KAFKA_BROKERS is not set: the topic will not be created\n');
  await runDemoStandalone('slot-sync', startSlotSyncDemo);
}
