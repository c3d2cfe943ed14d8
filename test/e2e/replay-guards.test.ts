import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { connect, type OutboundEvent } from 'resetd/client';
import { mailedReset, useRunningService } from '../support/running-service.js';
import { NATS_URL } from '../support/nats.js';

/**
 * What ties a signed message to one deployment and one request, as resetd sends it: the event's
 * `resetdprefix`, and the verify request's `nonce` echoed in the reply; and what keeps a message of
 * someone else's from standing in for one of its events.
 */
describe('resetd ties what it signs to its deployment and to the request answered', () => {
  const world = useRunningService('replay');

  const ask = async (body: Record<string, unknown>) => (await world.client.nc.request(world.client.subjects.verify, JSON.stringify(body), { timeout: 10_000 })).json<Record<string, unknown>>();

  it('echoes the nonce of a verify request in its reply, and answers a bad nonce invalid_request naming the field, spending no try', async () => {
    const { resetId, code } = await mailedReset(world, 'nonce');
    const wrong = code === '000000' ? '111111' : '000000';

    expect(await ask({ resetId, code: wrong, nonce: 'n_1-A' })).toEqual({ resetId, status: 'invalid_code', attemptsRemaining: 4, nonce: 'n_1-A' });
    // With a salt, the digest of the request's body as sent, so that no other request with this nonce passes for it.
    const asked = JSON.stringify({ resetId, code: wrong, nonce: 'n_2-B', salt: 'never-repeated' });
    const answer = (await world.client.nc.request(world.client.subjects.verify, asked, { timeout: 10_000 })).json<Record<string, unknown>>();
    expect(answer).toEqual({ resetId, status: 'invalid_code', attemptsRemaining: 3, nonce: 'n_2-B', requestDigest: createHash('sha256').update(asked).digest('base64url') });
    for (const nonce of ['a b', 'x'.repeat(65), '', 5]) {
      const reply = await ask({ resetId, code: wrong, nonce });
      expect(reply, String(nonce)).toEqual({ resetId, status: 'invalid_request', detail: expect.stringMatching(/^The field nonce /) });
    }
    // Without a nonce, the reply is as it always was.
    expect(await ask({ resetId, code: wrong })).toEqual({ resetId, status: 'invalid_code', attemptsRemaining: 2 });
  });

  it('still takes reset.code.submitted with fields it does not know, a nonce among them', async () => {
    const { resetId, code } = await mailedReset(world, 'extra');
    const wrong = code === '000000' ? '111111' : '000000';
    await world.client.publish('reset.code.submitted', { resetId, code: wrong, nonce: 'not a nonce!', extra: 1 });
    const failed = await world.client.waitForEvent(resetId, 'reset.verification.failed');
    expect(failed.data).toMatchObject({ reason: 'invalid_code', attemptsRemaining: 4 });
    expect(world.client.eventsFor(resetId).map((event) => event.type)).not.toContain('reset.rejected');
  });

  it('names its deployment in every event it publishes (resetdprefix), so the typed client takes them', async () => {
    const { resetId, code } = await mailedReset(world, 'prefixed');
    const client = await connect({ servers: NATS_URL, subjectPrefix: world.prefix });
    try {
      const outcomes = client.outcomes({ deliver: 'all' });
      await outcomes.ready;
      expect(await client.verify(resetId, code)).toEqual({ resetId, status: 'completed', attemptsRemaining: 0 });
      const seen: OutboundEvent[] = [];
      for await (const event of outcomes) {
        if (event.data.resetId === resetId) seen.push(event);
        if (event.type === 'reset.completed' && event.data.resetId === resetId) break;
      }
      expect(seen.map((event) => event.type)).toEqual(['reset.code.sent', 'reset.completed']);
      for (const event of seen) expect(event.resetdprefix).toBe(world.prefix);
    } finally {
      await client.close();
    }
  });

  it('keeps its event ids unknown until published: a message published first under an id worked out from the reset does not keep its events out', async () => {
    const { resetId, code } = await mailedReset(world, 'squatted');
    const wrong = code === '000000' ? '111111' : '000000';
    // What anyone who reads the events could work out: an id from the reset, the event's name and a sequence.
    const guessed = (type: string, sequence: string) => {
      const hex = createHash('sha256').update(`${resetId}\n${type}\n${sequence}`).digest('hex');
      const variant = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
    };
    for (const [type, subject] of [['reset.verification.failed', 'verification.failed'], ['reset.completed', 'completed']] as const) {
      for (let sequence = 0; sequence < 4; sequence += 1) {
        const id = guessed(type, String(sequence));
        await world.client.publishRaw(`${world.prefix}.${subject}`, JSON.stringify({ id, type, data: { resetId: 'squatter' } }), { msgId: id });
      }
    }

    expect(await world.client.verify({ resetId, code: wrong })).toEqual({ status: 'invalid_code', attemptsRemaining: 4 });
    expect(await world.client.verify({ resetId, code })).toEqual({ status: 'completed', attemptsRemaining: 0 });

    await world.client.waitForEvent(resetId, 'reset.completed');
    expect(world.client.eventsFor(resetId).map((event) => event.type)).toEqual(['reset.code.sent', 'reset.verification.failed', 'reset.completed']);
  });

  it("answers only the request it was sent: a request someone who read the victim's sends with its nonce does not answer the victim's", async () => {
    const { resetId, code } = await mailedReset(world, 'copied-nonce');
    const { nc } = world.client;
    // Reads every request (no queue group) and sends resetd one of its own under the victim's
    // nonce and reply subject, without the code: resetd answers that at once, before the real one.
    const copier = nc.subscribe(world.client.subjects.verify, {
      callback: (error, msg) => {
        const request = msg.json<{ resetId: string; nonce?: string; salt?: string; copied?: boolean }>();
        if (error || request.copied || request.nonce === undefined) return;
        nc.publish(world.client.subjects.verify, JSON.stringify({ resetId: request.resetId, nonce: request.nonce, salt: request.salt, copied: true }), { reply: msg.reply });
      },
    });
    const client = await connect({ servers: NATS_URL, subjectPrefix: world.prefix });
    try {
      expect(await client.verify(resetId, code)).toEqual({ resetId, status: 'completed', attemptsRemaining: 0 });
    } finally {
      copier.unsubscribe();
      await client.close();
    }
  });

  it("counts nothing for a reset id asked again under another user and address: the old id's outcome is repeated, and the victim keeps its cooldown and limits free", async () => {
    const { resetId } = await mailedReset(world, 'first-owner');
    const victim = { userId: 'u-replay-victim', email: 'replay-victim@example.com', clientIp: '198.51.100.77' };
    // Published again with a new Nats-Msg-Id, so the stream takes it: resetd repeats the outcome the id has.
    await world.client.requestReset(victim, { id: resetId, msgId: `again-${resetId}` });
    await world.client.waitUntilHandled();

    const own = await world.client.requestReset(victim);
    await world.client.waitForEvents((events) => events.some((event) => event.data.resetId === own));
    expect(world.client.eventsFor(own).map((event) => [event.type, event.data.reason])).toEqual([['reset.code.sent', undefined]]);
  });
});
