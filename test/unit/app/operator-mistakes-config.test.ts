import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/app/config.js';
import { configProblems as problemsOf } from '../../support/config-problems.js';

const repoFile = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
const PRODUCTION = {
  NODE_ENV: 'production',
  OTP_SECRET: 'a-real-key-of-this-deployment-0123456789',
  SMTP_URL: 'smtps://mail.test:465',
  MAIL_FROM: 'Acme <no-reply@acme.example>',
  RESET_SIGNING_KEY: repoFile('deploy/compose-signing-key.pem'),
};

describe('what a tired operator gets wrong', () => {
  it("refuses the Kubernetes example's placeholder and the development key as the code key in production", () => {
    const placeholder = 'replace-me-with-at-least-32-random-characters-from-openssl';
    expect(problemsOf({ ...PRODUCTION, OTP_SECRET: placeholder })).toEqual([expect.stringMatching(/^OTP_SECRET holds a placeholder or the development key, not a key of yours: make one with/)]);
    const { OTP_SECRET: key, ...withoutKey } = PRODUCTION;
    expect(problemsOf({ ...withoutKey, OTP_SECRETS: `${key},development-only-secret-do-not-use-in-production!` })).toEqual([expect.stringMatching(/^OTP_SECRETS holds a placeholder/)]);
    // Outside production the same values start, as a laptop's would.
    expect(problemsOf({ OTP_SECRET: placeholder })).toEqual([]);
  });

  it("names the docker compose example's published keys among the development defaults, even in production", () => {
    const config = loadConfig({ ...PRODUCTION, OTP_SECRET: repoFile('deploy/compose-otp-secret.txt').trim() });
    expect(config.developmentDefaults).toEqual([
      'OTP_SECRET (an example key, published with the repository)',
      expect.stringMatching(/^RESET_SIGNING_KEY \(the docker compose example's, published with the repository, kid /),
    ]);
  });

  it('says where the mail goes without SMTP_URL: the directory, not only its variable', () => {
    expect(loadConfig({ OTP_SECRET: 'a-test-secret-of-at-least-thirty-two-chars' }).developmentDefaults).toContain('SMTP_URL (mail goes to .eml files in MAIL_OUTBOX_DIR, ./outbox)');
    expect(loadConfig({ OTP_SECRET: 'a-test-secret-of-at-least-thirty-two-chars', MAIL_OUTBOX_DIR: '/var/mail/resetd' }).developmentDefaults).toContain(
      'SMTP_URL (mail goes to .eml files in MAIL_OUTBOX_DIR, /var/mail/resetd)',
    );
  });

  it('takes NODE_ENV=production in any spelling: Production must not quietly mean development', () => {
    expect(loadConfig({ ...PRODUCTION, NODE_ENV: 'Production' }).production).toBe(true);
    expect(problemsOf({ NODE_ENV: ' PRODUCTION ' })).toContainEqual(expect.stringMatching(/^OTP_SECRET is required when NODE_ENV=production/));
  });

  it('checks MAIL_FROM at start, and wants it set in production when mail goes to a real server', () => {
    expect(problemsOf({ MAIL_FROM: 'noreply' })).toEqual(['MAIL_FROM must be an address with a domain, e.g. "Acme <no-reply@acme.example>" (got "noreply")']);
    expect(problemsOf({ ...PRODUCTION, MAIL_FROM: '' })).toEqual([expect.stringMatching(/^MAIL_FROM is required when NODE_ENV=production and SMTP_URL is set/)]);
  });

  it('reads code keys one a line or comma-separated, each trimmed, so one key has one id however it is given', () => {
    const [a, b] = ['first-key-of-at-least-thirty-two-characters', 'second-key-of-at-least-thirty-two-characters'];
    const listed = loadConfig({ OTP_SECRETS: `${a}\n${b}\n` }).otpSecrets;
    expect(listed).toEqual([a, b]);
    expect(loadConfig({ OTP_SECRETS: `${a}, ${b}` }).otpSecrets).toEqual([a, b]);
    expect(loadConfig({ OTP_SECRET: `${a}\r\n` }).otpSecrets).toEqual([a]);
  });

  it('warns of settings that contradict each other, one line each naming both with their values, and starts all the same', () => {
    const warningsOf = (env: Record<string, string>) => loadConfig({ OTP_SECRET: 'a-test-secret-of-at-least-thirty-two-chars', ...env }).settingWarnings;
    expect(warningsOf({ RATE_USER_PER_HOUR: '20', RESET_ACK_WAIT_SECONDS: '120', RESET_EVENTS_DUPLICATE_WINDOW_SECONDS: '120', RESET_MAX_DELIVER: '0' })).toEqual([
      "RATE_USER_PER_DAY=10 (the default) should be at least RATE_USER_PER_HOUR=20: a user would meet the day's limit first, and the hour's would never apply",
      "RESET_EVENTS_DUPLICATE_WINDOW_SECONDS=120 should be above RESET_ACK_WAIT_SECONDS=120: a dead instance's messages are redelivered after the ack wait, and the outcome published again then is dropped as a duplicate only within the window; keep it well above",
      'RESET_MAX_DELIVER=0 is taken by JetStream as -1, no limit: set -1, or the deliveries to allow',
    ]);
    // A code lifetime as short as the retry budget is a choice, not a contradiction: each try mails a code of full lifetime.
    expect(warningsOf({ OTP_TTL_SECONDS: '300' })).toEqual([]);
    expect(warningsOf({})).toEqual([]);
    expect(warningsOf({ RATE_USER_PER_HOUR: '10', RESET_ACK_WAIT_SECONDS: '119', RESET_EVENTS_DUPLICATE_WINDOW_SECONDS: '120', RESET_MAX_DELIVER: '1' })).toEqual([]);
  });

  it("reads REDIS_URL's path as the database number, and refuses one a Redis Cluster cannot keep", () => {
    expect(problemsOf({ REDIS_URL: 'redis://127.0.0.1:6379/abc' })).toEqual(['REDIS_URL\'s path is the database number, e.g. redis://host:6379/0 (got "/abc")']);
    expect(problemsOf({ REDIS_URL: 'redis://127.0.0.1:6379/3', REDIS_CLUSTER_NODES: 'a:7000,b:7001' })).toEqual([
      'REDIS_URL names database 3, but a Redis Cluster has only database 0: drop it (REDIS_KEY_PREFIX keeps deployments apart)',
    ]);
    for (const url of ['redis://h:6379', 'redis://h:6379/', 'redis://h:6379/0', 'redis://h:6379/15']) expect(problemsOf({ REDIS_URL: url }), url).toEqual([]);
  });
});

