import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../../../src/cli/cli-error.js';
import { keygenCommand, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE } from '../../../src/cli/keygen-command.js';
import { messageSigner, SignatureVerifier } from '../../../src/contract/message-signature.js';

const dir = mkdtempSync(join(tmpdir(), 'resetd-keygen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resetd keygen', () => {
  const out: string[] = [];
  const err: string[] = [];
  const output = { out: (text: string) => void out.push(text), err: (text: string) => void err.push(text) };

  it('writes a pair that signs and verifies, the private key readable by its owner only, and prints the public key and kid', () => {
    expect(keygenCommand({ out: dir }, output)).toBe(0);
    const privatePem = readFileSync(join(dir, PRIVATE_KEY_FILE), 'utf8');
    const publicPem = readFileSync(join(dir, PUBLIC_KEY_FILE), 'utf8');
    expect(statSync(join(dir, PRIVATE_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(out).toEqual([publicPem]);
    const signer = messageSigner(privatePem);
    expect(err.join('')).toContain(`kid ${signer.kid}`);
    const body = new TextEncoder().encode('{"type":"reset.completed"}');
    expect(new SignatureVerifier([publicPem]).check(body, signer.sign(body))).toEqual({ ok: true, kid: signer.kid });
  });

  it('never overwrites a key', () => {
    const before = readFileSync(join(dir, PRIVATE_KEY_FILE), 'utf8');
    expect(() => keygenCommand({ out: dir }, output)).toThrow(CliError);
    expect(readFileSync(join(dir, PRIVATE_KEY_FILE), 'utf8')).toBe(before);
  });
});
