import { connect as connectTcp, type Socket } from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { MailUnavailableError } from '../../domain/errors.js';
import type { MailResult, OutboundMail } from '../../domain/mail.js';
import type { Mailer } from '../../domain/ports.js';
import { mailMessageBuilder, type MailMessageBuilder, type MailOptions } from '../mail/mail-message.js';

/** The SMTP commands whose 5xx reply is about this mail; a 5xx to EHLO or AUTH is about the server. */
const MAIL_COMMANDS = new Set(['MAIL FROM', 'RCPT TO', 'DATA']);

interface SmtpError {
  readonly code?: unknown;
  readonly command?: unknown;
  readonly responseCode?: unknown;
  readonly response?: unknown;
  readonly message?: unknown;
}

/** The server's reply if nodemailer's error says this mail can never be delivered, else undefined. */
export function permanentRefusal(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as SmtpError;
  const reply = typeof e.response === 'string' ? e.response : String(e.message);
  if (typeof e.responseCode === 'number') {
    return e.responseCode >= 500 && e.responseCode < 600 && MAIL_COMMANDS.has(String(e.command)) ? reply : undefined;
  }
  // Refused by nodemailer before anything was sent: a malformed recipient, a message over the size limit.
  return e.code === 'EENVELOPE' || e.code === 'EMESSAGE' ? reply : undefined;
}

/** Sends mail through a nodemailer transport (pooled SMTP in production). */
export class NodemailerMailer implements Mailer {
  private readonly build: MailMessageBuilder;
  private closed = false;

  constructor(
    private readonly transport: Transporter,
    options: MailOptions,
  ) {
    this.build = mailMessageBuilder(options);
  }

  async send(mail: OutboundMail): Promise<MailResult> {
    // A closed pool never calls back: without this, a late send would hang for ever.
    if (this.closed) throw new MailUnavailableError('The SMTP transport is closed');
    const message = this.build(mail);
    try {
      await this.transport.sendMail(message);
      return { kind: 'accepted' };
    } catch (error) {
      const reply = permanentRefusal(error);
      if (reply !== undefined) return { kind: 'refused', reply };
      throw new MailUnavailableError(`The SMTP server did not take the mail: ${describe(error)}`, { cause: error });
    }
  }

  /** Whether the server answers and takes our login now; opens a connection of its own. */
  async verify(): Promise<boolean> {
    if (this.closed) return false;
    return this.transport.verify().then(
      () => true,
      () => false,
    );
  }

  /** Refuses new mail, lets mail already handed to a connection finish, and closes the pool. */
  close(): void {
    this.closed = true;
    this.transport.close();
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as SmtpError).code;
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
}

export interface SmtpTransportOptions {
  /** Keep connections open and reuse them (default true). */
  readonly pool?: boolean;
  readonly maxConnections: number;
  /** Messages per connection before it is replaced (nodemailer's default: 100). */
  readonly maxMessages?: number;
  /** Milliseconds to open the TCP connection (default 10 s). */
  readonly connectionTimeout?: number;
  /** Milliseconds from connect to the server's greeting (default 10 s). */
  readonly greetingTimeout?: number;
  /** Milliseconds a socket may stay silent (default 30 s). */
  readonly socketTimeout?: number;
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
  // `maxRequeues` is missing from @types/nodemailer. The caller retries with backoff; the pool
  // re-sending a mail whose connection dropped would be a second, hidden retry loop.
  const pooled: SMTPPool.Options & { maxRequeues: number } = {
    ...common,
    pool: true,
    maxConnections: options.maxConnections,
    maxMessages: options.maxMessages,
    maxRequeues: 0,
  };
  return nodemailer.createTransport(pooled);
}

type SocketCallback = (error: Error | null, socketOptions?: { connection: Socket }) => void;

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
