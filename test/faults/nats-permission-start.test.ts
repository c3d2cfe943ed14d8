import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, ManagedProcess, NATS_SERVER } from '../support/processes.js';
import { ServiceProcess } from '../support/service-process.js';

const CONFIG = new URL('../../deploy/nats/nats-server.conf', import.meta.url).pathname;
const PASSWORDS = { admin: 'admin-pass-71c2d9', resetd: 'resetd-pass-4f8e1b', auth: 'auth-pass-9a3c6e' } as const;

/**
 * A start that deploy/nats's permissions refuse: a name they were not written for (the subject
 * prefix, the consumer, the reply prefix) ends the start with one line naming the setting and the
 * subject, exit 2 as a setting a server refuses, no stack and no password.
 */
describe('the start, as a NATS user whose permissions refuse a subject', () => {
  let port: number;
  let dir: string;
  let nats: ManagedProcess;

  beforeAll(async () => {
    port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'resetd-nats-perm-start-'));
    const env = { NATS_ADMIN_PASSWORD: PASSWORDS.admin, NATS_RESETD_PASSWORD: PASSWORDS.resetd, NATS_AUTH_PASSWORD: PASSWORDS.auth };
    nats = await ManagedProcess.start('nats-server', NATS_SERVER, ['-c', CONFIG, '-a', '127.0.0.1', '-p', String(port), '-sd', dir], /Server is ready/, 15_000, env);
  });

  afterAll(async () => {
    await nats?.stop('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Starts resetd as the NATS user `resetd` with `env`; it must exit by itself. */
  async function startRefused(env: Record<string, string | undefined>) {
    const service = await ServiceProcess.start(
      { NATS_URL: `nats://127.0.0.1:${port}`, NATS_USER: 'resetd', NATS_PASSWORD: PASSWORDS.resetd, NATS_INBOX_PREFIX: '_INBOX_resetd', ...env },
      { waitForStart: false },
    );
    const code = await service.exit();
    const output = service.output.join('\n');
    expect(output).not.toMatch(/\n\s+at /);
    expect(output).not.toContain(PASSWORDS.resetd);
    return { code, lines: service.output.filter((line) => line.startsWith('resetd: ')) };
  }

  it('names RESET_SUBJECT_PREFIX and the stream subject refused, for a prefix the permissions were not written for', async () => {
    const refused = await startRefused({ RESET_SUBJECT_PREFIX: 'acme' });
    expect(refused.code).toBe(2);
    expect(refused.lines).toEqual([
      expect.stringMatching(/^resetd: the NATS server refused the NATS user a publish to "\$JS\.API\.STREAM\.INFO\.ACME_INBOX" \(Permissions Violation\): set RESET_SUBJECT_PREFIX .*deploy\/nats\/permissions\.conf/),
    ]);
  });

  it('names RESET_CONSUMER and the consumer subject refused, for a consumer the permissions do not name', async () => {
    const refused = await startRefused({ RESET_CONSUMER: 'resetd-eu' });
    expect(refused.code).toBe(2);
    expect(refused.lines).toEqual([expect.stringMatching(/^resetd: .*a publish to "\$JS\.API\.CONSUMER\.INFO\.RESET_INBOX\.resetd-eu" \(Permissions Violation\): set RESET_CONSUMER /)]);
  });

  it('names NATS_INBOX_PREFIX when it is unset and the user may not subscribe to the default _INBOX', async () => {
    const refused = await startRefused({ NATS_INBOX_PREFIX: undefined });
    expect(refused.code).toBe(2);
    expect(refused.lines).toEqual([expect.stringMatching(/^resetd: .*a subscription to "_INBOX\.\S+" \(Permissions Violation\): set NATS_INBOX_PREFIX to the reply prefix/)]);
  });
});
