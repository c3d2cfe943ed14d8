import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeIn } from '../support/mail-code.js';
import { NATS_URL, TestClient, uniquePrefix, waitFor } from '../support/nats.js';
import { ServiceProcess } from '../support/service-process.js';

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
    client = await TestClient.connect(prefix);
    service = await ServiceProcess.start({ RESET_SUBJECT_PREFIX: prefix, REDIS_KEY_PREFIX: prefix, MAIL_OUTBOX_DIR: join(dir, 'outbox') });
  }, 180_000);

  afterAll(async () => {
    expect(await service?.stop()).toBe(0);
    await client?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('requests a reset, reads reset.code.sent from its durable consumer, verifies the mailed code and sees reset.completed', async () => {
    const example = spawn(binary, ['-user', 'u-go', '-email', 'go@example.com', '-durable', 'go-example-test'], {
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
    example.stdin.end(`${codeIn(mail.text ?? '')}\n`);

    const [status] = await exited;
    expect({ status, errors }).toEqual({ status: 0, errors: 'the code from the mail: ' });
    expect(lines).toEqual([
      `requested ${resetId}`,
      expect.stringMatching(new RegExp(`^reset\\.code\\.sent ${resetId} expiresAt=\\S+Z$`)),
      'verify: completed attemptsRemaining=0',
      expect.stringMatching(new RegExp(`^reset\\.completed ${resetId} completedAt=\\S+Z$`)),
    ]);
  });
});
