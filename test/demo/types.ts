// The contract between `npm run demo` (test/demo.ts) and a sync's demo module, `test/demo/<app>.ts`,
// which exports `startDemo(context): Promise<DemoPart>`.

/** What a sync's demo module (`test/demo/<app>.ts`) gets: the servers and where to say things. */
export interface DemoContext {
  redisUrl: string;
  databaseUrl: string;
  kafkaBrokers: string[];
  fleetPrefix: string;
  log: (msg: string) => void;
}

/**
 * A sync's demo module starts what its app needs (emulators, sample data, topics) and keeps sample
 * data flowing; it returns the app's extra env, banner lines, and how to stop what it started.
 */
export interface DemoPart {
  env: Record<string, string>;
  links: Array<[string, string]>;
  stop(): Promise<void>;
}
