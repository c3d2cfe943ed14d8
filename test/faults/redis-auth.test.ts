import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { uniquePrefix } from '../support/nats.js';
import { oneLine, serveOneReset } from '../support/secured-deployment.js';
import { leaks, makeTestPki, secretFile, TestServer, type TestPki } from '../support/security.js';
import { runServiceToExit } from '../support/service-process.js';
import { ServiceProcess } from '../support/service-process.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

const DEFAULT_PASSWORD = 'redis-default-9c4e1a7b';
const ACL_PASSWORD = 'redis-acl-3f8b6d2e';
const WRONG_PASSWORD = 'redis-wrong-5a1c7e9f';
const SECRETS = [DEFAULT_PASSWORD, ACL_PASSWORD, WRONG_PASSWORD];

/**
 * resetd against a redis-server of the test's own that wants a password (requirepass) or an ACL
 * user, and one that speaks only TLS with client certificates: it serves with the right settings,
 * and without them exits non-zero with one line on stderr that names what to check and holds no secret.
 */
describe('Redis with a password, an ACL user and TLS', () => {
  let pki: TestPki;
  let secrets: string;
  let nats: TestServer;
  let redis: TestServer;
  let sink: SmtpSink;

  beforeAll(async () => {
    pki = makeTestPki();
    secrets = mkdtempSync(join(tmpdir(), 'resetd-redis-secrets-'));
    nats = await TestServer.nats([]);
    // The default user needs the requirepass password; `resetd` is an ACL user with its own and
    // only what the README's Security section says resetd needs, on its own keys.
    // +time: the scripts judge by Redis's clock, and a script's TIME is checked against the user's ACL too.
    const acl = ['~resetd-acl:*', '+@read', '+@write', '+@scripting', '+@connection', '+info', '+time'];
    redis = await TestServer.redis(['--requirepass', DEFAULT_PASSWORD, '--user', 'resetd', 'on', `>${ACL_PASSWORD}`, ...acl]);
    sink = await startSmtpSink();
  });

  afterAll(async () => {
    await Promise.all([nats.close(), redis.close()]);
    await sink.stop();
    pki.remove();
    rmSync(secrets, { recursive: true, force: true });
  });

  const base = () => ({ NATS_URL: nats.url('nats'), REDIS_URL: redis.url('redis') });
  const cliEnv = (prefix: string, env: Record<string, string>) => ({ PATH: process.env.PATH, RESET_SUBJECT_PREFIX: prefix, ...base(), ...env });

  it('serves a reset with the requirepass password from REDIS_PASSWORD_FILE', async () => {
    const served = await serveOneReset({ label: 'redispass', natsUrl: nats.url('nats'), sink, env: { ...base(), REDIS_PASSWORD_FILE: secretFile(secrets, 'redis-password', DEFAULT_PASSWORD) } });
    expect(leaks(served.output, SECRETS)).toEqual([]);
  });

  it('serves a reset as the ACL user, and `resetd status` logs in the same way without printing the password', async () => {
    const env = { REDIS_USERNAME: 'resetd', REDIS_PASSWORD: ACL_PASSWORD, REDIS_KEY_PREFIX: 'resetd-acl' };
    const served = await serveOneReset({ label: 'redisacl', natsUrl: nats.url('nats'), sink, env: { ...base(), ...env } });
    expect(leaks(served.output, SECRETS)).toEqual([]);
    const status = await runCli(['status'], cliEnv(served.prefix, env));
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^redis\\s+redis://127\\.0\\.0\\.1:${redis.port}\\s+reachable`, 'm'));
    expect(leaks([status.stdout, status.stderr], SECRETS)).toEqual([]);
  });

  it('serves a reset with the ACL user and password in REDIS_URL, and masks the password where the URL is printed', async () => {
    const url = redis.url('redis', `resetd:${ACL_PASSWORD}@`);
    const served = await serveOneReset({ label: 'redisurl', natsUrl: nats.url('nats'), sink, env: { ...base(), REDIS_URL: url, REDIS_KEY_PREFIX: 'resetd-acl' } });
    expect(leaks(served.output, SECRETS)).toEqual([]);
    const status = await runCli(['status'], cliEnv(served.prefix, { REDIS_URL: url }));
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^redis\\s+redis://resetd:\\*\\*\\*@127\\.0\\.0\\.1:${redis.port}\\s+reachable`, 'm'));
    expect(leaks([status.stdout, status.stderr], SECRETS)).toEqual([]);
  });

  it.each([
    ['no password', {}, 'NOAUTH Authentication required.'],
    ['a wrong ACL password', { REDIS_USERNAME: 'resetd', REDIS_PASSWORD: WRONG_PASSWORD }, 'WRONGPASS invalid username-password pair or user is disabled.'],
  ])('with %s, exits 1 with one line saying Redis refused the login', async (_case, env, reply) => {
    const run = await runServiceToExit({ ...base(), ...env });
    expect(run.code).toBe(1);
    expect(oneLine(run.stderr)).toBe(
      `resetd: Redis at ${redis.url('redis')} refused the login: ${reply}; ` +
        'check REDIS_USERNAME and REDIS_PASSWORD (or REDIS_PASSWORD_FILE, or the user and password in REDIS_URL)',
    );
    expect(leaks([run.stdout, run.stderr], SECRETS)).toEqual([]);
  });

  it('says why it cannot reconnect when the password is changed under it (once, with the reason, no secret), and still stops cleanly', async () => {
    const own = await TestServer.redis(['--requirepass', DEFAULT_PASSWORD]);
    const prefix = uniquePrefix('redisrotated');
    const service = await ServiceProcess.start({ NATS_URL: nats.url('nats'), REDIS_URL: own.url('redis'), REDIS_PASSWORD: DEFAULT_PASSWORD, RESET_SUBJECT_PREFIX: prefix, REDIS_KEY_PREFIX: prefix, SMTP_URL: sink.url });
    const admin = new Redis(own.port, '127.0.0.1', { password: DEFAULT_PASSWORD, lazyConnect: true });
    try {
      await admin.connect();
      await admin.config('SET', 'requirepass', WRONG_PASSWORD);
      await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      await service.waitForLog(/Redis connection lost; reconnecting/);
      const cause = await service.waitForLog(/Redis error; reconnecting until it is fixed/);
      expect(cause).toMatch(/WRONGPASS|NOAUTH/);
      // Each failed reconnect is the same news: one line an outage, not one every try.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(service.output.filter((line) => line.includes('Redis error; reconnecting'))).toHaveLength(1);
      expect(leaks(service.output, SECRETS)).toEqual([]);
      // Stopped during the outage, it still exits 0: QUIT cannot be sent, the connection is dropped.
      expect(await service.stop()).toBe(0);
    } finally {
      await service.stop();
      await admin.quit().catch(() => undefined);
      await own.close();
    }
  });

  it('with a wrong password in REDIS_URL, exits 1 with the URL masked', async () => {
    const run = await runServiceToExit({ ...base(), REDIS_URL: redis.url('redis', `resetd:${WRONG_PASSWORD}@`) });
    expect(run.code).toBe(1);
    expect(oneLine(run.stderr)).toMatch(new RegExp(`^resetd: Redis at redis://resetd:\\*\\*\\*@127\\.0\\.0\\.1:${redis.port} refused the login: WRONGPASS`));
    expect(leaks([run.stdout, run.stderr], SECRETS)).toEqual([]);
  });

  it('`resetd status` with a wrong password exits 3 with one line and no secret', async () => {
    const status = await runCli(['status'], cliEnv('nostreams', { REDIS_USERNAME: 'resetd', REDIS_PASSWORD: WRONG_PASSWORD }));
    expect(status.code).toBe(3);
    expect(oneLine(status.stderr)).toMatch(/^resetd: Redis at redis:\/\/127\.0\.0\.1:\d+ refused the login: WRONGPASS/);
    expect(leaks([status.stdout, status.stderr], SECRETS)).toEqual([]);
  });

  describe('over TLS (rediss://) with client certificates', () => {
    let tlsRedis: TestServer;
    const tlsEnv = () => ({
      REDIS_URL: tlsRedis.url('rediss'),
      REDIS_TLS_CA_FILE: pki.caFile,
      REDIS_TLS_CERT_FILE: pki.clientCertFile,
      REDIS_TLS_KEY_FILE: pki.clientKeyFile,
    });

    beforeAll(async () => {
      tlsRedis = await TestServer.redisTls(pki);
    });

    afterAll(async () => {
      await tlsRedis.close();
    });

    it('serves a reset with the CA and a client certificate', async () => {
      await serveOneReset({ label: 'redistls', natsUrl: nats.url('nats'), sink, env: { NATS_URL: nats.url('nats'), ...tlsEnv() } });
    });

    it('exits 1 with one line on the TLS failure when it trusts another CA', async () => {
      const run = await runServiceToExit({ NATS_URL: nats.url('nats'), ...tlsEnv(), REDIS_TLS_CA_FILE: pki.strangerCaFile });
      expect(run.code).toBe(1);
      expect(oneLine(run.stderr)).toMatch(
        new RegExp(`^resetd: TLS with Redis at rediss://127\\.0\\.0\\.1:${tlsRedis.port} failed: .*; check REDIS_TLS_CA_FILE, REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE$`),
      );
    });
  });
});
