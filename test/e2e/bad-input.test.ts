import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { codeIn } from '../support/mail-code.js';
import { rawPublish } from '../support/nats.js';
import { useRunningService } from '../support/running-service.js';

const valid = { userId: 'u-bad', email: 'bad@example.com' };
const envelope = (id: string, type: string, data: unknown) => ({ specversion: '1.0', id, source: 'urn:test', type, data });

interface Case {
  name: string;
  type: 'reset.requested' | 'reset.code.submitted';
  body: (id: string) => unknown;
  /** Whether the id can be read back from the rejection. */
  idReadable: boolean;
  field: RegExp;
}

const cases: Case[] = [
  { name: 'not JSON', type: 'reset.requested', body: () => '{"specversion": "1.0",', idReadable: false, field: /not JSON/ },
  { name: 'a JSON array', type: 'reset.requested', body: () => [1, 2], idReadable: false, field: /The body must be an object, not an array/ },
  { name: 'no specversion', type: 'reset.requested', body: (id) => ({ id, source: 's', type: 'reset.requested', data: valid }), idReadable: true, field: /specversion/ },
  { name: 'the wrong type', type: 'reset.requested', body: (id) => envelope(id, 'reset.completed', valid), idReadable: true, field: /field type/ },
  { name: 'no data', type: 'reset.requested', body: (id) => ({ specversion: '1.0', id, source: 's', type: 'reset.requested' }), idReadable: true, field: /field data/ },
  { name: 'no userId', type: 'reset.requested', body: (id) => envelope(id, 'reset.requested', { email: 'a@b.co' }), idReadable: true, field: /data\.userId/ },
  { name: 'a userId of 129 chars', type: 'reset.requested', body: (id) => envelope(id, 'reset.requested', { ...valid, userId: 'u'.repeat(129) }), idReadable: true, field: /data\.userId/ },
  { name: 'a control character in userId', type: 'reset.requested', body: (id) => envelope(id, 'reset.requested', { ...valid, userId: 'u\u0007x' }), idReadable: true, field: /data\.userId/ },
  { name: 'a bad email', type: 'reset.requested', body: (id) => envelope(id, 'reset.requested', { ...valid, email: 'not-an-address' }), idReadable: true, field: /data\.email/ },
  { name: 'an email of 255 chars', type: 'reset.requested', body: (id) => envelope(id, 'reset.requested', { ...valid, email: `${'a'.repeat(64)}@${'b'.repeat(186)}.com` }), idReadable: true, field: /data\.email/ },
  { name: 'a bad clientIp', type: 'reset.requested', body: (id) => envelope(id, 'reset.requested', { ...valid, clientIp: '300.1.1.1' }), idReadable: true, field: /data\.clientIp/ },
  { name: 'a bad locale', type: 'reset.requested', body: (id) => envelope(id, 'reset.requested', { ...valid, locale: 'en_US!' }), idReadable: true, field: /data\.locale/ },
  { name: 'a displayName of 101 chars', type: 'reset.requested', body: (id) => envelope(id, 'reset.requested', { ...valid, displayName: 'd'.repeat(101) }), idReadable: true, field: /data\.displayName/ },
  { name: 'a userAgent of 513 chars', type: 'reset.requested', body: (id) => envelope(id, 'reset.requested', { ...valid, userAgent: 'a'.repeat(513) }), idReadable: true, field: /data\.userAgent/ },
  { name: 'a code of 17 characters', type: 'reset.code.submitted', body: (id) => envelope(id, 'reset.code.submitted', { resetId: 'r-x', code: '1'.repeat(17) }), idReadable: true, field: /data\.code/ },
  { name: 'a submission without resetId', type: 'reset.code.submitted', body: (id) => envelope(id, 'reset.code.submitted', { code: '123456' }), idReadable: true, field: /data\.resetId/ },
];

describe('bad input', () => {
  const world = useRunningService('bad');

  it(`rejects each of ${cases.length} malformed messages once, naming the field, and then serves a valid request`, async () => {
    const { client } = world;
    const ids = new Map<Case, string>();
    for (const testCase of cases) {
      const id = randomUUID();
      ids.set(testCase, id);
      const body = testCase.body(id);
      await client.publishRaw(client.subjects.event(testCase.type), typeof body === 'string' ? body : JSON.stringify(body), { msgId: id });
    }
    const unknownReset = await client.submitCode('no-such-reset', '123456');
    const goodId = await client.requestReset({ userId: 'u-after-bad', email: 'after@example.com' });

    await client.waitForEvent(goodId, 'reset.code.sent');
    await client.waitForEvents((events) => events.filter((e) => e.type === 'reset.rejected').length >= cases.length);
    const rejections = client.events.filter((e) => e.type === 'reset.rejected');
    expect(rejections).toHaveLength(cases.length);
    for (const testCase of cases) {
      const id = ids.get(testCase)!;
      const matching = testCase.idReadable
        ? rejections.filter((e) => e.data.eventId === id)
        : rejections.filter((e) => e.data.eventId === '' && testCase.field.test(String(e.data.detail)));
      expect(matching, testCase.name).toHaveLength(1);
      expect(matching[0]!.data, testCase.name).toMatchObject({ reason: 'invalid_request' });
      expect(String(matching[0]!.data.detail), testCase.name).toMatch(testCase.field);
    }
    expect(new Set(rejections.map((e) => e.id)).size).toBe(cases.length);

    // The well-formed submission for a reset no one asked for is a failed verification of that
    // reset (no user to name), not a rejection of the message as invalid.
    const unknown = await client.waitForEvent('no-such-reset', 'reset.verification.failed');
    expect(unknown.data).toEqual({ resetId: 'no-such-reset', reason: 'unknown_reset', attemptsRemaining: 0 });
    expect(rejections.filter((e) => e.data.eventId === unknownReset)).toEqual([]);

    // Every message was acknowledged: nothing waits in the inbox for a retry.
    await expect.poll(async () => (await client.jsm.consumers.info(client.subjects.inboxStream, 'resetd')).num_ack_pending, { timeout: 10_000 }).toBe(0);
    expect((await client.jsm.consumers.info(client.subjects.inboxStream, 'resetd')).num_pending).toBe(0);
    expect(client.eventsFor('no-such-reset')).toEqual([unknown]);
    // The log says it once a minute per type, not once a message (the events count each).
    const lines = world.service.output.filter((line) => line.includes('rejected an invalid message'));
    const types = new Set(cases.map((testCase) => testCase.type));
    expect(cases.length).toBeGreaterThan(types.size);
    expect(lines).toHaveLength(types.size);
  });

  it('refuses a 17 KiB body at publish: the publisher gets the error, nothing is stored or answered', async () => {
    const { client } = world;
    const id = randomUUID();
    const before = (await client.jsm.streams.info(client.subjects.inboxStream)).state.last_seq;
    const body = JSON.stringify(envelope(id, 'reset.requested', { ...valid, pad: 'x'.repeat(17 * 1024) }));

    await expect(client.publishRaw(client.subjects.requested, body, { msgId: id })).rejects.toThrow(/message size/);
    expect((await client.jsm.streams.info(client.subjects.inboxStream)).state.last_seq).toBe(before);
  });

  it('answers a corrected body under the id of a request refused as invalid with that refusal again, and mails nothing', async () => {
    const { client, sink } = world;
    const id = randomUUID();
    const email = 'corrected@example.com';
    await client.publishRaw(client.subjects.requested, JSON.stringify(envelope(id, 'reset.requested', { userId: 'u-corrected', email: 'not-an-address' })), { msgId: id });
    const refusal = await client.waitForEvent(id, 'reset.rejected');
    // The same CloudEvent id, a new Nats-Msg-Id, so the stream's de-duplication does not drop it.
    await client.publishRaw(client.subjects.requested, JSON.stringify(envelope(id, 'reset.requested', { userId: 'u-corrected', email })), { msgId: `${id}-2` });

    // Both handled: nothing left in the inbox, which deletes what was acknowledged.
    await expect.poll(async () => (await client.jsm.streams.info(client.subjects.inboxStream)).state.messages, { timeout: 10_000 }).toBe(0);
    expect(client.events.filter((e) => e.data.resetId === id).map((e) => [e.type, e.id])).toEqual([['reset.rejected', refusal.id]]);
    expect(sink.mailsTo(email)).toEqual([]);
    // The corrected body spent none of the user's allowance: the next request, under a new id, is
    // mailed, not refused for a cooldown a mail-less answer started.
    const next = await client.requestReset({ userId: 'u-corrected', email });
    await client.waitForEvents((events) => events.some((e) => e.data.resetId === next));
    expect(client.eventsFor(next).map((e) => e.type)).toEqual(['reset.code.sent']);
  });

  describe('headers nats.js cannot or should not decode', () => {
    /** Sends a verify request raw, with `headerLines`, and resolves with its answer. */
    async function rawVerify(body: object, headerLines: readonly string[]): Promise<{ status: string }> {
      const { nc, subjects } = world.client;
      const inbox = `_INBOX.raw.${randomUUID()}`;
      const answer = nc.subscribe(inbox, { max: 1 });
      await nc.flush();
      await rawPublish(subjects.verify, inbox, headerLines, JSON.stringify(body));
      for await (const msg of answer) return msg.json<{ status: string }>();
      throw new Error('no answer');
    }

    it('handles a command and a verify whose header names hold a space as messages without headers, and goes on serving', async () => {
      const { client } = world;
      const id = randomUUID();
      const email = 'spaced-header@example.com';
      // A name with a space: nats.js throws when it decodes it (in a subscription callback, its
      // socket reader stops for good; in the consume loop, an unhandled rejection ends the process).
      await rawPublish(client.subjects.requested, undefined, [`Nats-Msg-Id: ${id}`, 'bad key: v'], JSON.stringify(envelope(id, 'reset.requested', { userId: 'u-spaced', email })));
      await client.waitForEvent(id, 'reset.code.sent');
      const code = codeIn((await world.sink.waitForMail(email)).text ?? '');
      const wrong = code === '000000' ? '111111' : '000000';

      expect(await rawVerify({ resetId: id, code: wrong }, ['bad key: v', 'traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'])).toMatchObject({ status: 'invalid_code' });
      expect(await client.verify({ resetId: id, code })).toEqual({ status: 'completed', attemptsRemaining: 0 });
    });

    it('does not decode half a megabyte of header lines (nats.js takes a minute): the request is answered, and so is the next', async () => {
      const { client } = world;
      const lines = Array.from({ length: 40_000 }, (_, i) => `K${i}: v`);
      expect(await rawVerify({ resetId: `r-${randomUUID()}`, code: '123456' }, lines)).toMatchObject({ status: 'unknown_reset' });
      expect(await client.verify({ resetId: `r-${randomUUID()}`, code: '123456' })).toMatchObject({ status: 'unknown_reset' });
    });
  });
});

