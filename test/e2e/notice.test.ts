import { randomUUID } from 'node:crypto';
import { dkimVerify } from 'mailauth';
import { describe, expect, it } from 'vitest';
import { makeDkimKey, stubDns } from '../support/dkim.js';
import { useRunningService } from '../support/running-service.js';

// ICU may put a narrow no-break space before AM/PM; compare with plain spaces.
const plain = (text: string | undefined) => (text ?? '').replace(/[\u00a0\u202f]/g, ' ');

describe('the password-changed notice, driven through NATS', () => {
  const dkim = makeDkimKey('acme.test', 'resetd');
  const resolver = stubDns('resetd._domainkey.acme.test', dkim.txt);
  const world = useRunningService('notice', {
    env: () => ({
      MAIL_FROM: 'Acme <no-reply@acme.test>',
      MAIL_PRODUCT_NAME: 'Acme',
      DKIM_DOMAIN: 'acme.test',
      DKIM_SELECTOR: 'resetd',
      DKIM_PRIVATE_KEY: dkim.key.privateKey,
    }),
  });

  it('mails the English notice with the time and the IP, signed, then reports reset.notice.sent for the reset', async () => {
    const resetId = randomUUID();
    await world.client.publish('reset.password.changed', {
      userId: 'u-notice-en',
      email: 'notice-en@example.com',
      locale: 'en-GB',
      displayName: 'Ada',
      resetId,
      changedAt: '2030-01-07T19:05:00Z',
      clientIp: '203.0.113.7',
    });

    const sent = await world.client.waitForEvent(resetId, 'reset.notice.sent');
    expect(sent.data).toEqual({ resetId, userId: 'u-notice-en' });
    const mail = await world.sink.waitForMail('notice-en@example.com');
    expect(mail.subject).toBe('Your Acme password was changed');
    expect(plain(mail.text)).toContain('The password for your Acme account was changed on Monday, January 7, 2030 at 7:05 PM UTC.');
    expect(mail.text).toContain('203.0.113.7');
    expect(mail.text).toContain('Forgot password');
    expect(mail.headers.get('content-language')).toBe('en');
    const raw = world.sink.deliveries.find((d) => d.rcptTo.includes('notice-en@example.com'))!.raw;
    expect((await dkimVerify(raw, { resolver })).results[0]?.status.result).toBe('pass');
  });

  it('mails the German notice, and names the event itself as the reset when it names none', async () => {
    const id = await world.client.publish('reset.password.changed', {
      userId: 'u-notice-de',
      email: 'notice-de@example.com',
      locale: 'de',
      changedAt: '2030-01-07T09:05:00+01:00',
      clientIp: '2001:db8::7',
    });

    const sent = await world.client.waitForEvent(id, 'reset.notice.sent');
    expect(sent.data).toEqual({ resetId: id, userId: 'u-notice-de' });
    const mail = await world.sink.waitForMail('notice-de@example.com');
    expect(mail.subject).toBe('Ihr Acme-Passwort wurde geändert');
    expect(mail.text).toMatch(/^Hallo,\n/);
    expect(plain(mail.text)).toContain('das Passwort für Ihr Acme-Konto wurde am Montag, 7. Januar 2030 um 08:05 UTC geändert.');
    expect(mail.text).toContain('Die Änderung kam von der IP-Adresse 2001:db8::7.');
    expect(mail.headers.get('content-language')).toBe('de');
  });

  it('sends no second mail and no second outcome for the same event published again under a new Nats-Msg-Id', async () => {
    const data = { userId: 'u-notice-again', email: 'notice-again@example.com', locale: 'fr', changedAt: '2030-01-07T09:05:00Z' };
    const id = await world.client.publish('reset.password.changed', data);
    await world.client.waitForEvent(id, 'reset.notice.sent');
    await world.sink.waitForMail('notice-again@example.com');

    await world.client.publish('reset.password.changed', data, { id, msgId: `${id}-again` });
    await world.client.publish('reset.password.changed', data, { id, msgId: `${id}-once-more` });
    // Both repeats are in the stream: only once both are handled can a second mail or outcome be ruled out.
    await world.client.waitUntilHandled();

    expect(world.sink.mailsTo('notice-again@example.com')).toHaveLength(1);
    expect(world.client.eventsFor(id).map((e) => e.type)).toEqual(['reset.notice.sent']);
  }, 80_000);

  it('rejects a notice with an invalid address, naming the field, and mails nothing', async () => {
    const id = await world.client.publish('reset.password.changed', { userId: 'u-notice-bad', email: 'not-an-address' });

    const rejected = await world.client.waitForEvent(id, 'reset.rejected');
    expect(rejected.data).toMatchObject({ resetId: id, eventId: id, userId: 'u-notice-bad', reason: 'invalid_request' });
    expect(String(rejected.data.detail)).toContain('data.email');
  });

  it('reports reset.delivery.failed smtp_permanent when the server refuses the address for good', async () => {
    world.sink.setFailure({ code: 550, stage: 'rcpt', message: 'No such user' });
    try {
      const id = await world.client.publish('reset.password.changed', { userId: 'u-notice-550', email: 'gone@example.com' });
      const failed = await world.client.waitForEvent(id, 'reset.delivery.failed');
      expect(failed.data).toEqual({ resetId: id, userId: 'u-notice-550', reason: 'smtp_permanent', attempts: 1 });
    } finally {
      world.sink.setFailure(undefined);
    }
  });
});
