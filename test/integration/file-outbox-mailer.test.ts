import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileOutboxMailer } from '../../src/adapters/outbox/file-outbox-mailer.js';
import { MailUnavailableError } from '../../src/domain/errors.js';
import type { CodeMail } from '../../src/domain/mail.js';

const options = { from: 'resetd <no-reply@resetd.test>', productName: 'resetd' };

const aCodeMail = (overrides: Partial<CodeMail> = {}): CodeMail => ({
  kind: 'code',
  resetId: 'r-1',
  to: 'user@example.com',
  locale: 'fr-CA',
  displayName: 'Zoë',
  code: '482913',
  expiresAt: Date.UTC(2030, 0, 1, 12, 10),
  lifetimeMinutes: 10,
  ...overrides,
});

describe('FileOutboxMailer', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'resetd-outbox-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes an .eml file, creating the directory, that mailparser reads with the code in both parts', async () => {
    const dir = join(root, 'outbox', 'nested');
    const mailer = new FileOutboxMailer(dir, options);

    await expect(mailer.send(aCodeMail())).resolves.toEqual({ kind: 'accepted' });

    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{8}T\d{9}Z-r-1\.eml$/);
    const mail = await simpleParser(await readFile(join(dir, files[0]!)));
    expect(mail.text).toContain('482913');
    expect(mail.html).toContain('>482913<');
    expect(mail.text).toContain('10 minutes');
    expect(mail.subject).toBe('Votre code pour réinitialiser votre mot de passe resetd');
    expect(mail.from?.value).toEqual([{ name: 'resetd', address: 'no-reply@resetd.test' }]);
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
  });

  it('keeps a hostile reset id from choosing the file name or the directory', async () => {
    const mailer = new FileOutboxMailer(root, options);

    await mailer.send(aCodeMail({ resetId: '../../etc/passwd' }));

    const files = await readdir(root);
    expect(files).toEqual([expect.stringMatching(/^\d{8}T\d{9}Z-______etc_passwd\.eml$/)]);
  });

  it('leaves only whole .eml files behind, one per mail', async () => {
    const mailer = new FileOutboxMailer(root, options);

    await Promise.all(Array.from({ length: 20 }, (_, i) => mailer.send(aCodeMail({ resetId: `r-${i}` }))));

    const files = await readdir(root);
    expect(files).toHaveLength(20);
    expect(files.every((f) => f.endsWith('.eml'))).toBe(true);
    // Each holds a code and an address: its owner's alone.
    for (const file of files) expect((await stat(join(root, file))).mode & 0o077, file).toBe(0);
  });

  it('removes the partial mails a killed process left, but not one being written now', async () => {
    const abandoned = '.20300101T000000000Z-r-0.eml.0a1b2c3d.tmp';
    const inProgress = '.20300101T000000000Z-r-9.eml.4e5f6a7b.tmp';
    await writeFile(join(root, abandoned), 'Your code is 111111');
    await writeFile(join(root, inProgress), 'Your code is 999999');
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    await utimes(join(root, abandoned), twoMinutesAgo, twoMinutesAgo);
    const mailer = new FileOutboxMailer(root, options);

    await mailer.send(aCodeMail());

    const files = await readdir(root);
    expect(files).toContain(inProgress);
    expect(files).not.toContain(abandoned);
    expect(files.filter((f) => f.endsWith('.eml'))).toHaveLength(1);
  });

  it('throws MailUnavailableError when the directory cannot be written', async () => {
    const blocked = join(root, 'not-a-dir');
    await writeFile(blocked, '');
    const mailer = new FileOutboxMailer(blocked, options);

    await expect(mailer.send(aCodeMail())).rejects.toBeInstanceOf(MailUnavailableError);
  });
});
