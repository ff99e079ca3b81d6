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

/**
 * A kafkajs `logCreator` writing to `logger`: the level maps one to one (ERROR, WARN, INFO, DEBUG),
 * the message becomes pino's `msg`, and kafkajs's extra fields (broker, clientId, groupId, error...)
 * the log object, tagged `component: 'kafkajs'` and kafkajs's `namespace` (e.g. `Consumer`).
 * kafkajs's own `timestamp` and `logger` fields are dropped: pino stamps its own time.
 */
export function kafkajsLogCreator(logger: KafkaLogger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _loggerName, ...extra } = log;
      const obj = { component: 'kafkajs', namespace, ...extra };
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
