import { describe, expect, it } from 'vitest';
import { EXIT, reportFailure } from '../../../src/cli/cli-error.js';
import { cliSettings } from '../../../src/cli/cli-settings.js';
import { configProblems } from '../../support/config-problems.js';

/** What cliSettings throws for `env`; fails the test when it throws nothing. */
function refusal(env: Record<string, string>, options = {}): Error {
  try {
    cliSettings(options, env);
  } catch (error) {
    return error as Error;
  }
  throw new Error('cliSettings accepted the settings');
}

describe('cliSettings', () => {
  it('refuses every bad setting it reads at once, each with the value it got, in the service\'s words, as a usage error', () => {
    // The service refuses these too, and more: the CLI's lines are those about what it reads.
    const env = { OTP_LENGTH: '12', RESET_COOLDOWN_SECONDS: '1m', OTP_TTL_SECONDS: '5', RESET_CONSUMER: 'has space', NODE_ENV: 'production' };
    const error = refusal(env);
    expect(error).toMatchObject({ name: 'CliError', exitCode: EXIT.usage });
    const lines = error.message.split('\n');
    expect(lines).toEqual([
      'RESET_CONSUMER must be letters, digits, _ or - (got "has space")',
      'OTP_LENGTH must be at most 10 (got "12")',
      'OTP_TTL_SECONDS must be at least 30 (got "5")',
    ]);
    expect(configProblems(env)).toEqual(expect.arrayContaining(lines));
    expect(configProblems(env)).toContain('RESET_COOLDOWN_SECONDS must be a whole number (got "1m")');
  });

  it('reports a bad option under its variable, and what the readers find once every value is good', () => {
    const env = { REDIS_CLUSTER_NODES: 'a:1', REDIS_SENTINELS: 'b:2', OTP_LENGTH: 'six' };
    const problems = refusal(env, { redis: 'http://127.0.0.1:6379' }).message.split('\n');
    expect(problems).toHaveLength(2);
    expect(problems).toContain('OTP_LENGTH must be a whole number (got "six")');
    expect(problems.find((problem) => problem.startsWith('REDIS_URL '))).toMatch(/\(got "http:\/\/127\.0\.0\.1:6379"\)$/);
    expect(refusal({ ...env, OTP_LENGTH: '6' }).message).toBe('REDIS_CLUSTER_NODES and REDIS_SENTINELS are both set; set one');
  });

  it('is printed one line a problem, as the service prints them, with exit code 2', () => {
    const lines: string[] = [];
    expect(reportFailure(refusal({ OTP_LENGTH: '12', OTP_TTL_SECONDS: '5' }), false, (line) => lines.push(line))).toBe(EXIT.usage);
    expect(lines).toEqual(['resetd: OTP_LENGTH must be at most 10 (got "12")\n', 'resetd: OTP_TTL_SECONDS must be at least 30 (got "5")\n']);
  });

  it('reads only the variables the commands use: a production deployment\'s other settings, good or bad, are the service\'s', () => {
    const settings = cliSettings({ prefix: 'acme' }, { NODE_ENV: 'production', RESET_COOLDOWN_SECONDS: '1m', SMTP_URL: 'not a url', OTP_LENGTH: '8', OTP_TTL_SECONDS: '90', RESET_EVENTS_STREAM: 'ACME_LOG' });
    expect(settings).toMatchObject({ subjectPrefix: 'acme', codeLength: 8, codeLifetimeMinutes: 2, streams: { events: 'ACME_LOG' }, consumer: 'resetd' });
  });
});
