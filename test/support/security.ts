import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { freePort, ManagedProcess, NATS_SERVER, REDIS_SERVER } from './processes.js';

/** A CA, a server certificate for 127.0.0.1 and localhost and a client certificate it signed, and a second CA that signed nothing of these. */
export interface TestPki {
  readonly dir: string;
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** A CA of its own: a client that trusts only it refuses the server's certificate. */
  readonly strangerCaFile: string;
  remove(): void;
}

/** Makes the test's PKI with `openssl` in a temporary directory (P-256 keys, valid for two days). */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'resetd-pki-'));
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const selfSignedCa = (name: string, subject: string) => openssl('req', '-x509', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', subject);
  const signed = (name: string, subject: string, extensions: string) => {
    openssl('req', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    writeFileSync(path(`${name}.ext`), extensions);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  };
  selfSignedCa('ca', '/CN=resetd test CA');
  selfSignedCa('stranger', '/CN=some other CA');
  signed('server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  signed('client', '/CN=resetd', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    caFile: path('ca.pem'),
    serverCertFile: path('server.pem'),
    serverKeyFile: path('server.key'),
    clientCertFile: path('client.pem'),
    clientKeyFile: path('client.key'),
    strangerCaFile: path('stranger.pem'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A server of the test's own (nats-server or redis-server) with the options it was started with. */
export class TestServer {
  private constructor(
    readonly port: number,
    readonly dir: string,
    readonly process: ManagedProcess,
  ) {}

  /** `nats-server` with JetStream and `args` (authentication, TLS) on a free port. */
  static async nats(args: readonly string[]): Promise<TestServer> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'resetd-nats-secured-'));
    const all = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir, ...args];
    return new TestServer(port, dir, await ManagedProcess.start('nats-server', NATS_SERVER, all, /Server is ready/));
  }

  /** `nats-server` from a configuration file; `{port}` and `{dir}` in `config` are filled in. */
  static async natsWithConfig(config: string): Promise<TestServer> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'resetd-nats-secured-'));
    const file = join(dir, 'nats.conf');
    writeFileSync(file, config.replaceAll('{port}', String(port)).replaceAll('{dir}', join(dir, 'js')));
    return new TestServer(port, dir, await ManagedProcess.start('nats-server', NATS_SERVER, ['-c', file], /Server is ready/));
  }

  /** `redis-server` without persistence and with `args` (requirepass, ACL users, TLS) on a free port. */
  static async redis(args: readonly string[] = []): Promise<TestServer> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'resetd-redis-secured-'));
    const all = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args];
    return new TestServer(port, dir, await ManagedProcess.start('redis-server', REDIS_SERVER, all, /Ready to accept connections/));
  }

  /** `redis-server` that speaks only TLS (`rediss://`), with the test PKI's server certificate, and wants client certificates. */
  static async redisTls(pki: TestPki): Promise<TestServer> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'resetd-redis-tls-'));
    const all = ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    const tls = ['--tls-cert-file', pki.serverCertFile, '--tls-key-file', pki.serverKeyFile, '--tls-ca-cert-file', pki.caFile, '--tls-auth-clients', 'yes'];
    return new TestServer(port, dir, await ManagedProcess.start('redis-server', REDIS_SERVER, [...all, ...tls], /Ready to accept connections/));
  }

  get pid(): number {
    return this.process.pid;
  }

  /** `nats://127.0.0.1:<port>` or `redis://…` as the scheme says, with `userinfo` (`user:pass@`) if given. */
  url(scheme: string, userinfo = ''): string {
    return `${scheme}://${userinfo}127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    await this.process.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A user NKey pair: the seed for resetd, the public key for the server. */
export function aUserNkey(): { seed: string; publicKey: string } {
  const user = createUser();
  return { seed: new TextDecoder().decode(user.getSeed()), publicKey: user.getPublicKey() };
}

/** Writes `content` to a new file in `dir` (as a mounted secret would be) and returns its path. */
export function secretFile(dir: string, name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, `${content}\n`, { mode: 0o600 });
  return path;
}

/** Every line of `texts` holding one of `secrets`, with the secret named: [] when none leaks. */
export function leaks(texts: readonly string[], secrets: readonly string[]): string[] {
  return texts.flatMap((text) => text.split('\n')).flatMap((line) => secrets.filter((secret) => line.includes(secret)).map((secret) => `${secret.slice(0, 3)}…: ${line.slice(0, 200)}`));
}
