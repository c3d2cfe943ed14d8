import type { Transporter } from 'nodemailer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSmtpTransport, NodemailerMailer } from '../../src/adapters/smtp/nodemailer-mailer.js';
import type { OutboundMail } from '../../src/domain/mail.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

const mails: Record<string, OutboundMail> = {
  'the code mail': {
    kind: 'code',
    resetId: 'r-1',
    to: 'user@example.com',
    locale: 'fr',
    displayName: 'Ada',
    code: '482913',
    expiresAt: Date.UTC(2030, 0, 7, 9, 10),
    lifetimeMinutes: 10,
  },
  'the password-changed notice': {
    kind: 'notice',
    resetId: 'r-1',
    to: 'user@example.com',
    locale: 'es',
    displayName: 'Ada',
    changedAt: Date.UTC(2030, 0, 7, 9, 0),
    clientIp: '203.0.113.7',
  },
};

describe('the headers and parts of a well-behaved transactional mail', () => {
  let sink: SmtpSink;
  let transport: Transporter;

  beforeEach(async () => {
    sink = await startSmtpSink();
    transport = createSmtpTransport(sink.url, { maxConnections: 1 });
  });

  afterEach(async () => {
    transport.close();
    await sink.stop();
  });

  for (const [name, mail] of Object.entries(mails)) {
    it(`${name}: Message-ID at the sender's domain, Date, Auto-Submitted, a text part, no link and no pixel`, async () => {
      const before = Date.now();
      await new NodemailerMailer(transport, { from: 'Acme <no-reply@mail.acme.test>', productName: 'Acme' }).send(mail);

      const [received] = await sink.waitForMails(1);
      const raw = sink.deliveries[0]!.raw.toString('utf8');
      const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
      expect(received!.messageId).toMatch(/^<[0-9a-f-]{36}@mail\.acme\.test>$/);
      expect(head).toMatch(/^Date: /m);
      expect(received!.date!.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect(received!.headers.get('auto-submitted')).toBe('auto-generated');
      expect(received!.headers.get('content-language')).toBe(mail.locale);
      // A plain-text alternative first, the HTML second: clients that show no HTML show the text.
      expect(head).toMatch(/^Content-Type: multipart\/alternative;/m);
      expect(raw.indexOf('Content-Type: text/plain')).toBeLessThan(raw.indexOf('Content-Type: text/html'));
      expect(received!.text?.trim().length).toBeGreaterThan(100);
      expect(received!.html).toEqual(expect.any(String));
      expect(received!.html).not.toMatch(/<a[\s>]|href=|<img|<link|url\(|@import|https?:|www\./i);
      expect(received!.text).not.toMatch(/https?:|www\./i);
      expect(received!.attachments).toEqual([]);
      expect(head).not.toMatch(/^(List-Unsubscribe|X-Mailer|Bcc):/im);
    });
  }
});
