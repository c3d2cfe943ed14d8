import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/app/config.js';
import { ConfigError } from '../../../src/adapters/environment/config-error.js';

const configFrom = (env: Record<string, string>) => loadConfig({ OTP_SECRET: 'a-test-secret-of-at-least-thirty-two-chars', SMTP_URL: 'smtp://mail.test:587', ...env });

describe('SMTP_POOL_MAX_MESSAGES, mails per pooled connection', () => {
  it('is 100 by default (nodemailer\'s), and taken as given', () => {
    expect(configFrom({}).smtp?.maxMessages).toBe(100);
    expect(configFrom({ SMTP_POOL_MAX_MESSAGES: '1000' }).smtp?.maxMessages).toBe(1000);
  });

  it('stops the start on a value below 1', () => {
    expect(() => configFrom({ SMTP_POOL_MAX_MESSAGES: '0' })).toThrow(/^SMTP_POOL_MAX_MESSAGES must be at least 1/);
  });
});

describe('SMTP_NAME, the EHLO name', () => {
  it('is unset by default (nodemailer then uses the host name), and taken as given', () => {
    expect(configFrom({}).smtp?.name).toBeUndefined();
    expect(configFrom({ SMTP_NAME: 'mail.example.com' }).smtp?.name).toBe('mail.example.com');
    expect(configFrom({ SMTP_NAME: '[192.0.2.1]' }).smtp?.name).toBe('[192.0.2.1]');
  });

  it('stops the start on a value that is no host name', () => {
    expect(() => configFrom({ SMTP_NAME: 'mail example' })).toThrow(ConfigError);
    expect(() => configFrom({ SMTP_NAME: 'mail example' })).toThrow(/^SMTP_NAME must be a host name or an address literal such as \[192\.0\.2\.1\]/);
  });
});
