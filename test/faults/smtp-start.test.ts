import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultWorld } from '../support/fault-world.js';
import { opsGet } from '../support/ops-http.js';
import { freePort } from '../support/processes.js';
import { oneLine } from '../support/secured-deployment.js';
import { leaks, makeTestPki, type TestPki } from '../support/security.js';
import { runServiceToExit } from '../support/service-process.js';

const PASSWORD = 'smtp-pass-7d3e9b1c';

/** An SMTP server of the test's own on 127.0.0.1, for what the sink cannot do (a refused login, TLS). */
async function smtpServer(options: SMTPServerOptions): Promise<{ port: number; stop: () => Promise<void> }> {
  const server = new SMTPServer({ logger: false, disableReverseLookup: true, ...options });
  // A client that refuses the certificate drops the socket mid-handshake: expected here.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.server.address() as AddressInfo).port, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A certificate from the test CA for `mail.other.test` only: right CA, wrong host. */
function certificateForAnotherHost(pki: TestPki): { key: Buffer; cert: Buffer } {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: pki.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'other.key', '-out', 'other.csr', '-subj', '/CN=mail.other.test');
  writeFileSync(join(pki.dir, 'other.ext'), 'subjectAltName=DNS:mail.other.test\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', 'other.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'other.pem', '-days', '2', '-extfile', 'other.ext');
  return { key: readFileSync(join(pki.dir, 'other.key')), cert: readFileSync(join(pki.dir, 'other.pem')) };
}

describe('the SMTP server checked at start', () => {
  let world: FaultWorld;
  let pki: TestPki;

  beforeAll(async () => {
    world = await FaultWorld.start({ label: 'smtpstart' });
    pki = makeTestPki();
  });

  afterAll(async () => {
    await world.close();
    pki.remove();
  });

  it('refusing the login (535): one line naming the variables, exit 2, no password', async () => {
    const server = await smtpServer({
      authMethods: ['PLAIN', 'LOGIN'],
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      onAuth: (_auth, _session, callback) => callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 })),
    });
    try {
      const run = await runServiceToExit(world.env({ SMTP_URL: `smtp://resetd:${PASSWORD}@127.0.0.1:${server.port}` }));

      expect(run.code).toBe(2);
      expect(oneLine(run.stderr)).toBe(
        `resetd: the SMTP server at smtp://resetd:***@127.0.0.1:${server.port} refused the login: 535 5.7.8 Authentication credentials invalid; ` +
          'check SMTP_USER and SMTP_PASSWORD (or SMTP_PASSWORD_FILE, or the user and password in SMTP_URL)',
      );
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(leaks([run.stdout, run.stderr], [PASSWORD])).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  describe('over TLS (smtps://)', () => {
    it('with a certificate issued for another host: one line saying to use its host name in SMTP_URL, exit 2', async () => {
      const server = await smtpServer({ secure: true, ...certificateForAnotherHost(pki), authOptional: true });
      try {
        const run = await runServiceToExit(world.env({ SMTP_URL: `smtps://127.0.0.1:${server.port}`, SMTP_TLS_CA_FILE: pki.caFile }));

        expect(run.code).toBe(2);
        expect(oneLine(run.stderr)).toMatch(
          new RegExp(
            `^resetd: TLS with the SMTP server at smtps://127\\.0\\.0\\.1:${server.port} failed: ERR_TLS_CERT_ALTNAME_INVALID: .*IP: 127\\.0\\.0\\.1 is not in the cert's list.*; ` +
              'put in SMTP_URL the host name the certificate is issued for, not another name or an IP address$',
          ),
        );
      } finally {
        await server.stop();
      }
    });

    it('with a certificate from a CA it was not given: one line naming SMTP_TLS_CA_FILE, exit 2', async () => {
      const server = await smtpServer({ secure: true, key: readFileSync(pki.serverKeyFile), cert: readFileSync(pki.serverCertFile), authOptional: true });
      try {
        const run = await runServiceToExit(world.env({ SMTP_URL: `smtps://localhost:${server.port}` }));

        expect(run.code).toBe(2);
        expect(oneLine(run.stderr)).toMatch(
          new RegExp(
            `^resetd: TLS with the SMTP server at smtps://localhost:${server.port} failed: UNABLE_TO_VERIFY_LEAF_SIGNATURE: .*; ` +
              "set SMTP_TLS_CA_FILE to the CA certificate \\(PEM\\) that signed the server's certificate$",
          ),
        );
      } finally {
        await server.stop();
      }
    });
  });

  it('down at start: a warning, the service starts, /readyz names the reason, and mail goes once it is back', async () => {
    await world.sink.stop();
    const opsPort = await freePort();
    const service = await world.startService({ OPS_HTTP_PORT: String(opsPort), OPS_HTTP_HOST: '127.0.0.1' });

    const warning = JSON.parse(await service.waitForLog(/SMTP server not reached at start/));
    expect(warning).toMatchObject({ level: 40, reason: expect.stringContaining('ECONNREFUSED') });
    const notReady = await opsGet(opsPort, '/readyz');
    expect(notReady.status).toBe(503);
    expect(JSON.parse(notReady.body)).toEqual({ status: 'not ready', failing: ['smtp'], reasons: { smtp: expect.stringContaining('ECONNREFUSED') } });

    const [resetId] = await world.requestMany(1);
    await world.sink.start();
    await world.waitForOutcomes([resetId!], 30_000);
    await world.sink.waitForMail(world.email(0), 10_000);
    // Asked again every 5 s: ready within that of the server's return.
    const deadline = Date.now() + 8_000;
    let ready = await opsGet(opsPort, '/readyz');
    while (ready.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      ready = await opsGet(opsPort, '/readyz');
    }
    expect(ready.status).toBe(200);
    expect(service.output.some((line) => /SMTP server reached; mail goes out/.test(line))).toBe(true);
  });
});
