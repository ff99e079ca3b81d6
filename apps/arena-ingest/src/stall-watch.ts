// The stall watch: is the consumer group moving? Every check reads, for each partition of the Arena
// topics, the group's committed offset and the partition's high watermark from the broker (the whole
// group, whichever replica owns the partition), and remembers in Redis since when each partition's
// committed offset has stood still while messages waited behind it. A partition stalled for longer
// than ARENA_STALL_ALERT_MS (a chunk failing at every redelivery, Postgres or the AMT topic down, a
// replica hung without losing its partitions) gets a Teams card, one reminder per
// TEAMS_ALERT_REPEAT_MS, and a card when every partition moves again. The lag alert of the scheduler
// does not see this: the maintenance jobs go on succeeding while the consumer stands still.
//
// Every replica checks; the Redis state makes them agree on "since when" and the alert state makes
// them post one card.
import type { Redis } from 'ioredis';
import type { Admin } from '@syncfleet/kafka';
import type { Logger } from '@syncfleet/log';
import type { Gauge } from '@syncfleet/metrics';
import { formatDuration, messageCard, THEME_COLORS, toFacts, type MessageCard, type Notifier } from '@syncfleet/notify';
import { fleetKeys, type AlertState } from '@syncfleet/runtime';

export interface PartitionProgress {
  topic: string;
  partition: number;
  /** The group's committed offset (the next message it will read), or -1 when it committed none. */
  committed: string;
  /** The next offset to be written. */
  high: string;
  /** The oldest offset the broker still holds. */
  low: string;
}

/**
 * Where the group reads next on a partition: its committed offset, or the oldest offset the broker
 * still holds when it committed none or its offset has expired (retention deleted what it had not read).
 */
export function groupPosition(p: PartitionProgress): bigint {
  const committed = BigInt(p.committed);
  const low = BigInt(p.low);
  return committed > low ? committed : low;
}

/** Messages waiting behind the group's position on a partition. */
export function pendingMessages(p: PartitionProgress): bigint {
  const pending = BigInt(p.high) - groupPosition(p);
  return pending > 0n ? pending : 0n;
}

/** The group's committed offsets and the high watermarks of every partition of `topics`. */
export async function readGroupProgress(admin: Admin, groupId: string, topics: readonly string[]): Promise<PartitionProgress[]> {
  const committed = new Map<string, string>();
  for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics: [...topics] })) {
    for (const { partition, offset } of partitions) committed.set(`${topic}:${partition}`, offset);
  }
  const progress: PartitionProgress[] = [];
  for (const topic of topics) {
    for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
      progress.push({ topic, partition, committed: committed.get(`${topic}:${partition}`) ?? '-1', high, low });
    }
  }
  return progress.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

export interface StalledPartition extends PartitionProgress {
  pending: bigint;
  /** Since when its committed offset has stood still with messages behind it (ms). */
  sinceMs: number;
}

// For each partition (field `<topic>:<partition>`): `<committed offset>|<since ms>`, where since is
// the first check that saw that offset with messages waiting behind it, or `<offset>|-` when nothing
// waited: a moved offset or a catch-up starts the clock again. Answers each field's since (now when
// nothing waits).
const TRACK = `local out = {}
local now = ARGV[#ARGV]
for i = 1, #ARGV - 1, 3 do
  local field, offset, waiting = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local since = now
  if waiting == '1' then
    local stored = redis.call('HGET', KEYS[1], field)
    if stored then
      local sep = string.find(stored, '|', 1, true)
      local storedSince = string.sub(stored, sep + 1)
      if string.sub(stored, 1, sep - 1) == offset and storedSince ~= '-' then since = storedSince end
    end
    redis.call('HSET', KEYS[1], field, offset .. '|' .. since)
  else
    redis.call('HSET', KEYS[1], field, offset .. '|-')
  end
  out[#out + 1] = since
end
redis.call('PEXPIRE', KEYS[1], 2592000000)
return out`;

export interface StallWatchOptions {
  redis: Redis;
  fleetPrefix: string;
  groupId: string;
  read: () => Promise<PartitionProgress[]>;
  /** A partition whose offset stands still with messages behind it for longer than this is stalled. */
  thresholdMs: number;
  alerts: AlertState;
  notifier: Notifier;
  log: Logger;
  /** Seconds each partition has stood still with messages behind it (0 when moving or caught up). */
  gauge?: Gauge<'topic' | 'partition'> | undefined;
  /** After each check: how far the group is (e.g. stored as the sync's watermark for `fleet status`). */
  onChecked?: ((summary: GroupPosition) => Promise<void>) | undefined;
  now?: () => number;
}

/** The consumer group's position over every partition, as of one check. */
export interface GroupPosition {
  /** Messages waiting behind the group's committed offsets, over every partition. */
  messagesBehind: number;
  partitions: number;
  stalledPartitions: number;
  checkedAt: string;
}

export interface StallWatch {
  /** One check: the stalled partitions (the timer calls it; tests too). */
  check(): Promise<StalledPartition[]>;
}

function stalledCard(groupId: string, stalled: readonly StalledPartition[], thresholdMs: number, nowMs: number): MessageCard {
  const longest = Math.max(...stalled.map((s) => nowMs - s.sinceMs));
  const facts: Record<string, string> = { 'Consumer group': groupId, Threshold: formatDuration(thresholdMs) };
  for (const s of stalled.slice(0, 20)) {
    facts[`${s.topic} [${s.partition}]`] = `${s.pending} message(s) waiting at offset ${groupPosition(s)}, still for ${formatDuration(nowMs - s.sinceMs)}`;
  }
  if (stalled.length > 20) facts['More partitions'] = String(stalled.length - 20);
  const title = `arena-ingest: the consumer has not moved for ${formatDuration(longest)} on ${stalled.length} partition${stalled.length === 1 ? '' : 's'}`;
  return messageCard({
    themeColor: THEME_COLORS.failure,
    title,
    sections: [
      {
        activityTitle: 'Messages wait behind a committed offset that stands still',
        facts: toFacts(facts),
        text: 'The logs of arena-ingest say why (a chunk that fails at every redelivery, Postgres or the AMT topic unreachable); `fleet status arena-ingest` shows the maintenance jobs.',
        markdown: false,
      },
    ],
  });
}

function movingCard(groupId: string, sinceMs: number): MessageCard {
  const title = 'arena-ingest: the consumer moves again on every partition';
  return messageCard({
    themeColor: THEME_COLORS.success,
    title,
    sections: [{ activityTitle: title, facts: toFacts({ 'Consumer group': groupId, 'Reported stalled since': new Date(sinceMs).toISOString() }), markdown: false }],
  });
}

export function createStallWatch(options: StallWatchOptions): StallWatch {
  const { redis, alerts, notifier, log, gauge } = options;
  const now = options.now ?? Date.now;
  const key = fleetKeys(options.fleetPrefix).partitionProgress(options.groupId);
  const alertName = `arena-consumer-stalled:${options.groupId}`;
  /** The position is for display (fleet status): a failure to store it (Postgres down) must not stop the alert. */
  const report = async (position: GroupPosition): Promise<void> => {
    await options.onChecked?.(position).catch((error: unknown) => log.warn({ err: error }, 'consumer group position not stored'));
  };

  return {
    async check() {
      const progress = await options.read();
      if (progress.length === 0) return [];
      const nowMs = now();
      const pending = progress.map(pendingMessages);
      const args: string[] = [];
      progress.forEach((p, i) => args.push(`${p.topic}:${p.partition}`, String(groupPosition(p)), pending[i]! > 0n ? '1' : '0'));
      const since = (await redis.eval(TRACK, 1, key, ...args, String(nowMs))) as string[];
      const stalled: StalledPartition[] = [];
      progress.forEach((p, i) => {
        const sinceMs = Number(since[i]);
        const behind = pending[i]!;
        gauge?.set({ topic: p.topic, partition: String(p.partition) }, behind > 0n ? Math.round((nowMs - sinceMs) / 1000) : 0);
        if (behind > 0n && nowMs - sinceMs > options.thresholdMs) stalled.push({ ...p, pending: behind, sinceMs });
      });
      const position: GroupPosition = {
        messagesBehind: Number(pending.reduce((sum, n) => sum + n, 0n)),
        partitions: progress.length,
        stalledPartitions: stalled.length,
        checkedAt: new Date(nowMs).toISOString(),
      };
      if (stalled.length === 0) {
        const closed = await alerts.clear(alertName);
        if (closed) {
          log.info({ groupId: options.groupId, stalledSince: new Date(closed.sinceMs) }, 'the consumer moves again on every partition');
          await notifier.send(movingCard(options.groupId, closed.sinceMs));
        }
        await report(position);
        return stalled;
      }
      log.warn(
        { groupId: options.groupId, stalled: stalled.map((s) => ({ topic: s.topic, partition: s.partition, offset: String(groupPosition(s)), pending: String(s.pending), stalledSeconds: Math.round((nowMs - s.sinceMs) / 1000) })) },
        'consumer stalled: messages wait behind a committed offset that stands still',
      );
      const alert = await alerts.raise(alertName, nowMs);
      if (alert.notify && !(await notifier.send(stalledCard(options.groupId, stalled, options.thresholdMs, nowMs)))) await alerts.undelivered(alertName, nowMs);
      await report(position);
      return stalled;
    },
  };
}
