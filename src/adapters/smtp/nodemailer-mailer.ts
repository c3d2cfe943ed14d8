import { connect as connectTcp } from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import Mail from 'nodemailer/lib/mailer/index.js';
import { MailUnavailableError, RecipientDeferredError } from '../../domain/errors.js';
import type { MailResult, OutboundMail } from '../../domain/mail.js';
import type { Mailer } from '../../domain/ports.js';
import { mailMessageBuilder, type MailMessageBuilder, type MailOptions } from '../mail/mail-message.js';
import { reportableCause, SmtpConfigurationError, smtpFailureOf, type SmtpFailure } from './smtp-failure.js';
import { SmtpPool } from './smtp-pool.js';
import { openSmtpSession, type SmtpSessionOptions, type SocketCallback } from './smtp-session.js';

/** What the check at start learns of the server: it takes our login, and whether it offers SMTPUTF8. */
export type SmtpProbe = { readonly kind: 'ready'; readonly smtpUtf8: boolean } | { readonly kind: 'failed'; readonly failure: SmtpFailure };

/** A local part outside ASCII needs the server's SMTPUTF8 (RFC 6531); an IDN domain alone does not (it goes as punycode). */
const UTF8_LOCAL_PART = /^[^@]*[^\p{ASCII}][^@]*@[^@]*$/u;

/** Sends mail through a nodemailer transport (pooled SMTP in production). */
export class NodemailerMailer implements Mailer {
  private readonly build: MailMessageBuilder;
  private closed = false;
  /** Learnt from the last probe that got through; asked for by the first mail that needs it. */
  private smtpUtf8: Promise<boolean> | undefined;

  constructor(
    private readonly transport: Transporter,
    options: MailOptions,
  ) {
    this.build = mailMessageBuilder(options);
  }

  async send(mail: OutboundMail): Promise<MailResult> {
    // A closed pool never calls back: without this, a late send would hang for ever.
    if (this.closed) throw new MailUnavailableError('The SMTP transport is closed');
    if (UTF8_LOCAL_PART.test(mail.to) && !(await this.offersSmtpUtf8())) {
      // nodemailer would send the address anyway, and a server that did not offer SMTPUTF8 may
      // mangle it or bounce it later: refuse it here, in words an operator can act on.
      return { kind: 'refused', reply: '553 5.6.7 The SMTP server does not offer SMTPUTF8: an address whose local part is not ASCII cannot be sent through it' };
    }
    const message = this.build(mail);
    try {
      await this.transport.sendMail(message);
      return { kind: 'accepted' };
    } catch (error) {
      const failure = smtpFailureOf(error);
      switch (failure.kind) {
        case 'refused':
          return { kind: 'refused', reply: failure.reply };
        case 'deferred':
          throw new RecipientDeferredError(`The SMTP server deferred the mail for this recipient: ${failure.reply}`, { cause: reportableCause(error) });
        case 'login':
        case 'tls':
          throw new SmtpConfigurationError(failure, { cause: reportableCause(error) });
        case 'server':
          throw new MailUnavailableError(`The SMTP server did not take the mail: ${failure.detail}`, { cause: reportableCause(error) });
      }
    }
  }

  /**
   * Connects, upgrades to TLS as the transport would, logs in, and says what came of it: the
   * server's failure, classified, or that it is ready and whether it offers SMTPUTF8. Opens a
   * connection of its own and closes it.
   */
  async probe(): Promise<SmtpProbe> {
    if (this.closed) return { kind: 'failed', failure: { kind: 'server', detail: 'The SMTP transport is closed' } };
    const result = await probeServer(this.transport.options as SmtpSessionOptions);
    if (result.kind === 'ready') this.smtpUtf8 = Promise.resolve(result.smtpUtf8);
    return result;
  }

  /** Resolves when the server takes a connection and the login; rejects as a send to it would if not. */
  async checkServer(): Promise<void> {
    const result = await this.probe();
    if (result.kind === 'ready') return;
    const { failure } = result;
    if (failure.kind === 'login' || failure.kind === 'tls') throw new SmtpConfigurationError(failure, { cause: undefined });
    throw new MailUnavailableError(`The SMTP server was not reached: ${describeFailure(failure)}`);
  }

  /** Whether the server offers SMTPUTF8; a server not reached now throws as for any mail. */
  private async offersSmtpUtf8(): Promise<boolean> {
    this.smtpUtf8 ??= this.probe().then((result) => {
      if (result.kind === 'ready') return result.smtpUtf8;
      this.smtpUtf8 = undefined;
      throw new MailUnavailableError(`The SMTP server could not be asked whether it offers SMTPUTF8: ${describeFailure(result.failure)}`);
    });
    return this.smtpUtf8;
  }

  /** Refuses new mail, lets mail already handed to a connection finish, and closes the pool. */
  close(): void {
    this.closed = true;
    this.transport.close();
  }
}

/** One line about a failure, for a log or an error message. */
export function describeFailure(failure: SmtpFailure): string {
  return 'reply' in failure ? failure.reply : failure.detail;
}

function probeServer(options: SmtpSessionOptions): Promise<SmtpProbe> {
  return new Promise((resolve) => {
    openSmtpSession(options, (error, session) => {
      if (error || !session) return resolve({ kind: 'failed', failure: smtpFailureOf(error) });
      // Listened to until the QUIT is answered: an unheard 'error' would throw.
      session.connection.on('error', () => undefined);
      session.connection.quit();
      resolve({ kind: 'ready', smtpUtf8: /^\d{3}[ -]SMTPUTF8\b/im.test(session.extensions) });
    });
  });
}

export interface SmtpTransportOptions {
  /** Keep connections open and reuse them (default true). */
  readonly pool?: boolean;
  readonly maxConnections: number;
  /** The name given in EHLO (default: the machine's host name). */
  readonly name?: string;
  /** Messages per pooled connection before it is replaced (default 100, as nodemailer's). */
  readonly maxMessages?: number;
  /** Milliseconds to open the TCP connection (default 10 s). */
  readonly connectionTimeout?: number;
  /** Milliseconds from connect to the server's greeting (default 10 s). */
  readonly greetingTimeout?: number;
  /** Milliseconds a socket may stay silent (default 30 s). */
  readonly socketTimeout?: number;
  /** Milliseconds one pooled mail may take in all, however talkative the server (default 30 s, as the socket timeout: a try takes no longer than a silent one). */
  readonly sendTimeout?: number;
  /** Login and TLS; without it, the URL's user and password and opportunistic STARTTLS. */
  readonly security?: SmtpSecurity;
}

/** How resetd logs in to the SMTP server and how strict its TLS is. */
export interface SmtpSecurity {
  /** Overrides the URL's user and password. */
  readonly auth?: { readonly user: string; readonly pass: string };
  /** smtp:// only: refuse to send unless the server upgrades the connection with STARTTLS. */
  readonly requireTls: boolean;
  /** PEM of the CA(s) the server's certificate is checked against, instead of Node's bundled ones. */
  readonly ca?: string;
}

/** The host and port an `smtp://` or `smtps://` URL names, with the protocol's default port. */
export function smtpServerOf(url: string): { address: string; port: number } {
  const parsed = new URL(url);
  const port = parsed.port === '' ? (parsed.protocol === 'smtps:' ? 465 : 587) : Number(parsed.port);
  return { address: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

/**
 * Makes the transport for `smtp://user:pass@host:587` (STARTTLS when offered, or required with
 * `security.requireTls`) or `smtps://user:pass@host:465` (TLS from the start). Certificates are
 * always checked. Close it with `close()` on shutdown.
 */
export function createSmtpTransport(url: string, options: SmtpTransportOptions): Transporter {
  const parsed = new URL(url);
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
    throw new Error(`An SMTP URL starts with smtp:// or smtps://, not ${parsed.protocol}//`);
  }
  const secure = parsed.protocol === 'smtps:';
  const server = smtpServerOf(url);
  const common = {
    host: server.address,
    port: server.port,
    ...(options.name === undefined ? {} : { name: options.name }),
    secure,
    auth: options.security?.auth ?? (parsed.username === '' ? undefined : { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) }),
    requireTLS: options.security?.requireTls ?? false,
    tls: { rejectUnauthorized: true, ...(options.security?.ca ? { ca: options.security.ca } : {}) },
    connectionTimeout: options.connectionTimeout ?? 10_000,
    greetingTimeout: options.greetingTimeout ?? 10_000,
    socketTimeout: options.socketTimeout ?? 30_000,
    getSocket: connectWithoutDelay(server, options.connectionTimeout ?? 10_000),
  };
  if (options.pool === false) return nodemailer.createTransport(common);
  const pooled = { ...common, maxConnections: options.maxConnections, maxMessages: options.maxMessages ?? 100, sendTimeout: options.sendTimeout ?? 30_000 };
  // As nodemailer.createTransport does for its own pool: the mailer keeps the transport's options.
  return new Mail(new SmtpPool(pooled), pooled);
}

/**
 * Opens the TCP connection for nodemailer, with Nagle's algorithm off. nodemailer leaves it on, and
 * writes the end of DATA as a segment of its own: the kernel holds it until the server ACKs the body,
 * which a server delays by up to 40 ms, so each mail took ~40 ms more on every connection. nodemailer
 * then speaks SMTP over the socket as over its own, TLS (smtps://, STARTTLS) included.
 */
function connectWithoutDelay(server: { address: string; port: number }, timeoutMs: number) {
  return (_options: unknown, callback: SocketCallback): void => {
    const socket = connectTcp({ host: server.address, port: server.port, noDelay: true, keepAlive: true });
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error('Connection timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
    const failed = (error: Error) => {
      clearTimeout(timer);
      callback(error);
    };
    socket.once('error', failed);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', failed);
      callback(null, { connection: socket });
    });
  };
}
