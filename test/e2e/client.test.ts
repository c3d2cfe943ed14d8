import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { connect, InvalidRequestError, ServiceUnavailableError, type OutboundEvent, type OutcomeOf, type ResetClient } from 'resetd/client';
import { codeIn } from '../support/mail-code.js';
import { uniquePrefix } from '../support/nats.js';
import { ServiceProcess } from '../support/service-process.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** The next event of the iterator for `resetId`, skipping the others. */
async function next(events: AsyncIterator<OutboundEvent>, resetId: string): Promise<OutboundEvent> {
  for (;;) {
    const { value, done } = await events.next();
    if (done) throw new Error('the outcome stream ended');
    if (value.data.resetId === resetId) return value;
  }
}

// Uses only the package's public entry, `resetd/client`, as an auth service would.
describe('resetd/client', () => {
  const prefix = uniquePrefix('client');
  let sink: SmtpSink;
  let service: ServiceProcess;
  let client: ResetClient;

  beforeAll(async () => {
    sink = await startSmtpSink();
    service = await ServiceProcess.start({ RESET_SUBJECT_PREFIX: prefix, REDIS_KEY_PREFIX: prefix, SMTP_URL: sink.url });
    client = await connect({ servers: NATS_URL, subjectPrefix: prefix, source: 'urn:test:auth' });
  });

  afterAll(async () => {
    // Clean-up only: the streams of this test's prefix.
    const jsm = await jetstreamManager(client.nc);
    for (const stream of [client.subjects.inboxStream, client.subjects.eventsStream]) await jsm.streams.delete(stream).catch(() => undefined);
    await client.close();
    expect(await service.stop()).toBe(0);
    await sink.stop();
  });

  it('runs a whole reset: request, code by mail, a wrong code, the right one, with typed outcomes', async () => {
    const outcomes = client.outcomes({ durable: 'auth-service', deliver: 'new' });
    await outcomes.ready;
    const events = outcomes[Symbol.asyncIterator]();

    const resetId = await client.requestReset({ userId: 'u-client', email: 'client@example.com', locale: 'fr', displayName: 'Zoé' });
    const sent = await next(events, resetId);
    expect(sent.type).toBe('reset.code.sent');
    if (sent.type !== 'reset.code.sent') return;
    expectTypeOf(sent).toEqualTypeOf<OutcomeOf<'reset.code.sent'>>();
    expectTypeOf(sent.data.expiresAt).toBeString();
    expect(sent.data).toEqual({ resetId, userId: 'u-client', expiresAt: expect.any(String) });
    expect(sent.source).toBe('urn:resetd:resetd');

    const mail = await sink.waitForMail('client@example.com');
    expect(mail.subject).toContain('réinitialiser');
    const code = codeIn(mail.text ?? '');
    const wrong = code === '000000' ? '111111' : '000000';

    const submissionId = await client.submitCode(resetId, wrong);
    expect(submissionId).toMatch(/^[0-9a-f-]{36}$/);
    const failed = await next(events, resetId);
    expect(failed).toMatchObject({ type: 'reset.verification.failed', data: { resetId, reason: 'invalid_code', attemptsRemaining: 4 } });

    expect(await client.verify(resetId, code)).toEqual({ resetId, status: 'completed', attemptsRemaining: 0 });
    const completed = await next(events, resetId);
    expect(completed.type).toBe('reset.completed');
    await events.return?.();
  });

  /** The ack-pending count of the durable consumer `name`. */
  const ackPending = async (name: string) => (await (await jetstreamManager(client.nc)).consumers.info(client.subjects.eventsStream, name)).num_ack_pending;

  it('leaves the event a loop ends on unacknowledged (a throw, as a break): it comes again; ack() before a break settles it', async () => {
    const first = client.outcomes({ durable: 'auth-throw', deliver: 'new', ackWaitMs: 1_000 });
    await first.ready;
    const resetId = await client.requestReset({ userId: 'u-client-2', email: 'client2@example.com' });
    const handling = (async () => {
      for await (const event of first) {
        if (event.data.resetId === resetId) throw new Error('the database is down');
      }
    })();
    await expect(handling).rejects.toThrow('the database is down');
    expect(await ackPending('auth-throw')).toBe(1);

    // The same durable, read again (by a restarted instance, say), past the ack wait: the event comes again.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    for await (const event of client.outcomes({ durable: 'auth-throw' })) {
      expect(event.data.resetId).toBe(resetId);
      event.ack();
      break;
    }
    await expect.poll(() => ackPending('auth-throw')).toBe(0);
    const later = await client.requestReset({ userId: 'u-client-3', email: 'client3@example.com' });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const seen: string[] = [];
    for await (const event of client.outcomes({ durable: 'auth-throw' })) {
      seen.push(event.data.resetId);
      if (event.data.resetId === later) break;
    }
    expect(seen).toEqual([later]);
  });

  it("with ack: 'manual', an event not acknowledged comes again, and ack() settles it", async () => {
    const first = client.outcomes({ durable: 'auth-manual', deliver: 'new', ackWaitMs: 1_000, ack: 'manual' });
    await first.ready;
    const resetId = await client.requestReset({ userId: 'u-client-4', email: 'client4@example.com' });
    const iterator = first[Symbol.asyncIterator]();
    expect((await next(iterator, resetId)).type).toBe('reset.code.sent');
    // Handed out, never acknowledged: the caller decided it was not handled.
    await iterator.return?.();

    const again = client.outcomes({ durable: 'auth-manual', ack: 'manual' });
    const replay = again[Symbol.asyncIterator]();
    const { value: redelivered } = await replay.next();
    expect(redelivered).toMatchObject({ type: 'reset.code.sent', data: { resetId } });
    expect(Object.keys(redelivered!)).not.toContain('ack');
    redelivered!.ack();
    await expect.poll(() => ackPending('auth-manual')).toBe(0);
    // stop() ends a loop that waits for more.
    const pending = replay.next();
    again.stop();
    expect((await pending).done).toBe(true);
  });

  it('ends a loop on a durable consumer deleted under it with an error, instead of waiting for ever', async () => {
    const stream = client.outcomes({ durable: 'auth-deleted', deliver: 'new' });
    await stream.ready;
    const reading = (async () => {
      for await (const event of stream) void event;
    })();
    const ended = expect(reading).rejects.toThrow(/consumer deleted/);
    await (await jetstreamManager(client.nc)).consumers.delete(client.subjects.eventsStream, 'auth-deleted');
    await ended;
  });

  it('publishes reset.password.changed: the user is mailed a notice', async () => {
    const outcomes = client.outcomes({ deliver: 'new' });
    await outcomes.ready;
    const eventId = await client.passwordChanged({ userId: 'u-client-5', email: 'client5@example.com', displayName: 'Ada' });
    const events = outcomes[Symbol.asyncIterator]();
    expect(await next(events, eventId)).toMatchObject({ type: 'reset.notice.sent', data: { resetId: eventId, userId: 'u-client-5' } });
    await events.return?.();
    // The notice, not a code mail: its subject, and the user greeted by the name given.
    const mail = await sink.waitForMail('client5@example.com');
    expect(mail.subject).toBe('Your resetd password was changed');
    expect(mail.text).toMatch(/^Hi Ada,\n/);
    expect(mail.text).toContain('The password for your resetd account was changed on');
    await expect(client.passwordChanged({ userId: 'u-1', email: 'nope' })).rejects.toThrow(/field email/);
  });

  it('refuses data the contract refuses before publishing, naming the field', async () => {
    await expect(client.requestReset({ userId: 'u-1', email: 'nope' })).rejects.toThrow(InvalidRequestError);
    await expect(client.requestReset({ userId: 'u-1', email: 'a@b.co', clientIp: '300.1.1.1' })).rejects.toThrow(/clientIp/);
    await expect(client.submitCode('r-1', '1'.repeat(17))).rejects.toThrow(/field code/);
  });

  it('says when no service runs under a prefix', async () => {
    const other = await connect({ servers: NATS_URL, subjectPrefix: uniquePrefix('noservice') });
    try {
      await expect(other.requestReset({ userId: 'u-1', email: 'a@b.co' })).rejects.toThrow(ServiceUnavailableError);
      // "No responders" is believed once no signed reply came in the time given.
      await expect(other.verify('r-1', '123456', { timeoutMs: 500 })).rejects.toThrow(/no resetd instance answers/);
      await expect(other.outcomes().ready).rejects.toThrow(/no stream/);
    } finally {
      await other.close();
    }
  });
});
