import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeIn } from '../support/mail-code.js';
import { TestClient, uniquePrefix } from '../support/nats.js';
import { ServiceProcess } from '../support/service-process.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

const KEY_A = 'rotation-key-A-of-at-least-thirty-two-characters';
const KEY_B = 'rotation-key-B-of-at-least-thirty-two-characters';

describe('rotating the code keys with OTP_SECRETS, the service restarted each time', () => {
  const prefix = uniquePrefix('rotation');
  let sink: SmtpSink;
  let client: TestClient;
  let service: ServiceProcess | undefined;

  /** Runs the service with `keys` (newest first) as its only code keys. */
  async function runWith(keys: string): Promise<void> {
    if (service) expect(await service.stop()).toBe(0);
    service = await ServiceProcess.start({
      RESET_SUBJECT_PREFIX: prefix,
      REDIS_KEY_PREFIX: prefix,
      SMTP_URL: sink.url,
      OTP_SECRET: undefined,
      OTP_SECRETS: keys,
    });
  }

  /** Requests a reset for `user` and returns its id and the code mailed for it. */
  async function codeFor(user: string): Promise<{ resetId: string; code: string }> {
    const email = `${user}@example.com`;
    const resetId = await client.requestReset({ userId: user, email });
    await client.waitForEvent(resetId, 'reset.code.sent');
    return { resetId, code: codeIn((await sink.waitForMail(email)).text ?? '') };
  }

  beforeAll(async () => {
    sink = await startSmtpSink();
    client = await TestClient.connect(prefix);
  });

  afterAll(async () => {
    await service?.stop();
    await client.close();
    await sink.stop();
  });

  it('keeps codes of key A working while it is listed after B, refuses them as expired once A is gone, and codes of B work throughout', async () => {
    await runWith(KEY_A);
    await client.watchEvents();
    const underA1 = await codeFor('u-rot-1');
    const underA2 = await codeFor('u-rot-2');

    await runWith(`${KEY_B},${KEY_A}`);
    expect(await client.verify({ resetId: underA1.resetId, code: underA1.code })).toEqual({ status: 'completed', attemptsRemaining: 0 });
    const underB = await codeFor('u-rot-3');

    await runWith(KEY_B);
    expect(await client.verify({ resetId: underA2.resetId, code: underA2.code })).toMatchObject({ status: 'expired' });
    // Key A retired while its code still had time: the operator is told which key, by its id.
    const keyIdOfA = createHash('sha256').update(KEY_A).digest('hex').slice(0, 12);
    const told = await service!.waitForLog(/code key this instance does not hold/);
    expect(JSON.parse(told)).toMatchObject({ level: 40, keyId: keyIdOfA });
    expect(await client.verify({ resetId: underB.resetId, code: underB.code })).toEqual({ status: 'completed', attemptsRemaining: 0 });
    await client.waitForEvent(underA2.resetId, 'reset.verification.failed');
    expect(client.eventsFor(underA2.resetId).at(-1)?.data).toMatchObject({ reason: 'expired' });
  });
});
