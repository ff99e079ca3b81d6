// Publishes AMT envelopes to the AMT topic with an idempotent kafkajs producer (acks from every
// in-sync replica), keyed by the deltaker's id: a participant's messages stay in order on one
// partition. `publish` resolves only once the broker has acknowledged every message.
import type { Producer } from '@syncfleet/kafka';

export interface AmtPublisher {
  /** `value`: the AMT envelope's JSON. */
  publish(messages: ReadonlyArray<{ key: string; value: string }>): Promise<void>;
}

/** Messages per produce request: a partition's batch stays under the broker's 1 MB default. */
const MESSAGES_PER_REQUEST = 1000;

export function createAmtPublisher(producer: Producer, topic: string): AmtPublisher {
  return {
    async publish(messages) {
      for (let i = 0; i < messages.length; i += MESSAGES_PER_REQUEST) {
        await producer.send({
          topic,
          acks: -1,
          messages: messages.slice(i, i + MESSAGES_PER_REQUEST).map((m) => ({ key: m.key, value: m.value })),
        });
      }
    },
  };
}
