// Bridges kafkajs's own log entries to a pino-compatible logger, so the client's warnings end up in
// the app's structured log (with its redaction) instead of kafkajs's console JSON.
import { logLevel, type logCreator } from 'kafkajs';

/** The subset of a pino logger the bridge needs: `(obj, msg)` methods. A pino `Logger` fits. */
export interface KafkaLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A kafkajs warning the app causes on purpose: logged at debug with the reason, not as a warning. */
export interface ExpectedKafkaWarning {
  message: string;
  reason: string;
}

/**
 * A kafkajs `logCreator` writing to `logger`: the level maps one to one (ERROR, WARN, INFO, DEBUG),
 * the message becomes pino's `msg`, and kafkajs's extra fields (broker, clientId, groupId, error...)
 * the log object, tagged `component: 'kafkajs'` and kafkajs's `namespace` (e.g. `Consumer`).
 * kafkajs's own `timestamp` and `logger` fields are dropped: pino stamps its own time. A warning
 * listed in `expected` goes to debug with its reason: operators are not alarmed by a choice we made.
 */
export function kafkajsLogCreator(logger: KafkaLogger, expected: readonly ExpectedKafkaWarning[] = []): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _loggerName, ...extra } = log;
      const obj = { component: 'kafkajs', namespace, ...extra };
      const known = level === logLevel.WARN ? expected.find((warning) => warning.message === message) : undefined;
      if (known) {
        logger.debug({ ...obj, expected: known.reason }, message);
        return;
      }
      switch (level) {
        case logLevel.ERROR:
          logger.error(obj, message);
          break;
        case logLevel.WARN:
          logger.warn(obj, message);
          break;
        case logLevel.INFO:
          logger.info(obj, message);
          break;
        case logLevel.DEBUG:
          logger.debug(obj, message);
          break;
        case logLevel.NOTHING:
          break;
      }
    };
}
