import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers as natsHeaders, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResetClient, ServiceUnavailableError, UnverifiedReplyError, type OutboundEvent, type UnverifiedMessage } from '../../src/client/index.js';
import { cloudEvent } from '../../src/contract/cloud-event.js';
import { requestDigestOf } from '../../src/contract/request-digest.js';
import { generateSigningKeyPair, messageSigner, SIGNATURE_HEADER, type MessageSigner } from '../../src/contract/message-signature.js';
import { subjectsFor, type Subjects } from '../../src/contract/subjects.js';
import { NATS_URL, uniquePrefix, waitFor } from '../support/nats.js';

const key = generateSigningKeyPair();
const signer = messageSigner(key.privateKeyPem);
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function signedHeaders(body: Uint8Array, by: MessageSigner = signer) {
  const h = natsHeaders();
  h.set(SIGNATURE_HEADER, by.sign(body));
  return h;
}

/** An outcome event as resetd of deployment `prefix` publishes it. */
function anEvent(type: string, data: Record<string, unknown>, prefix: string | undefined, id = `e-${type}-${data.resetId as string}`) {
  return cloudEvent({ id, source: 'urn:resetd:resetd', type, time: new Date(), data, ...(prefix === undefined ? {} : { prefix }) });
}

const completed = (resetId: string, prefix: string | undefined) => anEvent('reset.completed', { resetId, userId: 'u-1', completedAt: new Date().toISOString() }, prefix);

describe('what the client trusts: the deployment, the subject and the request a signed message answers', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nc);
  });

  afterAll(async () => {
    await nc.close();
  });

  async function withStream(label: string, run: (subjects: Subjects, publish: (subject: string, event: unknown, by?: MessageSigner) => Promise<void>) => Promise<void>) {
    const subjects = subjectsFor(uniquePrefix(label));
    await jsm.streams.add({ name: subjects.eventsStream, subjects: [`${subjects.prefix}.>`] });
    const publish = async (subject: string, event: unknown, by?: MessageSigner) => {
      const body = encode(event);
      await jetstream(nc).publish(subject, body, { headers: signedHeaders(body, by) });
    };
    try {
      await run(subjects, publish);
    } finally {
      await jsm.streams.delete(subjects.eventsStream).catch(() => undefined);
    }
  }

  /** Reads from the start until `count` messages were yielded or reported. */
  async function readAll(client: ResetClient, count: number) {
    const events: OutboundEvent[] = [];
    const dropped: UnverifiedMessage[] = [];
    const stream = client.outcomes({ deliver: 'all', onUnverified: (message) => dropped.push(message) + events.length >= count && stream.stop() });
    const timer = setTimeout(() => stream.stop(), 5_000);
    for await (const event of stream) {
      events.push(event);
      if (events.length + dropped.length >= count) break;
    }
    clearTimeout(timer);
    return { events, dropped };
  }

  it("yields only this deployment's events on their own subjects: not another's that shares the key, not one re-published elsewhere", async () => {
    await withStream('origin', async (subjects, publish) => {
      const other = subjectsFor(`${subjects.prefix}b`);
      const codeSent = anEvent('reset.code.sent', { resetId: 'r-mine', userId: 'u-1', expiresAt: new Date().toISOString() }, subjects.prefix);
      await publish(subjects.event('reset.code.sent'), codeSent);
      // Deployment B's signed completion, replayed onto A's subject.
      await publish(subjects.event('reset.completed'), completed('r-mine', other.prefix));
      // A's own code.sent again, on the subject of another type.
      await publish(subjects.event('reset.notice.sent'), { ...codeSent, id: 'e-moved' });
      // An event that names no deployment, as resetd published them before it named it: one that
      // waited in the stream through the upgrade is still taken, on its own subject only.
      await publish(subjects.event('reset.completed'), completed('r-older', undefined));
      await publish(subjects.event('reset.code.sent'), completed('r-older', undefined));
      await publish(subjects.event('reset.completed'), completed('r-mine', subjects.prefix));

      const client = await ResetClient.fromConnection(nc, { subjectPrefix: subjects.prefix, verifyKeys: [key.publicKeyPem] });
      const { events, dropped } = await readAll(client, 6);
      expect(events.map((event) => [event.type, event.data.resetId, event.resetdprefix])).toEqual([
        ['reset.code.sent', 'r-mine', subjects.prefix],
        ['reset.completed', 'r-older', undefined],
        ['reset.completed', 'r-mine', subjects.prefix],
      ]);
      expect(dropped.map((message) => [message.subject, message.reason])).toEqual([
        [subjects.event('reset.completed'), `the event is of the deployment "${other.prefix}", not ${subjects.prefix}`],
        [subjects.event('reset.notice.sent'), 'an event of type "reset.code.sent" is not published on this subject'],
        [subjects.event('reset.code.sent'), 'an event of type "reset.completed" is not published on this subject'],
      ]);
    });
  });

  it('holds back at most 100 events signed with keys it does not hold, so a thousand naming a made-up key do not stop a durable', async () => {
    await withStream('kidflood', async (subjects, publish) => {
      const madeUp = messageSigner(generateSigningKeyPair().privateKeyPem);
      // The server hands a consumer nothing more once 1,000 of its messages are unacknowledged.
      for (let batch = 0; batch < 10; batch += 1) {
        await Promise.all(Array.from({ length: 100 }, (_, i) => publish(subjects.event('reset.completed'), completed(`r-flood-${batch * 100 + i}`, subjects.prefix), madeUp)));
      }
      await publish(subjects.event('reset.completed'), completed('r-real', subjects.prefix));
      const client = await ResetClient.fromConnection(nc, { subjectPrefix: subjects.prefix, verifyKeys: [key.publicKeyPem] });
      const dropped: UnverifiedMessage[] = [];
      const stream = client.outcomes({ durable: 'auth', deliver: 'all', onUnverified: (message) => void dropped.push(message) });
      const timer = setTimeout(() => stream.stop(), 15_000);
      const yielded: OutboundEvent[] = [];
      for await (const event of stream) {
        yielded.push(event);
        event.ack();
        break;
      }
      clearTimeout(timer);

      expect(yielded.map((event) => event.data.resetId)).toEqual(['r-real']);
      expect(dropped).toHaveLength(1_000);
      expect(dropped.filter((message) => message.reason.endsWith('it comes again in 30 s'))).toHaveLength(100);
      expect(dropped[100]!.reason).toMatch(/^no key with kid "[^"]+"; dropped, as 100 others signed with keys this client does not hold are held already$/);
      await waitFor(async () => (await jsm.consumers.info(subjects.eventsStream, 'auth')).num_ack_pending === 100, 5_000);
    });
  });

  it('yields an event whose reason it does not know, as a newer resetd would publish it', async () => {
    await withStream('reason', async (subjects, publish) => {
      await publish(subjects.event('reset.rejected'), anEvent('reset.rejected', { resetId: 'r-1', eventId: 'r-1', reason: 'throttled_by_region', detail: 'Later.' }, subjects.prefix));
      const client = await ResetClient.fromConnection(nc, { subjectPrefix: subjects.prefix, verifyKeys: [key.publicKeyPem] });
      const { events, dropped } = await readAll(client, 1);
      expect(dropped).toEqual([]);
      expect(events).toHaveLength(1);
      const [event] = events;
      expect(event?.type === 'reset.rejected' && event.data.reason).toBe('throttled_by_region');
    });
  });

  it('leaves an event signed with a key it does not hold unacknowledged on a durable, to come again; a bad signature under a known key is settled', async () => {
    await withStream('unknownkid', async (subjects, publish) => {
      const rotated = messageSigner(generateSigningKeyPair().privateKeyPem);
      await publish(subjects.event('reset.completed'), completed('r-rotated', subjects.prefix), rotated);
      const client = await ResetClient.fromConnection(nc, { subjectPrefix: subjects.prefix, verifyKeys: [key.publicKeyPem] });
      const dropped: UnverifiedMessage[] = [];
      const stream = client.outcomes({ durable: 'auth', deliver: 'all', onUnverified: (message) => void dropped.push(message) });
      const loop = (async () => {
        for await (const event of stream) void event;
      })();
      await waitFor(() => dropped.length === 1, 5_000);
      expect(dropped[0]!.reason).toMatch(/^no key with kid "[^"]+"; it comes again in 30 s$/);
      // Not acknowledged: the stream's first message stays below the consumer's ack floor.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await jsm.consumers.info(subjects.eventsStream, 'auth')).ack_floor.stream_seq).toBe(0);

      // A forgery under the key it holds is settled at once, and the one held back stays held.
      const body = encode(completed('r-forged', subjects.prefix));
      const tampered = new TextEncoder().encode(new TextDecoder().decode(body).replace('r-forged', 'r-victim'));
      await jetstream(nc).publish(subjects.event('reset.completed'), tampered, { headers: signedHeaders(body) });
      await waitFor(() => dropped.length === 2, 5_000);
      expect(dropped[1]!.reason).toMatch(/^the signature does not match the body/);
      await waitFor(async () => (await jsm.consumers.info(subjects.eventsStream, 'auth')).num_ack_pending === 1, 5_000);
      const info = await jsm.consumers.info(subjects.eventsStream, 'auth');
      expect(info.ack_floor.stream_seq).toBe(0);
      expect(info.delivered.stream_seq).toBe(2);
      stream.stop();
      await loop;
    });
  });

  it('deletes the ordered consumer of a stream stopped without being read', async () => {
    await withStream('unread', async (subjects) => {
      const client = await ResetClient.fromConnection(nc, { subjectPrefix: subjects.prefix });
      const stream = client.outcomes();
      await stream.ready;
      expect((await jsm.streams.info(subjects.eventsStream)).state.consumer_count).toBe(1);
      stream.stop();
      await waitFor(async () => (await jsm.streams.info(subjects.eventsStream)).state.consumer_count === 0, 2_000);
    });
  });

  describe('reset.verify', () => {
    /** Answers every request on the prefix's verify subject with `answer(request, msg)`. */
    async function responder(prefix: string, answer: (request: { resetId: string; code: string; nonce?: string }, msg: Msg) => void) {
      const sub = nc.subscribe(subjectsFor(prefix).verify, { callback: (_, msg) => answer(msg.json(), msg) });
      await nc.flush();
      return sub;
    }

    const respondSigned = (msg: Msg, reply: Record<string, unknown>) => {
      const body = encode(reply);
      msg.respond(body, { headers: signedHeaders(body) });
    };

    it("sends a nonce and takes only the signed reply that echoes it: one captured for another request (another deployment's, an earlier one) is refused", async () => {
      const prefix = uniquePrefix('nonce');
      const client = await ResetClient.fromConnection(nc, { subjectPrefix: prefix, verifyKeys: [key.publicKeyPem] });
      const nonces: unknown[] = [];
      let echo: (nonce: string | undefined) => string | undefined = () => undefined;
      // The digest of the body resetd received: that of the request itself, unless set.
      let digestOf: (body: Uint8Array) => string | undefined = () => undefined;
      const salts: unknown[] = [];
      const sub = await responder(prefix, (request, msg) => {
        nonces.push(request.nonce);
        salts.push((msg.json() as { salt?: unknown }).salt);
        const nonce = echo(request.nonce);
        const requestDigest = digestOf(msg.data);
        respondSigned(msg, { resetId: request.resetId, status: 'completed', attemptsRemaining: 0, ...(nonce === undefined ? {} : { nonce }), ...(requestDigest === undefined ? {} : { requestDigest }) });
      });
      try {
        const soon = { timeoutMs: 500 };
        await expect(client.verify('r-1', '123456', soon)).rejects.toThrow(UnverifiedReplyError);
        echo = () => 'a-nonce-of-another-request';
        await expect(client.verify('r-1', '123456', soon)).rejects.toMatchObject({ name: 'UnverifiedReplyError', reason: 'another request' });
        echo = (nonce) => nonce;
        // Its nonce, but another body: a request someone who read this one sent with its nonce.
        digestOf = (body) => requestDigestOf(new TextDecoder().decode(body).replace('123456', '000000'));
        await expect(client.verify('r-1', '123456', soon)).rejects.toMatchObject({ name: 'UnverifiedReplyError', reason: 'another request' });
        // The nonce alone: resetd's answer to a request made without this one's salt.
        digestOf = () => undefined;
        await expect(client.verify('r-1', '123456', soon)).rejects.toMatchObject({ name: 'UnverifiedReplyError', reason: 'another request' });
        digestOf = (body) => requestDigestOf(body);
        expect(await client.verify('r-1', '123456')).toEqual({ resetId: 'r-1', status: 'completed', attemptsRemaining: 0 });
        expect(nonces).toHaveLength(5);
        for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
        expect(new Set(nonces).size).toBe(5);
        expect(new Set(salts).size).toBe(5);
        for (const salt of salts) expect(salt).toMatch(/^[A-Za-z0-9_-]{22}$/);
      } finally {
        sub.unsubscribe();
      }
    });

    it('returns a signed status it does not know, typed as text, rather than calling the reply untrusted', async () => {
      const prefix = uniquePrefix('status');
      const client = await ResetClient.fromConnection(nc, { subjectPrefix: prefix, verifyKeys: [key.publicKeyPem] });
      const sub = await responder(prefix, (request, msg) => respondSigned(msg, { resetId: request.resetId, status: 'throttled', nonce: request.nonce, requestDigest: requestDigestOf(msg.data) }));
      try {
        const reply = await client.verify('r-1', '123456', { timeoutMs: 1_000 });
        expect(reply).toEqual({ resetId: 'r-1', status: 'throttled' });
      } finally {
        sub.unsubscribe();
      }
    });

    it('takes a "no responders" status as a hint only: a signed reply that follows is the answer', async () => {
      const prefix = uniquePrefix('forged503');
      const client = await ResetClient.fromConnection(nc, { subjectPrefix: prefix, verifyKeys: [key.publicKeyPem] });
      const sub = await responder(prefix, (request, msg) => {
        // What anyone who reads the request can send: an empty 503 status, ahead of resetd's answer.
        nc.publish(msg.reply!, new Uint8Array(), { headers: natsHeaders(503, 'No Responders') });
        setTimeout(() => respondSigned(msg, { resetId: request.resetId, status: 'completed', attemptsRemaining: 0, nonce: request.nonce, requestDigest: requestDigestOf(msg.data) }), 100);
      });
      try {
        expect(await client.verify('r-1', '123456', { timeoutMs: 2_000 })).toEqual({ resetId: 'r-1', status: 'completed', attemptsRemaining: 0 });
      } finally {
        sub.unsubscribe();
      }
    });

    it('says no instance answers a second after the server said so, not at the end of the time allowed, when nothing else came', async () => {
      const prefix = uniquePrefix('no503');
      const client = await ResetClient.fromConnection(nc, { subjectPrefix: prefix, verifyKeys: [key.publicKeyPem] });
      const started = Date.now();
      const verifying = client.verify('r-1', '123456', { timeoutMs: 10_000 });
      await expect(verifying).rejects.toBeInstanceOf(ServiceUnavailableError);
      await expect(verifying).rejects.toThrow(/no resetd instance answers/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('waits the time allowed, no longer, when told "no responders" just before it ends', async () => {
      const prefix = uniquePrefix('late503');
      const client = await ResetClient.fromConnection(nc, { subjectPrefix: prefix, verifyKeys: [key.publicKeyPem] });
      const started = Date.now();
      await expect(client.verify('r-1', '123456', { timeoutMs: 300 })).rejects.toBeInstanceOf(ServiceUnavailableError);
      expect(Date.now() - started).toBeLessThan(900);
    });
  });
});
