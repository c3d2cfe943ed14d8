import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dkimVerify } from 'mailauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, runCli } from '../support/cli.js';
import { stubDns } from '../support/dkim.js';
import { codeIn } from '../support/mail-code.js';
import { TestClient, uniquePrefix } from '../support/nats.js';
import { leaks, secretFile } from '../support/security.js';
import { ServiceProcess } from '../support/service-process.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

const KEY_NEW = 'leak-check-key-new-0123456789abcdefghijklmnop';
const KEY_OLD = 'leak-check-key-old-0123456789abcdefghijklmnop';
const SMTP_PASSWORD = 'smtp-pass-4d7a1f9e';
const DKIM_PAIR = generateKeyPairSync('rsa', { modulusLength: 1024 });
const DKIM_PEM = DKIM_PAIR.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
/** What a receiver would find in DNS for the key in DKIM_PRIVATE_KEY_FILE: a signature it checks was made with that key. */
const DKIM_DNS = stubDns('s1._domainkey.resetd.test', `v=DKIM1; k=rsa; p=${DKIM_PAIR.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`);
/** A line of the key's body: enough to find it anywhere, not a PEM header every key shares. */
const DKIM_BODY = DKIM_PEM.split('\n')[3]!;

describe('no secret in any log line, error, event or `resetd status`', () => {
  const prefix = uniquePrefix('secrets');
  const dir = mkdtempSync(join(tmpdir(), 'resetd-secret-leaks-'));
  let sink: SmtpSink;
  let client: TestClient;
  let service: ServiceProcess;
  const env = () => ({
    RESET_SUBJECT_PREFIX: prefix,
    REDIS_KEY_PREFIX: prefix,
    // The user in the URL, the password from a file, as a Kubernetes secret would be mounted.
    SMTP_URL: sink.url.replace('smtp://', 'smtp://mailer@'),
    SMTP_PASSWORD_FILE: secretFile(dir, 'smtp-password', SMTP_PASSWORD),
    OTP_SECRET: undefined,
    OTP_SECRETS_FILE: secretFile(dir, 'otp-secrets', `${KEY_NEW},${KEY_OLD}`),
    DKIM_DOMAIN: 'resetd.test',
    DKIM_SELECTOR: 's1',
    DKIM_PRIVATE_KEY_FILE: secretFile(dir, 'dkim.pem', DKIM_PEM),
    LOG_LEVEL: 'debug',
    SMTP_RETRY_ATTEMPTS: '1',
    SMTP_BREAKER_THRESHOLD: '2',
    SMTP_BREAKER_HALF_OPEN_SECONDS: '1',
  });

  beforeAll(async () => {
    sink = await startSmtpSink();
    client = await TestClient.connect(prefix);
    service = await ServiceProcess.start(env());
    await client.watchEvents();
  });

  afterAll(async () => {
    await service.stop();
    await client.close();
    await sink.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs resets through an SMTP outage with every secret set, then finds none of them anywhere', async () => {
    const resetId = await client.requestReset({ userId: 'u-secrets', email: 'secrets@example.com' });
    await client.waitForEvent(resetId, 'reset.code.sent');
    const code = codeIn((await sink.waitForMail('secrets@example.com')).text ?? '');
    expect(await client.verify({ resetId, code })).toMatchObject({ status: 'completed' });

    // Failures are where secrets slip out: SMTP down, the breaker opening, messages redelivered.
    await sink.stop();
    const during = await client.requestReset({ userId: 'u-secrets-2', email: 'secrets2@example.com' });
    await service.waitForLog(/SMTP circuit opened/, 20_000);
    await sink.start();
    await client.waitForEvent(during, 'reset.code.sent', 30_000);

    const status = await runCli(['status'], cliEnv(prefix));
    expect(status.code, status.stderr).toBe(0);
    expect(await service.stop()).toBe(0);

    const secrets = [KEY_NEW, KEY_OLD, SMTP_PASSWORD, DKIM_BODY];
    expect(leaks([...service.output, JSON.stringify(client.events), status.stdout, status.stderr], secrets)).toEqual([]);
    // The secrets were used, just never written down. Every login (one before the outage, one after
    // at least) gave the password from SMTP_PASSWORD_FILE; both mails were signed with the key from
    // DKIM_PRIVATE_KEY_FILE; and the code mailed was checked with a key from OTP_SECRETS_FILE (above).
    expect(sink.logins.length).toBeGreaterThanOrEqual(2);
    expect(sink.logins).toEqual(sink.logins.map(() => ({ user: 'mailer', pass: SMTP_PASSWORD })));
    expect(sink.deliveries.length).toBeGreaterThanOrEqual(2);
    for (const delivery of sink.deliveries) {
      const header = delivery.raw.toString('latin1').split('\r\n\r\n')[0];
      expect(header).toMatch(/^DKIM-Signature: /m);
      const [result] = (await dkimVerify(delivery.raw, { resolver: DKIM_DNS })).results;
      expect(result?.status.result, result?.status.comment).toBe('pass');
      expect(result?.signingDomain).toBe('resetd.test');
    }
  });
});
