import {
  credsAuthenticator,
  nkeyAuthenticator,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import { z } from 'zod';
import type { NatsConnectFailure } from '../../contract/nats-connect-failure.js';
import { urlLogin } from '../../contract/nats-url-login.js';
import { ConfigError } from './config-error.js';
import { checkReadable, requireTogether, secretFrom, textOf, type EnvValues } from './secrets.js';

/** The variables of NATS authentication and TLS; each secret may also come from `<NAME>_FILE`. */
export const natsSecurityEnv = {
  NATS_TOKEN: z.string().optional(),
  NATS_TOKEN_FILE: z.string().optional(),
  NATS_USER: z.string().optional(),
  NATS_PASSWORD: z.string().optional(),
  NATS_PASSWORD_FILE: z.string().optional(),
  NATS_NKEY_SEED: z.string().optional(),
  NATS_NKEY_SEED_FILE: z.string().optional(),
  NATS_CREDS: z.string().optional(),
  NATS_CREDS_FILE: z.string().optional(),
  NATS_TLS_CA_FILE: z.string().optional(),
  NATS_TLS_CERT_FILE: z.string().optional(),
  NATS_TLS_KEY_FILE: z.string().optional(),
  NATS_INBOX_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be NATS subject tokens without wildcards').optional(),
};

/** How resetd logs in to NATS: at most one way. */
export type NatsLogin =
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'password'; readonly user: string; readonly password: string }
  | { readonly kind: 'nkey'; readonly seed: string }
  | { readonly kind: 'creds'; readonly creds: string };

/** Login and TLS for NATS, as the service, the CLI and the typed client connect. */
export interface NatsSecurity {
  readonly login?: NatsLogin;
  /** Paths, read by the client at each (re)connection, so renewed certificates are picked up. */
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  /**
   * Where replies to this connection's requests go (`_INBOX` unless set): a prefix of its own lets
   * the server's permissions keep each user's replies, and pulled messages, from every other user.
   */
  readonly inboxPrefix?: string;
}

/**
 * Reads NATS login and TLS from the environment, and a login written into NATS_URL; throws a
 * ConfigError naming the variable, never its value.
 */
export function readNatsSecurity(env: EnvValues, servers: readonly string[]): NatsSecurity {
  const token = secretFrom(env, 'NATS_TOKEN');
  const password = secretFrom(env, 'NATS_PASSWORD');
  const seed = secretFrom(env, 'NATS_NKEY_SEED');
  const creds = secretFrom(env, 'NATS_CREDS');
  const user = textOf(env, 'NATS_USER');
  requireTogether({ name: 'NATS_USER', value: user }, { name: 'NATS_PASSWORD', value: password, orFile: true });
  const ways = [
    token !== undefined && 'NATS_TOKEN',
    password !== undefined && 'NATS_USER/NATS_PASSWORD',
    seed !== undefined && 'NATS_NKEY_SEED',
    creds !== undefined && 'NATS_CREDS',
  ].filter((way): way is string => way !== false);
  if (ways.length > 1) throw new ConfigError(`${ways.join(' and ')} are both set; choose one way to log in to NATS`);
  const inUrl = urlLogin(servers);
  if (inUrl && ways.length > 0) throw new ConfigError(`NATS_URL carries a login and ${ways[0]} is set too; set one`);
  if (seed !== undefined && !/^SU[A-Z2-7]{56}$/.test(seed)) throw new ConfigError('NATS_NKEY_SEED is not a user NKey seed (58 characters starting with SU)');
  if (creds !== undefined && !/-----BEGIN NATS USER JWT-----/.test(creds)) throw new ConfigError('NATS_CREDS is not a NATS credentials file (no user JWT in it)');

  const login: NatsLogin | undefined =
    token !== undefined
      ? { kind: 'token', token }
      : password !== undefined
        ? { kind: 'password', user: user!, password }
        : seed !== undefined
          ? { kind: 'nkey', seed }
          : creds !== undefined
            ? { kind: 'creds', creds }
            : inUrl;
  const inboxPrefix = textOf(env, 'NATS_INBOX_PREFIX');
  return { ...(login ? { login } : {}), ...readTls(env), ...(inboxPrefix !== undefined ? { inboxPrefix } : {}) };
}

function readTls(env: EnvValues): Pick<NatsSecurity, 'tls'> {
  const caFile = textOf(env, 'NATS_TLS_CA_FILE');
  const certFile = textOf(env, 'NATS_TLS_CERT_FILE');
  const keyFile = textOf(env, 'NATS_TLS_KEY_FILE');
  requireTogether({ name: 'NATS_TLS_CERT_FILE', value: certFile }, { name: 'NATS_TLS_KEY_FILE', value: keyFile });
  if (caFile === undefined && certFile === undefined) return {};
  return {
    tls: {
      ...(caFile !== undefined ? { caFile: checkReadable('NATS_TLS_CA_FILE', caFile) } : {}),
      ...(certFile !== undefined ? { certFile: checkReadable('NATS_TLS_CERT_FILE', certFile) } : {}),
      ...(keyFile !== undefined ? { keyFile: checkReadable('NATS_TLS_KEY_FILE', keyFile) } : {}),
    },
  };
}

/** The part of nats.js's connect options that logs in, sets up TLS and names the inbox; every connection resetd opens uses it. */
export function natsSecurityOptions(security: NatsSecurity): Pick<NodeConnectionOptions, 'authenticator' | 'tls' | 'inboxPrefix'> {
  const { login, tls, inboxPrefix } = security;
  const bytes = (text: string) => new TextEncoder().encode(text);
  const authenticator = (() => {
    switch (login?.kind) {
      case undefined:
        return undefined;
      case 'token':
        return tokenAuthenticator(login.token);
      case 'password':
        return usernamePasswordAuthenticator(login.user, login.password);
      case 'nkey':
        return nkeyAuthenticator(bytes(login.seed));
      case 'creds':
        return credsAuthenticator(bytes(login.creds));
    }
  })();
  return { ...(authenticator ? { authenticator } : {}), ...(tls ? { tls: { ...tls } } : {}), ...(inboxPrefix ? { inboxPrefix } : {}) };
}

/** What an operator of the service or the CLI checks after a failed first connection of `kind`. */
export function natsSettingsHint(kind: NatsConnectFailure): string {
  switch (kind) {
    case 'login':
      return 'check NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_NKEY_SEED or NATS_CREDS (or their _FILE forms)';
    case 'tls':
      return 'check NATS_TLS_CA_FILE, NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE';
    case 'unreachable':
      return 'check NATS_URL and that nats-server is running (a server that wants a client certificate may also just time out: check NATS_TLS_CERT_FILE)';
  }
}
