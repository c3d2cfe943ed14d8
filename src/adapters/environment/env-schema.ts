import { z } from 'zod';
import { defaultPolicy } from '../../domain/policy.js';
import { senderDomainOf } from '../mail/mail-message.js';
import { defaultStreamLimits } from '../nats/jetstream-streams.js';
import { parseHostPorts } from '../redis/redis-connection.js';
import { natsSecurityEnv } from './nats-security.js';
import { redisSecurityEnv } from './redis-security.js';
import { smtpSecurityEnv } from './smtp-security.js';
import { natsServerList, natsServersOf, urlSetting } from './url-setting.js';

// Every variable resetd reads, each with its rule and default: the service's configuration and the
// CLI read a deployment's settings through this one schema, so both refuse a value in the same words.

const HOUR = 3_600_000;
const MIB = 1_048_576;
const WHOLE = { error: 'must be a whole number' };
/** Digits alone (around spaces): `z.coerce.number` also took "0x10", "1e3" and, as 0, a value of spaces. */
const WHOLE_TEXT = /^\s*-?\d+\s*$/;
/** The specification's three; `grpc` is refused where it would be used (the service's configuration, src/app/config.ts). */
const otlpProtocol = z.enum(['http/protobuf', 'http/json', 'grpc'], { error: 'must be http/protobuf, http/json or grpc' });
const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(
    (value) => (typeof value === 'string' && WHOLE_TEXT.test(value) ? Number(value) : value),
    z.number(WHOLE).int(WHOLE).min(min, `must be at least ${min}`).max(max, `must be at most ${max}`),
  );
const int = (min: number, fallback: number, max?: number) => wholeNumber(min, max).default(fallback);
/** What NODE_ENV may be, in any case: another value (`prod`) would have turned every production check off unseen. */
const NODE_ENVS = ['production', 'development', 'test'];
/** In any case too (`INFO`), as NODE_ENV; pino takes lower case only. */
const logLevel = z.preprocess(
  (value) => (typeof value === 'string' ? value.trim().toLowerCase() : value),
  z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
);
/**
 * The schemes the Node client connects with. It strips any other unseen (`http://` is taken as
 * `nats://`) and refuses `ws://` and `wss://` only at connect (they need its websocket transport).
 */
const NATS_SCHEME = /^(nats|tls):\/\//i;
const DAY_SECONDS = 86_400;
/** Past about 292 years a stream's age overflows the server's nanoseconds (`invalid JSON`); ten years is plenty. */
const MAX_AGE_HOURS = 10 * 365 * 24;
const NAME = 'must be letters, digits, _ or -';
const hostPorts = z.string().superRefine((text, context) => {
  try {
    if (parseHostPorts(text).length === 0) context.addIssue({ code: 'custom', message: 'must list host:port, comma-separated' });
  } catch (error) {
    context.addIssue({ code: 'custom', message: `must list host:port, comma-separated: ${(error as Error).message}` });
  }
});
/** The variable that sets each of the policy's rate rules, by the rule's name. */
export const RULE_SETTINGS = {
  'user-hour': 'RATE_USER_PER_HOUR',
  'user-day': 'RATE_USER_PER_DAY',
  'ip-hour': 'RATE_IP_PER_HOUR',
  'global-hour': 'RATE_GLOBAL_PER_HOUR',
} as const;

/** A rate rule's limit: at least 1, by default the policy's. */
function rateLimit(name: keyof typeof RULE_SETTINGS) {
  const rule = defaultPolicy.rateRules.find((each) => each.name === name);
  if (!rule) throw new Error(`the policy has no rate rule ${name}`);
  return int(1, rule.limit);
}

/** Every variable resetd reads, with its default. `.env.example` mirrors this list. */
export const envSchema = z.object({
  NODE_ENV: z
    .string()
    .refine((value) => NODE_ENVS.includes(value.trim().toLowerCase()), 'must be production, development or test')
    .default('development'),
  NATS_URL: natsServerList
    .refine((text) => natsServersOf(text).every((server) => !server.includes('://') || NATS_SCHEME.test(server)), 'must be nats:// or tls:// URLs, or host:port')
    .default('nats://127.0.0.1:4222'),
  REDIS_URL: urlSetting('redis', 'a').default('redis://127.0.0.1:6379'),
  // Unset: the subject prefix, so that two deployments on one Redis share no key (see redisKeyPrefixOf).
  REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1–64 letters, digits or _.:-').optional(),
  REDIS_CLUSTER_NODES: hostPorts.optional(),
  REDIS_SENTINELS: hostPorts.optional(),
  REDIS_SENTINEL_NAME: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1–64 letters, digits or _.-').default('mymaster'),
  SMTP_URL: urlSetting('smtp', 'an').optional(),
  SMTP_POOL_SIZE: int(1, 5),
  SMTP_POOL: z.enum(['true', 'false'], { error: 'must be true or false' }).default('true'),
  SMTP_POOL_MAX_MESSAGES: int(1, 100),
  // Receivers check the EHLO name against the sender's DNS; a container's random host name fails that.
  SMTP_NAME: z.string().regex(/^([A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*|\[[0-9A-Fa-f:.IPv]+\])$/, 'must be a host name or an address literal such as [192.0.2.1]').optional(),
  MAIL_FROM: z
    .string()
    .refine((from) => senderDomainOf(from) !== undefined, 'must be an address with a domain, e.g. "Acme <no-reply@acme.example>"')
    .default('resetd <no-reply@localhost>'),
  MAIL_PRODUCT_NAME: z.string().min(1).max(60).default('resetd'),
  MAIL_OUTBOX_DIR: z.string().min(1).default('./outbox'),
  DKIM_DOMAIN: z.string().regex(/^(?=.{1,253}$)[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$/, 'must be a domain name').optional(),
  DKIM_SELECTOR: z.string().regex(/^[A-Za-z0-9_-]{1,63}(\.[A-Za-z0-9_-]{1,63})*$/, 'must be DNS labels').optional(),
  DKIM_PRIVATE_KEY: z.string().optional(),
  DKIM_PRIVATE_KEY_FILE: z.string().optional(),
  OTP_SECRET: z.string().optional(),
  OTP_SECRET_FILE: z.string().optional(),
  OTP_SECRETS: z.string().optional(),
  OTP_SECRETS_FILE: z.string().optional(),
  RESET_SIGNING_KEY: z.string().optional(),
  RESET_SIGNING_KEY_FILE: z.string().optional(),
  OTP_LENGTH: int(4, defaultPolicy.codeLength, 10),
  // At most a day: a code that lives longer is no one-time code, and a huge one made expiresAt unreadable.
  OTP_TTL_SECONDS: int(30, defaultPolicy.codeLifetimeMs / 1000, DAY_SECONDS),
  OTP_MAX_TRIES: int(1, defaultPolicy.maxWrongTries),
  RESET_COOLDOWN_SECONDS: int(0, defaultPolicy.cooldownMs / 1000),
  [RULE_SETTINGS['user-hour']]: rateLimit('user-hour'),
  [RULE_SETTINGS['user-day']]: rateLimit('user-day'),
  [RULE_SETTINGS['ip-hour']]: rateLimit('ip-hour'),
  RATE_IPV6_PREFIX: int(1, 64, 128),
  [RULE_SETTINGS['global-hour']]: rateLimit('global-hour'),
  SMTP_RETRY_BUDGET_SECONDS: int(1, defaultPolicy.deliveryBudgetMs / 1000),
  SMTP_RETRY_ATTEMPTS: int(1, 3, 10),
  SMTP_BREAKER_THRESHOLD: int(1, 5),
  SMTP_BREAKER_HALF_OPEN_SECONDS: int(1, 1),
  RESET_SUBJECT_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be NATS subject tokens without wildcards').default('reset'),
  RESET_INBOX_STREAM: z.string().regex(/^[A-Za-z0-9_-]+$/, NAME).optional(),
  RESET_EVENTS_STREAM: z.string().regex(/^[A-Za-z0-9_-]+$/, NAME).optional(),
  RESET_CONSUMER: z.string().regex(/^[A-Za-z0-9_-]+$/, NAME).default('resetd'),
  RESET_STREAM_REPLICAS: int(1, 1, 5),
  RESET_MAX_IN_FLIGHT: int(1, 64),
  VERIFY_MAX_IN_FLIGHT: int(1, 256),
  // Short, so that the messages a dead instance held go to another within seconds; one in progress
  // is kept alive by heartbeats every third of it, so a slow SMTP server causes no redelivery. At
  // most an hour: a third of 7,000,000 s overflowed the heartbeat timer, which then fired every 1 ms.
  RESET_ACK_WAIT_SECONDS: int(2, 6, 3_600),
  RESET_INBOX_MAX_AGE_HOURS: int(1, defaultStreamLimits.inboxMaxAgeMs / HOUR, MAX_AGE_HOURS),
  RESET_INBOX_MAX_BYTES: int(MIB, defaultStreamLimits.inboxMaxBytes),
  RESET_EVENTS_MAX_AGE_HOURS: int(1, defaultStreamLimits.eventsMaxAgeMs / HOUR, MAX_AGE_HOURS),
  RESET_EVENTS_MAX_BYTES: int(MIB, defaultStreamLimits.eventsMaxBytes),
  // At least a minute: past the 20 s a publish is retried and a dead instance's ack wait; at most the
  // shortest age an event may be kept, which the server requires of the window.
  RESET_EVENTS_DUPLICATE_WINDOW_SECONDS: int(60, defaultStreamLimits.eventsDuplicateWindowMs / 1000, HOUR / 1000),
  RESET_MAX_DELIVER: int(-1, -1),
  AUDIT_LOG_FILE: z.string().min(1).optional(),
  LOG_LEVEL: logLevel.default('info'),
  OPS_HTTP_PORT: int(0, 9464, 65_535),
  OPS_HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  OTEL_SERVICE_NAME: z.string().min(1).default('resetd'),
  // Unset: OTLP when an endpoint is named or in production, else none (src/app/config.ts).
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'console', 'none']).optional(),
  // The SDK's OTLP/HTTP exporters are one class per encoding: resetd picks it (src/app/config.ts).
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol.optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol.optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: urlSetting('http', 'an').optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: urlSetting('http', 'an').optional(),
  OTEL_TRACES_SAMPLER: z
    .enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'])
    .default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
  // Unset: by the encoding (src/app/config.ts).
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: wholeNumber(1).optional(),
  ...natsSecurityEnv,
  ...redisSecurityEnv,
  ...smtpSecurityEnv,
});

export type Env = z.infer<typeof envSchema>;

/**
 * REDIS_KEY_PREFIX, else the subject prefix: deployments told apart by RESET_SUBJECT_PREFIX on one
 * Redis share no code, cooldown or limit (a shared fixed default made one's cooldown refuse the other's mail).
 */
export const redisKeyPrefixOf = (env: Pick<Env, 'REDIS_KEY_PREFIX' | 'RESET_SUBJECT_PREFIX'>): string => env.REDIS_KEY_PREFIX ?? env.RESET_SUBJECT_PREFIX;

/**
 * The variables with a value: one empty, or only spaces, is unset, as in a `.env` template (a port
 * of " " was read as 0 and turned the operators' port off unseen).
 */
export function withoutEmpty(environment: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(environment).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1].trim() !== ''));
}

