import { z } from 'zod';
import type { SmtpSecurity } from '../smtp/nodemailer-mailer.js';
import type { SmtpFailure } from '../smtp/smtp-failure.js';
import { ConfigError } from './config-error.js';
import { readSettingFile, requireTogether, secretFrom, textOf, type EnvValues } from './secrets.js';

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
  requireTogether({ name: 'SMTP_USER', value: user }, { name: 'SMTP_PASSWORD', value: pass, orFile: true });
  const plaintextAllowed = textOf(env, 'SMTP_ALLOW_PLAINTEXT') === 'true';
  return {
    ...(user !== undefined && pass !== undefined ? { auth: { user, pass } } : {}),
    requireTls: production && parsed.protocol === 'smtp:' && !plaintextAllowed,
    ...(caFile !== undefined ? { ca: readSettingFile('SMTP_TLS_CA_FILE', caFile) } : {}),
  };
}

/** Node's codes for a certificate no CA resetd trusts vouches for: a self-signed one, or a private CA's. */
const UNTRUSTED_CERTIFICATE = /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?)$/;

/**
 * The one line for a server that is reachable but cannot be used as configured: where (password
 * masked by the caller), what failed, and the variable that fixes it. A server's reply names no secret.
 */
export function smtpConfigurationLine(failure: Extract<SmtpFailure, { kind: 'login' | 'tls' }>, where: string): string {
  if (failure.kind === 'login') {
    return `the SMTP server at ${where} refused the login: ${failure.reply}; check SMTP_USER and SMTP_PASSWORD (or SMTP_PASSWORD_FILE, or the user and password in SMTP_URL)`;
  }
  const failed = `TLS with the SMTP server at ${where} failed: ${failure.detail}`;
  if (UNTRUSTED_CERTIFICATE.test(failure.code)) return `${failed}; set SMTP_TLS_CA_FILE to the CA certificate (PEM) that signed the server's certificate`;
  if (failure.code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `${failed}; put in SMTP_URL the host name the certificate is issued for, not another name or an IP address`;
  return `${failed}; check SMTP_URL (smtp:// upgrades with STARTTLS, smtps:// is TLS from the start), SMTP_TLS_CA_FILE and SMTP_ALLOW_PLAINTEXT`;
}
