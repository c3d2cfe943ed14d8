import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { TestClient, uniquePrefix } from '../support/nats.js';
import { ServiceProcess } from '../support/service-process.js';
import { codeIn } from '../support/mail-code.js';

describe('a reset driven through NATS only', () => {
  const prefix = uniquePrefix('flow');
  let sink: SmtpSink;
  let client: TestClient;
  let service: ServiceProcess;

  beforeAll(async () => {
    sink = await startSmtpSink();
    client = await TestClient.connect(prefix);
    service = await ServiceProcess.start({ RESET_SUBJECT_PREFIX: prefix, REDIS_KEY_PREFIX: prefix, SMTP_URL: sink.url, MAIL_FROM: 'Acme <no-reply@acme.test>' });
    await client.watchEvents();
  });

  afterAll(async () => {
    expect(await service.stop()).toBe(0);
    await client.close();
    await sink.stop();
  });

  it('mails a code, answers a wrong code with 4 tries left, and completes with the right one', async () => {
    const resetId = await client.requestReset({ userId: 'u-flow-1', email: 'flow1@example.com', locale: 'de' });
    const sent = await client.waitForEvent(resetId, 'reset.code.sent');
    expect(sent.data).toMatchObject({ resetId, userId: 'u-flow-1' });
    expect(Date.parse(String(sent.data.expiresAt)) - Date.now()).toBeGreaterThan(9 * 60_000);
    const mail = await sink.waitForMail('flow1@example.com');
    const code = codeIn(mail.text ?? '');
    const wrong = code === '000000' ? '111111' : '000000';

    await client.submitCode(resetId, wrong);
    const failed = await client.waitForEvent(resetId, 'reset.verification.failed');
    expect(failed.data).toMatchObject({ resetId, userId: 'u-flow-1', reason: 'invalid_code', attemptsRemaining: 4 });

    await client.submitCode(resetId, code);
    const completed = await client.waitForEvent(resetId, 'reset.completed');
    expect(completed.data).toMatchObject({ resetId, userId: 'u-flow-1' });
    expect(Number.isNaN(Date.parse(String(completed.data.completedAt)))).toBe(false);

    await client.submitCode(resetId, code);
    await client.waitForEvents((events) => events.filter((e) => e.data.resetId === resetId && e.type === 'reset.verification.failed').length === 2);
    expect(client.eventsFor(resetId).at(-1)!.data).toMatchObject({ reason: 'unknown_reset' });
  });

  it('does the same through reset.verify, with the same events', async () => {
    const resetId = await client.requestReset({ userId: 'u-flow-2', email: 'flow2@example.com' });
    await client.waitForEvent(resetId, 'reset.code.sent');
    const code = codeIn((await sink.waitForMail('flow2@example.com')).text ?? '');
    const wrong = code === '000000' ? '111111' : '000000';

    expect(await client.verify({ resetId, code: wrong })).toEqual({ status: 'invalid_code', attemptsRemaining: 4 });
    expect(await client.verify({ resetId, code })).toEqual({ status: 'completed', attemptsRemaining: 0 });
    expect(await client.verify({ resetId, code })).toEqual({ status: 'unknown_reset', attemptsRemaining: 0 });
    expect(await client.verify({ resetId, code: 'x'.repeat(17) })).toMatchObject({ status: 'invalid_request' });
    await client.waitForEvents(() => client.eventsFor(resetId).length === 5);
    expect(client.eventsFor(resetId).map((e) => e.type)).toEqual([
      'reset.code.sent',
      'reset.verification.failed',
      'reset.completed',
      'reset.verification.failed',
      'reset.rejected',
    ]);
    expect(client.eventsFor(resetId).at(-1)!.data).toMatchObject({ reason: 'invalid_request', eventId: '' });
  });

  it('sends one mail and one outcome for a request published again, with the same or a new Nats-Msg-Id', async () => {
    const data = { userId: 'u-idem', email: 'idem@example.com' };
    const resetId = await client.requestReset(data);
    await client.requestReset(data, { id: resetId });
    await client.requestReset(data, { id: resetId, msgId: `${resetId}-again` });
    await client.waitForEvent(resetId, 'reset.code.sent');
    // The repeat with a new Nats-Msg-Id is in the stream too; give it time to be handled.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(sink.mailsTo('idem@example.com')).toHaveLength(1);
    expect(client.eventsFor(resetId).map((e) => e.type)).toEqual(['reset.code.sent']);
  });
});

describe('a request whose mail takes longer than the consumer waits for an ack', () => {
  const prefix = uniquePrefix('slow');
  let sink: SmtpSink;
  let client: TestClient;
  let service: ServiceProcess;

  beforeAll(async () => {
    // Each reply at the end of DATA takes longer than the 5 s ack wait.
    sink = await startSmtpSink({ replyDelayMs: 7_000 });
    client = await TestClient.connect(prefix);
    service = await ServiceProcess.start({ RESET_SUBJECT_PREFIX: prefix, REDIS_KEY_PREFIX: prefix, SMTP_URL: sink.url, RESET_ACK_WAIT_SECONDS: '5' });
    await client.watchEvents();
  });

  afterAll(async () => {
    expect(await service.stop()).toBe(0);
    await client.close();
    await sink.stop();
  });

  it('is not redelivered mid-flight and sends one mail', async () => {
    const resetId = await client.requestReset({ userId: 'u-slow', email: 'slow@example.com' });
    await client.waitForEvent(resetId, 'reset.code.sent', 20_000);
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(sink.mailsTo('slow@example.com')).toHaveLength(1);
    expect(client.eventsFor(resetId).map((e) => e.type)).toEqual(['reset.code.sent']);
    const info = await client.jsm.consumers.info(client.subjects.inboxStream, 'resetd');
    expect(info.num_redelivered).toBe(0);
  });
});
