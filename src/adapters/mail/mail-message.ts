import { createSign, randomUUID } from 'node:crypto';
import { domainToASCII } from 'node:url';
import type { SendMailOptions } from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser/index.js';
import type { OutboundMail } from '../../domain/mail.js';
import { headerLine, MimeWriter } from './mime-message.js';
import type { RenderedMail } from './letter.js';
import { renderCodeMail } from './render-code-mail.js';
import { renderNoticeMail } from './render-notice-mail.js';

/** What every mailer needs to write a mail: the sender (`MAIL_FROM`) and the product's name. */
export interface MailOptions {
  /** `no-reply@example.com` or `Example <no-reply@example.com>`. */
  readonly from: string;
  readonly productName: string;
  /** Signs every mail with DKIM (RFC 6376) when set; without it, mail goes unsigned. */
  readonly dkim?: DkimKey;
}

/** The key a receiver finds in DNS as a TXT record at `<selector>._domainkey.<domain>`. */
export interface DkimKey {
  readonly domain: string;
  readonly selector: string;
  /** PEM, PKCS#1 or PKCS#8; RSA (2048 bits advised). nodemailer signs with RSA only. */
  readonly privateKey: string;
}

export type MailMessageBuilder = (mail: OutboundMail) => SendMailOptions;

/**
 * Throws unless the key signs as nodemailer's DKIM signer does (RSA-SHA256). Given any other key
 * (Ed25519, EC) nodemailer leaves the signature out without a word, and every mail would go unsigned.
 */
function assertSignsWithRsa(privateKey: string): void {
  try {
    createSign('RSA-SHA256').update('').sign(privateKey);
  } catch (error) {
    throw new Error('The DKIM key cannot sign with RSA-SHA256, the only algorithm nodemailer signs with; use an RSA key', { cause: error });
  }
}

/** The domain of the sender's address, or undefined when `from` holds no address with a domain. */
export function senderDomainOf(from: string): string | undefined {
  const [first] = addressparser(from, { flatten: true });
  const domain = first?.address.split('@').slice(1).join('@') ?? '';
  return domain === '' ? undefined : domain;
}

function renderMail(mail: OutboundMail, options: MailOptions): RenderedMail {
  switch (mail.kind) {
    case 'code':
      return renderCodeMail(mail, options);
    case 'notice':
      return renderNoticeMail(mail, options);
    default: {
      // Not `unreachable(mail)`: that would print the mail, code and all, into the error.
      const unknown: never = mail;
      throw new Error(`No template for mail of kind ${String((unknown as { kind?: unknown }).kind)}`);
    }
  }
}

/**
 * The address with its domain in punycode (`joerg@müller.de` → `joerg@xn--mller-kva.de`): every
 * server takes that, with or without SMTPUTF8, and an ASCII local part then needs nothing more.
 */
function withAsciiDomain(address: string): string {
  const at = address.lastIndexOf('@');
  const ascii = at > 0 ? domainToASCII(address.slice(at + 1)) : '';
  return ascii === '' ? address : `${address.slice(0, at)}@${ascii}`;
}

/** An address the fast path writes as it is: ASCII, no quotes, brackets, spaces or line breaks. */
const PLAIN_ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+$/;
/** Subjects differ by language and product only; a bound keeps a stream of odd ones from growing it. */
const MAX_SUBJECTS = 64;

/**
 * Checks the sender once and returns the function that turns a mail into nodemailer's message.
 * The user's display name only ever goes into the body: the headers hold the configured sender,
 * the bare recipient address and the product's name.
 *
 * The message is written whole (`raw`, see `MimeWriter`), headers and parts, so that nodemailer only
 * carries it to the server (and signs it): composing it as a MIME tree cost more CPU than anything
 * else in a reset. An address outside plain ASCII goes the long way, through nodemailer's composer.
 */
export function mailMessageBuilder(options: MailOptions): MailMessageBuilder {
  const domain = senderDomainOf(options.from);
  if (domain === undefined) throw new Error(`The mail sender "${options.from}" is not an address with a domain`);
  if (options.dkim) assertSignsWithRsa(options.dkim.privateKey);
  const sender = addressparser(options.from, { flatten: true })[0]!.address;
  const dkim = options.dkim && { domainName: options.dkim.domain, keySelector: options.dkim.selector, privateKey: options.dkim.privateKey };
  const headers = {
    // RFC 3834: no vacation replies or other auto-answers to this mail.
    'Auto-Submitted': 'auto-generated',
    'X-Auto-Response-Suppress': 'All',
  };
  const writer = new MimeWriter(options.from, headers);
  const subjectLines = new Map<string, string>();
  const subjectLine = (subject: string) => {
    let line = subjectLines.get(subject);
    if (line === undefined) {
      if (subjectLines.size >= MAX_SUBJECTS) subjectLines.clear();
      line = headerLine('Subject', subject);
      subjectLines.set(subject, line);
    }
    return line;
  };
  return (mail) => {
    const to = withAsciiDomain(mail.to);
    const rendered = renderMail(mail, options);
    // Random, not derived from the reset: a receiver that drops repeated Message-IDs must not
    // swallow a resent mail.
    const messageId = `<${randomUUID()}@${domain}>`;
    // nodemailer signs the finished message, so SMTP and the outbox carry the same signature.
    const signing = dkim ? { dkim } : {};
    if (!PLAIN_ADDRESS.test(to)) {
      return {
        from: options.from,
        // An address object is taken as one address: a comma in it cannot add a recipient.
        to: { name: '', address: to },
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        messageId,
        headers: { ...headers, 'Content-Language': rendered.locale },
        ...signing,
      };
    }
    const raw = writer.write({
      to,
      subjectLine: subjectLine(rendered.subject),
      messageId,
      date: new Date(),
      language: rendered.locale,
      text: rendered.text,
      html: rendered.html,
    });
    // The Message-ID again, for nodemailer's own use (logs, the send's result): else it draws one at random.
    return { envelope: { from: sender, to: [to] }, raw, messageId, ...signing };
  };
}
