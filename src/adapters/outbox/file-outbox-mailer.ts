import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type StreamTransport from 'nodemailer/lib/stream-transport/index.js';
import { MailUnavailableError } from '../../domain/errors.js';
import type { MailResult, OutboundMail } from '../../domain/mail.js';
import type { Mailer } from '../../domain/ports.js';
import { mailMessageBuilder, type MailMessageBuilder, type MailOptions } from '../mail/mail-message.js';

/** A partial mail older than this was left by a process killed while writing it, not one writing now. */
const ABANDONED_AFTER_MS = 60_000;
const PARTIAL = /^\..+\.tmp$/;

/**
 * Writes each mail as `<dir>/<timestamp>-<resetId>.eml`, the message exactly as SMTP would have
 * carried it: for development, where no SMTP server is configured.
 */
export class FileOutboxMailer implements Mailer {
  private readonly build: MailMessageBuilder;
  private readonly transport: Transporter<StreamTransport.SentMessageInfo>;
  private swept = false;

  constructor(
    private readonly dir: string,
    options: MailOptions,
  ) {
    this.build = mailMessageBuilder(options);
    this.transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  }

  /**
   * Makes the directory and writes a file in it (then removes it), throwing what the file system
   * says: a directory that cannot take mail is then the start's problem, not every mail's.
   */
  ensureWritable(): void {
    mkdirSync(this.dir, { recursive: true });
    const probe = join(this.dir, `.probe.${randomBytes(4).toString('hex')}.tmp`);
    writeFileSync(probe, '', { mode: 0o600 });
    rmSync(probe);
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
      // Best effort: a fault of the directory shows in the write just after.
      if (!this.swept) await this.removeAbandonedPartials().catch(() => undefined);
      // Its owner's alone: a mail holds a code and an address.
      await writeFile(temporary, message, { mode: 0o600 });
      await rename(temporary, join(this.dir, name));
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      throw new MailUnavailableError(`Could not write the mail to ${this.dir}`, { cause: error });
    }
    return { kind: 'accepted' };
  }

  /**
   * A process killed between writing and renaming leaves its partial mail (a code and an address)
   * behind; the first mail of the next start removes those old enough to be no one's in progress.
   */
  private async removeAbandonedPartials(): Promise<void> {
    this.swept = true;
    const cutoff = Date.now() - ABANDONED_AFTER_MS;
    for (const name of await readdir(this.dir)) {
      if (!PARTIAL.test(name)) continue;
      const path = join(this.dir, name);
      const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: Infinity }));
      if (mtimeMs < cutoff) await rm(path, { force: true });
    }
  }
}
