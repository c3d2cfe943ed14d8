import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, tokenAuthenticator, usernamePasswordAuthenticator, nkeyAuthenticator } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { oneLine, serveOneReset } from '../support/secured-deployment.js';
import { aUserNkey, leaks, makeTestPki, secretFile, TestServer, type TestPki } from '../support/security.js';
import { runServiceToExit } from '../support/service-process.js';
import { uniquePrefix, waitFor } from '../support/nats.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

const PASSWORD = 'nats-pass-7f3a9c1e';
const WRONG_PASSWORD = 'not-the-pass-b2d4e6';
const TOKEN = 'nats-token-5e8d2a4c';

/**
 * resetd against nats-servers of the test's own that want a login (user and password, a token, an
 * NKey) or mutual TLS: it serves with the right settings, and with wrong ones it exits non-zero with
 * one line on stderr that names what to check and holds no secret.
 */
describe('NATS with authentication and TLS', () => {
  let pki: TestPki;
  let secrets: string;
  let redis: TestServer;
  let sink: SmtpSink;
  const servers: TestServer[] = [];
  const nkey = aUserNkey();
  const otherNkey = aUserNkey();

  beforeAll(async () => {
    pki = makeTestPki();
    secrets = mkdtempSync(join(tmpdir(), 'resetd-nats-secrets-'));
    redis = await TestServer.redis();
    sink = await startSmtpSink();
  });

  afterAll(async () => {
    await Promise.all([...servers, redis].map((server) => server.close()));
    await sink.stop();
    pki.remove();
    rmSync(secrets, { recursive: true, force: true });
  });

  const started = async (server: Promise<TestServer>) => {
    const ready = await server;
    servers.push(ready);
    return ready;
  };

  describe('user and password (--user --pass)', () => {
    let nats: TestServer;
    beforeAll(async () => {
      nats = await started(TestServer.nats(['--user', 'resetd', '--pass', PASSWORD]));
    });

    it('serves a reset with NATS_USER and NATS_PASSWORD_FILE, and the password is in no line it writes', async () => {
      const served = await serveOneReset({
        label: 'natsuser',
        natsUrl: nats.url('nats'),
        clientSecurity: { authenticator: usernamePasswordAuthenticator('resetd', PASSWORD) },
        sink,
        env: { NATS_URL: nats.url('nats'), REDIS_URL: redis.url('redis'), NATS_USER: 'resetd', NATS_PASSWORD_FILE: secretFile(secrets, 'nats-password', PASSWORD) },
      });
      expect(leaks(served.output, [PASSWORD])).toEqual([]);

      // `resetd status` logs in the same way, and prints the URL without the password.
      const status = await runCli(['status'], {
        PATH: process.env.PATH,
        NATS_URL: nats.url('nats'),
        REDIS_URL: redis.url('redis'),
        RESET_SUBJECT_PREFIX: served.prefix,
        NATS_USER: 'resetd',
        NATS_PASSWORD: PASSWORD,
      });
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain(`nats      ${nats.url('nats')}  server 2.`);
      expect(leaks([status.stdout, status.stderr], [PASSWORD])).toEqual([]);
    });

    it('serves with the user and password in NATS_URL, and masks the password wherever the URL is printed', async () => {
      const url = nats.url('nats', `resetd:${PASSWORD}@`);
      const served = await serveOneReset({ label: 'natsurl', natsUrl: url, sink, env: { NATS_URL: url, REDIS_URL: redis.url('redis') } });
      expect(leaks(served.output, [PASSWORD])).toEqual([]);
      const status = await runCli(['status'], { PATH: process.env.PATH, NATS_URL: url, REDIS_URL: redis.url('redis'), RESET_SUBJECT_PREFIX: served.prefix });
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain(`nats      nats://resetd:***@127.0.0.1:${nats.port}  server`);
      expect(leaks([status.stdout, status.stderr], [PASSWORD])).toEqual([]);
    });

    it.each([
      ['a wrong password', { NATS_USER: 'resetd', NATS_PASSWORD: WRONG_PASSWORD }],
      ['no login at all', {}],
    ])('with %s, exits 1 with one line saying the server refused the login', async (_case, env) => {
      const run = await runServiceToExit({ NATS_URL: nats.url('nats'), REDIS_URL: redis.url('redis'), ...env });
      expect(run.code).toBe(1);
      expect(oneLine(run.stderr)).toBe(
        `resetd: NATS at ${nats.url('nats')} refused the login: Authorization Violation; ` +
          'check NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_NKEY_SEED or NATS_CREDS (or their _FILE forms)',
      );
      expect(leaks([run.stdout, run.stderr], [PASSWORD, WRONG_PASSWORD])).toEqual([]);
    });

    it('with a wrong password in NATS_URL, prints the URL with the password masked', async () => {
      const run = await runServiceToExit({ NATS_URL: nats.url('nats', `resetd:${WRONG_PASSWORD}@`), REDIS_URL: redis.url('redis') });
      expect(run.code).toBe(1);
      expect(oneLine(run.stderr)).toMatch(new RegExp(`^resetd: NATS at nats://resetd:\\*\\*\\*@127\\.0\\.0\\.1:${nats.port} refused the login`));
      expect(leaks([run.stdout, run.stderr], [WRONG_PASSWORD])).toEqual([]);
    });

    it('stops the start when the password and its file are both set, in one line naming the variable', async () => {
      const run = await runServiceToExit({
        NATS_URL: nats.url('nats'),
        NATS_USER: 'resetd',
        NATS_PASSWORD: PASSWORD,
        NATS_PASSWORD_FILE: secretFile(secrets, 'both', PASSWORD),
      });
      expect(run.code).toBe(2);
      expect(oneLine(run.stderr)).toBe('resetd: NATS_PASSWORD and NATS_PASSWORD_FILE are both set; set one');
      expect(leaks([run.stdout, run.stderr], [PASSWORD])).toEqual([]);
    });
  });

  describe('a token (--auth)', () => {
    it('serves with NATS_TOKEN_FILE and refuses a wrong token in one line without it', async () => {
      const nats = await started(TestServer.nats(['--auth', TOKEN]));
      const served = await serveOneReset({
        label: 'natstoken',
        natsUrl: nats.url('nats'),
        clientSecurity: { authenticator: tokenAuthenticator(TOKEN) },
        sink,
        env: { NATS_URL: nats.url('nats'), REDIS_URL: redis.url('redis'), NATS_TOKEN_FILE: secretFile(secrets, 'nats-token', TOKEN) },
      });
      expect(leaks(served.output, [TOKEN])).toEqual([]);

      // The token written into NATS_URL, as `nats://<token>@host`: used, and masked whole where printed.
      const tokenUrl = nats.url('nats', `${TOKEN}@`);
      const status = await runCli(['status'], { PATH: process.env.PATH, NATS_URL: tokenUrl, REDIS_URL: redis.url('redis'), RESET_SUBJECT_PREFIX: served.prefix });
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain(`nats      nats://***@127.0.0.1:${nats.port}  server`);
      expect(leaks([status.stdout, status.stderr], [TOKEN])).toEqual([]);

      const run = await runServiceToExit({ NATS_URL: nats.url('nats'), REDIS_URL: redis.url('redis'), NATS_TOKEN: `${TOKEN}-wrong` });
      expect(run.code).toBe(1);
      expect(oneLine(run.stderr)).toMatch(/refused the login: Authorization Violation; check NATS_USER/);
      expect(leaks([run.stdout, run.stderr], [TOKEN])).toEqual([]);
    });
  });

  describe('an NKey (authorization { users = [{ nkey }] })', () => {
    it('serves with NATS_NKEY_SEED_FILE and refuses another user’s seed in one line without it', async () => {
      const nats = await started(TestServer.natsWithConfig(`listen: 127.0.0.1:{port}\njetstream { store_dir: "{dir}" }\nauthorization { users = [ { nkey: "${nkey.publicKey}" } ] }\n`));
      const served = await serveOneReset({
        label: 'natsnkey',
        natsUrl: nats.url('nats'),
        clientSecurity: { authenticator: nkeyAuthenticator(new TextEncoder().encode(nkey.seed)) },
        sink,
        env: { NATS_URL: nats.url('nats'), REDIS_URL: redis.url('redis'), NATS_NKEY_SEED_FILE: secretFile(secrets, 'nats-seed', nkey.seed) },
      });
      expect(leaks(served.output, [nkey.seed])).toEqual([]);

      const run = await runServiceToExit({ NATS_URL: nats.url('nats'), REDIS_URL: redis.url('redis'), NATS_NKEY_SEED: otherNkey.seed });
      expect(run.code).toBe(1);
      expect(oneLine(run.stderr)).toMatch(/refused the login: Authorization Violation/);
      expect(leaks([run.stdout, run.stderr], [nkey.seed, otherNkey.seed])).toEqual([]);
    });
  });

  describe('mutual TLS (--tls --tlsverify) with a CA the test made', () => {
    let nats: TestServer;
    const tlsEnv = () => ({ NATS_TLS_CA_FILE: pki.caFile, NATS_TLS_CERT_FILE: pki.clientCertFile, NATS_TLS_KEY_FILE: pki.clientKeyFile });

    beforeAll(async () => {
      nats = await started(
        TestServer.nats(['--tls', '--tlscert', pki.serverCertFile, '--tlskey', pki.serverKeyFile, '--tlscacert', pki.caFile, '--tlsverify']),
      );
    });

    it('serves a reset with the CA and a client certificate, and `resetd status` connects the same way', async () => {
      const served = await serveOneReset({
        label: 'natstls',
        natsUrl: nats.url('nats'),
        clientSecurity: { tls: { caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile } },
        sink,
        env: { NATS_URL: nats.url('nats'), REDIS_URL: redis.url('redis'), ...tlsEnv() },
      });
      const status = await runCli(['status'], { PATH: process.env.PATH, NATS_URL: nats.url('nats'), REDIS_URL: redis.url('redis'), RESET_SUBJECT_PREFIX: served.prefix, ...tlsEnv() });
      expect(status.code, status.stderr).toBe(0);
    });

    it('exits 1 with one line on the TLS failure when it trusts another CA', async () => {
      const run = await runServiceToExit({ NATS_URL: nats.url('nats'), REDIS_URL: redis.url('redis'), ...tlsEnv(), NATS_TLS_CA_FILE: pki.strangerCaFile });
      expect(run.code).toBe(1);
      expect(oneLine(run.stderr)).toMatch(
        new RegExp(`^resetd: TLS with NATS at nats://127\\.0\\.0\\.1:${nats.port} failed: .*certificate.*; check NATS_TLS_CA_FILE, NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE$`),
      );
    });

    it('exits 1 with one line naming the file when the client key cannot be read', async () => {
      const run = await runServiceToExit({ NATS_URL: nats.url('nats'), REDIS_URL: redis.url('redis'), ...tlsEnv(), NATS_TLS_KEY_FILE: join(pki.dir, 'missing.key') });
      expect(run.code).toBe(2);
      expect(oneLine(run.stderr)).toBe(`resetd: NATS_TLS_KEY_FILE names a file that cannot be read (${join(pki.dir, 'missing.key')}): ENOENT`);
    });
  });

  describe('the password changed on the server while resetd runs (the configuration reloaded)', () => {
    it('exits 1 with a line saying the NATS connection closed for good, instead of running on and serving nothing', async () => {
      const config = (password: string) => `listen: 127.0.0.1:{port}\njetstream { store_dir: "{dir}" }\nauthorization { user: resetd, password: "${password}" }\n`;
      const nats = await started(TestServer.natsWithConfig(config(PASSWORD)));
      const prefix = uniquePrefix('natsreload');
      const inbox = `${prefix.toUpperCase()}_INBOX`;
      const running = runServiceToExit({ NATS_URL: nats.url('nats'), REDIS_URL: redis.url('redis'), RESET_SUBJECT_PREFIX: prefix, REDIS_KEY_PREFIX: prefix, RESET_INBOX_STREAM: inbox, NATS_USER: 'resetd', NATS_PASSWORD: PASSWORD }, 60_000);
      // Serving: its inbox stream exists.
      const client = await connect({ servers: nats.url('nats'), authenticator: usernamePasswordAuthenticator('resetd', PASSWORD) });
      const jsm = await jetstreamManager(client);
      await waitFor(() => jsm.streams.info(inbox).then(() => true, () => false), 20_000, 200);
      await client.close();

      const changed = Date.now();
      writeFileSync(join(nats.dir, 'nats.conf'), config(WRONG_PASSWORD).replaceAll('{port}', String(nats.port)).replaceAll('{dir}', join(nats.dir, 'js')));
      nats.process.child.kill('SIGHUP');
      const run = await running;

      expect(run.code, run.stdout.slice(-2_000)).toBe(1);
      expect(Date.now() - changed).toBeLessThan(30_000);
      const fatal = run.stdout.split('\n').filter((line) => line.includes('the NATS connection closed for good'));
      expect(fatal).toHaveLength(1);
      expect(JSON.parse(fatal[0]!)).toMatchObject({ level: 60, err: { message: expect.stringMatching(/Authorization Violation/i) } });
      expect(leaks([run.stdout, run.stderr], [PASSWORD, WRONG_PASSWORD])).toEqual([]);
    });
  });
});
