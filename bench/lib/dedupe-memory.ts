import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { defaultStreamLimits, ensureStreams } from '../../src/adapters/nats/jetstream-streams.js';
import { subjectsFor } from '../../src/contract/subjects.js';
import { NatsServer } from '../../test/support/processes.js';
import { memory } from './processes.js';

export interface DedupeMemory {
  readonly messages: number;
  /** nats-server's resident bytes per message published with a `Nats-Msg-Id`, less per message published without. */
  readonly bytesPerId: number;
  /** The duplicate windows resetd gives its streams, in seconds, as the server reports them. */
  readonly inboxWindowSeconds: number;
  readonly eventsWindowSeconds: number;
}

const PREFIX = 'dedupe';
/** About a `code.sent` event as resetd publishes it. */
const BODY = new Uint8Array(310);

/**
 * What JetStream keeps for every `Nats-Msg-Id` while the stream's duplicate window lasts: `n`
 * events with resetd's kind of id (a 36-character UUID) published to resetd's own events stream,
 * against the same `n` without an id, each on a nats-server of its own so that nothing else is
 * counted. Every instance of a replicated stream keeps the ids, so this is per NATS node.
 */
export async function dedupeMemory(n: number): Promise<DedupeMemory> {
  const withIds = await residentGrowth(n, true);
  const without = await residentGrowth(n, false);
  return { messages: n, bytesPerId: (withIds.grownBytes - without.grownBytes) / n, ...withIds.windows };
}

async function residentGrowth(n: number, withIds: boolean) {
  const server = await NatsServer.start();
  const nc = await connect({ servers: server.url, noAsyncTraces: true });
  try {
    const jsm = await jetstreamManager(nc);
    const subjects = subjectsFor(PREFIX);
    await ensureStreams(jsm, subjects, { replicas: 1, consumer: 'dedupe', ackWaitMs: 60_000, maxDeliver: -1, maxAckPending: 1_000, limits: defaultStreamLimits });
    const windowSeconds = async (stream: string) => (await jsm.streams.info(stream)).config.duplicate_window / 1e9;
    const windows = { inboxWindowSeconds: await windowSeconds(subjects.inboxStream), eventsWindowSeconds: await windowSeconds(subjects.eventsStream) };
    const js = jetstream(nc);
    const subject = subjects.event('reset.code.sent');
    const before = memory(server.pid!).rss;
    for (let sent = 0; sent < n; sent += 500) {
      await Promise.all(Array.from({ length: Math.min(500, n - sent) }, () => js.publish(subject, BODY, withIds ? { msgID: randomUUID() } : {})));
    }
    // Let the server settle what it buffered before reading its memory.
    await sleep(1_000);
    return { grownBytes: memory(server.pid!).rss - before, windows };
  } finally {
    await nc.close();
    await server.close();
  }
}
