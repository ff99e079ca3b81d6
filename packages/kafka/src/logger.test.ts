import { describe, expect, it } from 'vitest';
import { logLevel } from 'kafkajs';
import { kafkajsLogCreator, type KafkaLogger } from './logger.ts';

/** A logger that records every call as [method, object, message]. */
function recordingLogger(): { calls: Array<[string, object, string | undefined]>; logger: KafkaLogger } {
  const calls: Array<[string, object, string | undefined]> = [];
  const record =
    (method: string) =>
    (obj: object, msg?: string): void => {
      calls.push([method, obj, msg]);
    };
  return { calls, logger: { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') } };
}

describe('kafkajsLogCreator', () => {
  it('maps kafkajs levels to logger methods, message to msg, extras to the object', () => {
    const { calls, logger } = recordingLogger();
    const log = kafkajsLogCreator(logger)(logLevel.DEBUG);
    const entry = (level: logLevel, message: string) => ({
      namespace: 'Connection',
      level,
      label: logLevel[level],
      log: { timestamp: '2026-01-01T00:00:00.000Z', logger: 'kafkajs', message, broker: '127.0.0.1:9092', error: 'boom' },
    });
    log(entry(logLevel.ERROR, 'e'));
    log(entry(logLevel.WARN, 'w'));
    log(entry(logLevel.INFO, 'i'));
    log(entry(logLevel.DEBUG, 'd'));
    log(entry(logLevel.NOTHING, 'n'));
    const obj = { component: 'kafkajs', namespace: 'Connection', broker: '127.0.0.1:9092', error: 'boom' };
    expect(calls).toEqual([
      ['error', obj, 'e'],
      ['warn', obj, 'w'],
      ['info', obj, 'i'],
      ['debug', obj, 'd'],
    ]);
  });

  it('logs a warning the app expects at debug, with its reason; other warnings stay warnings', () => {
    const { calls, logger } = recordingLogger();
    const log = kafkajsLogCreator(logger, [{ message: 'Limiting retries', reason: 'bounded on purpose' }])(logLevel.DEBUG);
    const entry = (level: logLevel, message: string) => ({ namespace: 'Producer', level, label: logLevel[level], log: { timestamp: 't', logger: 'kafkajs', message } });
    log(entry(logLevel.WARN, 'Limiting retries'));
    log(entry(logLevel.WARN, 'Something else'));
    log(entry(logLevel.ERROR, 'Limiting retries'));
    expect(calls).toEqual([
      ['debug', { component: 'kafkajs', namespace: 'Producer', expected: 'bounded on purpose' }, 'Limiting retries'],
      ['warn', { component: 'kafkajs', namespace: 'Producer' }, 'Something else'],
      ['error', { component: 'kafkajs', namespace: 'Producer' }, 'Limiting retries'],
    ]);
  });
});
