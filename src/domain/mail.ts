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

export type OutboundMail = CodeMail;

export type MailResult =
  | { readonly kind: 'accepted' }
  /** The server refused the mail for good (a 5xx reply): retrying cannot help. */
  | { readonly kind: 'refused'; readonly reply: string };
