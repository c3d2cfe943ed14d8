import type { RedisOptions } from 'ioredis';
import { redisConnectFailure } from '../redis/redis-connect-failure.js';
import type { RedisTopology } from '../redis/redis-connection.js';
import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { readSettingFile, requireTogether, secretFrom, textOf, type EnvValues } from './secrets.js';

/** The variables of Redis ACL login and TLS; the password may also come from `REDIS_PASSWORD_FILE`. */
export const redisSecurityEnv = {
  REDIS_USERNAME: z.string().optional(),
  REDIS_PASSWORD: z.string().optional(),
  REDIS_PASSWORD_FILE: z.string().optional(),
  REDIS_TLS_CA_FILE: z.string().optional(),
  REDIS_TLS_CERT_FILE: z.string().optional(),
  REDIS_TLS_KEY_FILE: z.string().optional(),
};

/** Login (an ACL user, or `default` with only a password) and TLS material for Redis. */
export interface RedisSecurity {
  readonly username?: string;
  readonly password?: string;
  /** PEM contents, read once at start. */
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
}

/**
 * Reads Redis login and TLS from the environment. The URL may carry the user and password
 * instead (`rediss://user:pass@host`), but not both ways at once; TLS files need a rediss:// URL.
 */
export function readRedisSecurity(env: EnvValues, url: string): RedisSecurity {
  const password = secretFrom(env, 'REDIS_PASSWORD');
  const username = textOf(env, 'REDIS_USERNAME');
  const parsed = new URL(url);
  if ((username !== undefined || password !== undefined) && (parsed.username !== '' || parsed.password !== '')) {
    throw new ConfigError('REDIS_URL carries a user or password and REDIS_USERNAME/REDIS_PASSWORD is set too; set one');
  }
  if (username !== undefined && password === undefined) throw new ConfigError('REDIS_PASSWORD (or REDIS_PASSWORD_FILE) is required when REDIS_USERNAME is set');
  const caFile = textOf(env, 'REDIS_TLS_CA_FILE');
  const certFile = textOf(env, 'REDIS_TLS_CERT_FILE');
  const keyFile = textOf(env, 'REDIS_TLS_KEY_FILE');
  const tlsSet = [caFile !== undefined && 'REDIS_TLS_CA_FILE', certFile !== undefined && 'REDIS_TLS_CERT_FILE', keyFile !== undefined && 'REDIS_TLS_KEY_FILE'].filter(
    (name): name is string => name !== false,
  );
  if (tlsSet.length > 0 && parsed.protocol !== 'rediss:') throw new ConfigError(`${tlsSet[0]} needs a rediss:// REDIS_URL`);
  requireTogether({ name: 'REDIS_TLS_CERT_FILE', value: certFile }, { name: 'REDIS_TLS_KEY_FILE', value: keyFile });
  const tls = {
    ...(caFile !== undefined ? { ca: readSettingFile('REDIS_TLS_CA_FILE', caFile) } : {}),
    ...(certFile !== undefined ? { cert: readSettingFile('REDIS_TLS_CERT_FILE', certFile) } : {}),
    ...(keyFile !== undefined ? { key: readSettingFile('REDIS_TLS_KEY_FILE', keyFile) } : {}),
  };
  return {
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(tlsSet.length > 0 ? { tls } : {}),
  };
}

/** The part of ioredis's options that logs in and sets up TLS; the service and the CLI use it. */
export function redisSecurityOptions(security: RedisSecurity): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  return {
    ...(security.username !== undefined ? { username: security.username } : {}),
    ...(security.password !== undefined ? { password: security.password } : {}),
    // Certificate checks stay on (Node's default); a private CA is added, never a check turned off.
    ...(security.tls ? { tls: { ...security.tls, rejectUnauthorized: true } } : {}),
  };
}

/**
 * What to check when no Redis answered, by how it is configured (`url`: REDIS_URL); `urlOption` is
 * a command line's own name for REDIS_URL. With TLS on (a rediss:// URL), a server that does not speak it never
 * answers the handshake: the timeout then looks like no server at all, so the hint says so.
 */
export function redisUnreachableHint(kind: RedisTopology['kind'], url: string, urlOption?: string): string {
  const plainServer = new URL(url).protocol === 'rediss:' ? '; with rediss:// a server that does not speak TLS never answers: use redis:// for a plain one' : '';
  switch (kind) {
    case 'single':
      return `check REDIS_URL${urlOption ? ` (or ${urlOption})` : ''} and that redis-server is running${plainServer}`;
    case 'sentinel':
      return `check REDIS_SENTINELS and REDIS_SENTINEL_NAME, and that the Sentinels are running${plainServer}`;
    case 'cluster':
      return `check REDIS_CLUSTER_NODES and that the Cluster is running${plainServer}`;
  }
}

/** One line on the failure, naming where (password masked by the caller), what Redis said, and what to check. */
export function redisConnectFailureLine(error: unknown, where: string, unreachableHint: string): string {
  const reason = error instanceof Error ? error.message : String(error);
  switch (redisConnectFailure(error)) {
    case 'login':
      return `Redis at ${where} refused the login: ${reason}; check REDIS_USERNAME and REDIS_PASSWORD (or REDIS_PASSWORD_FILE, or the user and password in REDIS_URL)`;
    case 'tls':
      return `TLS with Redis at ${where} failed: ${reason}; check REDIS_TLS_CA_FILE, REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE`;
    case 'unreachable':
      return `cannot reach Redis at ${where}: ${reason}; ${unreachableHint}`;
  }
}
