import { describe, expect, it } from 'vitest';
import { codeIn } from '../support/mail-code.js';
import { useRunningService } from '../support/running-service.js';

describe('a reset driven through NATS only', () => {
  const world = useRunningService('flow', { env: () => ({ MAIL_FROM: 'Acme <no-reply@acme.test>' }) });

  it('mails a code, answers a wrong code with 4 tries left, and completes with the right one', async () => {
    const resetId = await world.client.requestReset({ userId: 'u-flow-1', email: 'flow1@example.com', locale: 'de' });
    const sent = await world.client.waitForEvent(resetId, 'reset.code.sent');
    expect(sent.data).toMatchObject({ resetId, userId: 'u-flow-1' });
    expect(Date.parse(String(sent.data.expiresAt)) - Date.now()).toBeGreaterThan(9 * 60_000);
    const mail = await world.sink.waitForMail('flow1@example.com');
    const code = codeIn(mail.text ?? '');
    const wrong = code === '000000' ? '111111' : '000000';

    await world.client.submitCode(resetId, wrong);
    const failed = await world.client.waitForEvent(resetId, 'reset.verification.failed');
    expect(failed.data).toMatchObject({ resetId, userId: 'u-flow-1', reason: 'invalid_code', attemptsRemaining: 4 });

    await world.client.submitCode(resetId, code);
    const completed = await world.client.waitForEvent(resetId, 'reset.completed');
    expect(completed.data).toMatchObject({ resetId, userId: 'u-flow-1' });
    expect(Number.isNaN(Date.parse(String(completed.data.completedAt)))).toBe(false);

    await world.client.submitCode(resetId, code);
    await world.client.waitForEvents((events) => events.filter((e) => e.data.resetId === resetId && e.type === 'reset.verification.failed').length === 2);
    expect(world.client.eventsFor(resetId).at(-1)!.data).toMatchObject({ reason: 'unknown_reset' });
  });

  it('does the same through reset.verify, with the same events', async () => {
    const resetId = await world.client.requestReset({ userId: 'u-flow-2', email: 'flow2@example.com' });
    await world.client.waitForEvent(resetId, 'reset.code.sent');
    const code = codeIn((await world.sink.waitForMail('flow2@example.com')).text ?? '');
    const wrong = code === '000000' ? '111111' : '000000';

    expect(await world.client.verify({ resetId, code: wrong })).toEqual({ status: 'invalid_code', attemptsRemaining: 4 });
    expect(await world.client.verify({ resetId, code })).toEqual({ status: 'completed', attemptsRemaining: 0 });
    expect(await world.client.verify({ resetId, code })).toEqual({ status: 'unknown_reset', attemptsRemaining: 0 });
    expect(await world.client.verify({ resetId, code: 'x'.repeat(17) })).toMatchObject({ status: 'invalid_request' });
    await world.client.waitForEvents(() => world.client.eventsFor(resetId).length === 5);
    expect(world.client.eventsFor(resetId).map((e) => e.type)).toEqual([
      'reset.code.sent',
      'reset.verification.failed',
      'reset.completed',
      'reset.verification.failed',
      'reset.rejected',
    ]);
    expect(world.client.eventsFor(resetId).at(-1)!.data).toMatchObject({ reason: 'invalid_request', eventId: '' });
  });

  it('sends one mail and one outcome for a request published again, with the same or a new Nats-Msg-Id', async () => {
    const data = { userId: 'u-idem', email: 'idem@example.com' };
    const resetId = await world.client.requestReset(data);
    await world.client.requestReset(data, { id: resetId });
    await world.client.requestReset(data, { id: resetId, msgId: `${resetId}-again` });
    await world.client.waitForEvent(resetId, 'reset.code.sent');
    // The repeat with a new Nats-Msg-Id is in the stream too; taken while the first is mailing, it is
    // put back until the lease ends. Only once it is handled can a second mail or outcome be ruled out.
    await world.client.waitUntilHandled();
    expect(world.sink.mailsTo('idem@example.com')).toHaveLength(1);
    expect(world.client.eventsFor(resetId).map((e) => e.type)).toEqual(['reset.code.sent']);
  }, 80_000);
});

describe('a request whose mail takes longer than the consumer waits for an ack', () => {
  // Each reply at the end of DATA takes longer than the 5 s ack wait.
  const world = useRunningService('slow', { sink: { replyDelayMs: 7_000 }, env: () => ({ RESET_ACK_WAIT_SECONDS: '5' }) });

  it('is not redelivered mid-flight and sends one mail', async () => {
    const resetId = await world.client.requestReset({ userId: 'u-slow', email: 'slow@example.com' });
    await world.client.waitForEvent(resetId, 'reset.code.sent', 20_000);
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(world.sink.mailsTo('slow@example.com')).toHaveLength(1);
    expect(world.client.eventsFor(resetId).map((e) => e.type)).toEqual(['reset.code.sent']);
    const info = await world.client.jsm.consumers.info(world.client.subjects.inboxStream, 'resetd');
    expect(info.num_redelivered).toBe(0);
  });
});
