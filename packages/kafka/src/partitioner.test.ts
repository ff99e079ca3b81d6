import { randomBytes, randomUUID } from 'node:crypto';
import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { describe, expect, test } from 'vitest';
import { javaCompatiblePartitioner } from './partitioner.ts';

const metadata = (count: number): PartitionerArgs['partitionMetadata'] =>
  Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1], offlineReplicas: [] }));

describe('javaCompatiblePartitioner', () => {
  test('chooses the partition kafkajs DefaultPartitioner chooses, for every kind of key and partition count', () => {
    const ours = javaCompatiblePartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    const keys: Array<string | Buffer> = ['', 'a', 'ab', 'abc', 'abcd', 'abcde', 'æøå ✓ 😀', '\u0000'];
    for (let i = 0; i < 3000; i++) keys.push(randomUUID(), randomBytes(i % 41), String(i), `${i}-${'x'.repeat(i % 9)}`);
    let compared = 0;
    for (const key of keys) {
      for (const count of [1, 2, 3, 7, 12, 50]) {
        const args: PartitionerArgs = { topic: 't', partitionMetadata: metadata(count), message: { key, value: 'v' } };
        expect(ours(args), `key ${JSON.stringify(key)} over ${count} partitions`).toBe(theirs(args));
        compared += 1;
      }
    }
    expect(compared).toBe(keys.length * 6);
  });

  test('known values of the Java client (Utils.murmur2 of "21" is -973932308, of "foobar" -790332482)', () => {
    const partition = javaCompatiblePartitioner();
    const of = (key: string, count: number) => partition({ topic: 't', partitionMetadata: metadata(count), message: { key, value: null } });
    expect(of('21', 1000)).toBe((-973932308 & 0x7fffffff) % 1000);
    expect(of('foobar', 1000)).toBe((-790332482 & 0x7fffffff) % 1000);
  });

  test('an explicit partition is kept; messages without a key are spread round-robin', () => {
    const partition = javaCompatiblePartitioner();
    expect(partition({ topic: 't', partitionMetadata: metadata(4), message: { key: 'k', value: 'v', partition: 3 } })).toBe(3);
    const chosen = new Set(Array.from({ length: 8 }, () => partition({ topic: 't', partitionMetadata: metadata(4), message: { value: 'v' } })));
    expect(chosen).toEqual(new Set([0, 1, 2, 3]));
  });
});
