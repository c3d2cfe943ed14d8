import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dkimVerify } from 'mailauth';
import { generateKeyPairSync } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MailOptions } from '../../src/adapters/mail/mail-message.js';
import { FileOutboxMailer } from '../../src/adapters/outbox/file-outbox-mailer.js';
import { createSmtpTransport, NodemailerMailer } from '../../src/adapters/smtp/nodemailer-mailer.js';
import type { NoticeMail } from '../../src/domain/mail.js';
import { makeDkimKey, stubDns } from '../support/dkim.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

const DOMAIN = 'acme.test';
const SELECTOR = 'resetd2030';

const aNotice = (overrides: Partial<NoticeMail> = {}): NoticeMail => ({
  kind: 'notice',
  resetId: 'r-dkim',
  to: 'user@example.com',
  locale: 'de',
  displayName: 'Ada Lovelace',
  changedAt: Date.UTC(2030, 0, 7, 9, 0),
  clientIp: '203.0.113.7',
  ...overrides,
});

const MAIL_FROM = `Acme <no-reply@${DOMAIN}>`;

/** Changes one character in the body, as a relay that rewrote it would. */
function tamperBody(raw: Buffer): Buffer {
  const text = raw.toString('utf8');
  const bodyStart = text.search(/\r?\n\r?\n/);
  const at = text.indexOf('IP', bodyStart);
  if (bodyStart < 0 || at < 0) throw new Error('nothing to tamper with');
  return Buffer.from(`${text.slice(0, at)}Ip${text.slice(at + 2)}`, 'utf8');
}

describe('DKIM signing', () => {
  let dkim: ReturnType<typeof makeDkimKey>;
  const resolver = () => stubDns(`${SELECTOR}._domainkey.${DOMAIN}`, dkim.txt);

  beforeAll(() => {
    dkim = makeDkimKey(DOMAIN, SELECTOR);
  });

  describe('through SMTP', () => {
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

    const send = async (options: MailOptions) => {
      await new NodemailerMailer(transport, options).send(aNotice());
      await sink.waitForMails(1);
      return sink.deliveries[0]!.raw;
    };

    it('signs the mail so that a verifier with the published key passes it', async () => {
      const raw = await send({ from: MAIL_FROM, productName: 'Acme', dkim: dkim.key });

      const result = await dkimVerify(raw, { resolver: resolver() });

      expect(result.results).toHaveLength(1);
      expect(result.results[0]).toMatchObject({ signingDomain: DOMAIN, selector: SELECTOR, status: { result: 'pass', aligned: DOMAIN } });
      const signature = raw.toString('utf8').match(/^DKIM-Signature:[^]*?\r\n(?=\S)/m)?.[0] ?? '';
      expect(signature.replace(/\r\n\s+/g, ' ')).toMatch(/h=[^;]*\bFrom\b[^;]*\bSubject\b/i);
    });

    it('fails the same check once the body or a signed header was changed on the way', async () => {
      const raw = await send({ from: MAIL_FROM, productName: 'Acme', dkim: dkim.key });

      // mailauth says `neutral` for a body hash that does not match (RFC 6376 §6.1.3: not a pass).
      const body = await dkimVerify(tamperBody(raw), { resolver: resolver() });
      expect(body.results[0]?.status).toMatchObject({ result: 'neutral', comment: 'body hash did not verify' });

      const header = await dkimVerify(Buffer.from(raw.toString('utf8').replace(/^Subject: /m, 'Subject: Re: ')), { resolver: resolver() });
      expect(header.results[0]?.status.result).toBe('fail');
    });

    it('fails against a key that is not the one published', async () => {
      const raw = await send({ from: MAIL_FROM, productName: 'Acme', dkim: dkim.key });
      const other = makeDkimKey(DOMAIN, SELECTOR);

      const result = await dkimVerify(raw, { resolver: stubDns(`${SELECTOR}._domainkey.${DOMAIN}`, other.txt) });

      expect(result.results[0]?.status.result).toBe('fail');
    });

    it('refuses an Ed25519 key when the mailer is made, since nodemailer would send the mail unsigned', async () => {
      const ed25519 = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const options = { from: MAIL_FROM, productName: 'Acme', dkim: { ...dkim.key, privateKey: ed25519 } };

      expect(() => new NodemailerMailer(transport, options)).toThrow(/cannot sign with RSA-SHA256/);
      expect(() => new FileOutboxMailer(tmpdir(), options)).toThrow(/cannot sign with RSA-SHA256/);
      // What the refusal prevents: nodemailer given the key signs nothing and says nothing.
      const mail = nodemailer.createTransport({ streamTransport: true, buffer: true });
      const info = await mail.sendMail({ from: MAIL_FROM, to: 'user@example.com', text: 'x', dkim: { domainName: DOMAIN, keySelector: SELECTOR, privateKey: ed25519 } });
      expect((info.message as Buffer).toString('utf8')).not.toMatch(/^DKIM-Signature:/im);
    });

    it('adds no DKIM-Signature header without the configuration', async () => {
      const raw = await send({ from: MAIL_FROM, productName: 'Acme' });

      expect(raw.toString('utf8')).not.toMatch(/^DKIM-Signature:/im);
      const result = await dkimVerify(raw, { resolver: resolver() });
      expect(result.results.map((r) => r.status.result)).toEqual(['none']);
    });
  });

  describe('in the outbox', () => {
    let dir: string;

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'resetd-dkim-'));
    });

    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('writes the mail signed, as SMTP would have carried it', async () => {
      await new FileOutboxMailer(dir, { from: MAIL_FROM, productName: 'Acme', dkim: dkim.key }).send(aNotice());

      const [file] = await readdir(dir);
      const raw = await readFile(join(dir, file!));
      const result = await dkimVerify(raw, { resolver: resolver() });

      expect(result.results[0]?.status.result).toBe('pass');
      expect((await dkimVerify(tamperBody(raw), { resolver: resolver() })).results[0]?.status.result).not.toBe('pass');
    });
  });
});
