import { z } from 'zod';
import type { SmtpSecurity } from '../adapters/smtp/nodemailer-mailer.js';
import { ConfigError } from './config-error.js';
import { readSettingFile, secretFrom, textOf, type EnvValues } from './secrets.js';

/** The variables of SMTP login and TLS; the password may also come from `SMTP_PASSWORD_FILE`. */
export const smtpSecurityEnv = {
  SMTP_USER: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  SMTP_PASSWORD_FILE: z.string().optional(),
  SMTP_TLS_CA_FILE: z.string().optional(),
  SMTP_ALLOW_PLAINTEXT: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false'),
};

/**
 * Login and TLS for the SMTP server of `url`. SMTP_USER and SMTP_PASSWORD override the URL's user
 * and password. In production an smtp:// server must upgrade with STARTTLS (`requireTLS`) unless
 * SMTP_ALLOW_PLAINTEXT=true says it is a plaintext catcher on a trusted network; smtps:// is TLS
 * from the first byte. Certificates are always checked, against SMTP_TLS_CA_FILE when set.
 */
export function readSmtpSecurity(env: EnvValues, url: string | undefined, production: boolean): SmtpSecurity | undefined {
  const password = secretFrom(env, 'SMTP_PASSWORD');
  const caFile = textOf(env, 'SMTP_TLS_CA_FILE');
  if (url === undefined) {
    const stray = [textOf(env, 'SMTP_USER') !== undefined && 'SMTP_USER', password !== undefined && 'SMTP_PASSWORD', caFile !== undefined && 'SMTP_TLS_CA_FILE'].find(Boolean);
    if (stray) throw new ConfigError(`${stray} is set but SMTP_URL is not; set SMTP_URL too`);
    return undefined;
  }
  const parsed = new URL(url);
  const user = textOf(env, 'SMTP_USER') ?? (parsed.username === '' ? undefined : decodeURIComponent(parsed.username));
  const pass = password ?? (parsed.password === '' ? undefined : decodeURIComponent(parsed.password));
  if (user !== undefined && pass === undefined) throw new ConfigError('SMTP_PASSWORD (or SMTP_PASSWORD_FILE) is required when SMTP_USER is set');
  if (pass !== undefined && user === undefined) throw new ConfigError('SMTP_USER is required when SMTP_PASSWORD is set');
  const plaintextAllowed = textOf(env, 'SMTP_ALLOW_PLAINTEXT') === 'true';
  return {
    ...(user !== undefined && pass !== undefined ? { auth: { user, pass } } : {}),
    requireTls: production && parsed.protocol === 'smtp:' && !plaintextAllowed,
    ...(caFile !== undefined ? { ca: readSettingFile('SMTP_TLS_CA_FILE', caFile) } : {}),
  };
}
