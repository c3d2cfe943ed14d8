import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type StreamTransport from 'nodemailer/lib/stream-transport/index.js';
import { MailUnavailableError } from '../../domain/errors.js';
import type { MailResult, OutboundMail } from '../../domain/mail.js';
import type { Mailer } from '../../domain/ports.js';
import { mailMessageBuilder, type MailMessageBuilder, type MailOptions } from '../mail/mail-message.js';

/**
 * Writes each mail as `<dir>/<timestamp>-<resetId>.eml`, the message exactly as SMTP would have
 * carried it: for development, where no SMTP server is configured.
 */
export class FileOutboxMailer implements Mailer {
  private readonly build: MailMessageBuilder;
  private readonly transport: Transporter<StreamTransport.SentMessageInfo>;

  constructor(
    private readonly dir: string,
    options: MailOptions,
  ) {
    this.build = mailMessageBuilder(options);
    this.transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  }

  async send(mail: OutboundMail): Promise<MailResult> {
    const { message } = await this.transport.sendMail(this.build(mail));
    if (!Buffer.isBuffer(message)) throw new Error('The stream transport was asked for a buffer');
    const stamp = new Date().toISOString().replace(/[-:.]/g, '');
    // The reset id comes from a client: it must not pick the directory or the file's kind.
    const name = `${stamp}-${mail.resetId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 100)}.eml`;
    // Written under another name and renamed, so a reader of the outbox never sees half a mail.
    const temporary = join(this.dir, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await mkdir(this.dir, { recursive: true });
      // Its owner's alone: a mail holds a code and an address.
      await writeFile(temporary, message, { mode: 0o600 });
      await rename(temporary, join(this.dir, name));
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      throw new MailUnavailableError(`Could not write the mail to ${this.dir}`, { cause: error });
    }
    return { kind: 'accepted' };
  }
}
