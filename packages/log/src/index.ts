export { createLogger, logDestination, withRunContext } from './logger.ts';
export type { CreateLoggerOptions, Logger, LogLevel, RunContext } from './logger.ts';
export { MIN_SECRET_LENGTH, REDACTED, SECRET_KEY_PATTERN, createValueRedactor, redactSecretKeys, secretsFromEnv } from './redact.ts';
