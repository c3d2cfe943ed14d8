import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/app/config.js';
import { ConfigError } from '../../../src/adapters/environment/config-error.js';

const configFrom = (env: Record<string, string>) => loadConfig({ OTP_SECRET: 'a-test-secret-of-at-least-thirty-two-chars', ...env });

// 1024 bits keeps the test fast; the check accepts it, the docs advise 2048.
const rsaPem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const dir = mkdtempSync(join(tmpdir(), 'resetd-dkim-config-'));
const keyFile = join(dir, 'dkim.pem');
writeFileSync(keyFile, rsaPem);

const complete = { DKIM_DOMAIN: 'Acme.test', DKIM_SELECTOR: 'resetd2030', DKIM_PRIVATE_KEY: rsaPem };

describe('DKIM configuration', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is off without any DKIM variable', () => {
    expect(configFrom({}).mail.dkim).toBeUndefined();
  });

  it('takes the domain (lower-cased), the selector and the key', () => {
    expect(configFrom(complete).mail.dkim).toEqual({ domain: 'acme.test', selector: 'resetd2030', privateKey: rsaPem });
  });

  it('reads the key from DKIM_PRIVATE_KEY_FILE', () => {
    const fromFile = { DKIM_DOMAIN: complete.DKIM_DOMAIN, DKIM_SELECTOR: complete.DKIM_SELECTOR, DKIM_PRIVATE_KEY_FILE: keyFile };
    expect(configFrom(fromFile).mail.dkim?.privateKey).toBe(rsaPem.trim());
  });

  it('takes a key whose line breaks were written as \\n on one line', () => {
    const oneLine = rsaPem.trim().replaceAll('\n', '\\n');
    expect(configFrom({ ...complete, DKIM_PRIVATE_KEY: oneLine }).mail.dkim?.privateKey).toBe(rsaPem.trim());
  });

  it.each([
    ['DKIM_DOMAIN', /^DKIM_DOMAIN is required when DKIM_SELECTOR and DKIM_PRIVATE_KEY are set/],
    ['DKIM_SELECTOR', /^DKIM_SELECTOR is required when DKIM_DOMAIN and DKIM_PRIVATE_KEY are set/],
    ['DKIM_PRIVATE_KEY', /^DKIM_PRIVATE_KEY \(or DKIM_PRIVATE_KEY_FILE\) is required when DKIM_DOMAIN and DKIM_SELECTOR are set/],
  ])('stops the start naming %s when it alone is missing', (missing, message) => {
    const env: Record<string, string> = { ...complete };
    delete env[missing];
    expect(() => configFrom(env)).toThrow(ConfigError);
    expect(() => configFrom(env)).toThrow(message);
  });

  it('stops the start when only one variable is set, naming the first missing', () => {
    expect(() => configFrom({ DKIM_SELECTOR: 's1' })).toThrow(/^DKIM_DOMAIN is required when DKIM_SELECTOR is set/);
  });

  it('stops the start when both the key and its file are set', () => {
    expect(() => configFrom({ ...complete, DKIM_PRIVATE_KEY_FILE: keyFile })).toThrow(
      'DKIM_PRIVATE_KEY and DKIM_PRIVATE_KEY_FILE are both set; set one',
    );
  });

  it('stops the start on a key that is not a private key, or too weak, without printing it', () => {
    expect(() => configFrom({ ...complete, DKIM_PRIVATE_KEY: 'not a key' })).toThrow('DKIM_PRIVATE_KEY is not a PEM private key');
    const weak = generateKeyPairSync('rsa', { modulusLength: 512 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => configFrom({ ...complete, DKIM_PRIVATE_KEY: weak })).toThrow(/^DKIM_PRIVATE_KEY must be an RSA key of at least 1024 bits/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => configFrom({ ...complete, DKIM_PRIVATE_KEY: ec })).toThrow(/not ec$/);
  });

  it('stops the start on an Ed25519 key, which would send every mail unsigned, with one line saying what to use', () => {
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => configFrom({ ...complete, DKIM_PRIVATE_KEY: ed })).toThrow(
      'DKIM_PRIVATE_KEY is an Ed25519 key, which resetd cannot sign with (mail would go unsigned); use an RSA key of 2048 bits, published as k=rsa',
    );
  });

  it('stops the start on a domain or selector that is not DNS labels', () => {
    expect(() => configFrom({ ...complete, DKIM_DOMAIN: 'acme' })).toThrow(/^DKIM_DOMAIN must be a domain name/);
    expect(() => configFrom({ ...complete, DKIM_SELECTOR: 'a b' })).toThrow(/^DKIM_SELECTOR must be DNS labels/);
  });
});

describe('audit configuration', () => {
  it('writes to stdout unless AUDIT_LOG_FILE names a file', () => {
    expect(configFrom({}).audit).toEqual({ file: undefined });
    expect(configFrom({ AUDIT_LOG_FILE: '/var/log/resetd/audit.jsonl' }).audit).toEqual({ file: '/var/log/resetd/audit.jsonl' });
  });
});
