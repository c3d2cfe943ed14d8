import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../support/cli.js';
import { TestClient, uniquePrefix } from '../support/nats.js';
import { ServiceProcess } from '../support/service-process.js';

const MAIN = new URL('../../dist/src/app/main.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'resetd-start-up-'));

/** Runs `script` with node in `dir`, with only `env` (and PATH) in its environment; it must end by itself. */
function run(script: string, args: readonly string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [script, ...args], { cwd: dir, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 20_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, lines: result.stderr.split('\n').filter(Boolean) };
}

describe('the start, before any server is asked', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports every configuration error in one start, one plain line each, exit 2, no stack', () => {
    writeFileSync(join(dir, '.env'), '');
    const result = run(MAIN, [], { NODE_ENV: 'production', OPS_HTTP_PORT: 'x', OTP_LENGTH: '12' });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.lines).toEqual([
      'resetd: OTP_LENGTH must be at most 10 (got "12")',
      'resetd: OPS_HTTP_PORT must be a whole number (got "x")',
      expect.stringMatching(/^resetd: OTP_SECRET is required when NODE_ENV=production: make one with `openssl rand -base64 48`/),
      expect.stringMatching(/^resetd: SMTP_URL is required when NODE_ENV=production/),
      expect.stringMatching(/^resetd: RESET_SIGNING_KEY_FILE \(or RESET_SIGNING_KEY\) is required when NODE_ENV=production/),
    ]);
  });

  it('reads .env in the working directory for what the environment lacks, never over it', () => {
    writeFileSync(join(dir, '.env'), 'OPS_HTTP_PORT=from-file\nOTP_LENGTH=3\n');
    const result = run(MAIN, [], { OTP_LENGTH: '6' });
    expect(result.code).toBe(2);
    expect(result.lines).toEqual(['resetd: OPS_HTTP_PORT must be a whole number (got "from-file")']);
  });

  it('reads it for the CLI too', () => {
    writeFileSync(join(dir, '.env'), 'MAIL_PRODUCT_NAME=Acme from .env\n');
    expect(run(CLI, ['preview'], {}).stdout).toMatch(/^Subject: Your Acme from \.env password reset code$/m);
    expect(run(CLI, ['preview'], { MAIL_PRODUCT_NAME: 'Globex' }).stdout).toMatch(/^Subject: Your Globex password reset code$/m);
  });
});

/** Starts resetd with `env`; it must exit by itself, and its output is returned. */
async function startRefused(env: Record<string, string>) {
  const service = await ServiceProcess.start(env, { waitForStart: false });
  const code = await service.exit();
  return { code, lines: service.output.filter((line) => line.startsWith('resetd: ')), output: service.output };
}

describe('the start, when JetStream will not take the streams as configured', () => {
  it('refuses, in one line naming the setting, a prefix whose streams are another deployment\'s: acme-eu beside acme.eu', async () => {
    const token = uniquePrefix('coll');
    const first = await TestClient.connect(`${token}-eu`);
    const second = await TestClient.connect(`${token}.eu`);
    try {
      expect(second.subjects.inboxStream).toBe(first.subjects.inboxStream);
      const running = await ServiceProcess.start({ RESET_SUBJECT_PREFIX: `${token}-eu`, REDIS_KEY_PREFIX: token });
      try {
        const refused = await startRefused({ RESET_SUBJECT_PREFIX: `${token}.eu`, REDIS_KEY_PREFIX: `${token}b` });
        expect(refused.code).toBe(2);
        expect(refused.lines).toEqual([
          `resetd: the JetStream stream ${first.subjects.inboxStream} belongs to another deployment: it holds ${first.subjects.requested}, ${first.subjects.codeSubmitted}, ${first.subjects.passwordChanged}, not subjects under ${token}.eu.; give this deployment its own RESET_SUBJECT_PREFIX, or its own RESET_INBOX_STREAM and RESET_EVENTS_STREAM`,
        ].map((line) => expect.stringContaining(line)));
        // The first deployment keeps its subjects and is served.
        expect((await first.jsm.streams.info(first.subjects.inboxStream)).config.subjects).toEqual([first.subjects.requested, first.subjects.codeSubmitted, first.subjects.passwordChanged]);
      } finally {
        await running.stop();
      }
    } finally {
      await second.nc.close();
      await first.close();
    }
  });

  it('refuses more replicas than a single server keeps, naming RESET_STREAM_REPLICAS, exit 2, no stack', async () => {
    const prefix = uniquePrefix('replicas');
    const refused = await startRefused({ RESET_SUBJECT_PREFIX: prefix, REDIS_KEY_PREFIX: prefix, RESET_STREAM_REPLICAS: '3' });
    expect(refused.code).toBe(2);
    expect(refused.lines).toEqual([expect.stringMatching(/^resetd: the JetStream stream \S+ cannot have RESET_STREAM_REPLICAS replicas here: .*replicas.*set RESET_STREAM_REPLICAS to at most/)]);
    expect(refused.output.join('\n')).not.toMatch(/\n\s+at /);
  });

  it('refuses a REDIS_URL database the server does not have, where ioredis would stay on database 0 without a word', async () => {
    const prefix = uniquePrefix('db');
    const refused = await startRefused({ RESET_SUBJECT_PREFIX: prefix, REDIS_KEY_PREFIX: prefix, REDIS_URL: `${(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/99` });
    expect(refused.code).toBe(2);
    expect(refused.lines).toEqual([expect.stringMatching(/^resetd: REDIS_URL names database 99, which the Redis server refused: ERR DB index is out of range/)]);
  });
});

describe('the start, when a file or directory it writes cannot be written', () => {
  // Each under a path that goes through a file: a directory that is a file, a file below one.
  it.each([
    ['MAIL_OUTBOX_DIR', (file: string) => file, { SMTP_URL: '' }],
    ['AUDIT_LOG_FILE', (file: string) => join(file, 'audit.jsonl'), {}],
  ])('refuses a %s it cannot write, in one line naming it, exit 2, no stack', async (variable, pathThrough, env) => {
    const prefix = uniquePrefix('unwritable');
    const dir = mkdtempSync(join(tmpdir(), 'resetd-unwritable-'));
    try {
      const file = join(dir, 'a-file');
      writeFileSync(file, '');
      const path = pathThrough(file);
      const refused = await startRefused({ RESET_SUBJECT_PREFIX: prefix, REDIS_KEY_PREFIX: prefix, ...env, [variable]: path });
      expect(refused.code).toBe(2);
      expect(refused.lines).toEqual([`resetd: ${variable} ${JSON.stringify(path)} cannot be written: ${refused.lines[0]?.split(': ').at(-1)}`]);
      expect(refused.lines[0]).toMatch(/: E[A-Z]+$/);
      expect(refused.output.join('\n')).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
