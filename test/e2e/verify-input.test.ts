import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { codeIn } from '../support/mail-code.js';
import { opsGet, sampleValue } from '../support/ops-http.js';
import { freePort } from '../support/processes.js';
import { mailedReset, useRunningService, type RunningService } from '../support/running-service.js';

/** Waits until the service has handled every message in its inbox. */
async function inboxSettled(world: RunningService): Promise<void> {
  const { client } = world;
  await expect
    .poll(async () => {
      const info = await client.jsm.consumers.info(client.subjects.inboxStream, 'resetd');
      return info.num_pending + info.num_ack_pending;
    }, { timeout: 10_000 })
    .toBe(0);
}

const storedEvents = async (world: RunningService): Promise<number> =>
  (await world.client.jsm.streams.info(world.client.subjects.eventsStream)).state.messages;

describe('reset.verify and reset.code.submitted as users and clients really send them', () => {
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
  });
  const world = useRunningService('vinput', { env: () => ({ OPS_HTTP_PORT: String(port), OPS_HTTP_HOST: '127.0.0.1' }) });
  const metrics = async () => (await opsGet(port, '/metrics')).body;

  it('answers malformed codes invalid_request without spending a try, and completes a code pasted with whitespace', async () => {
    const { resetId, code } = await mailedReset(world, 'pasted-verify');
    const wrong = code === '202971' ? '202972' : '202971';

    for (const typed of ['123', 'abcdef', `${code.slice(0, 3)} ${code.slice(3)}`, `${code}1`]) {
      const reply = await world.client.verify({ resetId, code: typed });
      expect(reply, typed).toEqual({ status: 'invalid_request', detail: 'The field code must be 6 digits; spaces around it are ignored.' });
    }
    // A wrong code is a guess however it is typed: it spends its try.
    expect(await world.client.verify({ resetId, code: ` ${wrong}` })).toEqual({ status: 'invalid_code', attemptsRemaining: 4 });
    expect(await world.client.verify({ resetId, code: ` ${code}\n` })).toEqual({ status: 'completed', attemptsRemaining: 0 });
  });

  it('rejects malformed submitted codes with reset.rejected, spending no try, and completes the pasted one', async () => {
    const { resetId, code } = await mailedReset(world, 'pasted-inbox');

    for (const typed of ['123', 'abcdef', '1234567']) await world.client.submitCode(resetId, typed);
    await world.client.submitCode(resetId, `\t${code} \n`);

    const completed = await world.client.waitForEvent(resetId, 'reset.completed');
    expect(completed.data).toMatchObject({ resetId, userId: 'u-pasted-inbox' });
    const events = world.client.eventsFor(resetId);
    expect(events.filter((e) => e.type === 'reset.verification.failed')).toEqual([]);
    expect(events.filter((e) => e.type === 'reset.rejected').map((e) => e.data)).toEqual(
      [1, 2, 3].map(() => expect.objectContaining({ reason: 'invalid_request', detail: expect.stringContaining('field code') })),
    );
  });

  it('answers an unreadable request invalid_request in the reply alone, naming the field, publishing nothing', async () => {
    const before = await storedEvents(world);
    const unreadable: Array<[string, RegExp]> = [
      ['{"resetId": "r-1", "code":', /not JSON/],
      [JSON.stringify({ code: '123456' }), /^The field resetId is missing\.$/],
      [JSON.stringify({ resetId: 'r-1' }), /^The field code is missing\.$/],
      [JSON.stringify({ specversion: '1.0', id: randomUUID(), source: 's', type: 'reset.code.submitted', data: { resetId: 'r-1', code: '123456' } }), /CloudEvent envelope/],
      [JSON.stringify([1, 2]), /JSON object with the fields resetId and code/],
    ];
    for (const [body, detail] of unreadable) {
      const reply = await world.client.verifyBody(body);
      expect(Object.keys(reply).sort(), body).toEqual(['detail', 'status']);
      expect(reply.status, body).toBe('invalid_request');
      expect(reply.detail, body).toMatch(detail);
    }
    expect(await storedEvents(world)).toBe(before);
  });

  it('stores one reset.rejected for the same mistake repeated, not one per request', async () => {
    await inboxSettled(world);
    const before = await storedEvents(world);
    const resetId = `r-${randomUUID()}`;
    for (let i = 0; i < 3; i += 1) {
      const reply = await world.client.verifyBody(JSON.stringify({ resetId, code: '123456', clientIp: 'nope' }), resetId);
      expect(reply).toMatchObject({ status: 'invalid_request', detail: expect.stringContaining('clientIp') });
    }
    await world.client.verifyBody(JSON.stringify({ resetId, code: '1'.repeat(17) }), resetId);

    // Each answer comes once its rejection is stored. One event per mistake for the duplicate
    // window: a flood of one invalid request stores one.
    expect(await storedEvents(world)).toBe(before + 2);
  });

  it('answers no request whose reply subject is an outcome, a command or the JetStream API, and spends no try on it', async () => {
    const { resetId, code } = await mailedReset(world, 'reflected');
    const wrong = code === '000000' ? '111111' : '000000';
    const { nc, subjects } = world.client;
    await inboxSettled(world);
    const before = await storedEvents(world);
    const published: string[] = [];
    const outcomes = nc.subscribe(subjects.event('reset.completed'), { callback: (_error, msg) => void published.push(msg.subject) });
    const failures = nc.subscribe(subjects.event('reset.verification.failed'), { callback: (_error, msg) => void published.push(msg.subject) });

    // A requester allowed only to ask reset.verify would have resetd publish, signed, where it may not.
    for (const reply of [subjects.event('reset.completed'), subjects.requested, `$JS.API.STREAM.INFO.${subjects.eventsStream}`]) {
      nc.publish(subjects.verify, JSON.stringify({ resetId, code: wrong }), { reply });
    }
    // Asked after them, in order: by its answer they have been handled.
    expect(await world.client.verify({ resetId, code: wrong })).toEqual({ status: 'invalid_code', attemptsRemaining: 4 });
    await inboxSettled(world);
    await nc.flush();
    outcomes.unsubscribe();
    failures.unsubscribe();

    // Only the asked request's own outcome: nothing on reset.completed, nothing in the inbox.
    expect(published).toEqual([subjects.event('reset.verification.failed')]);
    expect(await storedEvents(world)).toBe(before + 1);
  });

  it('counts an outcome once when the message that led to it is handled again', async () => {
    const start = await metrics();
    const requestId = randomUUID();
    const data = { userId: 'u-once', email: 'once@example.com' };
    await world.client.requestReset(data, { id: requestId });
    await world.client.waitForEvent(requestId, 'reset.code.sent');
    const code = codeIn((await world.sink.waitForMail('once@example.com')).text ?? '');
    const wrong = code === '000000' ? '111111' : '000000';
    const submissionId = await world.client.submitCode(requestId, wrong);
    await world.client.waitForEvent(requestId, 'reset.verification.failed');
    const invalidId = await world.client.requestReset({ userId: 'u\u0000x', email: 'broken@example.com' });
    await world.client.waitForEvents((events) => events.some((e) => e.type === 'reset.rejected' && e.data.eventId === invalidId));
    await inboxSettled(world);
    const first = await metrics();

    // The same three events again, each under a new Nats-Msg-Id so the inbox stores them as new messages.
    await world.client.requestReset(data, { id: requestId, msgId: `${requestId}-again` });
    await world.client.publish('reset.code.submitted', { resetId: requestId, code: wrong }, { id: submissionId, msgId: `${submissionId}-again` });
    await world.client.publish('reset.requested', { userId: 'u\u0000x', email: 'broken@example.com' }, { id: invalidId, msgId: `${invalidId}-again` });
    await inboxSettled(world);
    const again = await metrics();

    for (const [name, labels] of [
      ['resetd_requests_total', 'outcome="code_sent",reason="none"'],
      ['resetd_requests_total', 'outcome="rejected",reason="invalid_request"'],
      ['resetd_verifications_total', 'result="invalid_code"'],
    ] as const) {
      expect(sampleValue(first, name, labels) - sampleValue(start, name, labels), `${name}{${labels}}`).toBe(1);
      expect(sampleValue(again, name, labels), `${name}{${labels}} again`).toBe(sampleValue(first, name, labels));
    }
    // The repeated submission spent no second try.
    expect(await world.client.verify({ resetId: requestId, code: wrong })).toEqual({ status: 'invalid_code', attemptsRemaining: 3 });
    // A userId that broke the rules is not repeated in the rejection.
    const rejection = world.client.events.find((e) => e.type === 'reset.rejected' && e.data.eventId === invalidId)!;
    expect(rejection.data).not.toHaveProperty('userId');
    expect(rejection.data.detail).toBe('The field data.userId must not contain control characters.');
  });
});
