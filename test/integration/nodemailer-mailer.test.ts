import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Transporter } from 'nodemailer';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSmtpTransport, NodemailerMailer, type SmtpTransportOptions } from '../../src/adapters/smtp/nodemailer-mailer.js';
import { MailUnavailableError } from '../../src/domain/errors.js';
import type { CodeMail } from '../../src/domain/mail.js';
import { startSmtpSink, type SmtpSink, type SmtpSinkOptions } from '../support/smtp-sink.js';
import { stepWallClock } from '../support/wall-clock.js';

const MAIL_FROM = 'resetd <no-reply@resetd.test>';

const aCodeMail = (overrides: Partial<CodeMail> = {}): CodeMail => ({
  kind: 'code',
  resetId: 'r-1',
  to: 'user@example.com',
  locale: 'en',
  displayName: 'Ada Lovelace',
  code: '482913',
  expiresAt: Date.UTC(2030, 0, 1, 12, 10),
  lifetimeMinutes: 10,
  ...overrides,
});

describe('NodemailerMailer against a real SMTP server', () => {
  let sink: SmtpSink;
  let transport: Transporter;

  async function setUp(sinkOptions: SmtpSinkOptions = {}, transportOptions: Partial<SmtpTransportOptions> = {}) {
    sink = await startSmtpSink(sinkOptions);
    transport = createSmtpTransport(sink.url, { maxConnections: 5, ...transportOptions });
    return new NodemailerMailer(transport, { from: MAIL_FROM, productName: 'resetd' });
  }

  afterEach(async () => {
    transport.close();
    await sink.stop();
  });

  it('delivers a mail whose text and HTML parts hold the same code, from MAIL_FROM', async () => {
    const mailer = await setUp();

    await expect(mailer.send(aCodeMail())).resolves.toEqual({ kind: 'accepted' });

    const [mail] = await sink.waitForMails(1);
    expect(mail!.text).toContain('482913');
    expect(mail!.html).toContain('>482913<');
    expect(mail!.from?.value).toEqual([{ name: 'resetd', address: 'no-reply@resetd.test' }]);
    expect(mail!.to).toMatchObject({ value: [{ address: 'user@example.com', name: '' }] });
    expect(mail!.subject).toBe('Your resetd password reset code');
    expect(mail!.messageId).toMatch(/^<[0-9a-f-]{36}@resetd\.test>$/);
    expect(mail!.headers.get('auto-submitted')).toBe('auto-generated');
    expect(sink.deliveries[0]).toMatchObject({ mailFrom: 'no-reply@resetd.test', rcptTo: ['user@example.com'] });
  });

  it('escapes a hostile display name in the HTML and keeps it out of every header and the envelope', async () => {
    const mailer = await setUp();
    const displayName = '<script>alert(1)</script>\r\nBcc: evil@x.y';

    await mailer.send(aCodeMail({ displayName }));

    const [mail] = await sink.waitForMails(1);
    expect(mail!.html).not.toContain('<script');
    expect(mail!.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail!.bcc).toBeUndefined();
    expect(mail!.headers.has('bcc')).toBe(false);
    expect(mail!.to).toMatchObject({ value: [{ address: 'user@example.com' }] });
    expect(sink.deliveries[0]!.rcptTo).toEqual(['user@example.com']);
    const raw = sink.deliveries[0]!.raw.toString('utf8');
    const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
    expect(head).not.toMatch(/evil|script|alert|Bcc/i);
  });

  it('sends 200 mails at once over at most 5 pooled connections', async () => {
    const mailer = await setUp();

    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => mailer.send(aCodeMail({ resetId: `r-${i}`, to: `user${i}@example.com` }))),
    );

    expect(results.every((r) => r.kind === 'accepted')).toBe(true);
    expect(sink.mails).toHaveLength(200);
    expect(sink.connections).toBeGreaterThan(0);
    expect(sink.connections).toBeLessThanOrEqual(5);
  });

  it('replaces a pooled connection after maxMessages mails (SMTP_POOL_MAX_MESSAGES), and only then', async () => {
    const capped = await setUp({}, { maxConnections: 1, maxMessages: 3 });
    for (let i = 0; i < 7; i += 1) await capped.send(aCodeMail({ resetId: `r-${i}` }));
    expect(sink.mails).toHaveLength(7);
    expect(sink.connections).toBe(3);

    transport.close();
    transport = createSmtpTransport(sink.url, { maxConnections: 1, maxMessages: 100 });
    const uncapped = new NodemailerMailer(transport, { from: MAIL_FROM, productName: 'resetd' });
    for (let i = 0; i < 7; i += 1) await uncapped.send(aCodeMail({ resetId: `s-${i}` }));
    expect(sink.connections).toBe(4);
  });

  it('sends a waiting mail over the first connection to come free, not over one still being opened', async () => {
    const mailer = await setUp({ replyDelayMs: 100 }, { maxConnections: 2 });
    await mailer.send(aCodeMail({ resetId: 'r-1' }));
    const release = sink.holdGreetings();

    // The third mail finds the one connection busy with the second, so a second connection is
    // opened, but the server does not greet it: the mail can only go out over the first.
    const sent = await Promise.all([mailer.send(aCodeMail({ resetId: 'r-2' })), mailer.send(aCodeMail({ resetId: 'r-3' }))]);

    expect(sent).toEqual([{ kind: 'accepted' }, { kind: 'accepted' }]);
    expect(sink.connections).toBe(2);
    release();
    const later = await Promise.all(Array.from({ length: 6 }, (_, i) => mailer.send(aCodeMail({ resetId: `s-${i}` }))));
    expect(later.every((r) => r.kind === 'accepted')).toBe(true);
    expect(sink.connections).toBe(2);
  });

  it('sends every mail of a burst over the connections a server allows, when it caps them below the pool (421 to the rest)', async () => {
    const mailer = await setUp({ maxClients: 2 }, { maxConnections: 5 });

    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => mailer.send(aCodeMail({ resetId: `r-${i}`, to: `user${i}@example.com` }))));

    expect(results.every((r) => r.kind === 'accepted')).toBe(true);
    expect(sink.mails).toHaveLength(50);
  });

  it('opens the successor of a connection that has sent its share at once, before a mail needs it', async () => {
    const mailer = await setUp({}, { maxConnections: 1, maxMessages: 2 });
    await mailer.send(aCodeMail({ resetId: 'r-1' }));
    await mailer.send(aCodeMail({ resetId: 'r-2' }));

    await vi.waitFor(() => expect(sink.connections).toBe(2));
    await mailer.send(aCodeMail({ resetId: 'r-3' }));
    expect(sink.connections).toBe(2);
  });

  it('fails the mail still waiting when the pool is closed, and lets the mail being sent finish', async () => {
    const mailer = await setUp({ replyDelayMs: 200 }, { maxConnections: 1 });
    const sending = mailer.send(aCodeMail({ resetId: 'r-1' }));
    const waiting = mailer.send(aCodeMail({ resetId: 'r-2' }));
    await vi.waitFor(() => expect(sink.transactions).toBe(1));

    mailer.close();

    await expect(waiting).rejects.toBeInstanceOf(MailUnavailableError);
    await expect(sending).resolves.toEqual({ kind: 'accepted' });
    expect(sink.mails).toHaveLength(1);
  });

  it('answers refused for a 550 to the recipient, and goes on sending to others', async () => {
    const mailer = await setUp({ rejectRecipients: (address) => address.startsWith('gone@') });

    const refused = await mailer.send(aCodeMail({ to: 'gone@example.com' }));
    expect(refused).toMatchObject({ kind: 'refused', reply: expect.stringMatching(/^550 /) });

    await expect(mailer.send(aCodeMail())).resolves.toEqual({ kind: 'accepted' });
    expect(sink.mailsTo('gone@example.com')).toHaveLength(0);
    expect(sink.mailsTo('user@example.com')).toHaveLength(1);
    // The refusal was about the mail: the session was reset and kept.
    expect(sink.connections).toBe(1);
  });

  it('answers refused for a 5xx to the message itself', async () => {
    const mailer = await setUp({ failAll: { code: 552, stage: 'data' } });

    await expect(mailer.send(aCodeMail())).resolves.toMatchObject({ kind: 'refused', reply: expect.stringMatching(/^552 /) });
  });

  it('throws MailUnavailableError when the server refuses the connection', async () => {
    const mailer = await setUp();
    await sink.stop();

    const sending = mailer.send(aCodeMail());

    await expect(sending).rejects.toBeInstanceOf(MailUnavailableError);
    await expect(sending).rejects.toHaveProperty('cause.message', expect.stringContaining('ECONNREFUSED'));
  });

  it.each([
    ['a 451 to MAIL FROM, which is about the sender or the server', { code: 451, stage: 'mail' }, 'MailUnavailableError'],
    ['a 421 greeting', { code: 421, stage: 'connect' }, 'MailUnavailableError'],
    ['a 421 to RCPT TO: the server closing, not the recipient', { code: 421, stage: 'rcpt' }, 'MailUnavailableError'],
    ['a 554 greeting, which is about the server and not the mail', { code: 554, stage: 'connect' }, 'MailUnavailableError'],
    ['a 450 to RCPT TO (greylisting)', { code: 450, stage: 'rcpt' }, 'RecipientDeferredError'],
    ['a 452 at the end of DATA (a full mailbox)', { code: 452, stage: 'data' }, 'RecipientDeferredError'],
  ] as const)('throws MailUnavailableError for %s, as %s', async (_, failure, name) => {
    const mailer = await setUp({ failAll: failure });

    const sending = mailer.send(aCodeMail());
    await expect(sending).rejects.toBeInstanceOf(MailUnavailableError);
    await expect(sending).rejects.toHaveProperty('name', name);
    expect(sink.mails).toHaveLength(0);
  });

  it('throws MailUnavailableError when the server does not answer in time', async () => {
    const mailer = await setUp({ replyDelayMs: 2_000 }, { socketTimeout: 300 });

    await expect(mailer.send(aCodeMail())).rejects.toBeInstanceOf(MailUnavailableError);
  });

  it('lets a connection that has been silent past its socket timeout go, and opens another for the next mail', async () => {
    const mailer = await setUp({}, { maxConnections: 1, socketTimeout: 300 });
    await mailer.send(aCodeMail({ resetId: 'r-1' }));
    await new Promise((resolve) => setTimeout(resolve, 900));

    await expect(mailer.send(aCodeMail({ resetId: 'r-2' }))).resolves.toEqual({ kind: 'accepted' });
    expect(sink.connections).toBe(2);
  });

  it('sends again through the same transport once the server is back on its port', async () => {
    const mailer = await setUp();
    await mailer.send(aCodeMail({ to: 'before@example.com' }));

    await sink.stop();
    await expect(mailer.send(aCodeMail({ to: 'during@example.com' }))).rejects.toBeInstanceOf(MailUnavailableError);
    expect(await mailer.probe()).toMatchObject({ kind: 'failed', failure: { kind: 'server', detail: expect.stringContaining('ECONNREFUSED') } });
    // The check an open breaker is probed by when no mail is waiting fails as a send would.
    const check = mailer.checkServer().catch((error: unknown) => error);
    expect(await check).toBeInstanceOf(MailUnavailableError);
    expect(await check).toHaveProperty('message', expect.stringContaining('ECONNREFUSED'));

    await sink.start();
    await expect(mailer.checkServer()).resolves.toBeUndefined();
    await expect(mailer.send(aCodeMail({ to: 'after@example.com' }))).resolves.toEqual({ kind: 'accepted' });
    expect(await mailer.probe()).toEqual({ kind: 'ready', smtpUtf8: true });
    expect(sink.mails.map((m) => m.to)).toMatchObject([
      { value: [{ address: 'before@example.com' }] },
      { value: [{ address: 'after@example.com' }] },
    ]);
  });

  it('sends the mail that waits out the pause after a failed connection, though the wall clock stepped back meanwhile', async () => {
    const mailer = await setUp({}, { maxConnections: 1 });
    await sink.stop();
    const aheadByAMinute = stepWallClock(60_000);
    await expect(mailer.send(aCodeMail({ to: 'during@example.com' }))).rejects.toBeInstanceOf(MailUnavailableError);
    aheadByAMinute.restore();
    await sink.start();

    // Sent within the pool's pause (1 s), it waits for it to end, measured by a timer and not the clock.
    await expect(mailer.send(aCodeMail({ to: 'after@example.com' }))).resolves.toEqual({ kind: 'accepted' });
    expect(sink.mails.map((m) => m.to)).toMatchObject([{ value: [{ address: 'after@example.com' }] }]);
  });

  it('introduces itself in EHLO with the name it is given (SMTP_NAME)', async () => {
    const mailer = await setUp({}, { name: 'mail.resetd.test' });

    await mailer.send(aCodeMail());

    expect(sink.deliveries[0]!.ehlo).toBe('mail.resetd.test');
  });

  it('refuses to send once closed instead of waiting for ever', async () => {
    const mailer = await setUp();
    mailer.close();

    await expect(mailer.send(aCodeMail())).rejects.toBeInstanceOf(MailUnavailableError);
    expect(await mailer.probe()).toMatchObject({ kind: 'failed' });
  });

  it.each([true, false])('logs in with the credentials in the URL, decoded (pool: %s)', async (pool) => {
    sink = await startSmtpSink();
    transport = createSmtpTransport(sink.url.replace('smtp://', 'smtp://us%40er:p%3Ass@'), { maxConnections: 1, pool });
    const mailer = new NodemailerMailer(transport, { from: 'no-reply@resetd.test', productName: 'resetd' });

    await expect(mailer.send(aCodeMail())).resolves.toEqual({ kind: 'accepted' });
    expect(sink.logins).toEqual([{ user: 'us@er', pass: 'p:ss' }]);
    expect(sink.mails[0]!.messageId).toMatch(/@resetd\.test>$/);
  });
});

describe('createSmtpTransport', () => {
  it('takes only smtp:// and smtps:// URLs', () => {
    expect(() => createSmtpTransport('http://mail.example.com', { maxConnections: 1 })).toThrow(/smtp:\/\//);
  });
});

describe('NodemailerMailer construction', () => {
  it('rejects a sender without a domain at once', () => {
    const transport = createSmtpTransport('smtp://127.0.0.1:1', { maxConnections: 1 });
    expect(() => new NodemailerMailer(transport, { from: 'resetd', productName: 'resetd' })).toThrow(/domain/);
    transport.close();
  });
});

describe('NodemailerMailer against a server that talks but never answers', () => {
  let server: Server | undefined;
  const sockets = new Set<Socket>();

  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });

  /** Answers EHLO and MAIL FROM, then answers RCPT TO with a multi-line reply that never ends: a line every 100 ms. */
  async function startTalkativeServer(): Promise<number> {
    server = createServer((socket) => {
      sockets.add(socket);
      let trickle: NodeJS.Timeout | undefined;
      socket.on('close', () => clearInterval(trickle));
      socket.write('220 talkative.test ESMTP\r\n');
      socket.on('data', (chunk) => {
        for (const line of chunk.toString().split('\r\n').filter(Boolean)) {
          if (/^EHLO/i.test(line)) socket.write('250-talkative.test\r\n250 8BITMIME\r\n');
          else if (/^MAIL FROM/i.test(line)) socket.write('250 2.1.0 Ok\r\n');
          else if (/^RCPT TO/i.test(line)) trickle = setInterval(() => socket.write('250-still thinking\r\n'), 100);
          else if (/^QUIT/i.test(line)) socket.end('221 Bye\r\n');
        }
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return (server!.address() as AddressInfo).port;
  }

  it('gives a mail up after the send timeout, though the socket is never silent, and frees its connection', async () => {
    const port = await startTalkativeServer();
    const transport = createSmtpTransport(`smtp://127.0.0.1:${port}`, { maxConnections: 1, socketTimeout: 300, sendTimeout: 1_000 });
    const mailer = new NodemailerMailer(transport, { from: MAIL_FROM, productName: 'resetd' });
    try {
      const started = Date.now();
      await expect(mailer.send(aCodeMail())).rejects.toBeInstanceOf(MailUnavailableError);
      expect(Date.now() - started).toBeLessThan(5_000);
      // The one connection was closed: the next mail gets one of its own, and meets the same end.
      await expect(mailer.send(aCodeMail({ resetId: 'r-2' }))).rejects.toThrow(/took more than 1 s over one mail/);
    } finally {
      transport.close();
    }
  });
});
