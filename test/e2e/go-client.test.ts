import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headers } from '@nats-io/transport-node';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeIn } from '../support/mail-code.js';
import { NATS_URL, TestClient, uniquePrefix, waitFor } from '../support/nats.js';
import { ServiceProcess } from '../support/service-process.js';
import { generateSigningKeyPair, messageSigner, SIGNATURE_HEADER } from '../../src/contract/message-signature.js';

const EXAMPLE = new URL('../../examples/go/', import.meta.url).pathname;
const hasGo = spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
if (!hasGo) {
  // Skipped, and saying so: a machine without Go cannot check that docs/clients.md's example works.
  console.warn('test/e2e/go-client.test.ts: SKIPPED, no `go` on PATH (apt-get install golang-go golang-github-nats-io-go-nats-dev)');
}

describe.skipIf(!hasGo)('the Go example in examples/go, against the running service', () => {
  const prefix = uniquePrefix('go');
  let dir: string;
  let binary: string;
  let client: TestClient;
  let service: ServiceProcess;
  const keys = generateSigningKeyPair();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'resetd-go-'));
    binary = join(dir, 'resetd-go-example');
    // GOPATH mode against Debian's packaged sources (golang-github-nats-io-go-nats-dev): no network.
    const build = spawn('go', ['build', '-o', binary, '.'], {
      cwd: EXAMPLE,
      env: { ...process.env, GO111MODULE: 'off', GOPATH: process.env.GOPATH ?? '/usr/share/gocode', GOCACHE: join(tmpdir(), 'resetd-go-build-cache'), GOFLAGS: '' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const [status] = (await once(build, 'exit')) as [number | null];
    expect(status, 'go build of examples/go').toBe(0);
    await writeFile(join(dir, 'signing.key'), keys.privateKeyPem, { mode: 0o600 });
    await writeFile(join(dir, 'signing.pub'), keys.publicKeyPem);
    client = await TestClient.connect(prefix);
    service = await ServiceProcess.start({
      RESET_SUBJECT_PREFIX: prefix,
      REDIS_KEY_PREFIX: prefix,
      MAIL_OUTBOX_DIR: join(dir, 'outbox'),
      RESET_SIGNING_KEY_FILE: join(dir, 'signing.key'),
    });
    await client.watchEvents();
  }, 180_000);

  afterAll(async () => {
    expect(await service?.stop()).toBe(0);
    await client?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('requests a reset, reads reset.code.sent from its durable consumer, verifies the mailed code and sees reset.completed, believing nothing resetd did not sign where it belongs', async () => {
    // Whoever reads the request answers first, with its nonce and digest (both computable from
    // the request): only the signature tells this reply from resetd's. And it has resetd answer a
    // request of its own under the same nonce (no code): that reply is signed and echoes the nonce,
    // and only its digest tells it from the answer to the example's.
    let forgedReplies = 0;
    const forger = client.nc.subscribe(`${prefix}.verify`, {
      callback: (_error, msg) => {
        const asked = JSON.parse(new TextDecoder().decode(msg.data)) as { resetId: string; nonce: string; salt: string; copied?: boolean };
        if (asked.copied) return;
        const requestDigest = createHash('sha256').update(msg.data).digest('base64url');
        // A "no responders" status, which the example must take as a hint only: resetd's reply follows.
        client.nc.publish(msg.reply!, new Uint8Array(), { headers: headers(503, 'No Responders') });
        msg.respond(JSON.stringify({ resetId: asked.resetId, status: 'invalid_code', attemptsRemaining: 4, nonce: asked.nonce, requestDigest }));
        client.nc.publish(`${prefix}.verify`, JSON.stringify({ resetId: asked.resetId, nonce: asked.nonce, salt: `${asked.salt}x`, copied: true }), { reply: msg.reply! });
        forgedReplies += 1;
      },
    });
    const example = spawn(binary, ['-user', 'u-go', '-email', 'go@example.com', '-durable', 'go-example-test', '-verify-key', join(dir, 'signing.pub')], {
      env: { PATH: process.env.PATH, NATS_URL, RESET_SUBJECT_PREFIX: prefix },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let errors = '';
    example.stdout.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
    example.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
    const exited = once(example, 'exit') as Promise<[number | null]>;

    await waitFor(() => lines.some((line) => line.startsWith('reset.code.sent ')) || example.exitCode !== null, 20_000);
    const resetId = /^requested (\S+)$/.exec(lines[0] ?? '')?.[1];
    expect(resetId, `${lines.join('\n')}\n${errors}`).toMatch(/^[0-9a-f-]{36}$/);

    // The outbox names each mail `<time>-<resetId>.eml`: that is how a mail is matched to its reset.
    const outbox = join(dir, 'outbox');
    await waitFor(async () => (await readdir(outbox)).some((name) => name.endsWith(`-${resetId}.eml`)), 10_000);
    const file = (await readdir(outbox)).find((name) => name.endsWith(`-${resetId}.eml`))!;
    const mail = await simpleParser(await readFile(join(outbox, file)));

    // Outcomes that would end the reset, each of which the example must drop: unsigned; signed
    // with resetd's key but of another deployment; signed and of this one, on another type's subject.
    const failed = { resetId, reason: 'smtp_permanent', detail: 'forged' };
    await client.publish('reset.delivery.failed', failed);
    const signed = messageSigner(keys.privateKeyPem);
    const forged = (deployment: string) =>
      JSON.stringify({ specversion: '1.0', id: randomUUID(), source: 'urn:forger', type: 'reset.delivery.failed', time: new Date().toISOString(), resetdprefix: deployment, data: failed });
    const signedBody = (body: string) => ({ headers: { [SIGNATURE_HEADER]: signed.sign(Buffer.from(body)) } });
    const otherDeployment = forged('elsewhere');
    await client.publishRaw(`${prefix}.delivery.failed`, otherDeployment, signedBody(otherDeployment));
    const wrongSubject = forged(prefix);
    await client.publishRaw(`${prefix}.code.sent`, wrongSubject, signedBody(wrongSubject));
    // Signed, on its subject, but naming no deployment and older than the events stream keeps one: kept by someone.
    const stale = JSON.stringify({ ...JSON.parse(forged(prefix)), resetdprefix: undefined, time: new Date(Date.now() - 8 * 86_400_000).toISOString() });
    await client.publishRaw(`${prefix}.delivery.failed`, stale, signedBody(stale));
    // resetd's own rejection of a mistyped code names the reset too: it is not the request's outcome.
    await client.publish('reset.code.submitted', { resetId, code: '12' });
    await client.waitForEvents((events) => events.some((event) => event.type === 'reset.rejected' && event.data.resetId === resetId));
    example.stdin.end(`${codeIn(mail.text ?? '')}\n`);

    const [status] = await exited;
    forger.unsubscribe();
    expect(status, `${lines.join('\n')}\n${errors}`).toBe(0);
    expect(forgedReplies).toBe(1);
    expect(errors.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(new RegExp(`^the code from the mail: resetd-go-example: dropped event \\S+ on ${prefix}\\.delivery\\.failed: not a compact JWS`)),
      expect.stringMatching(new RegExp(`^resetd-go-example: dropped event \\S+ on ${prefix}\\.delivery\\.failed: the event is of the deployment "elsewhere", not ${prefix}$`)),
      expect.stringMatching(new RegExp(`^resetd-go-example: dropped event \\S+ on ${prefix}\\.code\\.sent: an event of type "reset.delivery.failed" does not belong on ${prefix}\\.code\\.sent$`)),
      expect.stringMatching(new RegExp(`^resetd-go-example: dropped event \\S+ on ${prefix}\\.delivery\\.failed: the event names no deployment and is older than the events stream keeps one$`)),
    ]);
    expect(lines).toEqual([
      `requested ${resetId}`,
      expect.stringMatching(new RegExp(`^reset\\.code\\.sent ${resetId} expiresAt=\\S+Z$`)),
      'verify: completed attemptsRemaining=0',
      expect.stringMatching(new RegExp(`^reset\\.completed ${resetId} completedAt=\\S+Z$`)),
    ]);
  });

  it("takes a 'no responders' status as a hint and says so when no signed reply follows", async () => {
    const example = spawn(binary, ['-user', 'u-go-alone', '-email', 'go-alone@example.com', '-durable', 'go-example-alone', '-verify-key', join(dir, 'signing.pub')], {
      env: { PATH: process.env.PATH, NATS_URL, RESET_SUBJECT_PREFIX: prefix },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let errors = '';
    example.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    example.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
    const exited = once(example, 'exit') as Promise<[number | null]>;
    await waitFor(() => out.includes('reset.code.sent ') || example.exitCode !== null, 20_000);
    // Nothing answers reset.verify now: the server says so at once.
    expect(await service.stop()).toBe(0);
    example.stdin.end('123456\n');

    const [status] = await exited;
    expect({ status, errors }).toEqual({ status: 1, errors: 'the code from the mail: resetd-go-example: reset.verify: no resetd instance answers reset.verify (no responders): retry later\n' });
  });
});
