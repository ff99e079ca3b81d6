// Legacy Office 365 connector "MessageCard" payloads for Teams incoming webhooks, and the pure
// builders of the cards syncfleet sends.
//
// Sections are sent with `markdown: false`: error texts and job names are shown as written, never
// interpreted as Markdown.
import prettyMilliseconds from 'pretty-ms';

export interface MessageCardFact {
  name: string;
  value: string;
}

export interface MessageCardSection {
  activityTitle: string;
  activitySubtitle?: string;
  facts: MessageCardFact[];
  text?: string;
  markdown?: boolean;
}

export interface MessageCard {
  '@type': 'MessageCard';
  '@context': 'https://schema.org/extensions';
  summary: string;
  themeColor: string;
  title: string;
  sections: MessageCardSection[];
}

export const THEME_COLORS = {
  failure: 'D13438',
  success: '2EB886',
  info: '0078D7',
} as const;

/** Longest error text put on a card, in characters (Teams refuses messages over ~28 KB). */
export const MAX_ERROR_TEXT_LENGTH = 2000;
const TRUNCATION_MARK = '… (truncated)';
const MAX_CAUSES = 3;

export type FactValue = string | number | boolean | Date | null | undefined;

/** Shorten `text` to at most `max` characters, marking the cut. */
export function truncateText(text: string, max = MAX_ERROR_TEXT_LENGTH): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - TRUNCATION_MARK.length))}${TRUNCATION_MARK}`;
}

function describeOne(error: unknown): string {
  if (error instanceof Error) return error.message === '' ? error.name : `${error.name}: ${error.message}`;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/** `Name: message`, followed by up to three `Caused by:` lines. No stack: cards are for people. */
export function describeError(error: unknown): string {
  const lines = [describeOne(error)];
  let cause = error instanceof Error ? error.cause : undefined;
  for (let i = 0; cause !== undefined && i < MAX_CAUSES; i++) {
    lines.push(`Caused by: ${describeOne(cause)}`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return lines.join('\n');
}

function factValue(value: Exclude<FactValue, null | undefined>): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

/** Facts from a record (insertion order) or a list; null and undefined values are left out. */
export function toFacts(facts: Readonly<Record<string, FactValue>> | readonly MessageCardFact[]): MessageCardFact[] {
  if (Array.isArray(facts)) return facts.map((fact: MessageCardFact) => ({ name: fact.name, value: fact.value }));
  const out: MessageCardFact[] = [];
  for (const [name, value] of Object.entries(facts as Readonly<Record<string, FactValue>>)) {
    if (value !== null && value !== undefined) out.push({ name, value: factValue(value) });
  }
  return out;
}

/** The MessageCard envelope around a title, a color and sections (the summary defaults to the title). */
export function messageCard(input: { title: string; summary?: string; themeColor: string; sections: MessageCardSection[] }): MessageCard {
  return {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: input.summary ?? input.title,
    themeColor: input.themeColor,
    title: input.title,
    sections: input.sections,
  };
}

export interface RunFailedCardInput {
  jobName: string;
  queue: string;
  sync: string;
  runId: string;
  /** BullMQ's `job.id`. */
  jobId: string | undefined;
  /** Attempts made, the last one included. */
  attempts: number;
  error: unknown;
  finishedAt: Date | string;
  /** The job has been failing for a while: its failed runs since the first (this one included). */
  failing?: { runs: number; since: Date | string } | undefined;
}

const isoText = (value: Date | string): string => (value instanceof Date ? value.toISOString() : value);

/** Red card: a run failed for good (its last attempt failed); "still failing" when earlier runs did too. */
export function runFailedCard(input: RunFailedCardInput): MessageCard {
  const still = input.failing !== undefined && input.failing.runs > 1;
  return messageCard({
    title: still ? `${input.jobName} still failing (${input.failing!.runs} failed runs)` : `${input.jobName} failed`,
    summary: `${input.jobName} failed after ${input.attempts} attempt${input.attempts === 1 ? '' : 's'}`,
    themeColor: THEME_COLORS.failure,
    sections: [
      {
        activityTitle: `Run ${input.runId} of ${input.jobName} (${input.sync}) failed`,
        facts: toFacts({
          Sync: input.sync,
          Job: input.jobName,
          Queue: input.queue,
          'Job id': input.jobId,
          'Run id': input.runId,
          Attempts: input.attempts,
          'Finished at': isoText(input.finishedAt),
          'Failed runs in a row': still ? input.failing!.runs : undefined,
          'Failing since': still ? isoText(input.failing!.since) : undefined,
        }),
        text: truncateText(describeError(input.error)),
        markdown: false,
      },
    ],
  });
}

export interface RunRecoveredCardInput {
  jobName: string;
  queue: string;
  sync: string;
  runId: string;
  /** Runs that failed for good before this success. */
  failedRuns: number;
  /** When the first of them failed. */
  failingSince: Date | string;
  finishedAt: Date | string;
}

/** Green card: a job that had failed (and was reported) succeeded again. */
export function runRecoveredCard(input: RunRecoveredCardInput): MessageCard {
  const title = `${input.jobName} recovered after ${input.failedRuns} failed run${input.failedRuns === 1 ? '' : 's'}`;
  return messageCard({
    title,
    themeColor: THEME_COLORS.success,
    sections: [
      {
        activityTitle: `Run ${input.runId} of ${input.jobName} (${input.sync}) succeeded`,
        facts: toFacts({
          Sync: input.sync,
          Job: input.jobName,
          Queue: input.queue,
          'Run id': input.runId,
          'Failed runs': input.failedRuns,
          'Failing since': isoText(input.failingSince),
          'Succeeded at': isoText(input.finishedAt),
        }),
        markdown: false,
      },
    ],
  });
}

/** "47m 12s", "3h 5m", "2d 4h": a duration as people read it (two units). */
export function formatDuration(ms: number): string {
  return prettyMilliseconds(ms, { unitCount: 2, secondsDecimalDigits: 0 });
}

export interface SyncLaggingCardInput {
  sync: string;
  /** Time since the sync's last successful run (ms). */
  lagMs: number;
  thresholdMs: number;
  lastSuccess: { jobName: string; finishedAt: Date | string };
  /** The sync's newest finished run, when it is not the last success (what it did since). */
  lastRun?: { jobName: string; status: string; finishedAt: Date | string | null; error: string | null } | undefined;
  paused: boolean;
  pending: number;
  failed: number;
}

/** Red card: no run of the sync has succeeded for longer than its threshold. */
export function syncLaggingCard(input: SyncLaggingCardInput): MessageCard {
  const title = `${input.sync} is lagging: no successful run for ${formatDuration(input.lagMs)}`;
  const section: MessageCardSection = {
    activityTitle: `Over its threshold of ${formatDuration(input.thresholdMs)}`,
    facts: toFacts({
      Sync: input.sync,
      'Last success': `${input.lastSuccess.jobName} at ${isoText(input.lastSuccess.finishedAt)}`,
      'Last run': input.lastRun
        ? `${input.lastRun.jobName} ${input.lastRun.status}${input.lastRun.finishedAt ? ` at ${isoText(input.lastRun.finishedAt)}` : ''}`
        : undefined,
      Paused: input.paused ? 'yes: resume it with `fleet resume`' : 'no',
      'Pending jobs': input.pending,
      'Failed jobs': input.failed,
    }),
    markdown: false,
  };
  if (input.lastRun?.error) section.text = truncateText(input.lastRun.error);
  return messageCard({ title, themeColor: THEME_COLORS.failure, sections: [section] });
}

export interface SyncCaughtUpCardInput {
  sync: string;
  lastSuccess: { jobName: string; finishedAt: Date | string };
  /** When the lag alert opened (ms or date). */
  laggingSince: Date | string;
}

/** Green card: a sync that was reported as lagging has a fresh successful run. */
export function syncCaughtUpCard(input: SyncCaughtUpCardInput): MessageCard {
  const title = `${input.sync} caught up`;
  return messageCard({
    title,
    themeColor: THEME_COLORS.success,
    sections: [
      {
        activityTitle: `${input.lastSuccess.jobName} succeeded at ${isoText(input.lastSuccess.finishedAt)}`,
        facts: toFacts({ Sync: input.sync, 'Reported lagging since': isoText(input.laggingSince), 'Last success': isoText(input.lastSuccess.finishedAt) }),
        markdown: false,
      },
    ],
  });
}

export interface RunSucceededCardInput {
  title: string;
  facts: Readonly<Record<string, FactValue>> | readonly MessageCardFact[];
  text?: string;
}

/** Green card: a run completed (e.g. dispo-patcher's "N offers patched"). */
export function runSucceededCard(input: RunSucceededCardInput): MessageCard {
  const section: MessageCardSection = { activityTitle: input.title, facts: toFacts(input.facts), markdown: false };
  if (input.text !== undefined) section.text = truncateText(input.text);
  return messageCard({ title: input.title, themeColor: THEME_COLORS.success, sections: [section] });
}

export interface TestCardInput {
  jobName: string;
  sentAt?: Date;
}

/** Blue card sent by a dry run with notifications on: proves the webhook works, changes nothing. */
export function testCard(input: TestCardInput): MessageCard {
  const title = `Test notification from ${input.jobName}`;
  return messageCard({
    title,
    themeColor: THEME_COLORS.info,
    sections: [
      {
        activityTitle: 'Dry run: this is a test notification, nothing was changed',
        facts: toFacts({ Job: input.jobName, 'Sent at': input.sentAt ?? new Date() }),
        markdown: false,
      },
    ],
  });
}
