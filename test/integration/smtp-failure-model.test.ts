import { performance } from 'node:perf_hooks';
import type { Transporter } from 'nodemailer';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { BreakerState } from '../../src/adapters/resilience/mail-breaker.js';
import { mailMessageBuilder } from '../../src/adapters/mail/mail-message.js';
import { ResilientMailer } from '../../src/adapters/resilience/resilient-mailer.js';
import { createSmtpTransport, NodemailerMailer } from '../../src/adapters/smtp/nodemailer-mailer.js';
import { RecipientDeferredError } from '../../src/domain/errors.js';
import type { CodeMail } from '../../src/domain/mail.js';
import { startSmtpSink, type SmtpSink, type SmtpSinkOptions } from '../support/smtp-sink.js';

const aCodeMail = (overrides: Partial<CodeMail> = {}): CodeMail => ({
  kind: 'code',
  resetId: 'r-1',
  to: 'user@example.com',
  locale: 'en',
  code: '482913',
  expiresAt: Date.UTC(2030, 0, 1, 12, 10),
  lifetimeMinutes: 10,
  ...overrides,
});

const GREYLISTED = 'greylisted@example.com';

describe('the SMTP failure model against a real SMTP server', () => {
  let sink: SmtpSink;
  let transport: Transporter;

  async function setUp(sinkOptions: SmtpSinkOptions) {
    sink = await startSmtpSink(sinkOptions);
    transport = createSmtpTransport(sink.url, { maxConnections: 5 });
    return new NodemailerMailer(transport, { from: 'resetd <no-reply@resetd.test>', productName: 'resetd' });
  }

  afterEach(async () => {
    transport.close();
    await sink.stop();
  });

  /** Sends 50 mails at once and returns each one's time to acceptance, sorted. */
  async function burstOf50(mailer: ResilientMailer, label: string): Promise<number[]> {
    const started = performance.now();
    const sent = await Promise.all(
      Array.from({ length: 50 }, (_, i) => mailer.send(aCodeMail({ resetId: `r-${label}-${i}`, to: `${label}${i}@example.com` })).then((result) => ({ result, ms: performance.now() - started }))),
    );
    expect(sent.every(({ result }) => result.kind === 'accepted')).toBe(true);
    return sent.map(({ ms }) => ms).sort((a, b) => a - b);
  }
  const p99 = (sorted: readonly number[]) => sorted[Math.ceil(sorted.length * 0.99) - 1]!;

  it.each([
    ['a 450 to RCPT TO (greylisting)', 'rcpt'],
    ['a 452 after DATA (a full mailbox)', 'data'],
  ] as const)('%s for one recipient, asked 10 times, never opens the breaker while 50 others are mailed, p99 under 1 s', async (_, stage) => {
    const smtp = await setUp({ deferRecipients: (address) => (address === GREYLISTED ? stage : undefined) });
    // The production settings: 3 tries, a breaker that opens after 5 consecutive failures.
    const mailer = new ResilientMailer(smtp, { attempts: 3, initialBackoffMs: 200, maxBackoffMs: 2_000, breakerThreshold: 5, halfOpenAfterMs: 5_000 }, pino({ level: 'silent' }));
    const transitions: BreakerState[] = [];
    mailer.breaker.onStateChange((state) => transitions.push(state));
    // The same burst alone first: connections open and code warm, and what this machine takes now.
    const alone = await burstOf50(mailer, 'alone');

    // The deferred recipient first: its 30 failing tries are the first replies the breaker sees.
    const deferred = Array.from({ length: 10 }, (_, i) => mailer.send(aCodeMail({ resetId: `r-grey-${i}`, to: GREYLISTED })).then(String, (error: unknown) => error));
    const beside = await burstOf50(mailer, 'beside');
    for (const outcome of await Promise.all(deferred)) expect(outcome).toBeInstanceOf(RecipientDeferredError);

    console.info(`${stage === 'rcpt' ? '450 to RCPT TO' : '452 after DATA'} for one recipient: 50 others mailed with p99 ${p99(beside).toFixed(0)} ms (${p99(alone).toFixed(0)} ms without it)`);
    expect(transitions).toEqual([]);
    expect(mailer.breaker.state).toBe('closed');
    expect(sink.mailsTo(GREYLISTED)).toHaveLength(0);
    expect(sink.mails).toHaveLength(100);
    // Under 1 s on a machine to itself; on a shared, loaded one, no slower than the same burst alone allows.
    expect(p99(beside)).toBeLessThan(Math.max(1_000, 2 * p99(alone)));
  });
});

describe('internationalised addresses', () => {
  let sink: SmtpSink;
  let transport: Transporter;

  async function mailerFor(sinkOptions: SmtpSinkOptions = {}) {
    sink = await startSmtpSink(sinkOptions);
    transport = createSmtpTransport(sink.url, { maxConnections: 2 });
    return new NodemailerMailer(transport, { from: 'resetd <no-reply@resetd.test>', productName: 'resetd' });
  }

  afterEach(async () => {
    transport.close();
    await sink.stop();
  });

  it('sends an IDN domain as punycode, to a server without SMTPUTF8 too', async () => {
    const mailer = await mailerFor({ withoutSmtpUtf8: true });

    await expect(mailer.send(aCodeMail({ to: 'joerg@müller.de' }))).resolves.toEqual({ kind: 'accepted' });

    await sink.waitForMails(1);
    // smtp-server shows the envelope's domain decoded back to Unicode; the bytes say what was sent.
    expect(sink.deliveries[0]!.rcptTo).toEqual(['joerg@müller.de']);
    expect(sink.deliveries[0]!.raw.toString('utf8')).toMatch(/^To: joerg@xn--mller-kva\.de\r$/m);
    const built = mailMessageBuilder({ from: 'resetd <no-reply@resetd.test>', productName: 'resetd' })(aCodeMail({ to: 'joerg@müller.de' }));
    expect(built.envelope).toMatchObject({ to: ['joerg@xn--mller-kva.de'] });
  });

  it('sends a UTF-8 local part with SMTPUTF8 when the server offers it', async () => {
    const mailer = await mailerFor();

    await expect(mailer.send(aCodeMail({ to: 'jörg@example.com' }))).resolves.toEqual({ kind: 'accepted' });

    const [mail] = await sink.waitForMails(1);
    expect(sink.deliveries[0]!.rcptTo).toEqual(['jörg@example.com']);
    expect(mail!.text).toContain('482913');
    expect(mail!.to).toMatchObject({ value: [{ address: 'jörg@example.com' }] });
  });

  it('refuses a UTF-8 local part for good, saying why, when the server does not offer SMTPUTF8; ASCII mail still goes', async () => {
    const mailer = await mailerFor({ withoutSmtpUtf8: true });

    await expect(mailer.send(aCodeMail({ to: 'jörg@example.com' }))).resolves.toEqual({
      kind: 'refused',
      reply: expect.stringMatching(/^553 5\.6\.7 The SMTP server does not offer SMTPUTF8/),
    });
    await expect(mailer.send(aCodeMail({ to: 'joerg@example.com' }))).resolves.toEqual({ kind: 'accepted' });
    expect(sink.deliveries.map((d) => d.rcptTo)).toEqual([['joerg@example.com']]);
  });

  it('asks a server down at first again for SMTPUTF8 once it is back', async () => {
    const mailer = await mailerFor();
    await sink.stop();

    await expect(mailer.send(aCodeMail({ to: 'jörg@example.com' }))).rejects.toThrow(/could not be asked whether it offers SMTPUTF8/);
    await sink.start();
    await expect(mailer.send(aCodeMail({ to: 'jörg@example.com' }))).resolves.toEqual({ kind: 'accepted' });
  });
});
