import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeIn } from '../support/mail-code.js';
import { TestClient, uniquePrefix, waitFor } from '../support/nats.js';
import { ServiceProcess } from '../support/service-process.js';

describe('the entry point without SMTP_URL', () => {
  const prefix = uniquePrefix('outbox');
  let dir: string;
  let client: TestClient;
  let service: ServiceProcess;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'resetd-outbox-'));
    client = await TestClient.connect(prefix);
    service = await ServiceProcess.start({ RESET_SUBJECT_PREFIX: prefix, REDIS_KEY_PREFIX: prefix, MAIL_OUTBOX_DIR: dir, OTP_SECRET: undefined });
    await client.watchEvents();
  });

  afterAll(async () => {
    expect(await service.stop()).toBe(0);
    await client.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('warns once about development defaults and writes the mail as an .eml file', async () => {
    expect(service.output.filter((line) => /development defaults/.test(line))).toHaveLength(1);
    const resetId = await client.requestReset({ userId: 'u-outbox', email: 'outbox@example.com' });
    await client.waitForEvent(resetId, 'reset.code.sent');
    await waitFor(async () => (await readdir(dir)).some((name) => name.endsWith('.eml')), 10_000);
    const [file] = (await readdir(dir)).filter((name) => name.endsWith('.eml'));
    const mail = await simpleParser(await readFile(join(dir, file!)));
    expect(mail.to && 'text' in mail.to ? mail.to.text : '').toContain('outbox@example.com');
    const code = codeIn(mail.text ?? '');
    expect(await client.verify({ resetId, code })).toEqual({ status: 'completed', attemptsRemaining: 0 });
  });
});
