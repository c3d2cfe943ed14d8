import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { createNoopMeter } from '@opentelemetry/api';
import { pino } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Disposition } from '../../src/adapters/nats/disposition.js';
import { InboxRouter } from '../../src/adapters/nats/inbox-router.js';
import { JetStreamConsumeLoop, type Delivery, type DeliveryHandler } from '../../src/adapters/nats/jetstream-consume-loop.js';
import type { MessageUseCases } from '../../src/adapters/nats/message-use-cases.js';
import { ResetMetrics } from '../../src/adapters/otel/reset-metrics.js';
import { subjectsFor } from '../../src/contract/subjects.js';
import type { EventPublisher } from '../../src/domain/ports.js';
import { makeNoticeWorld, makeResetWorld } from '../support/builders.js';
import { NATS_URL, uniquePrefix, waitFor } from '../support/nats.js';

/** The router's use cases from a world of fakes, which record without a context to bind to. */
function useCasesOf(world: ReturnType<typeof makeResetWorld>, publisher: EventPublisher): MessageUseCases {
  const notice = makeNoticeWorld();
  return { requestReset: () => world.requestReset, verifyCode: () => world.verifyCode, notifyPasswordChanged: () => notice.notify, publisher: () => publisher };
}

const log = pino({ level: 'silent' });
const ACK_WAIT_MS = 1_000;

/** A stream and a durable consumer of its own, deleted after the test. */
interface Lane {
  readonly prefix: string;
  readonly stream: string;
  readonly consumer: string;
}

describe('JetStreamConsumeLoop against nats-server', () => {
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  const lanes: Lane[] = [];
  const loops: JetStreamConsumeLoop[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
  });

  afterEach(async () => {
    await Promise.all(loops.splice(0).map((loop) => loop.stop()));
    for (const lane of lanes.splice(0)) await jsm.streams.delete(lane.stream).catch(() => undefined);
  });

  afterAll(async () => {
    await nc.close();
  });

  /** A work-queue stream on `<prefix>.>`, as the inbox is, with an explicit-ack consumer of `ackWaitMs`. */
  async function aLane(label: string, ackWaitMs = ACK_WAIT_MS): Promise<Lane> {
    const prefix = uniquePrefix(label);
    const lane = { prefix, stream: `${prefix.toUpperCase()}_INBOX`, consumer: 'resetd' };
    await jsm.streams.add({ name: lane.stream, subjects: [`${prefix}.>`], retention: RetentionPolicy.Workqueue, duplicate_window: nanos(60_000) });
    await jsm.consumers.add(lane.stream, { durable_name: lane.consumer, ack_policy: AckPolicy.Explicit, ack_wait: nanos(ackWaitMs) });
    lanes.push(lane);
    return lane;
  }

  function startLoop(lane: Lane, handler: DeliveryHandler, options: { maxInFlight?: number; workingIntervalMs?: number } = {}): JetStreamConsumeLoop {
    const loop = new JetStreamConsumeLoop(
      js,
      { stream: lane.stream, consumer: lane.consumer, maxInFlight: options.maxInFlight ?? 4, workingIntervalMs: options.workingIntervalMs ?? 300, fetchExpiresMs: 1_000 },
      handler,
      () => false,
      log,
    );
    loops.push(loop);
    loop.start();
    return loop;
  }

  /** Records every delivery with when it came, and answers with `decide`. */
  function recording(decide: (delivery: Delivery, seen: number) => Promise<Disposition>) {
    const seen: Array<{ delivery: Delivery; at: number }> = [];
    const handler: DeliveryHandler = (delivery) => {
      seen.push({ delivery, at: Date.now() });
      return decide(delivery, seen.length);
    };
    return { seen, handler };
  }

  const messagesIn = async (lane: Lane) => (await jsm.streams.info(lane.stream)).state.messages;
  const ack = async (): Promise<Disposition> => ({ kind: 'ack' });

  it('acks a handled message, which removes it from the work queue', async () => {
    const lane = await aLane('ack');
    await js.publish(`${lane.prefix}.requested`, 'one');
    const { seen, handler } = recording(ack);
    startLoop(lane, handler);

    await waitFor(async () => (await messagesIn(lane)) === 0, 10_000);
    expect(seen).toHaveLength(1);
    expect(new TextDecoder().decode(seen[0]!.delivery.data)).toBe('one');
    expect(seen[0]!.delivery.deliveryCount).toBe(1);
  });

  it('naks with a delay: the message comes back after the delay, not before', async () => {
    // An ack wait far longer than the delay, so only the nak can bring the message back.
    const lane = await aLane('nak', 30_000);
    await js.publish(`${lane.prefix}.requested`, 'later');
    const { seen, handler } = recording(async (_, count) => (count === 1 ? { kind: 'nak', delayMs: 1_500 } : { kind: 'ack' }));
    startLoop(lane, handler);

    await waitFor(() => seen.length === 2, 10_000);
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(1_400);
    expect(seen[1]!.delivery.deliveryCount).toBe(2);
    await waitFor(async () => (await messagesIn(lane)) === 0, 5_000);
  });

  it('leaves a message its handler failed on unsettled: the server redelivers it after the ack wait', async () => {
    const lane = await aLane('unacked');
    await js.publish(`${lane.prefix}.requested`, 'dropped');
    const { seen, handler } = recording(async (_, count) => {
      if (count === 1) throw new Error('the handler broke');
      return { kind: 'ack' };
    });
    startLoop(lane, handler);

    await waitFor(() => seen.length === 2, 10_000);
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(ACK_WAIT_MS - 100);
    expect(seen[1]!.delivery.deliveryCount).toBe(2);
    await waitFor(async () => (await messagesIn(lane)) === 0, 5_000);
  });

  it('keeps a slow message claimed with heartbeats: no redelivery while it runs three ack waits', async () => {
    const lane = await aLane('slow');
    await js.publish(`${lane.prefix}.requested`, 'slow');
    const { seen, handler } = recording(async () => {
      await sleep(3 * ACK_WAIT_MS);
      return { kind: 'ack' };
    });
    startLoop(lane, handler, { workingIntervalMs: ACK_WAIT_MS / 4 });

    await waitFor(async () => (await messagesIn(lane)) === 0, 10_000);
    // Past another ack wait: had a heartbeat been missed, the redelivery would have come by now.
    await sleep(ACK_WAIT_MS * 1.5);
    expect(seen).toHaveLength(1);
    expect((await jsm.consumers.info(lane.stream, lane.consumer)).num_redelivered).toBe(0);
  });

  it('throws nothing when its connection closes for good while a message is in hand (the client drops the heartbeats and the ack): the message stays for redelivery', async () => {
    const lane = await aLane('closed');
    await js.publish(`${lane.prefix}.requested`, 'cut off');
    const own = await connect({ servers: NATS_URL });
    let handled!: () => void;
    const done = new Promise<void>((resolve) => (handled = resolve));
    const loop = new JetStreamConsumeLoop(
      jetstream(own),
      { stream: lane.stream, consumer: lane.consumer, maxInFlight: 4, workingIntervalMs: 100, fetchExpiresMs: 1_000 },
      async () => {
        await own.close();
        // Heartbeats fall due while the connection is closed; then the ack.
        await sleep(350);
        handled();
        return { kind: 'ack' };
      },
      () => false,
      log,
    );
    loop.start();

    await done;
    await loop.stop();
    expect(await messagesIn(lane)).toBe(1);
  });

  it('takes a message published twice under one Nats-Msg-Id once', async () => {
    const lane = await aLane('dedup');
    const first = await js.publish(`${lane.prefix}.requested`, 'once', { msgID: 'request-1' });
    const second = await js.publish(`${lane.prefix}.requested`, 'once', { msgID: 'request-1' });
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(second.seq).toBe(first.seq);

    const { seen, handler } = recording(ack);
    startLoop(lane, handler);
    await waitFor(async () => (await messagesIn(lane)) === 0, 10_000);
    await sleep(500);
    expect(seen.map(({ delivery }) => delivery.seq)).toEqual([first.seq]);
  });

  it('acks a poison message once its rejection is published (through the router), and never sees it again', async () => {
    const lane = await aLane('poison');
    const subjects = subjectsFor(lane.prefix, { inbox: lane.stream });
    const world = makeResetWorld();
    const router = new InboxRouter(
      subjects,
      { consumer: lane.consumer, maxDeliver: -1, baseMs: 100, maxMs: 1_000 },
      useCasesOf(world, world.publisher),
      log,
      new ResetMetrics(createNoopMeter()),
    );
    await js.publish(subjects.codeSubmitted, 'not json at all');
    const { seen, handler } = recording((delivery) => router.route(delivery));
    startLoop(lane, handler);

    await waitFor(async () => (await messagesIn(lane)) === 0, 10_000);
    await sleep(ACK_WAIT_MS * 1.5);
    expect(seen).toHaveLength(1);
    expect(world.publisher.named('reset.rejected').map((event) => event.data.reason)).toEqual(['invalid_request']);
  });

  it('naks a message the router met a fault on, and settles it on the redelivery', async () => {
    const lane = await aLane('fault', 30_000);
    const subjects = subjectsFor(lane.prefix, { inbox: lane.stream });
    const world = makeResetWorld();
    const router = new InboxRouter(
      subjects,
      { consumer: lane.consumer, maxDeliver: -1, baseMs: 200, maxMs: 1_000 },
      useCasesOf(world, world.publisher.failNext(1)),
      log,
      new ResetMetrics(createNoopMeter()),
    );
    await js.publish(subjects.codeSubmitted, 'not json either');
    const { seen, handler } = recording((delivery) => router.route(delivery));
    startLoop(lane, handler);

    await waitFor(async () => (await messagesIn(lane)) === 0, 10_000);
    expect(seen.map(({ delivery }) => delivery.deliveryCount)).toEqual([1, 2]);
    expect(world.publisher.named('reset.rejected')).toHaveLength(1);
  });

  it('never runs more than maxInFlight handlers at once, and does run that many', async () => {
    const lane = await aLane('bounded');
    const maxInFlight = 3;
    for (let i = 0; i < 12; i += 1) await js.publish(`${lane.prefix}.requested`, `m${i}`);
    let running = 0;
    let most = 0;
    const { seen, handler } = recording(async () => {
      running += 1;
      most = Math.max(most, running);
      await sleep(150);
      running -= 1;
      return { kind: 'ack' };
    });
    const loop = startLoop(lane, handler, { maxInFlight });

    await waitFor(async () => {
      expect(loop.messagesInFlight).toBeLessThanOrEqual(maxInFlight);
      return (await messagesIn(lane)) === 0;
    }, 15_000, 20);
    expect(seen).toHaveLength(12);
    expect(most).toBe(maxInFlight);
  });
});
