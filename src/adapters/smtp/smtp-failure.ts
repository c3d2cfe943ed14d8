import { MailUnavailableError } from '../../domain/errors.js';

/**
 * Who an SMTP failure is about, which decides who pays for it:
 * - `refused`: a 5xx to this mail (MAIL FROM, RCPT TO, DATA), or nodemailer refusing it unsent;
 *   retrying cannot help.
 * - `deferred`: a 4xx to RCPT TO or to the message (greylisting, a full mailbox): this recipient's,
 *   later; the server itself answers.
 * - `login`, `tls`: the server is reachable but refuses resetd's login or fails the TLS check:
 *   a configuration problem, which no waiting fixes.
 * - `server`: anything else about the server (connection refused or lost, no greeting, a timeout,
 *   a 421, a 4xx to MAIL FROM, a 5xx to EHLO).
 */
export type SmtpFailure =
  | { readonly kind: 'refused'; readonly reply: string }
  | { readonly kind: 'deferred'; readonly reply: string }
  | { readonly kind: 'login'; readonly reply: string }
  | { readonly kind: 'tls'; readonly code: string; readonly detail: string }
  | { readonly kind: 'server'; readonly detail: string };

/** The SMTP commands whose reply is about this mail; a reply to EHLO or AUTH is about the server. */
const MAIL_COMMANDS = new Set(['MAIL FROM', 'RCPT TO', 'DATA']);
/** The commands whose 4xx is about one recipient: a 4xx to MAIL FROM is about the sender or the server. */
const RECIPIENT_COMMANDS = new Set(['RCPT TO', 'DATA']);
/** Node's codes for a certificate that does not check out, and nodemailer's for a failed STARTTLS. */
const TLS_CODE = /^(ETLS|ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_)/;

interface NodemailerError {
  readonly code?: unknown;
  /** Node's own code (a certificate's, ECONNREFUSED) where nodemailer put its own (ESOCKET) in `code`. */
  readonly originalCode?: unknown;
  readonly command?: unknown;
  readonly responseCode?: unknown;
  readonly response?: unknown;
  readonly message?: unknown;
}

/** Reads nodemailer's error (or Node's, for the socket and TLS) as one of the failure classes. */
export function smtpFailureOf(error: unknown): SmtpFailure {
  const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as NodemailerError;
  const code = typeof e.originalCode === 'string' ? e.originalCode : typeof e.code === 'string' ? e.code : '';
  const command = String(e.command ?? '');
  const reply = typeof e.response === 'string' ? withoutDigitRuns(e.response) : String(e.message);
  if (code === 'EAUTH' || code === 'ENOAUTH') return { kind: 'login', reply };
  if (typeof e.responseCode === 'number') {
    const status = e.responseCode;
    // 421: the server is closing the channel, whatever the command was.
    if (status !== 421 && MAIL_COMMANDS.has(command)) {
      if (status >= 500 && status < 600) return { kind: 'refused', reply };
      if (status >= 400 && RECIPIENT_COMMANDS.has(command)) return { kind: 'deferred', reply };
    }
    return { kind: 'server', detail: describe(code, reply) };
  }
  if (TLS_CODE.test(code)) return { kind: 'tls', code, detail: describe(code, String(e.message)) };
  // Refused by nodemailer before anything was sent: a malformed recipient, a message over the size limit.
  if (code === 'EENVELOPE' || code === 'EMESSAGE') return { kind: 'refused', reply };
  return { kind: 'server', detail: describe(code, String(e.message)) };
}

/**
 * nodemailer's error as the cause to report: its message repeats the server's reply, and a log
 * line shows a cause's message, so the copy has the reply's digit runs masked (`withoutDigitRuns`)
 * and keeps the fields a classification reads (codes, command), not the original's stack.
 */
export function reportableCause(error: unknown): Error {
  const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as NodemailerError & { name?: unknown };
  const { code, originalCode, command, responseCode } = e;
  // Only a server's reply is masked: Node's own messages (a refused connection's host and port) stay whole.
  const message = typeof e.response === 'string' ? withoutDigitRuns(String(e.message)) : String(e.message);
  const cause = Object.assign(new Error(message), { code, originalCode, command, responseCode });
  cause.name = typeof e.name === 'string' ? e.name : 'Error';
  return cause;
}

/**
 * The server's reply with every run of 4 or more digits (a code is 4 to 10) masked: a content
 * filter that refuses the message may quote it, and the reply goes to logs, spans and errors.
 * Reply codes (550) and enhanced codes (5.7.1) are shorter and stay.
 */
function withoutDigitRuns(reply: string): string {
  return reply.replace(/\d{4,}/g, (digits) => '#'.repeat(digits.length));
}

function describe(code: string, text: string): string {
  return code === '' || text.startsWith(code) ? text : `${code}: ${text}`;
}

/**
 * The server is reachable but will not take resetd's login or its TLS check fails: no mail goes
 * out until the configuration is fixed. Thrown as any unavailability (it opens the breaker like
 * one) and logged as what it is.
 */
export class SmtpConfigurationError extends MailUnavailableError {
  override readonly name: string = 'SmtpConfigurationError';

  constructor(
    readonly failure: Extract<SmtpFailure, { kind: 'login' | 'tls' }>,
    options: { cause: unknown },
  ) {
    super(failure.kind === 'login' ? `the SMTP server refused the login: ${failure.reply}` : `TLS with the SMTP server failed: ${failure.detail}`, options);
  }
}
