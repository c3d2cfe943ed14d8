import { ConfigError } from '../adapters/environment/config-error.js';
import { envSchema, withoutEmpty } from '../adapters/environment/env-schema.js';
import { problemLines } from '../adapters/environment/problem-line.js';
import { readRedisTopology } from '../adapters/environment/redis-topology.js';
import { natsServersOf } from '../adapters/environment/url-setting.js';
import type { RedisTopology } from '../adapters/redis/redis-connection.js';
import { natsSecurityEnv, readNatsSecurity, type NatsSecurity } from '../adapters/environment/nats-security.js';
import { readRedisSecurity, redisSecurityEnv, type RedisSecurity } from '../adapters/environment/redis-security.js';
import { CliError, EXIT } from './cli-error.js';

/** The global options every command takes; each one overrides its environment variable. */
export interface GlobalOptions {
  readonly nats?: string;
  readonly redis?: string;
  readonly prefix?: string;
  readonly verbose?: boolean;
}

/** What the commands need to know of a deployment: a few of the service's own variables. */
export interface CliSettings {
  readonly natsServers: string[];
  /** Login and TLS for NATS, from the service's own variables. */
  readonly natsSecurity: NatsSecurity;
  readonly redisUrl: string;
  /** One server, a Cluster or a Sentinel group, as the service reads it (REDIS_CLUSTER_NODES, REDIS_SENTINELS). */
  readonly redisTopology: RedisTopology;
  readonly redisSecurity: RedisSecurity;
  readonly subjectPrefix: string;
  readonly streams: { readonly inbox?: string; readonly events?: string };
  readonly consumer: string;
  readonly productName: string;
  readonly codeLength: number;
  readonly codeLifetimeMinutes: number;
}

// The service's schema, so a value the service would refuse is refused here with the same words;
// only these variables are read, so a CLI on a laptop needs no OTP secret or SMTP server.
const cliEnv = envSchema.pick({
  NATS_URL: true,
  REDIS_URL: true,
  REDIS_CLUSTER_NODES: true,
  REDIS_SENTINELS: true,
  REDIS_SENTINEL_NAME: true,
  RESET_SUBJECT_PREFIX: true,
  RESET_INBOX_STREAM: true,
  RESET_EVENTS_STREAM: true,
  RESET_CONSUMER: true,
  MAIL_PRODUCT_NAME: true,
  OTP_LENGTH: true,
  OTP_TTL_SECONDS: true,
  ...Object.fromEntries(Object.keys({ ...natsSecurityEnv, ...redisSecurityEnv }).map((name) => [name, true as const])),
});

/**
 * Reads the settings from the options, then the environment. Throws a usage CliError with a line
 * for each problem in the variables it reads, in the service's words: the variable, what is wrong
 * and the value it got.
 */
export function cliSettings(options: GlobalOptions, environment: NodeJS.ProcessEnv = process.env): CliSettings {
  const given = withoutEmpty(environment);
  if (options.nats) given.NATS_URL = options.nats;
  if (options.redis) given.REDIS_URL = options.redis;
  if (options.prefix) given.RESET_SUBJECT_PREFIX = options.prefix;
  try {
    return readSettings(given);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new CliError(error.problems.join('\n'), EXIT.usage, { cause: error });
  }
}

/** The settings, or a ConfigError with a line for each variable that breaks its rule (or the first problem found past them). */
function readSettings(given: Record<string, string>): CliSettings {
  const parsed = cliEnv.safeParse(given);
  if (!parsed.success) throw new ConfigError([...problemLines(parsed.error.issues, given).values()]);
  const env = parsed.data;
  return {
    natsServers: natsServersOf(env.NATS_URL),
    natsSecurity: readNatsSecurity(env, natsServersOf(env.NATS_URL)),
    redisUrl: env.REDIS_URL,
    redisTopology: readRedisTopology(env),
    redisSecurity: readRedisSecurity(env, env.REDIS_URL),
    subjectPrefix: env.RESET_SUBJECT_PREFIX,
    streams: { inbox: env.RESET_INBOX_STREAM, events: env.RESET_EVENTS_STREAM },
    consumer: env.RESET_CONSUMER,
    productName: env.MAIL_PRODUCT_NAME,
    codeLength: env.OTP_LENGTH,
    codeLifetimeMinutes: Math.max(1, Math.round(env.OTP_TTL_SECONDS / 60)),
  };
}
