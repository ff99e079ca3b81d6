/** The operator asked for a job the catalogue does not have. */
export class UnknownJobError extends Error {
  readonly known: string[];
  constructor(name: string, known: string[]) {
    super(`unknown job "${name}"; known jobs: ${known.join(', ')}`);
    this.name = 'UnknownJobError';
    this.known = known;
  }
}

export class UnknownQueueError extends Error {
  readonly known: string[];
  constructor(name: string, known: string[]) {
    super(`unknown queue "${name}"; known queues: ${known.join(', ')}`);
    this.name = 'UnknownQueueError';
    this.known = known;
  }
}

export class UnknownSyncError extends Error {
  readonly known: string[];
  constructor(name: string, known: string[]) {
    super(`unknown sync "${name}"; known syncs: ${known.join(', ')}`);
    this.name = 'UnknownSyncError';
    this.known = known;
  }
}

/** `dryRun` was asked of a job whose payload has no dry-run mode: nothing was queued. */
export class DryRunNotSupportedError extends Error {
  readonly jobName: string;
  constructor(name: string) {
    super(`${name} does not support dry runs`);
    this.name = 'DryRunNotSupportedError';
    this.jobName = name;
  }
}
