import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/adapters/environment/config-error.js';
import { readDotEnvFile } from '../../../src/adapters/environment/dotenv-file.js';

const dir = mkdtempSync(join(tmpdir(), 'resetd-dotenv-'));

describe('the .env file', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sets what the environment lacks or holds blank, which the configuration reads as unset, and never overrides a value', () => {
    const file = join(dir, '.env');
    writeFileSync(file, '# a comment\nNATS_URL=nats://from-file:4222\nLOG_LEVEL=debug\nMAIL_FROM="Acme <no-reply@acme.example>"\nOTP_SECRET=from-file\nSMTP_URL=smtp://from-file\n');
    const environment: NodeJS.ProcessEnv = { LOG_LEVEL: 'warn', OTP_SECRET: '', SMTP_URL: '  ' };
    expect(readDotEnvFile(environment, file)).toEqual(['NATS_URL', 'MAIL_FROM', 'OTP_SECRET', 'SMTP_URL']);
    expect(environment).toEqual({
      NATS_URL: 'nats://from-file:4222',
      LOG_LEVEL: 'warn',
      MAIL_FROM: 'Acme <no-reply@acme.example>',
      OTP_SECRET: 'from-file',
      SMTP_URL: 'smtp://from-file',
    });
  });

  it('is optional', () => {
    const environment: NodeJS.ProcessEnv = {};
    expect(readDotEnvFile(environment, join(dir, 'absent.env'))).toEqual([]);
    expect(environment).toEqual({});
  });

  it('stops the start when it is there but cannot be read', () => {
    expect(() => readDotEnvFile({}, dir)).toThrow(ConfigError);
    expect(() => readDotEnvFile({}, dir)).toThrow(`${dir} cannot be read: EISDIR`);
  });
});
