import type { Schedule } from '@syncfleet/jobs';

/** `every 1m`, `every 90s`, `every 1500ms`. */
export function formatEvery(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms % size === 0) return `every ${ms / size}${unit}`;
  }
  return `every ${ms}ms`;
}

/** `0 3 * * * (UTC)` or `every 1m`. */
export function formatSchedule(schedule: Schedule | { pattern: string | null; tz: string | null; every: number | null } | null): string {
  if (!schedule) return '-';
  if ('pattern' in schedule && schedule.pattern) return `${schedule.pattern} (${schedule.tz ?? 'UTC'})`;
  if ('every' in schedule && schedule.every) return formatEvery(schedule.every);
  return '-';
}
