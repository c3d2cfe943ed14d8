import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Transporter } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSmtpTransport, NodemailerMailer, type SmtpSecurity } from '../../src/adapters/smtp/nodemailer-mailer.js';
import { MailUnavailableError } from '../../src/domain/errors.js';
import type { CodeMail } from '../../src/domain/mail.js';
import { makeTestPki, type TestPki } from '../support/security.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

const aCodeMail: CodeMail = {
  kind: 'code',
  resetId: 'r-tls',
  to: 'user@example.com',
  locale: 'en',
  code: '482913',
  expiresAt: Date.UTC(2030, 0, 1, 12, 10),
  lifetimeMinutes: 10,
};

/** An SMTP server with the test PKI's certificate: STARTTLS offered (`smtp://`), or TLS from the first byte (`smtps://`). */
async function tlsServer(pki: TestPki, implicit: boolean): Promise<{ url: string; accepted: number; secured: boolean[]; stop: () => Promise<void> }> {
  const state = { accepted: 0, secured: [] as boolean[] };
  const server = new SMTPServer({
    logger: false,
    secure: implicit,
    key: readFileSync(pki.serverKeyFile),
    cert: readFileSync(pki.serverCertFile),
    authOptional: true,
    disableReverseLookup: true,
    onData: (stream, session, callback) => {
      stream.resume();
      stream.on('end', () => {
        state.accepted += 1;
        state.secured.push(session.secure);
        callback();
      });
    },
  });
  // A client that refuses the certificate drops the socket mid-handshake: expected here.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `${implicit ? 'smtps' : 'smtp'}://localhost:${port}`,
    get accepted() {
      return state.accepted;
    },
    secured: state.secured,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// The pool (as deployed) opens its sessions itself; without it nodemailer's transport does.
describe.each([{ pool: true }, { pool: false }])('SMTP TLS as production asks for it, pool: $pool', ({ pool }) => {
  let pki: TestPki;
  let transport: Transporter | undefined;
  const send = (url: string, security: SmtpSecurity) => {
    transport = createSmtpTransport(url, { maxConnections: 1, pool, connectionTimeout: 2_000, greetingTimeout: 2_000, socketTimeout: 2_000, security });
    return new NodemailerMailer(transport, { from: 'resetd <no-reply@resetd.test>', productName: 'resetd' }).send(aCodeMail);
  };

  beforeAll(() => {
    pki = makeTestPki();
  });

  afterEach(() => {
    transport?.close();
    transport = undefined;
  });

  afterAll(() => pki.remove());

  describe('a plaintext catcher (no STARTTLS)', () => {
    let sink: SmtpSink;
    beforeAll(async () => {
      sink = await startSmtpSink();
    });
    afterAll(() => sink.stop());

    it('is refused with requireTls, and nothing reaches it', async () => {
      await expect(send(sink.url, { requireTls: true })).rejects.toBeInstanceOf(MailUnavailableError);
      expect(sink.deliveries).toHaveLength(0);
    });

    it('takes the mail when plaintext is allowed (SMTP_ALLOW_PLAINTEXT=true, or outside production)', async () => {
      await expect(send(sink.url, { requireTls: false })).resolves.toEqual({ kind: 'accepted' });
      expect(sink.deliveries).toHaveLength(1);
    });
  });

  describe('a server offering STARTTLS with a certificate of a private CA', () => {
    let server: Awaited<ReturnType<typeof tlsServer>>;
    beforeAll(async () => {
      server = await tlsServer(pki, false);
    });
    afterAll(() => server.stop());

    it('takes the mail over TLS with requireTls and the CA from SMTP_TLS_CA_FILE', async () => {
      await expect(send(server.url, { requireTls: true, ca: readFileSync(pki.caFile, 'utf8') })).resolves.toEqual({ kind: 'accepted' });
      expect(server.secured.at(-1)).toBe(true);
    });

    it('checks the certificate: without the CA the upgrade fails and nothing is sent', async () => {
      const before = server.accepted;
      await expect(send(server.url, { requireTls: true })).rejects.toBeInstanceOf(MailUnavailableError);
      await expect(send(server.url, { requireTls: true, ca: readFileSync(pki.strangerCaFile, 'utf8') })).rejects.toBeInstanceOf(MailUnavailableError);
      expect(server.accepted).toBe(before);
    });
  });

  describe('a server with TLS from the first byte (smtps://)', () => {
    let server: Awaited<ReturnType<typeof tlsServer>>;
    beforeAll(async () => {
      server = await tlsServer(pki, true);
    });
    afterAll(() => server.stop());

    it('takes the mail with the CA, and refuses a certificate it cannot check', async () => {
      await expect(send(server.url, { requireTls: false, ca: readFileSync(pki.caFile, 'utf8') })).resolves.toEqual({ kind: 'accepted' });
      expect(server.secured.at(-1)).toBe(true);
      await expect(send(server.url, { requireTls: false })).rejects.toBeInstanceOf(MailUnavailableError);
    });
  });
});
