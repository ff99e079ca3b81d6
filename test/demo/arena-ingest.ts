// arena-ingest in the demo: the Arena topics and the AMT topic on the real broker, the person lookup
// emulator (in the demo's process), and a small producer of sample Arena traffic every few seconds:
// new gjennomføringer and deltakere, status changes, a deltaker before its gjennomføring (RETRY,
// picked up by arena.retry), an invalid gjennomføring and its WAITING deltaker released by the fixed
// version, EKSTERN participants, an unsupported tiltak code, hist case 2 (DELETE + hist + new
// participation) and now and then a malformed message (stored INVALID, the partition moves on).
import { randomInt } from 'node:crypto';
import { createIdempotentProducer, createKafka, createTopics } from '@syncfleet/kafka';
import { startArenaPersonEmulator } from '../emulators/arena-person.ts';
import { deltakerRow, envelope, gjennomforingRow, histDeltakerRow, pos, type Row } from '../support/arena-fixtures.ts';
import type { DemoContext, DemoPart } from './types.ts';

export interface ArenaIngestDemoOptions {
  /** Time between two rounds of sample traffic. */
  everyMs?: number;
}

const TOPICS = {
  gjennomforing: 'demo.arena.tiltakgjennomforing',
  deltaker: 'demo.arena.tiltakdeltaker',
  hist: 'demo.arena.hist-tiltakdeltaker',
  amt: 'demo.amt.deltaker',
};
const GJ = 'SIAMO.TILTAKGJENNOMFORING';
const DE = 'SIAMO.TILTAKDELTAKER';
const HI = 'SIAMO.HIST_TILTAKDELTAKER';

export async function startDemo(context: DemoContext, options: ArenaIngestDemoOptions = {}): Promise<DemoPart> {
  const { everyMs = 3000 } = options;
  const kafka = createKafka({ brokers: context.kafkaBrokers, clientId: 'demo-arena-traffic' });
  const admin = kafka.admin();
  const producer = createIdempotentProducer(kafka);
  await Promise.all([admin.connect(), producer.connect()]);
  await createTopics(admin, [
    { topic: TOPICS.gjennomforing, numPartitions: 3 },
    { topic: TOPICS.deltaker, numPartitions: 3 },
    { topic: TOPICS.hist, numPartitions: 1 },
    { topic: TOPICS.amt, numPartitions: 3 },
  ]);
  const persons = await startArenaPersonEmulator();

  // positions keep increasing across demo runs (the topics and the database outlive them)
  let position = BigInt(Date.now()) * 1000n;
  const nextPos = (): string => pos((position += 1n));
  const idBase = randomInt(1, 900) * 100_000;
  let nextGjennomforing = idBase;
  let nextDeltaker = idBase * 10;
  let nextHist = idBase * 10 + 50_000;
  const valid: number[] = [];
  const deltakere: Array<{ id: number; gjennomforing: number; person: number; status: string }> = [];
  const send = async (topic: string, table: string, op: 'I' | 'U' | 'D', id: number, row: Row): Promise<void> => {
    await producer.send({ topic, acks: -1, messages: [{ key: String(id), value: envelope({ table: table as never, op, pos: nextPos(), row }) }] });
  };
  const newGjennomforing = async (patch: Row = {}): Promise<number> => {
    const id = ++nextGjennomforing;
    await send(TOPICS.gjennomforing, GJ, 'I', id, gjennomforingRow(id, patch));
    return id;
  };
  const newDeltaker = async (gjennomforing: number, patch: Row = {}): Promise<number> => {
    const id = ++nextDeltaker;
    const person = 20_000_000 + randomInt(0, 500);
    await send(TOPICS.deltaker, DE, 'I', id, deltakerRow(id, gjennomforing, person, { DELTAKERSTATUSKODE: 'AKTUELL', ...patch }));
    deltakere.push({ id, gjennomforing, person, status: 'AKTUELL' });
    return id;
  };

  for (const code of ['INDOPPFAG', 'ARBFORB', 'AVKLARAG', 'JOBBK']) valid.push(await newGjennomforing({ TILTAKSKODE: code }));
  const unsupported = await newGjennomforing({ TILTAKSKODE: 'AMO' });
  let invalid = await newGjennomforing({ LOKALTNAVN: null });
  context.log(`arena-ingest demo: topics ${Object.values(TOPICS).join(', ')}; 6 gjennomføringer (one unsupported, one invalid)`);

  let round = 0;
  const tick = async (): Promise<void> => {
    round += 1;
    const gjennomforing = valid[randomInt(0, valid.length)]!;
    await newDeltaker(gjennomforing);
    // a status change of an existing participant: applied -> offered -> participating -> finished
    const moving = deltakere[randomInt(0, deltakere.length)];
    if (moving) {
      const next = { AKTUELL: 'TILBUD', TILBUD: 'GJENN', GJENN: 'FULLF', FULLF: 'FULLF' }[moving.status] ?? 'GJENN';
      moving.status = next;
      await send(TOPICS.deltaker, DE, 'U', moving.id, deltakerRow(moving.id, moving.gjennomforing, moving.person, { DELTAKERSTATUSKODE: next, DATO_STATUSENDRING: new Date().toISOString().slice(0, 19).replace('T', ' ') }));
    }
    if (round % 4 === 0) await newDeltaker(gjennomforing, { EKSTERN_ID: `ekstern-${round}` });
    if (round % 5 === 0) await newDeltaker(unsupported);
    if (round % 6 === 0) {
      // a deltaker before its gjennomføring: RETRY now, HANDLED after the next arena.retry
      const early = nextGjennomforing + 1;
      await newDeltaker(early);
      valid.push(await newGjennomforing());
      context.log(`arena-ingest demo: deltaker ${nextDeltaker} sent before its gjennomføring ${early} (RETRY until arena.retry runs)`);
    }
    if (round % 8 === 0) {
      await newDeltaker(invalid);
      await send(TOPICS.gjennomforing, GJ, 'U', invalid, gjennomforingRow(invalid));
      context.log(`arena-ingest demo: gjennomføring ${invalid} fixed: its WAITING deltakere go back to RETRY`);
      valid.push(invalid);
      invalid = await newGjennomforing({ LOKALTNAVN: null });
    }
    if (round % 10 === 0 && deltakere.length > 0) {
      // hist case 2: the participation is historised under a new id, the person registered again
      const old = deltakere.shift()!;
      const dates = { DELTAKERSTATUSKODE: 'IKKEM', DATO_FRA: '2025-03-01 00:00:00', DATO_TIL: '2025-05-31 00:00:00', DATO_STATUSENDRING: '2025-04-02 12:00:00' };
      await send(TOPICS.deltaker, DE, 'U', old.id, deltakerRow(old.id, old.gjennomforing, old.person, dates));
      await send(TOPICS.deltaker, DE, 'D', old.id, deltakerRow(old.id, old.gjennomforing, old.person, dates));
      const hist = ++nextHist;
      await send(TOPICS.hist, HI, 'I', hist, histDeltakerRow(hist, old.gjennomforing, old.person, dates));
      await newDeltaker(old.gjennomforing);
      context.log(`arena-ingest demo: deltaker ${old.id} historised as hist ${hist} (its DELETE waits for the link, then is handled without publishing)`);
    }
    if (round % 13 === 0) {
      await producer.send({ topic: TOPICS.deltaker, acks: -1, messages: [{ key: 'garbage', value: '{"table": "SIAMO.TILTAKDELTAKER", "op_type": "I", "pos": ' }] });
      context.log('arena-ingest demo: a malformed message (stored INVALID with its raw value; the partition moves on)');
    }
  };
  let inFlight: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    inFlight = inFlight.then(tick).catch((error: unknown) => context.log(`arena-ingest demo: producing failed: ${error instanceof Error ? error.message : String(error)}`));
  }, everyMs);
  timer.unref();

  return {
    env: {
      ARENA_TOPIC_GJENNOMFORING: TOPICS.gjennomforing,
      ARENA_TOPIC_DELTAKER: TOPICS.deltaker,
      ARENA_TOPIC_HIST_DELTAKER: TOPICS.hist,
      AMT_TOPIC: TOPICS.amt,
      KAFKA_GROUP_ID: `${context.fleetPrefix}-arena-ingest`,
      ARENA_PERSON_LOOKUP_URL: persons.url,
      ARENA_METRICS_REFRESH_MS: '10000',
    },
    links: [
      ['arena person lookup', `${persons.url}?personId=<PERSON_ID>  (emulator)`],
      ['arena topics', `${TOPICS.gjennomforing}, ${TOPICS.deltaker}, ${TOPICS.hist} -> ${TOPICS.amt}`],
      ['arena operator', 'fleet arena reingest --table SIAMO.TILTAKDELTAKER --wait; fleet arena stale --table SIAMO.TILTAKDELTAKER'],
    ],
    async stop() {
      clearInterval(timer);
      await inFlight;
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await persons.close();
    },
  };
}
