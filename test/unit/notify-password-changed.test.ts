import { describe, expect, it } from 'vitest';
import { MailUnavailableError } from '../../src/domain/errors.js';
import { makeNoticeWorld } from '../support/builders.js';
import { START } from '../support/fakes/fixed-clock.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const noticeSent = (resetId = 'r-1', sequence = 'notice:n-1') => ({
  name: 'reset.notice.sent',
  sequence,
  data: { resetId, userId: 'u-1' },
});

describe('NotifyPasswordChanged', () => {
  it('mails the notice and reports reset.notice.sent for the reset that led to the change', async () => {
    const world = makeNoticeWorld();

    const outcome = await world.changed();

    expect(world.mailer.sent).toEqual([
      {
        kind: 'notice',
        resetId: 'r-1',
        to: 'user@example.com',
        locale: 'en',
        displayName: 'Ada Lovelace',
        changedAt: START - MINUTE,
        clientIp: '192.0.2.10',
      },
    ]);
    expect(outcome).toEqual({ kind: 'reported', event: noticeSent(), repeated: false });
    expect(world.publisher.events).toEqual([noticeSent()]);
    expect(world.ledger.peek('n-1')).toMatchObject({ state: 'sent', mailAttempts: 1 });
  });

  it("names the change event's own id as the reset when none is given", async () => {
    const world = makeNoticeWorld();

    await world.changed({ resetId: undefined });

    expect(world.mailer.notices()[0]).toMatchObject({ resetId: 'n-1' });
    expect(world.publisher.events).toEqual([noticeSent('n-1')]);
  });

  it('without a time of change, says the time it first handled the event, on every try', async () => {
    const world = makeNoticeWorld();
    world.mailer.failNext(1);

    await expect(world.changed({ changedAt: undefined })).rejects.toBeInstanceOf(MailUnavailableError);
    world.clock.advance(30 * SECOND);
    await world.changed({ changedAt: undefined });

    expect(world.mailer.notices().map((mail) => mail.changedAt)).toEqual([START]);
  });

  it('sends one mail and one outcome for the same event delivered again as another message', async () => {
    const world = makeNoticeWorld();

    const first = await world.changed({}, { messageId: 'm-1' });
    world.clock.advance(MINUTE);
    const again = await world.changed({}, { messageId: 'm-2' });

    expect(again).toEqual({ ...first, repeated: true });
    expect(world.mailer.notices()).toHaveLength(1);
    expect(world.publisher.events).toEqual([noticeSent()]);
  });

  it('mails each change once, even when two changes name the same reset', async () => {
    const world = makeNoticeWorld();

    await world.changed({ noticeId: 'n-1' });
    await world.changed({ noticeId: 'n-2' }, { messageId: 'm-2' });

    expect(world.mailer.notices()).toHaveLength(2);
    expect(world.publisher.events).toEqual([noticeSent('r-1', 'notice:n-1'), noticeSent('r-1', 'notice:n-2')]);
  });

  it('is not rate-limited: twenty changes for one user in a minute get twenty notices', async () => {
    const world = makeNoticeWorld();

    for (let i = 0; i < 20; i += 1) await world.changed({ noticeId: `n-${i}` }, { messageId: `m-${i}` });

    expect(world.mailer.notices()).toHaveLength(20);
    expect(world.publisher.named('reset.notice.sent')).toHaveLength(20);
  });

  it('remembers a notice for the record lifetime (24 h), and only then mails a repeat again', async () => {
    const world = makeNoticeWorld();
    await world.changed();

    world.clock.advance(24 * HOUR - 1);
    await world.changed({}, { messageId: 'm-2' });
    expect(world.mailer.notices()).toHaveLength(1);

    world.clock.advance(1);
    await world.changed({}, { messageId: 'm-3' });
    expect(world.mailer.notices()).toHaveLength(2);
  });

  describe('delivery', () => {
    it('reports reset.delivery.failed smtp_permanent at once on a 5xx, and repeats only that', async () => {
      const world = makeNoticeWorld();
      world.mailer.refuse('user@example.com');

      const outcome = await world.changed();
      await world.changed({}, { messageId: 'm-2' });

      const failed = {
        name: 'reset.delivery.failed',
        sequence: 'notice:n-1',
        data: { resetId: 'r-1', userId: 'u-1', reason: 'smtp_permanent', attempts: 1 },
      };
      expect(outcome).toEqual({ kind: 'reported', event: failed, repeated: false });
      expect(world.publisher.events).toEqual([failed]);
      expect(world.mailer.refused).toHaveLength(1);
      expect(world.ledger.peek('n-1')).toMatchObject({ state: 'failed' });
    });

    it('throws while the server is unavailable within the budget, and mails on the redelivery', async () => {
      const world = makeNoticeWorld();
      world.mailer.failNext(2);

      await expect(world.changed()).rejects.toBeInstanceOf(MailUnavailableError);
      world.clock.advance(MINUTE);
      await expect(world.changed()).rejects.toBeInstanceOf(MailUnavailableError);
      world.clock.advance(MINUTE);
      const outcome = await world.changed();

      expect(outcome).toEqual({ kind: 'reported', event: noticeSent(), repeated: false });
      expect(world.publisher.events).toEqual([noticeSent()]);
      expect(world.ledger.peek('n-1')).toMatchObject({ mailAttempts: 3 });
    });

    it('gives up with smtp_retries_exhausted once the budget, counted from the first try, is spent', async () => {
      const world = makeNoticeWorld();
      world.mailer.failUntilRecovered();

      await expect(world.changed()).rejects.toBeInstanceOf(MailUnavailableError);
      world.clock.advance(world.policy.deliveryBudgetMs);
      const outcome = await world.changed();

      expect(outcome).toMatchObject({
        kind: 'reported',
        event: { name: 'reset.delivery.failed', data: { reason: 'smtp_retries_exhausted', attempts: 2 } },
      });
      world.mailer.recover();
      await world.changed({}, { messageId: 'm-2' });
      expect(world.mailer.notices()).toEqual([]);
    });

    it('gives up with smtp_retries_exhausted on the final delivery, budget or not', async () => {
      const world = makeNoticeWorld();
      world.mailer.failNext(1);

      const outcome = await world.changed({}, { final: true });

      expect(outcome).toMatchObject({ event: { name: 'reset.delivery.failed', data: { reason: 'smtp_retries_exhausted', attempts: 1 } } });
    });

    it('after a fault past the mail (the broker, say), re-publishes the recorded outcome and mails nothing again', async () => {
      const world = makeNoticeWorld();
      world.publisher.failNext(1);

      await expect(world.changed({}, { final: true })).rejects.toThrow(/broker/);
      await world.changed({}, { final: true });

      expect(world.mailer.notices()).toHaveLength(1);
      expect(world.publisher.events).toEqual([noticeSent()]);
    });
  });

  describe('the lease', () => {
    it('answers busy to another message while one is mailing, and lets it take over once the lease runs out', async () => {
      const world = makeNoticeWorld();
      const held = world.mailer.hold();
      const first = world.changed({}, { messageId: 'm-1' });
      await held.reached;

      const busy = await world.changed({}, { messageId: 'm-2' });
      expect(busy).toEqual({ kind: 'busy', retryAfterMs: world.policy.leaseMs });
      held.release();
      await first;

      expect(await world.changed({}, { messageId: 'm-2' })).toEqual({ kind: 'reported', event: noticeSent(), repeated: true });
      expect(world.mailer.notices()).toHaveLength(1);
    });

    it('lets a redelivery of the same message take over its own lease at once', async () => {
      const world = makeNoticeWorld();
      world.mailer.failNext(1);

      await expect(world.changed({}, { messageId: 'm-1' })).rejects.toBeInstanceOf(MailUnavailableError);
      const outcome = await world.changed({}, { messageId: 'm-1' });

      expect(outcome).toEqual({ kind: 'reported', event: noticeSent(), repeated: false });
    });

    it('lets another message take over a lease that ran out (its holder crashed)', async () => {
      const world = makeNoticeWorld();
      world.mailer.failNext(1);
      await expect(world.changed({}, { messageId: 'm-1' })).rejects.toBeInstanceOf(MailUnavailableError);

      world.clock.advance(world.policy.leaseMs);
      const outcome = await world.changed({}, { messageId: 'm-2' });

      expect(outcome).toEqual({ kind: 'reported', event: noticeSent(), repeated: false });
      expect(world.ledger.peek('n-1')).toMatchObject({ mailAttempts: 2 });
    });
  });
});
