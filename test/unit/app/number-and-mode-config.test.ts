import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/app/config.js';
import { configProblems as problemsOf } from '../../support/config-problems.js';

const SECRET = { OTP_SECRET: 'a-test-secret-of-at-least-thirty-two-chars' };
const configWith = (env: Record<string, string>) => loadConfig({ ...SECRET, ...env });

describe('whole-number settings', () => {
  it('take digits alone, spaces around them allowed', () => {
    expect(configWith({ OPS_HTTP_PORT: ' 8080 ' }).ops.port).toBe(8080);
    expect(configWith({ RESET_MAX_DELIVER: '-1' }).nats.maxDeliver).toBe(-1);
  });

  it('refuse hexadecimal, binary and exponent spellings, naming the variable', () => {
    for (const value of ['0x10', '0b11', '1e3', '1.5', 'Infinity', '5s']) {
      expect(problemsOf({ ...SECRET, RESET_COOLDOWN_SECONDS: value })).toEqual([`RESET_COOLDOWN_SECONDS must be a whole number (got ${JSON.stringify(value)})`]);
    }
  });

  it('count a value of only spaces as unset, as an empty one: the default, never 0', () => {
    for (const blank of [' ', '\t', '  \n']) {
      const config = configWith({ OPS_HTTP_PORT: blank, RESET_COOLDOWN_SECONDS: blank });
      expect(config.ops.port).toBe(9464);
      expect(config.policy.cooldownMs).toBe(60_000);
    }
  });

  it('refuse at start what breaks later: a code living past a day, an ack wait past an hour, a stream age past ten years', () => {
    expect(problemsOf({ ...SECRET, OTP_TTL_SECONDS: '999999999999' })).toEqual(['OTP_TTL_SECONDS must be at most 86400 (got "999999999999")']);
    expect(problemsOf({ ...SECRET, RESET_ACK_WAIT_SECONDS: '7000000' })).toEqual(['RESET_ACK_WAIT_SECONDS must be at most 3600 (got "7000000")']);
    expect(problemsOf({ ...SECRET, RESET_INBOX_MAX_AGE_HOURS: '99999999', RESET_EVENTS_MAX_AGE_HOURS: '87601' })).toEqual([
      'RESET_INBOX_MAX_AGE_HOURS must be at most 87600 (got "99999999")',
      'RESET_EVENTS_MAX_AGE_HOURS must be at most 87600 (got "87601")',
    ]);
    // The ack wait stays below the events' duplicate window, itself at most an hour.
    const longest = configWith({
      OTP_TTL_SECONDS: '86400',
      RESET_ACK_WAIT_SECONDS: '3599',
      RESET_EVENTS_DUPLICATE_WINDOW_SECONDS: '3600',
      RESET_INBOX_MAX_AGE_HOURS: '87600',
      RESET_EVENTS_MAX_AGE_HOURS: '87600',
    });
    expect(longest.policy.codeLifetimeMs).toBe(86_400_000);
    expect(longest.nats.ackWaitMs).toBe(3_599_000);
  });

  it('refuse RESET_MAX_DELIVER below -1', () => {
    expect(problemsOf({ ...SECRET, RESET_MAX_DELIVER: '-2' })).toEqual(['RESET_MAX_DELIVER must be at least -1 (got "-2")']);
    expect(configWith({ RESET_MAX_DELIVER: '1' }).nats.maxDeliver).toBe(1);
  });
});

describe('LOG_LEVEL', () => {
  it('takes a level in any case and with spaces around, as NODE_ENV, and gives the logger lower case', () => {
    expect(configWith({ LOG_LEVEL: 'INFO' }).logLevel).toBe('info');
    expect(configWith({ LOG_LEVEL: ' Debug ' }).logLevel).toBe('debug');
    expect(problemsOf({ ...SECRET, LOG_LEVEL: 'VERBOSE' })).toEqual(['LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent (got "VERBOSE")']);
  });
});

describe('NODE_ENV', () => {
  it('refuses a value that is not production, development or test, naming it: `prod` must not mean development', () => {
    for (const value of ['prod', 'staging', 'Production!']) {
      expect(problemsOf({ ...SECRET, NODE_ENV: value })).toEqual([`NODE_ENV must be production, development or test (got ${JSON.stringify(value)})`]);
    }
  });

  it('takes the three in any case and with spaces around; production keeps its checks', () => {
    expect(configWith({ NODE_ENV: 'Test' }).production).toBe(false);
    expect(configWith({ NODE_ENV: ' development ' }).production).toBe(false);
    expect(problemsOf({ NODE_ENV: 'Production ' })).toContainEqual(expect.stringMatching(/^OTP_SECRET is required when NODE_ENV=production/));
  });
});
