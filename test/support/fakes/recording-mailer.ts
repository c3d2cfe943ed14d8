import { MailUnavailableError, RecipientDeferredError } from '../../../src/domain/errors.js';
import type { CodeMail, MailResult, NoticeMail, OutboundMail } from '../../../src/domain/mail.js';
import type { Mailer } from '../../../src/domain/ports.js';

/** A send the test holds back, to let something else happen while a mail is on its way. */
export interface HeldSend {
  /** Settles once the held send has started. */
  readonly reached: Promise<void>;
  release(): void;
}

/**
 * Keeps every mail the "SMTP server" accepted. It can be told to refuse an address for good (a 5xx
 * reply), to defer an address (a 4xx for that recipient), or to be unavailable (throw
 * MailUnavailableError) for the next N sends or until recovered.
 */
export class RecordingMailer implements Mailer {
  /** Mails the server accepted, in order. */
  readonly sent: OutboundMail[] = [];
  /** Mails refused for good, in order. */
  readonly refused: OutboundMail[] = [];
  private readonly refusing = new Map<string, string>();
  private readonly deferring = new Set<string>();
  private unavailableSends = 0;
  private held?: { arrive: () => void; released: Promise<void> };

  refuse(address: string, reply = `550 5.1.1 <${address}>: mailbox unavailable`): this {
    this.refusing.set(address.toLowerCase(), reply);
    return this;
  }

  /** Every send to `address` throws RecipientDeferredError (a 4xx for that recipient: greylisting, a full mailbox). */
  defer(address: string): this {
    this.deferring.add(address.toLowerCase());
    return this;
  }

  /** The next `sends` sends throw MailUnavailableError. */
  failNext(sends = 1): this {
    this.unavailableSends = sends;
    return this;
  }

  /** Every send throws MailUnavailableError until `recover()`. */
  failUntilRecovered(): this {
    this.unavailableSends = Number.POSITIVE_INFINITY;
    return this;
  }

  recover(): this {
    this.unavailableSends = 0;
    return this;
  }

  /** Holds the next send until `release()`. */
  hold(): HeldSend {
    let arrive = (): void => {};
    let release = (): void => {};
    const reached = new Promise<void>((resolve) => (arrive = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.held = { arrive, released };
    return { reached, release };
  }

  /** The accepted code mails for one reset, oldest first. */
  mailsFor(resetId: string): CodeMail[] {
    return this.sent.filter((mail): mail is CodeMail => mail.kind === 'code' && mail.resetId === resetId);
  }

  /** The accepted password-changed notices, oldest first. */
  notices(): NoticeMail[] {
    return this.sent.filter((mail): mail is NoticeMail => mail.kind === 'notice');
  }

  /** The code in the last accepted mail for a reset; throws if none was accepted. */
  codeFor(resetId: string): string {
    const mail = this.mailsFor(resetId).at(-1);
    if (!mail) throw new Error(`no mail was accepted for ${resetId}`);
    return mail.code;
  }

  async send(mail: OutboundMail): Promise<MailResult> {
    const held = this.held;
    if (held) {
      this.held = undefined;
      held.arrive();
      await held.released;
    }
    if (this.unavailableSends > 0) {
      this.unavailableSends -= 1;
      throw new MailUnavailableError('421 4.3.2 Service not available, closing transmission channel');
    }
    if (this.deferring.has(mail.to.toLowerCase())) throw new RecipientDeferredError('450 4.2.0 Greylisted, please try again later');
    const reply = this.refusing.get(mail.to.toLowerCase());
    if (reply !== undefined) {
      this.refused.push(mail);
      return { kind: 'refused', reply };
    }
    this.sent.push(mail);
    return { kind: 'accepted' };
  }
}
