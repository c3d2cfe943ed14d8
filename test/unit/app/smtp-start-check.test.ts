import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { SmtpProbe } from '../../../src/adapters/smtp/nodemailer-mailer.js';
import { SmtpStartCheck } from '../../../src/app/smtp-start-check.js';

const silent = pino({ level: 'silent' });
const greetingNeverCame: SmtpProbe = { kind: 'failed', failure: { kind: 'server', detail: 'ETIMEDOUT: Greeting never received' } };

describe('the SMTP check at start', () => {
  it('says to use smtps:// when a plain smtp:// URL names port 465 and no greeting comes', async () => {
    const check = new SmtpStartCheck({ probe: async () => greetingNeverCame }, 'smtp://resetd:***@mail.example.com:465', silent, { waitMs: 1_000, retryMs: 60_000 });
    await check.run();
    expect(check.reason).toBe('ETIMEDOUT: Greeting never received; port 465 expects TLS from the first byte: use smtps:// in SMTP_URL');
  });

  it('gives the failure alone on any other port, or with smtps://', async () => {
    for (const where of ['smtp://mail.example.com:587', 'smtps://mail.example.com:465']) {
      const check = new SmtpStartCheck({ probe: async () => greetingNeverCame }, where, silent, { waitMs: 1_000, retryMs: 60_000 });
      await check.run();
      expect(check.reason, where).toBe('ETIMEDOUT: Greeting never received');
    }
  });
});
