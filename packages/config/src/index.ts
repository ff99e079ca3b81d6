export { ConfigError, loadEnvOrExit, parseEnv } from './parse-env.ts';
export type { ConfigIssue, EnvSource, LoadEnvOptions } from './parse-env.ts';
export { envBoolean, envCron, envDurationMs, envInt, envList, envPort, envUrl } from './env-helpers.ts';
export type { EnvInput, EnvIntOptions, EnvListOptions, EnvSchema, EnvUrlOptions } from './env-helpers.ts';
