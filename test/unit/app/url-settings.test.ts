import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/app/config.js';
import { ConfigError } from '../../../src/adapters/environment/config-error.js';
import { EXIT } from '../../../src/cli/cli-error.js';
import { cliSettings } from '../../../src/cli/cli-settings.js';

/** Each character that URLs treat specially, in a password of its own. */
const SPECIALS = ['/', '#', '?', '@', ':', '%', '+', '='];
/** Unencoded, these end the host part early or make a bad escape: the URL does not parse. */
const UNPARSED = new Set(['/', '#', '?', '%']);
const passwordWith = (special: string) => `Alpha7x${special}Omega9y`;
const URLS: Record<string, (userinfo: string) => string> = {
  NATS_URL: (userinfo) => `nats://${userinfo}@127.0.0.1:4222`,
  REDIS_URL: (userinfo) => `redis://${userinfo}@127.0.0.1:6379/0`,
  SMTP_URL: (userinfo) => `smtp://${userinfo}@mail.test:587`,
  OTEL_EXPORTER_OTLP_ENDPOINT: (userinfo) => `http://${userinfo}@collector.test:4318`,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: (userinfo) => `https://${userinfo}@collector.test/v1/traces`,
};
const cases = Object.keys(URLS).flatMap((variable) => SPECIALS.map((special) => [variable, special] as const));
const OTP = 'a-test-secret-of-at-least-thirty-two-chars';

/** The start's one line, or undefined when the configuration is accepted. */
function startLine(env: Record<string, string>): string | undefined {
  try {
    loadConfig({ OTP_SECRET: OTP, ...env });
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
}

describe('a URL setting with a special character in its password', () => {
  it.each(cases)('%s with %s unencoded: refused naming the variable when it does not parse, never repeating the password', (variable, special) => {
    const line = startLine({ [variable]: URLS[variable]!(`rt:${passwordWith(special)}`) });
    if (UNPARSED.has(special)) expect(line).toMatch(new RegExp(`^${variable} must parse as a URL: percent-encode special characters .*\\(got "[a-z]+://rt:\\*\\*\\*@`));
    else expect(line).toBeUndefined();
    for (const part of ['Alpha7x', 'Omega9y']) expect(line ?? '').not.toContain(part);
  });

  it.each(SPECIALS)('percent-encoded, %s is accepted everywhere and logs in with the password as written', (special) => {
    const password = passwordWith(special);
    const userinfo = `rt:${encodeURIComponent(password)}`;
    const config = loadConfig({ OTP_SECRET: OTP, ...Object.fromEntries(Object.entries(URLS).map(([variable, url]) => [variable, url(userinfo)])) });
    expect(config.natsSecurity.login).toEqual({ kind: 'password', user: 'rt', password });
    expect(config.smtp?.security.auth).toEqual({ user: 'rt', pass: password });
  });

  it('refuses a password whose first part reads as a port: the rest, `@` and all, would be the path', () => {
    expect(startLine({ REDIS_URL: 'redis://rt:1234/Omega9y@127.0.0.1:6379' })).toMatch(/^REDIS_URL must parse as a URL/);
    expect(startLine({ SMTP_URL: 'smtp://rt:1234#Omega9y@mail.test:587' })).toMatch(/^SMTP_URL must parse as a URL/);
  });

  it('refuses a NATS server list in which one server does not parse', () => {
    expect(startLine({ NATS_URL: `nats://127.0.0.1:4222,nats://rt:${passwordWith('/')}@127.0.0.1:4223` })).toMatch(/^NATS_URL must parse as a URL/);
    // A comma in the password splits it into two "servers": the second one's login gives it away.
    expect(startLine({ NATS_URL: 'nats://rt:1234,Omega9y@127.0.0.1:4222' })).toMatch(/^NATS_URL must parse as a URL/);
    expect(startLine({ NATS_URL: '127.0.0.1:4222, nats-2.test:4222' })).toBeUndefined();
  });

  it('refuses a NATS server of a scheme the Node client does not use: it reads http:// as nats:// unseen, and refuses ws:// only at connect', () => {
    for (const url of ['http://127.0.0.1:4222', 'ws://127.0.0.1:8080', 'wss://nats.test:443', 'nats://a.test:4222,https://b.test:4222']) {
      expect(startLine({ NATS_URL: url }), url).toBe(`NATS_URL must be nats:// or tls:// URLs, or host:port (got ${JSON.stringify(url)})`);
    }
    for (const url of ['nats://127.0.0.1:4222', 'TLS://nats.test:4222', 'nats.test:4222', 'nats://a.test:4222, tls://b.test:4222, c.test:4222']) {
      expect(startLine({ NATS_URL: url }), url).toBeUndefined();
    }
  });

  it.each(cases.filter(([variable]) => variable === 'NATS_URL' || variable === 'REDIS_URL'))(
    'the CLI with %s holding %s unencoded: a usage error (exit 2) naming the variable, without the password',
    (variable, special) => {
      const url = URLS[variable]!(`rt:${passwordWith(special)}`);
      let refusal: unknown;
      try {
        cliSettings(variable === 'NATS_URL' ? { nats: url } : { redis: url }, {});
      } catch (error) {
        refusal = error;
      }
      if (!UNPARSED.has(special)) expect(refusal).toBeUndefined();
      else expect(refusal).toMatchObject({ name: 'CliError', exitCode: EXIT.usage, message: expect.stringMatching(new RegExp(`^${variable} must parse as a URL`)) });
      expect(String((refusal as Error | undefined)?.message)).not.toMatch(/Alpha7x|Omega9y/);
    },
  );
});
