import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/app/config.js';
import { ConfigError } from '../../../src/adapters/environment/config-error.js';

/** The problems that `env` stops the start with, one line each. */
function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('the configuration was accepted');
}

describe('configuration errors', () => {
  it('reports every bad variable of one start, each naming it in plain words', () => {
    const problems = problemsOf({
      OTP_LENGTH: 'six',
      OTP_TTL_SECONDS: '1.5',
      SMTP_POOL_SIZE: '0',
      OPS_HTTP_PORT: '70000',
      LOG_LEVEL: 'loud',
      MAIL_PRODUCT_NAME: 'x'.repeat(61),
      RESET_CONSUMER: 'a.b',
    });
    expect(problems).toEqual([
      'SMTP_POOL_SIZE must be at least 1 (got "0")',
      'MAIL_PRODUCT_NAME must be at most 60 characters (got "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…")',
      'OTP_LENGTH must be a whole number (got "six")',
      'OTP_TTL_SECONDS must be a whole number (got "1.5")',
      'RESET_CONSUMER must be letters, digits, _ or - (got "a.b")',
      'LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent (got "loud")',
      'OPS_HTTP_PORT must be at most 65535 (got "70000")',
    ]);
    expect(problems.join('\n')).not.toMatch(/expected|received|NaN|Invalid/);
  });

  it('says how to make an OTP key that is too short, without repeating it', () => {
    const problems = problemsOf({ OTP_SECRET: 'short-secret' });
    expect(problems).toEqual(['OTP_SECRET must be a key of at least 32 characters: make one with `openssl rand -base64 48`']);
    expect(problemsOf({ OTP_SECRETS: `${'k'.repeat(32)},short` })).toEqual([
      'OTP_SECRETS must hold keys of at least 32 characters each: make one with `openssl rand -base64 48`',
    ]);
  });

  it('reports OTP_SECRET and SMTP_URL together in production, with the checks that follow the schema', () => {
    const problems = problemsOf({ NODE_ENV: 'production', OPS_HTTP_PORT: 'x', REDIS_CLUSTER_NODES: 'a:1', REDIS_SENTINELS: 'b:2' });
    expect(problems).toHaveLength(5);
    expect(problems[0]).toMatch(/^OPS_HTTP_PORT must be a whole number/);
    expect(problems[1]).toMatch(/^OTP_SECRET is required when NODE_ENV=production: make one with `openssl rand -base64 48`/);
    expect(problems[2]).toMatch(/^SMTP_URL is required when NODE_ENV=production, e\.g\. smtp:\/\//);
    expect(problems[3]).toMatch(/^RESET_SIGNING_KEY_FILE \(or RESET_SIGNING_KEY\) is required when NODE_ENV=production/);
    expect(problems[4]).toBe('REDIS_CLUSTER_NODES and REDIS_SENTINELS are both set; set one');
  });

  it('reports a bad signing key once, not again as missing in production', () => {
    const problems = problemsOf({ NODE_ENV: 'production', OTP_SECRET: 'k'.repeat(40), SMTP_URL: 'smtp://mail.example.com:587', MAIL_FROM: 'Acme <no-reply@acme.example>', RESET_SIGNING_KEY: 'not a key' });
    expect(problems).toEqual([expect.stringMatching(/^RESET_SIGNING_KEY is not a PEM private key/)]);
  });

  it('reports a bad variable once, not again as missing', () => {
    const problems = problemsOf({ NODE_ENV: 'production', OTP_SECRET: 'k'.repeat(40), SMTP_URL: 'mail.example.com' });
    expect(problems.filter((problem) => problem.startsWith('SMTP_URL'))).toEqual([expect.stringMatching(/^SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL/)]);
  });
});
