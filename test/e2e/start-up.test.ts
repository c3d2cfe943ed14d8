import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../support/cli.js';

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
