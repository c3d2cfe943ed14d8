import { createPrivateKey, type KeyObject } from 'node:crypto';
import { ConfigError } from './config-error.js';
import type { Env } from './env-schema.js';
import { secretFrom } from './secrets.js';

// The service's keys as its variables give them: the code keys, the signing key, the DKIM key.

/** How the start's messages say to make a key. */
export const MAKE_KEY = '`openssl rand -base64 48`';

/** DKIM signing: the key published as TXT at `<selector>._domainkey.<domain>`. */
export interface DkimConfig {
  readonly domain: string;
  readonly selector: string;
  readonly privateKey: string;
}

/** OTP_SECRET or OTP_SECRETS (or their files), newest first; none when neither is set. */
export function readSecrets(env: Pick<Env, 'OTP_SECRET' | 'OTP_SECRET_FILE' | 'OTP_SECRETS' | 'OTP_SECRETS_FILE'>): string[] {
  const single = secretFrom(env, 'OTP_SECRET');
  const list = secretFrom(env, 'OTP_SECRETS');
  if (single !== undefined && list !== undefined) throw new ConfigError('OTP_SECRET and OTP_SECRETS are both set; set one');
  // Keys are separated by commas or lines (a file of one key a line), and a key's ends trimmed as
  // a file's are, so the same key given inline, in a file or in a list has one id.
  const secrets = list !== undefined ? list.split(/[,\r\n]/).map((s) => s.trim()).filter(Boolean) : single !== undefined ? [single.trim()] : [];
  const name = list !== undefined ? 'OTP_SECRETS' : 'OTP_SECRET';
  if (secrets.some((secret) => secret.length < 32)) {
    throw new ConfigError(`${name} must ${list !== undefined ? 'hold keys' : 'be a key'} of at least 32 characters${list !== undefined ? ' each' : ''}: make one with ${MAKE_KEY}`);
  }
  return secrets;
}

/** A PEM key pasted into one line of an env file keeps its line breaks as `\n`. */
function withLineBreaks(pem: string): string {
  return pem.includes('\n') ? pem : pem.replaceAll('\\n', '\n');
}

/** The PKCS#8 PEM Ed25519 key of RESET_SIGNING_KEY(_FILE), parsed once here; undefined when unset. */
export function readSigningKey(env: Pick<Env, 'RESET_SIGNING_KEY' | 'RESET_SIGNING_KEY_FILE'>): KeyObject | undefined {
  const pem = secretFrom(env, 'RESET_SIGNING_KEY');
  if (pem === undefined) return undefined;
  const name = env.RESET_SIGNING_KEY_FILE !== undefined ? 'RESET_SIGNING_KEY_FILE' : 'RESET_SIGNING_KEY';
  let key: KeyObject;
  try {
    key = createPrivateKey(withLineBreaks(pem));
  } catch {
    throw new ConfigError(`${name} is not a PEM private key (make one with \`resetd keygen\`)`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ConfigError(`${name} must hold an Ed25519 private key, not ${key.asymmetricKeyType ?? 'another kind'} (make one with \`resetd keygen\`)`);
  return key;
}

const DKIM_PARTS = ['DKIM_DOMAIN', 'DKIM_SELECTOR', 'DKIM_PRIVATE_KEY'] as const;

/**
 * All three DKIM variables or none; the key must be an RSA private key of at least 1024 bits.
 * nodemailer signs with RSA only and sends the mail unsigned when the key is another kind.
 */
export function readDkim(env: Pick<Env, 'DKIM_DOMAIN' | 'DKIM_SELECTOR' | 'DKIM_PRIVATE_KEY' | 'DKIM_PRIVATE_KEY_FILE'>): DkimConfig | undefined {
  const key = secretFrom(env, 'DKIM_PRIVATE_KEY');
  const values = { DKIM_DOMAIN: env.DKIM_DOMAIN, DKIM_SELECTOR: env.DKIM_SELECTOR, DKIM_PRIVATE_KEY: key };
  const set = DKIM_PARTS.filter((name) => values[name] !== undefined);
  if (set.length === 0) return undefined;
  const missing = DKIM_PARTS.find((name) => values[name] === undefined);
  if (missing !== undefined) {
    const asked = missing === 'DKIM_PRIVATE_KEY' ? 'DKIM_PRIVATE_KEY (or DKIM_PRIVATE_KEY_FILE)' : missing;
    throw new ConfigError(`${asked} is required when ${set.join(' and ')} ${set.length === 1 ? 'is' : 'are'} set; set all three DKIM variables or none`);
  }
  const privateKey = withLineBreaks(key!);
  let details;
  try {
    const parsed = createPrivateKey(privateKey);
    details = { type: parsed.asymmetricKeyType, bits: parsed.asymmetricKeyDetails?.modulusLength ?? 0 };
  } catch {
    throw new ConfigError('DKIM_PRIVATE_KEY is not a PEM private key');
  }
  if (details.type === 'ed25519') {
    throw new ConfigError('DKIM_PRIVATE_KEY is an Ed25519 key, which resetd cannot sign with (mail would go unsigned); use an RSA key of 2048 bits, published as k=rsa');
  }
  if (!(details.type === 'rsa' && details.bits >= 1024)) {
    throw new ConfigError(`DKIM_PRIVATE_KEY must be an RSA key of at least 1024 bits (2048 advised), not ${details.type} ${details.bits || ''}`.trim());
  }
  return { domain: env.DKIM_DOMAIN!.toLowerCase(), selector: env.DKIM_SELECTOR!, privateKey };
}
