// The seed's Datadog/StatsD counters, under the prefix `slot_sync.`, through hot-shots. A run adds
// its totals once at its end (StatsD sums counters, so one packet per name carries the same data as
// one per shift); `wiw.get` counts every request to WIW.
import StatsD from 'hot-shots';
import type { Logger } from '@syncfleet/log';

export const STATSD_PREFIX = 'slot_sync.';

export const slotMetricNames = [
  'wiw.get',
  'processor.shift.matched',
  'processor.shift.unmatched',
  'processor.shift.deleted',
  'processor.shift.invalid',
  'publisher.encoding.success',
  'publisher.encoding.error',
] as const;
export type SlotMetricName = (typeof slotMetricNames)[number];

export interface SlotStats {
  increment(name: SlotMetricName, value?: number): void;
  close(): Promise<void>;
}

export function createSlotStats(options: { host: string | undefined; port: number; log: Logger }): SlotStats {
  if (options.host === undefined) {
    return { increment() {}, async close() {} };
  }
  let warned = false;
  const client = new StatsD({
    host: options.host,
    port: options.port,
    prefix: STATSD_PREFIX,
    // a missing agent must not fail a sync: say so once
    errorHandler: (error) => {
      if (warned) return;
      warned = true;
      options.log.warn({ err: error }, 'StatsD metrics could not be sent');
    },
  });
  return {
    // zeros too: a dashboard sees every name after the first run
    increment(name, value = 1) {
      client.increment(name, value);
    },
    close: () =>
      new Promise<void>((resolve) => {
        client.close(() => resolve());
      }),
  };
}
