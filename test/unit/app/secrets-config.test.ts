import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/app/config.js';
import { ConfigError } from '../../../src/adapters/environment/config-error.js';
import { natsSecurityOptions } from '../../../src/adapters/environment/nats-security.js';
import { generateSigningKeyPair } from '../../../src/contract/message-signature.js';
import { redisSecurityOptions } from '../../../src/adapters/environment/redis-security.js';

const OTP = 'a-test-secret-of-at-least-thirty-two-chars';
const configFrom = (env: Record<string, string>) => loadConfig({ OTP_SECRET: OTP, ...env });
/** The message of the ConfigError that `env` stops the start with. */
const startError = (env: Record<string, string>, withOtp = true): string => {
  try {
    loadConfig(withOtp ? { OTP_SECRET: OTP, ...env } : env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
};

const dir = mkdtempSync(join(tmpdir(), 'resetd-secrets-config-'));
/** Writes `content` (with a trailing newline, as `echo` leaves it) to a file and returns its path. */
const fileWith = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, `${content}\n`);
  return path;
};

const SEED = 'SUAMRECQRJ6MFEO3ZWNCKTQ6LGCUJ5B7PKBGN547YRVZ3OPZISIOXEZ44U';
const CREDS = `-----BEGIN NATS USER JWT-----\neyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.sig\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${SEED}\n------END USER NKEY SEED------`;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('secrets from files', () => {
  it('reads OTP_SECRET and OTP_SECRETS from their files, trimmed', () => {
    expect(loadConfig({ OTP_SECRET_FILE: fileWith('otp', OTP) }).otpSecrets).toEqual([OTP]);
    const rotation = `${'b'.repeat(32)},${'a'.repeat(32)}`;
    expect(loadConfig({ OTP_SECRETS_FILE: fileWith('otps', rotation) }).otpSecrets).toEqual(['b'.repeat(32), 'a'.repeat(32)]);
  });

  it('reads the SMTP, Redis and NATS passwords, the NATS token, NKey seed and credentials from their files', () => {
    const smtp = configFrom({ SMTP_URL: 'smtp://mail.test:587', SMTP_USER: 'mailer', SMTP_PASSWORD_FILE: fileWith('smtp', 'smtp pass') }).smtp;
    expect(smtp?.security.auth).toEqual({ user: 'mailer', pass: 'smtp pass' });
    expect(configFrom({ REDIS_USERNAME: 'resetd', REDIS_PASSWORD_FILE: fileWith('redis', 'redis-pass') }).redisSecurity).toEqual({
      username: 'resetd',
      password: 'redis-pass',
    });
    expect(configFrom({ NATS_TOKEN_FILE: fileWith('token', 'nats-token') }).natsSecurity.login).toEqual({ kind: 'token', token: 'nats-token' });
    expect(configFrom({ NATS_USER: 'resetd', NATS_PASSWORD_FILE: fileWith('natspass', 'nats-pass') }).natsSecurity.login).toEqual({
      kind: 'password',
      user: 'resetd',
      password: 'nats-pass',
    });
    expect(configFrom({ NATS_NKEY_SEED_FILE: fileWith('seed', SEED) }).natsSecurity.login).toEqual({ kind: 'nkey', seed: SEED });
    expect(configFrom({ NATS_CREDS_FILE: fileWith('user.creds', CREDS) }).natsSecurity.login).toEqual({ kind: 'creds', creds: CREDS });
  });

  it('takes each of them from the variable itself too', () => {
    expect(configFrom({ SMTP_URL: 'smtps://mail.test', SMTP_USER: 'mailer', SMTP_PASSWORD: 'p' }).smtp?.security.auth).toEqual({ user: 'mailer', pass: 'p' });
    expect(configFrom({ REDIS_PASSWORD: 'redis-pass' }).redisSecurity).toEqual({ password: 'redis-pass' });
    expect(configFrom({ NATS_TOKEN: 't' }).natsSecurity.login).toEqual({ kind: 'token', token: 't' });
    expect(configFrom({ NATS_NKEY_SEED: SEED }).natsSecurity.login).toEqual({ kind: 'nkey', seed: SEED });
    expect(configFrom({ NATS_CREDS: CREDS }).natsSecurity.login).toEqual({ kind: 'creds', creds: CREDS });
  });

  it.each([
    ['OTP_SECRET', OTP],
    ['OTP_SECRETS', OTP],
    ['DKIM_PRIVATE_KEY', 'key'],
    ['SMTP_PASSWORD', 'smtp-secret'],
    ['REDIS_PASSWORD', 'redis-secret'],
    ['NATS_TOKEN', 'token-secret'],
    ['NATS_PASSWORD', 'nats-secret'],
    ['NATS_NKEY_SEED', SEED],
    ['NATS_CREDS', CREDS],
  ])('stops the start naming %s when both it and its _FILE are set, in one line without the secret', (name, value) => {
    const env: Record<string, string> = { [name]: value, [`${name}_FILE`]: fileWith(`both-${name}`, value), SMTP_URL: 'smtp://mail.test', NATS_USER: 'u' };
    if (name !== 'NATS_PASSWORD') delete env.NATS_USER;
    const message = startError(env, !name.startsWith('OTP_'));
    expect(message).toBe(`${name} and ${name}_FILE are both set; set one`);
    expect(message).not.toContain(value);
  });

  it('names the variable of a file that cannot be read, and not what any file holds', () => {
    expect(startError({ REDIS_PASSWORD_FILE: join(dir, 'missing') })).toBe(`REDIS_PASSWORD_FILE names a file that cannot be read (${join(dir, 'missing')}): ENOENT`);
    // Unreadable for any user, root included: a directory, and a path through a file.
    expect(startError({ NATS_TLS_CA_FILE: dir })).toBe(`NATS_TLS_CA_FILE names a file that cannot be read (${dir}): EISDIR`);
    const file = fileWith('plain', 'x');
    expect(startError({ NATS_TLS_CA_FILE: join(file, 'ca.pem') })).toBe(`NATS_TLS_CA_FILE names a file that cannot be read (${join(file, 'ca.pem')}): ENOTDIR`);
    // One that is read but refused: the line names the variable, never what the file holds.
    const tooShort = 'short-but-secret-0123';
    const message = startError({ OTP_SECRET_FILE: fileWith('short-secret', tooShort) }, false);
    expect(message).toMatch(/^OTP_SECRET.*32 characters/);
    expect(message).not.toContain(tooShort);
  });
});

describe('NATS login and TLS', () => {
  it('allows one way of logging in at a time', () => {
    expect(startError({ NATS_TOKEN: 't', NATS_NKEY_SEED: SEED })).toBe('NATS_TOKEN and NATS_NKEY_SEED are both set; choose one way to log in to NATS');
    expect(startError({ NATS_USER: 'u' })).toBe('NATS_PASSWORD (or NATS_PASSWORD_FILE) is required when NATS_USER is set');
    expect(startError({ NATS_PASSWORD: 'secret-pass' })).toBe('NATS_USER is required when NATS_PASSWORD is set');
    expect(startError({ NATS_NKEY_SEED: 'SOMETHING-ELSE' })).toBe('NATS_NKEY_SEED is not a user NKey seed (58 characters starting with SU)');
    expect(startError({ NATS_CREDS: 'not creds' })).toBe('NATS_CREDS is not a NATS credentials file (no user JWT in it)');
    expect(configFrom({}).natsSecurity).toEqual({});
  });

  it('logs in with the user and password, or the token, written into NATS_URL, which nats.js itself ignores', () => {
    expect(configFrom({ NATS_URL: 'nats://resetd:p%40ss@nats.test:4222' }).natsSecurity.login).toEqual({ kind: 'password', user: 'resetd', password: 'p@ss' });
    expect(configFrom({ NATS_URL: 'nats://s3cr3t@nats.test:4222' }).natsSecurity.login).toEqual({ kind: 'token', token: 's3cr3t' });
    expect(startError({ NATS_URL: 'nats://resetd:pw@nats.test:4222', NATS_TOKEN: 't' })).toBe('NATS_URL carries a login and NATS_TOKEN is set too; set one');
  });

  it('takes the CA, certificate and key as paths, checked at start, and wants the certificate and key together', () => {
    const ca = fileWith('ca.pem', 'CA');
    const cert = fileWith('cert.pem', 'CERT');
    const key = fileWith('key.pem', 'KEY');
    expect(configFrom({ NATS_TLS_CA_FILE: ca, NATS_TLS_CERT_FILE: cert, NATS_TLS_KEY_FILE: key }).natsSecurity.tls).toEqual({ caFile: ca, certFile: cert, keyFile: key });
    expect(configFrom({ NATS_TLS_CA_FILE: ca }).natsSecurity.tls).toEqual({ caFile: ca });
    expect(startError({ NATS_TLS_CERT_FILE: cert })).toBe('NATS_TLS_KEY_FILE is required when NATS_TLS_CERT_FILE is set');
    expect(startError({ NATS_TLS_KEY_FILE: key })).toBe('NATS_TLS_CERT_FILE is required when NATS_TLS_KEY_FILE is set');
  });

  it('turns the settings into nats.js options: one authenticator, and TLS with the paths', () => {
    expect(natsSecurityOptions({})).toEqual({});
    for (const login of [
      { kind: 'token', token: 't' },
      { kind: 'password', user: 'u', password: 'p' },
      { kind: 'nkey', seed: SEED },
      { kind: 'creds', creds: CREDS },
    ] as const) {
      expect(typeof natsSecurityOptions({ login }).authenticator, login.kind).toBe('function');
    }
    expect(natsSecurityOptions({ tls: { caFile: '/ca.pem' } })).toEqual({ tls: { caFile: '/ca.pem' } });
  });
});

describe('Redis login and TLS', () => {
  it('takes the user and password from the variables or the URL, not both', () => {
    expect(configFrom({ REDIS_URL: 'redis://resetd:pw@127.0.0.1:6379' }).redisSecurity).toEqual({});
    expect(startError({ REDIS_URL: 'redis://:pw@127.0.0.1:6379', REDIS_PASSWORD: 'other' })).toBe(
      'REDIS_URL carries a user or password and REDIS_USERNAME/REDIS_PASSWORD is set too; set one',
    );
    expect(startError({ REDIS_USERNAME: 'resetd' })).toBe('REDIS_PASSWORD (or REDIS_PASSWORD_FILE) is required when REDIS_USERNAME is set');
  });

  it('reads the CA, certificate and key for rediss://, and checks certificates', () => {
    const tls = { REDIS_TLS_CA_FILE: fileWith('redis-ca.pem', 'CA'), REDIS_TLS_CERT_FILE: fileWith('redis-cert.pem', 'CERT'), REDIS_TLS_KEY_FILE: fileWith('redis-key.pem', 'KEY') };
    const security = configFrom({ REDIS_URL: 'rediss://redis.test:6380', ...tls }).redisSecurity;
    expect(security).toEqual({ tls: { ca: 'CA\n', cert: 'CERT\n', key: 'KEY\n' } });
    expect(redisSecurityOptions(security)).toEqual({ tls: { ca: 'CA\n', cert: 'CERT\n', key: 'KEY\n', rejectUnauthorized: true } });
    expect(startError({ REDIS_TLS_CA_FILE: tls.REDIS_TLS_CA_FILE })).toBe('REDIS_TLS_CA_FILE needs a rediss:// REDIS_URL');
  });
});

describe('SMTP login and TLS', () => {
  // Production wants a signing key too; these cases are about SMTP alone.
  const signingKey = generateSigningKeyPair().privateKeyPem;
  const smtp = (env: Record<string, string>) => configFrom({ RESET_SIGNING_KEY: signingKey, ...env }).smtp?.security;

  it('requires STARTTLS for smtp:// in production unless SMTP_ALLOW_PLAINTEXT=true', () => {
    expect(smtp({ NODE_ENV: 'production', SMTP_URL: 'smtp://mail.test:587', MAIL_FROM: 'Acme <no-reply@acme.example>' })).toEqual({ requireTls: true });
    expect(smtp({ NODE_ENV: 'production', SMTP_URL: 'smtp://mailpit:1025', SMTP_ALLOW_PLAINTEXT: 'true', MAIL_FROM: 'Acme <no-reply@acme.example>' })).toEqual({ requireTls: false });
    // smtps:// is TLS from the first byte; STARTTLS does not apply.
    expect(smtp({ NODE_ENV: 'production', SMTP_URL: 'smtps://mail.test:465', MAIL_FROM: 'Acme <no-reply@acme.example>' })).toEqual({ requireTls: false });
    // Outside production, as before: STARTTLS when the server offers it.
    expect(smtp({ SMTP_URL: 'smtp://mail.test:587' })).toEqual({ requireTls: false });
    expect(startError({ SMTP_URL: 'smtp://mail.test', SMTP_ALLOW_PLAINTEXT: 'yes' })).toBe('SMTP_ALLOW_PLAINTEXT must be true or false (got "yes")');
  });

  it('lets SMTP_USER and SMTP_PASSWORD override the URL, field by field', () => {
    expect(smtp({ SMTP_URL: 'smtp://u%40x:p%3Aw@mail.test' })?.auth).toEqual({ user: 'u@x', pass: 'p:w' });
    expect(smtp({ SMTP_URL: 'smtp://u:old@mail.test', SMTP_PASSWORD: 'new' })?.auth).toEqual({ user: 'u', pass: 'new' });
    expect(smtp({ SMTP_URL: 'smtp://u:pw@mail.test', SMTP_USER: 'v' })?.auth).toEqual({ user: 'v', pass: 'pw' });
    expect(startError({ SMTP_URL: 'smtp://mail.test', SMTP_USER: 'v' })).toBe('SMTP_PASSWORD (or SMTP_PASSWORD_FILE) is required when SMTP_USER is set');
    expect(startError({ SMTP_PASSWORD: 'pw' })).toBe('SMTP_PASSWORD is set but SMTP_URL is not; set SMTP_URL too');
  });

  it('reads a private CA from SMTP_TLS_CA_FILE', () => {
    expect(smtp({ SMTP_URL: 'smtps://mail.test', SMTP_TLS_CA_FILE: fileWith('smtp-ca.pem', 'CA') })?.ca).toBe('CA\n');
  });
});

describe('a bad value in an error line', () => {
  it('masks the password of a URL and never repeats a secret', () => {
    const message = startError({ REDIS_URL: 'http://resetd:hunter2@redis.test' });
    expect(message).toBe('REDIS_URL must be a redis:// or rediss:// URL (got "http://resetd:***@redis.test")');
    expect(message).not.toContain('hunter2');
  });
});
