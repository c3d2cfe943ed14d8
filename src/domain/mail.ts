/** The mail that carries a code. The mailer renders it; the code must not leave it except in the mail. */
export interface CodeMail {
  readonly kind: 'code';
  readonly resetId: string;
  readonly to: string;
  readonly locale?: string;
  readonly displayName?: string;
  readonly code: string;
  readonly expiresAt: number;
  readonly lifetimeMinutes: number;
}

/**
 * The notice that the user's password was changed (OWASP: tell the user). It holds no code and no
 * link: what changed, when, from which IP if known, and what to do if it was not them.
 */
export interface NoticeMail {
  readonly kind: 'notice';
  /** The reset that led to the change, or the change event's own id; names the mail in the outbox. */
  readonly resetId: string;
  readonly to: string;
  readonly locale?: string;
  readonly displayName?: string;
  /** When the password was changed, in milliseconds since the epoch. */
  readonly changedAt: number;
  readonly clientIp?: string;
}

export type OutboundMail = CodeMail | NoticeMail;

export type MailResult =
  | { readonly kind: 'accepted' }
  /** The server refused the mail for good (a 5xx reply): retrying cannot help. */
  | { readonly kind: 'refused'; readonly reply: string };
