// Kafka's default partitioner (the Java client's: murmur2 of the key, made positive, modulo the
// partition count), computing exactly what kafkajs's DefaultPartitioner computes, with the murmur2
// of the `murmurhash` package: kafkajs's own emulates 64-bit arithmetic with Long objects, several
// microseconds per key, as much as encoding the rest of a small message. Messages with an explicit
// partition keep it; messages without a key go to kafkajs's DefaultPartitioner (round-robin).
import { Partitioners, type ICustomPartitioner } from 'kafkajs';
import murmurhash from 'murmurhash';

/** The seed of the Java client's murmur2. */
const SEED = 0x9747b28c;

export const javaCompatiblePartitioner: ICustomPartitioner = () => {
  const unkeyed = Partitioners.DefaultPartitioner();
  return (args) => {
    const { message, partitionMetadata } = args;
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (message.key === null || message.key === undefined) return unkeyed(args);
    // a string key is hashed as its UTF-8 bytes, as kafkajs and the Java client do (a Buffer is
    // cheaper to make here than the TextEncoder murmurhash would create per call)
    const key = typeof message.key === 'string' ? Buffer.from(message.key) : message.key;
    return (murmurhash.v2(key, SEED) & 0x7fffffff) % partitionMetadata.length;
  };
};
