import type { Transport } from 'nodemailer';
import type MailMessage from 'nodemailer/lib/mailer/mail-message.js';
import type SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { openSmtpSession, type SmtpSessionOptions } from './smtp-session.js';

export type SmtpPoolOptions = SmtpSessionOptions & {
  /** Connections open at once, those being opened included. */
  readonly maxConnections: number;
  /** Mails one connection sends before it is closed and replaced. */
  readonly maxMessages: number;
  /** The longest one mail may take from MAIL FROM to the server's answer to its data. */
  readonly sendTimeout: number;
};

/** What nodemailer's SMTP transports report of a sent mail. */
type Sent = SMTPTransport.SentMessageInfo;
type Callback = (error: Error | null, info?: Sent) => void;

interface Waiting {
  readonly mail: MailMessage<Sent>;
  readonly callback: Callback;
}

interface Pooled {
  readonly connection: SMTPConnection;
  messages: number;
  sending: boolean;
  gone: boolean;
}

/** After a connection fails to open, how long before the next is tried. */
const REOPEN_AFTER_MS = 1_000;

/**
 * A nodemailer transport that keeps up to `maxConnections` SMTP sessions, so that no mail waits
 * for a handshake (TCP, a greeting some servers delay on purpose, EHLO, STARTTLS, TLS, EHLO, login)
 * while a connection could take it. nodemailer's own pool hands the mail that finds every
 * connection busy to the connection it opens for it, which then waits out the handshake even when
 * another frees a moment later; with connections replaced every `maxMessages` mails, that was one
 * mail in every batch. Here:
 * - mail waits in one queue and goes to the connection idle longest, so mail spreads over all of
 *   them and they stay open; one connection is opened per waiting mail, up to the pool's size;
 * - a connection that has sent its share is closed and its successor opened at once, while the
 *   others carry the mail.
 *
 * Like nodemailer's pool with `maxRequeues: 0`, a mail whose connection fails is not sent again
 * here: its sender gets the error and retries with backoff.
 */
export class SmtpPool implements Transport<Sent> {
  readonly name = 'resetd-smtp-pool';
  readonly version = '1';
  private readonly waiting: Waiting[] = [];
  private readonly idle: Pooled[] = [];
  /** Connections being opened, idle or sending. */
  private connections = 0;
  private opening = 0;
  /**
   * Runs from a failure to open a connection until the next may be tried. A timer, not an instant
   * compared with `Date.now()`: when the timer meant to end such a wait fired, the wall clock could
   * still read before the instant (a timer counts from the event loop's cached time; NTP may step
   * the wall clock back), and the mail waiting then stayed unsent, and with it, when it was the
   * breaker's probe, every mail after it.
   */
  private holdOff: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(readonly options: SmtpPoolOptions) {}

  send(mail: MailMessage<Sent>, callback: Callback): void {
    if (this.closed) return callback(new Error('Connection pool was closed'));
    this.waiting.push({ mail, callback });
    this.dispatch();
  }

  /** Fails the mail still waiting, lets each mail being sent finish, and closes every connection. */
  close(): void {
    this.closed = true;
    clearTimeout(this.holdOff);
    for (const { callback } of this.waiting.splice(0)) callback(new Error('Connection pool was closed'));
    for (const pooled of [...this.idle]) this.retire(pooled, 'quit');
  }

  private dispatch(): void {
    // The connection idle longest first: mail spreads over all of them, so they stay open.
    while (this.waiting.length > 0 && this.idle.length > 0) this.deliver(this.idle.shift()!, this.waiting.shift()!);
    // One connection being opened for each mail that waits, as far as the pool's size allows.
    while (!this.closed && this.waiting.length > this.opening && this.connections < this.options.maxConnections && this.holdOff === undefined) this.open();
  }

  private open(): void {
    this.connections += 1;
    this.opening += 1;
    openSmtpSession(this.options, (error, session) => {
      this.opening -= 1;
      if (error || !session) {
        this.connections -= 1;
        // The server is not asked again at once (it may cap our connections below the pool's size).
        this.holdOffReopening();
        // While another connection works or is being opened, mail waits for it; with none, the
        // server cannot be reached now, and every waiting mail learns why at once.
        if (this.connections === 0) for (const { callback } of this.waiting.splice(0)) callback(error ?? new Error('The SMTP session did not open'));
        return this.dispatch();
      }
      const pooled: Pooled = { connection: session.connection, messages: 0, sending: false, gone: false };
      // A failure while sending reaches the send's callback; one while idle (the server's timeout,
      // a dropped socket) only takes the connection out of the pool.
      session.connection.on('error', () => {
        if (!pooled.sending) this.forget(pooled);
      });
      session.connection.once('end', () => this.forget(pooled));
      this.release(pooled);
    });
  }

  private deliver(pooled: Pooled, { mail, callback }: Waiting): void {
    pooled.sending = true;
    const envelope = mail.message.getEnvelope();
    let answered = false;
    // The socket timeout measures silence only: a server that sends a line now and then (a
    // multi-line reply that never ends) would hold the mail, and the message it answers, for ever.
    const overdue = setTimeout(() => {
      answered = true;
      pooled.sending = false;
      callback(Object.assign(new Error(`The SMTP server took more than ${this.options.sendTimeout / 1000} s over one mail`), { code: 'ETIMEDOUT' }));
      this.retire(pooled, 'close');
    }, this.options.sendTimeout);
    pooled.connection.send(envelope, mail.message.createReadStream(), (error, info) => {
      clearTimeout(overdue);
      if (answered) return;
      pooled.sending = false;
      pooled.messages += 1;
      if (!error) {
        callback(null, { ...info, envelope, messageId: mail.message.messageId() });
        return this.release(pooled);
      }
      callback(error);
      if (!refusedMessage(error) || pooled.gone) return this.retire(pooled, 'close');
      // The server refused this mail, not the session: start the next one on the same connection.
      pooled.connection.reset((resetError) => (resetError ? this.retire(pooled, 'close') : this.release(pooled)));
    });
  }

  /** No connection is opened for `REOPEN_AFTER_MS` from now; then the mail waiting is dispatched. */
  private holdOffReopening(): void {
    if (this.holdOff) {
      this.holdOff.refresh();
      return;
    }
    this.holdOff = setTimeout(() => {
      this.holdOff = undefined;
      this.dispatch();
    }, REOPEN_AFTER_MS).unref();
  }

  /** Puts a connection back to work, or closes it once it has sent its share. */
  private release(pooled: Pooled): void {
    if (pooled.gone) return;
    if (this.closed) return this.retire(pooled, 'quit');
    if (pooled.messages >= this.options.maxMessages) {
      this.retire(pooled, 'quit');
      // Its successor is opened now, while the others carry the mail, so that none waits for it.
      if (this.connections < this.options.maxConnections && this.holdOff === undefined) this.open();
      return;
    }
    this.idle.push(pooled);
    this.dispatch();
  }

  /** Takes a connection out of the pool: with QUIT when it is sound, at once when it failed. */
  private retire(pooled: Pooled, how: 'quit' | 'close'): void {
    this.forget(pooled);
    if (how === 'quit') pooled.connection.quit();
    else pooled.connection.close();
  }

  private forget(pooled: Pooled): void {
    if (pooled.gone) return;
    pooled.gone = true;
    this.connections -= 1;
    const index = this.idle.indexOf(pooled);
    if (index !== -1) this.idle.splice(index, 1);
    this.dispatch();
  }
}

/** A 5xx or 4xx to this mail's envelope or body: the session itself is still good. */
function refusedMessage(error: Error & { code?: unknown; responseCode?: unknown }): boolean {
  return (error.code === 'EENVELOPE' || error.code === 'EMESSAGE') && error.responseCode !== 421;
}
