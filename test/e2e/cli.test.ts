import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeyPair } from '../../src/contract/message-signature.js';
import { CLI, cliEnv, runCli, startCli } from '../support/cli.js';
import { codeIn } from '../support/mail-code.js';
import { TestClient, uniquePrefix, waitFor } from '../support/nats.js';
import { ServiceProcess } from '../support/service-process.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const TYPE_LINE = (type: string, resetId: string) => new RegExp(`^\\S+Z\\s+${type.replaceAll('.', '\\.')}\\s+${resetId}\\s`);

/** A failure is told in one line, with no stack unless asked for. */
function expectOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.split('\n').filter(Boolean);
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^resetd: /);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/^\s+at /m);
}

describe('the resetd CLI against a running service', () => {
  const prefix = uniquePrefix('cli');
  const env = cliEnv(prefix);
  let sink: SmtpSink;
  let client: TestClient;
  let service: ServiceProcess;
  let resetId: string;
  let code: string;
  let keyDir: string;
  let signingKeyFile: string;

  beforeAll(async () => {
    sink = await startSmtpSink();
    client = await TestClient.connect(prefix);
    // resetd's own key, as its container has it: the CLI run there checks with its public half.
    keyDir = await mkdtemp(join(tmpdir(), 'resetd-cli-key-'));
    signingKeyFile = join(keyDir, 'resetd-signing.key');
    await writeFile(signingKeyFile, generateSigningKeyPair().privateKeyPem);
    service = await ServiceProcess.start({ RESET_SUBJECT_PREFIX: prefix, REDIS_KEY_PREFIX: prefix, SMTP_URL: sink.url, RESET_SIGNING_KEY_FILE: signingKeyFile });
  });

  afterAll(async () => {
    expect(await service.stop()).toBe(0);
    await client.close();
    await sink.stop();
    await rm(keyDir, { recursive: true, force: true });
  });

  it('request publishes reset.requested, prints reset.code.sent and exits 0', async () => {
    const run = await runCli(['request', '--user', 'u-cli', '--email', 'cli@example.com', '--locale', 'de-AT', '--name', 'Jörg', '--ip', '203.0.113.9'], env);
    expect(run.code, run.stderr).toBe(0);
    resetId = UUID.exec(run.lines[0] ?? '')?.[0] ?? '';
    expect(run.lines[0]).toBe(`requested reset ${resetId} for u-cli <cli@example.com>`);
    expect(run.lines[1]).toMatch(TYPE_LINE('reset.code.sent', resetId));
    expect(run.lines[1]).toMatch(/userId=u-cli expiresAt=\S+Z$/);
    // The hint keeps the code off the command line: `-` reads it from standard input.
    expect(run.lines[2]).toMatch(new RegExp(`^code mailed in \\d+ ms; check it with: resetd verify ${resetId} - {2}\\(then type the code\\)$`));
    const mail = await sink.waitForMail('cli@example.com');
    expect(mail.subject).toContain('Passworts');
    code = codeIn(mail.text ?? '');
  });

  it('request prints the refusal and exits 1 when the outcome is not a mailed code', async () => {
    const run = await runCli(['request', '--user', 'u-cli', '--email', 'cli@example.com', '--json'], env);
    expect(run.code).toBe(1);
    expect(run.lines).toHaveLength(1);
    const event = JSON.parse(run.lines[0]!);
    expect(event).toMatchObject({ specversion: '1.0', type: 'reset.rejected', data: { userId: 'u-cli', reason: 'cooldown' } });
  });

  it('request refuses data the contract refuses, before publishing anything, with exit code 2', async () => {
    const run = await runCli(['request', '--user', 'u-cli', '--email', 'not-an-address'], env);
    expect(run.code).toBe(2);
    expectOneLine(run.stderr, /field email/);
    const missing = await runCli(['request', '--email', 'a@b.co'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--user/);
  });

  it('verify prints the status and the tries left; exit 0 only when the reset completed', async () => {
    const wrong = code === '000000' ? '111111' : '000000';
    const failed = await runCli(['verify', resetId, wrong], env);
    expect(failed.code).toBe(1);
    expect(failed.lines).toEqual(['invalid_code  attemptsRemaining=4']);

    const completed = await runCli(['verify', resetId, code], env);
    expect(completed.code).toBe(0);
    expect(completed.lines).toEqual(['completed  attemptsRemaining=0']);

    const again = await runCli(['verify', '--json', resetId, code], env);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toEqual({ resetId, status: 'unknown_reset', attemptsRemaining: 0 });
  });

  it('watch --all prints one readable line per event kept in the stream', async () => {
    await client.watchEvents();
    await client.waitForEvents(() => client.eventsFor(resetId).length >= 3);
    const run = await runCli(['watch', '--all', '--count', '4'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.lines).toHaveLength(4);
    expect(run.lines[0]).toMatch(TYPE_LINE('reset.code.sent', resetId));
    expect(run.lines[1]).toMatch(/reset\.rejected\s+\S+\s+eventId=\S+ userId=u-cli reason=cooldown retryAfterSeconds=\d+ detail="[^"]+"$/);
    expect(run.lines[2]).toMatch(TYPE_LINE('reset.verification.failed', resetId));
    expect(run.lines[2]).toMatch(/reason=invalid_code attemptsRemaining=4$/);
    expect(run.lines[3]).toMatch(TYPE_LINE('reset.completed', resetId));
    // Nothing of the code reaches the events, so nothing of it reaches the lines.
    expect(run.stdout).not.toContain(code);
  });

  it('watch --json prints each CloudEvent as one JSON line', async () => {
    const run = await runCli(['watch', '--all', '--json', '--count', '2'], env);
    expect(run.code).toBe(0);
    const events = run.lines.map((line) => JSON.parse(line));
    expect(events.map((e) => e.type)).toEqual(['reset.code.sent', 'reset.rejected']);
    expect(events[0]).toMatchObject({ specversion: '1.0', datacontenttype: 'application/json', data: { resetId, userId: 'u-cli' } });
  });

  it('watch without --all shows what is published from now on', async () => {
    const watch = startCli(['watch', '--count', '1'], env);
    await waitFor(() => /watching/.test(watch.stderrSoFar()), 10_000);
    const newReset = await client.requestReset({ userId: 'u-cli-2', email: 'cli2@example.com' });
    const run = await watch.done;
    expect(run.code).toBe(0);
    expect(run.lines).toHaveLength(1);
    expect(run.lines[0]).toMatch(TYPE_LINE('reset.code.sent', newReset));
  });

  it('status shows the streams, the consumer and Redis, with passwords masked', async () => {
    const run = await runCli(['status'], { ...env, REDIS_URL: 'redis://:s3cret-pass@127.0.0.1:6379' });
    expect(run.code, run.stderr).toBe(0);
    const upper = prefix.toUpperCase();
    expect(run.stdout).toMatch(new RegExp(`^stream\\s+${upper}_INBOX\\s+messages 0\\s+bytes 0 B`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^stream\\s+${upper}_EVENTS\\s+messages [1-9]\\d*\\s+bytes [\\d.]+ (B|KiB)`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^consumer\\s+${upper}_INBOX/resetd\\s+pending 0\\s+ack pending 0\\s+redelivered 0\\s+ack floor [1-9]\\d*`, 'm'));
    expect(run.stdout).toMatch(/^redis\s+redis:\/\/:\*\*\*@127\.0\.0\.1:6379\s+reachable/m);
    expect(run.stdout + run.stderr).not.toContain('s3cret-pass');
  });

  it('status exits non-zero with one line naming Redis when Redis cannot be reached', async () => {
    const run = await runCli(['status'], { ...env, REDIS_URL: 'redis://:s3cret-pass@127.0.0.1:1' });
    expect(run.code).toBe(3);
    expectOneLine(run.stderr, /cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1: .*check REDIS_URL/);
    expect(run.stderr).not.toContain('s3cret-pass');
  });

  it('status gives up on a Redis that takes the connection and never answers, instead of hanging', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const run = await runCli(['status'], { ...env, REDIS_URL: `redis://127.0.0.1:${(silent.address() as AddressInfo).port}` });
      expect(run.code).toBe(3);
      expectOneLine(run.stderr, /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: (Command timed out|no answer within 3000 ms); check REDIS_URL/);
    } finally {
      silent.close();
    }
  });

  it('with NODE_ENV=production, checks with resetd\'s own key where it is set (its container), and says what to give where it is not', async () => {
    const production = { ...env, NODE_ENV: 'production' };
    const run = await runCli(['request', '--user', 'u-cli-prod', '--email', 'cli-prod@example.com'], { ...production, RESET_SIGNING_KEY_FILE: signingKeyFile });
    expect(run.code, run.stderr).toBe(0);
    expect(run.lines[1]).toMatch(/reset\.code\.sent/);

    const unkeyed = await runCli(['watch', '--count', '1'], production);
    expect(unkeyed.code).toBe(2);
    expectOneLine(unkeyed.stderr, /verifyKeys is required with NODE_ENV=production.*: give --verify-key with resetd's public key/);
  });

  it('preview renders the mail with a sample code and sends nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'resetd-preview-'));
    // A sink of its own, named in SMTP_URL: a preview that mailed would have somewhere to mail to,
    // and nothing else sends there.
    const previewSink = await startSmtpSink();
    const previewEnv = { ...env, SMTP_URL: previewSink.url };
    try {
      const file = join(dir, 'mail.html');
      const run = await runCli(['preview', '--locale', 'fr', '--name', '<Zoé>', '--out', file], previewEnv);
      expect(run.code).toBe(0);
      expect(run.lines).toEqual([`wrote the fr HTML part to ${file} (subject: Votre code pour réinitialiser votre mot de passe resetd)`]);
      const html = await readFile(file, 'utf8');
      expect(html).toContain('<html lang="fr"');
      expect(html).toContain('Bonjour &lt;Zoé&gt;,');
      expect(html).toMatch(/>\d{6}</);

      const text = await runCli(['preview', '--locale', 'es'], previewEnv);
      expect(text.code).toBe(0);
      expect(text.lines[0]).toBe('Subject: Tu código para restablecer la contraseña de resetd');
      expect(text.stdout).toContain('El código expira en 10 minutos');

      const fallback = await runCli(['preview', '--locale', 'pt-BR'], previewEnv);
      expect(fallback.stdout).toContain('This code expires in 10 minutes');
      expect(fallback.stderr).toMatch(/no templates for pt-BR/);
      // Not a connection, let alone a mail (the sink counts each connection as it is made).
      expect(previewSink.connections).toBe(0);
      expect(previewSink.deliveries).toEqual([]);
    } finally {
      await previewSink.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes all of a long output into a slow pipe before it exits', async () => {
    const { subjects } = client;
    const events = Array.from({ length: 250 }, (_, i) => ({
      specversion: '1.0', id: randomUUID(), source: 'urn:resetd:test', type: 'reset.completed', time: new Date().toISOString(),
      datacontenttype: 'application/json', resetdprefix: subjects.prefix, data: { resetId: `r-pipe-${i}`, userId: `u-pipe-${i}`, completedAt: new Date().toISOString() },
    }));
    for (const event of events) await client.js.publish(subjects.event('reset.completed'), JSON.stringify(event));
    const stored = (await client.jsm.streams.info(subjects.eventsStream)).state.messages;

    // More than a pipe holds (64 KiB), read only after a second: process.exit() used to drop the rest.
    const piped = spawnSync('sh', ['-c', `node ${CLI} watch --all --json --count ${stored} | (sleep 1; wc -l)`], { env, encoding: 'utf8', timeout: 30_000 });
    expect(Number(piped.stdout.trim()), piped.stderr).toBe(stored);
  });

  it('watch ends quietly, exit 0, when its reader closes the pipe after the first line (watch --all | head -1)', async () => {
    const reset = { userId: 'u-cli-pipe', email: 'cli-pipe@example.com' };
    await client.requestReset(reset);
    const watch = startCli(['watch', '--all', '--json'], env);
    const stdout = watch.child.stdout!;
    // As `head -1` does: one line read, then the pipe closed.
    stdout.on('data', (chunk: Buffer) => {
      if (chunk.includes('\n')) stdout.destroy();
    });
    try {
      await waitFor(() => stdout.destroyed, 10_000);
      // An event to print after the reader has gone, however much of the stream the pipe held.
      await client.requestReset(reset);
      await waitFor(() => watch.child.exitCode !== null, 10_000);
      const run = await watch.done;
      expect(run.code, run.stderr).toBe(0);
      // Nothing of the pipe; the client's warning that it checks no signature is all there is.
      expect(run.stderr).not.toMatch(/EPIPE|Error|^\s+at /m);
    } finally {
      watch.child.kill('SIGKILL');
    }
  });
});

describe('the resetd CLI without its servers', () => {
  const env = cliEnv(uniquePrefix('cliaway'));

  it.each([['status'], ['request', '--user', 'u-1', '--email', 'a@b.co'], ['verify', 'r-1', '123456'], ['watch']])(
    '%s says in one line that NATS cannot be reached, and exits non-zero',
    async (...args) => {
      const run = await runCli(args, { ...env, NATS_URL: 'nats://127.0.0.1:1' });
      expect(run.code).toBe(3);
      expectOneLine(run.stderr, /^resetd: cannot reach NATS at nats:\/\/127\.0\.0\.1:1: connection refused; check NATS_URL/);
      expect(run.stdout).toBe('');
    },
  );

  it('masks the password of the NATS URL and prints the stack only with --verbose', async () => {
    const quiet = await runCli(['status'], { ...env, NATS_URL: 'nats://admin:hunter2@127.0.0.1:1' });
    expectOneLine(quiet.stderr, /nats:\/\/admin:\*\*\*@127\.0\.0\.1:1/);
    expect(quiet.stderr).not.toContain('hunter2');
    const verbose = await runCli(['--verbose', 'status'], { ...env, NATS_URL: 'nats://127.0.0.1:1' });
    expect(verbose.code).toBe(3);
    expect(verbose.stderr).toMatch(/^\s+at /m);
  });

  it('names every bad setting it reads, with the value it got, one line each as the service does, and exits 2', async () => {
    const run = await runCli(['status'], { ...env, OTP_LENGTH: '12', OTP_TTL_SECONDS: '5' });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n').filter(Boolean)).toEqual(['resetd: OTP_LENGTH must be at most 10 (got "12")', 'resetd: OTP_TTL_SECONDS must be at least 30 (got "5")']);
    expect(run.stdout).toBe('');
  });

  it('ends quietly, exit 0, when nothing reads its output (status | true), whatever it found', async () => {
    const status = startCli(['status'], env);
    status.child.stdout!.destroy();
    const run = await status.done;
    // Its streams are missing, which alone exits 1: the reader going away decides.
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
  });

  it.skipIf(!existsSync('/dev/full'))('says in one line, exit 1, when its output cannot be written (a full disk)', () => {
    const full = openSync('/dev/full', 'w');
    try {
      const run = spawnSync(process.execPath, [CLI, 'preview'], { env, stdio: ['ignore', full, 'pipe'], encoding: 'utf8', timeout: 30_000 });
      expect(run.status).toBe(1);
      expectOneLine(run.stderr, /^resetd: cannot write to standard output: ENOSPC/);
    } finally {
      closeSync(full);
    }
  });

  it('says which stream is missing when the service never ran with that prefix', async () => {
    const run = await runCli(['request', '--user', 'u-1', '--email', 'a@b.co'], env);
    expect(run.code).toBe(3);
    expectOneLine(run.stderr, /no stream .*_EVENTS: start resetd first/);
    const status = await runCli(['status'], env);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/_INBOX\s+missing: resetd creates it when it starts/);
  });
});

describe('resetd start', () => {
  it('runs the service, as npm start does, until SIGTERM', async () => {
    const prefix = uniquePrefix('clistart');
    const env = cliEnv(prefix, { OTP_SECRET: 'cli-start-secret-of-at-least-thirty-two-chars', OPS_HTTP_PORT: '0', OTEL_TRACES_EXPORTER: 'none', MAIL_OUTBOX_DIR: join(tmpdir(), prefix) });
    const started = startCli(['start'], env);
    const client = await TestClient.connect(prefix);
    try {
      // Up means what an operator would check: both streams and the consumer are there.
      await waitFor(async () => started.child.exitCode !== null || (await runCli(['status'], env)).code === 0, 20_000, 250);
      expect(started.child.exitCode).toBeNull();
      started.child.kill('SIGTERM');
      const run = await started.done;
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/"msg":"resetd started"/);
      expect(run.stdout).toMatch(/"msg":"stopped"/);
    } finally {
      started.child.kill('SIGKILL');
      await client.close();
      await rm(join(tmpdir(), prefix), { recursive: true, force: true });
    }
  });
});
