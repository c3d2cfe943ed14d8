import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/app/config.js';
import { ConfigError } from '../../../src/adapters/environment/config-error.js';
import { generateSigningKeyPair, keyIdOf } from '../../../src/contract/message-signature.js';

const BASE = { OTP_SECRET: 'a-test-secret-of-at-least-thirty-two-chars', SMTP_URL: 'smtps://mail.test:465', MAIL_FROM: 'Acme <no-reply@acme.example>' };
const dir = mkdtempSync(join(tmpdir(), 'resetd-signing-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const startError = (env: Record<string, string>): string => {
  try {
    loadConfig({ ...BASE, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
};

describe('RESET_SIGNING_KEY', () => {
  const pair = generateSigningKeyPair();
  const file = join(dir, 'signing.key');
  writeFileSync(file, pair.privateKeyPem, { mode: 0o600 });

  it('reads the key from RESET_SIGNING_KEY_FILE, or inline with \\n for line breaks', () => {
    const kidOf = (env: Record<string, string>) => keyIdOf(createPublicKey(loadConfig({ ...BASE, NODE_ENV: 'production', ...env }).signingKey));
    expect(kidOf({ RESET_SIGNING_KEY_FILE: file })).toBe(pair.kid);
    expect(kidOf({ RESET_SIGNING_KEY: pair.privateKeyPem.trim().replaceAll('\n', '\\n') })).toBe(pair.kid);
    expect(startError({ RESET_SIGNING_KEY_FILE: file, RESET_SIGNING_KEY: pair.privateKeyPem })).toBe('RESET_SIGNING_KEY and RESET_SIGNING_KEY_FILE are both set; set one');
  });

  it('is required in production, and the message names RESET_SIGNING_KEY_FILE', () => {
    expect(startError({ NODE_ENV: 'production' })).toMatch(/^RESET_SIGNING_KEY_FILE \(or RESET_SIGNING_KEY\) is required when NODE_ENV=production/);
  });

  it('is made at start elsewhere, and said among the development defaults with its kid', () => {
    const config = loadConfig(BASE);
    expect(config.signingKey.asymmetricKeyType).toBe('ed25519');
    expect(config.developmentDefaults).toContain(`RESET_SIGNING_KEY (a key made at start, kid ${keyIdOf(createPublicKey(config.signingKey))})`);
  });

  it('refuses what is not an Ed25519 private key, and never repeats the value', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(startError({ RESET_SIGNING_KEY: rsa })).toBe('RESET_SIGNING_KEY must hold an Ed25519 private key, not rsa (make one with `resetd keygen`)');
    writeFileSync(join(dir, 'public.pem'), pair.publicKeyPem);
    expect(startError({ RESET_SIGNING_KEY_FILE: join(dir, 'public.pem') })).toBe('RESET_SIGNING_KEY_FILE is not a PEM private key (make one with `resetd keygen`)');
    expect(startError({ RESET_SIGNING_KEY_FILE: join(dir, 'missing') })).toMatch(/^RESET_SIGNING_KEY_FILE names a file that cannot be read/);
  });
});
