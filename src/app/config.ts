import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { defaultStreamLimits, type StreamLimits } from '../adapters/nats/jetstream-streams.js';
import { senderDomain } from '../adapters/mail/mail-message.js';
import { parseHostPorts, redisDatabaseOf, type RedisTopology } from '../adapters/redis/redis-connection.js';
import type { MailResilienceOptions } from '../adapters/resilience/resilient-mailer.js';
import type { SmtpSecurity } from '../adapters/smtp/nodemailer-mailer.js';
import { defaultPolicy, type ResetPolicy } from '../domain/policy.js';
import { ConfigError } from './config-error.js';
import { MAKE_KEY, readDkim, readSecrets, readSigningKey, type DkimConfig } from './key-settings.js';
import { maskUrl } from '../contract/mask-url.js';
import { keyIdOf } from '../contract/message-signature.js';
import { natsSecurityEnv, readNatsSecurity, type NatsSecurity } from './nats-security.js';
import { readRedisSecurity, redisSecurityEnv, type RedisSecurity } from './redis-security.js';
import { settingConflicts } from './setting-conflicts.js';
import { readSmtpSecurity, smtpSecurityEnv } from './smtp-security.js';
import { unknownVariables } from './unknown-variables.js';
import { natsServerList, natsServersOf, urlSetting } from './url-setting.js';

export { ConfigError, natsServersOf };

const DEV_SECRET = 'development-only-secret-do-not-use-in-production!';
/** The placeholders of the Kubernetes example's Secret: a code key nobody chose. */
const PLACEHOLDER = /replace-me/i;
/** The docker compose example's code key says so; its signing key is known by its kid. Both are published. */
const EXAMPLE_KEY = /change-me/i;
const EXAMPLE_SIGNING_KID = 'iT4libtopri2GLaVraQAh5spkpfh2y7ZEfxbPxkO-T0';
const HOUR = 3_600_000;
const MIB = 1_048_576;
/** Variables whose value a message must never repeat. */
const SECRET_NAMES = /(SECRET|PASSWORD|TOKEN|SEED|CREDS|PRIVATE_KEY|SIGNING_KEY)/;

const WHOLE = { error: 'must be a whole number' };
/** Digits alone (around spaces): `z.coerce.number` also took "0x10", "1e3" and, as 0, a value of spaces. */
const WHOLE_TEXT = /^\s*-?\d+\s*$/;
/** The specification's three; `grpc` is refused where it would be used (see `tracingProtocolOf`). */
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
/** The variable that sets each of the policy's rate rules. */
const RULE_SETTINGS: Readonly<Record<string, 'RATE_USER_PER_HOUR' | 'RATE_USER_PER_DAY' | 'RATE_IP_PER_HOUR' | 'RATE_GLOBAL_PER_HOUR'>> = {
  'user-hour': 'RATE_USER_PER_HOUR',
  'user-day': 'RATE_USER_PER_DAY',
  'ip-hour': 'RATE_IP_PER_HOUR',
  'global-hour': 'RATE_GLOBAL_PER_HOUR',
};

function defaultLimit(name: string): number {
  const rule = defaultPolicy.rateRules.find((each) => each.name === name);
  if (!rule) throw new Error(`the policy has no rate rule ${name}`);
  return rule.limit;
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
  MAIL_FROM: z.string().min(3).default('resetd <no-reply@localhost>'),
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
  RATE_USER_PER_HOUR: int(1, defaultLimit('user-hour')),
  RATE_USER_PER_DAY: int(1, defaultLimit('user-day')),
  RATE_IP_PER_HOUR: int(1, defaultLimit('ip-hour')),
  RATE_IPV6_PREFIX: int(1, 64, 128),
  RATE_GLOBAL_PER_HOUR: int(1, defaultLimit('global-hour')),
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
  // Unset: see tracingExporterOf.
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'console', 'none']).optional(),
  // The SDK's OTLP/HTTP exporters are one class per encoding: resetd picks it (see TracingConfig.protocol).
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol.optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol.optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: urlSetting('http', 'an').optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: urlSetting('http', 'an').optional(),
  OTEL_TRACES_SAMPLER: z
    .enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'])
    .default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
  // Unset: by the encoding, see TracingConfig.exportBatchSize.
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: wholeNumber(1).optional(),
  ...natsSecurityEnv,
  ...redisSecurityEnv,
  ...smtpSecurityEnv,
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  readonly production: boolean;
  readonly natsServers: string[];
  readonly redisUrl: string;
  /** One server (REDIS_URL), a Redis Cluster or a Sentinel group; REDIS_URL's credentials and TLS apply to all. */
  readonly redisTopology: RedisTopology;
  readonly redisKeyPrefix: string;
  /** The per-IP limits count an IPv6 client by its network of this many bits (one host often holds a /64). */
  readonly ipv6PrefixLength: number;
  /**
   * `pool` false: one connection per mail (the slow way, for comparison), else up to `poolSize` kept
   * open, each replaced after `maxMessages` mails; `name` is the EHLO name (unset: the machine's host name).
   */
  readonly smtp:
    | { readonly url: string; readonly pool: boolean; readonly poolSize: number; readonly maxMessages: number; readonly name: string | undefined; readonly security: SmtpSecurity }
    | undefined;
  /** NATS login and TLS, for every connection the service opens. */
  readonly natsSecurity: NatsSecurity;
  /** Redis login and TLS, besides what REDIS_URL carries. */
  readonly redisSecurity: RedisSecurity;
  /** In-process retries and the circuit breaker around the mailer; longer waits are redeliveries. */
  readonly mailResilience: MailResilienceOptions;
  readonly mail: { readonly from: string; readonly productName: string; readonly outboxDir: string; readonly dkim: DkimConfig | undefined };
  /** Audit records go to this file (appended), or to stdout with `"audit":true` when unset. */
  readonly audit: { readonly file: string | undefined };
  /** Newest first. */
  readonly otpSecrets: string[];
  /** The Ed25519 key every event and `reset.verify` reply is signed with (`Resetd-Signature`). */
  readonly signingKey: KeyObject;
  readonly policy: ResetPolicy;
  readonly nats: {
    readonly subjectPrefix: string;
    readonly inboxStream?: string;
    readonly eventsStream?: string;
    readonly consumer: string;
    readonly replicas: number;
    readonly maxInFlight: number;
    /** `reset.verify` requests one instance holds at once; the excess is answered `unavailable` at once. */
    readonly verifyMaxInFlight: number;
    readonly ackWaitMs: number;
    readonly maxDeliver: number;
    /** The streams' ceilings: what is older, or past the bytes, is dropped (events) or refused (inbox). */
    readonly limits: StreamLimits;
  };
  readonly logLevel: Env['LOG_LEVEL'];
  readonly ops: { readonly port: number; readonly host: string };
  readonly serviceName: string;
  readonly tracing: TracingConfig;
  /** What was defaulted for development only; main logs one warning line for these. */
  readonly developmentDefaults: string[];
  /** Variables that look like resetd's but are none of them, so are ignored; main logs one warning line for these. */
  readonly unknownVariables: string[];
  /**
   * Settings that work, but not as they read: two that contradict each other, a value JetStream
   * takes as another. Warned of, not refused: an instance upgraded with settings that ran before
   * must still start. main logs one warning line for each.
   */
  readonly settingWarnings: string[];
}

/**
 * Where spans go; `none` records nothing. The OpenTelemetry SDK reads the rest of the standard
 * variables itself (the OTLP endpoints, the sampler, the other OTEL_BSP_*); the schema only checks them.
 */
export interface TracingConfig {
  readonly exporter: NonNullable<Env['OTEL_TRACES_EXPORTER']>;
  /**
   * How OTLP spans are encoded: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL,
   * else protobuf, the specification's default (a third of JSON's bytes).
   */
  readonly protocol: 'http/protobuf' | 'http/json';
  /**
   * Spans in one export. Each request costs the exporter about 0.8 ms of CPU whatever its size, so
   * protobuf takes the SDK's 512 (a 145 KB byte array). JSON takes 128: 512 spans of about 700 bytes
   * make a string past V8's 128 KB limit for an object of the young heap, which costs twice as much
   * to build and encode.
   */
  readonly exportBatchSize: number;
}

const PROTOBUF_EXPORT_BATCH = 512;
const JSON_EXPORT_BATCH = 128;

/**
 * Parses the environment once. Every problem is found in one pass: a bad variable is reported and
 * the rest checked as if it were unset; throws one ConfigError listing them all, each naming its
 * variable and what to set.
 */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const given = withoutEmpty(environment);
  const problems: string[] = [];
  const bad = new Set<string>();
  let parsed = envSchema.safeParse(given);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0]);
      if (bad.has(name)) continue;
      bad.add(name);
      problems.push(problemLine(issue, environment));
    }
    parsed = envSchema.safeParse(Object.fromEntries(Object.entries(given).filter(([name]) => !bad.has(name))));
    if (!parsed.success) throw new ConfigError(problems);
  }
  const env = parsed.data;
  /** What `read` returns, or `fallback` with its problems noted (those of a variable already reported bad are left out). */
  const check = <T>(read: () => T, fallback: T): T => {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems.filter((problem) => !bad.has(problem.split(' ')[0]!)));
      return fallback;
    }
  };
  // Any case: `Production` taken as development would drop STARTTLS and the key checks unseen.
  const production = env.NODE_ENV.trim().toLowerCase() === 'production';
  const developmentDefaults: string[] = [];

  // undefined: the keys given are bad, and already reported.
  const givenSecrets = check<string[] | undefined>(() => readSecrets(env), undefined);
  let otpSecrets = givenSecrets ?? [DEV_SECRET];
  if (production && givenSecrets?.some((secret) => secret === DEV_SECRET || PLACEHOLDER.test(secret))) {
    problems.push(`${env.OTP_SECRETS !== undefined || env.OTP_SECRETS_FILE !== undefined ? 'OTP_SECRETS' : 'OTP_SECRET'} holds a placeholder or the development key, not a key of yours: make one with ${MAKE_KEY}`);
  }
  if (otpSecrets.some((secret) => EXAMPLE_KEY.test(secret))) developmentDefaults.push('OTP_SECRET (an example key, published with the repository)');
  if (otpSecrets.length === 0) {
    if (production) problems.push(`OTP_SECRET is required when NODE_ENV=production: make one with ${MAKE_KEY} and set OTP_SECRET (or OTP_SECRET_FILE)`);
    developmentDefaults.push('OTP_SECRET');
    otpSecrets = [DEV_SECRET];
  }
  if (!env.SMTP_URL && !bad.has('SMTP_URL')) {
    if (production) problems.push('SMTP_URL is required when NODE_ENV=production, e.g. smtp://user:pass@host:587 (without it mail is only written to MAIL_OUTBOX_DIR)');
    developmentDefaults.push(`SMTP_URL (mail goes to .eml files in MAIL_OUTBOX_DIR, ${env.MAIL_OUTBOX_DIR})`);
  }
  const smtpSecurity = check(() => readSmtpSecurity(env, env.SMTP_URL, production), undefined);
  // false: the key given is bad, and already reported.
  const givenKey = check<KeyObject | undefined | false>(() => readSigningKey(env), false);
  let signingKey = givenKey || undefined;
  if (givenKey && keyIdOf(createPublicKey(givenKey)) === EXAMPLE_SIGNING_KID) {
    developmentDefaults.push(`RESET_SIGNING_KEY (the docker compose example's, published with the repository, kid ${EXAMPLE_SIGNING_KID})`);
  }
  if (givenKey === undefined) {
    if (production) problems.push('RESET_SIGNING_KEY_FILE (or RESET_SIGNING_KEY) is required when NODE_ENV=production: run `resetd keygen`');
    // A key of this process alone: nothing signed by it verifies after a restart, which is fine for development only.
    signingKey = generateKeyPairSync('ed25519').privateKey;
    developmentDefaults.push(`RESET_SIGNING_KEY (a key made at start, kid ${keyIdOf(createPublicKey(signingKey))})`);
  }
  const redisTopology = check((): RedisTopology => readRedisTopology(env), { kind: 'single' });
  const natsSecurity = check(() => readNatsSecurity(env, natsServersOf(env.NATS_URL)), {});
  const redisSecurity = check(() => readRedisSecurity(env, env.REDIS_URL), {});
  const dkim = check(() => readDkim(env), undefined);
  check(() => {
    try {
      senderDomain(env.MAIL_FROM);
    } catch {
      throw new ConfigError(`MAIL_FROM must be an address with a domain, e.g. "Acme <no-reply@acme.example>" (got "${env.MAIL_FROM}")`);
    }
  }, undefined);
  if (production && env.SMTP_URL !== undefined && given.MAIL_FROM === undefined) {
    problems.push('MAIL_FROM is required when NODE_ENV=production and SMTP_URL is set: its default, no-reply@localhost, is refused or marked as spam by real mail servers');
  }
  if (env.RESET_INBOX_STREAM !== undefined && env.RESET_INBOX_STREAM === env.RESET_EVENTS_STREAM) {
    problems.push(`RESET_INBOX_STREAM and RESET_EVENTS_STREAM must name two streams, not both ${env.RESET_INBOX_STREAM}: the inbox is a work queue, the events a log`);
  }
  const tracingExporter = tracingExporterOf(env, production);
  const tracingProtocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  if (tracingExporter === 'otlp' && tracingProtocol === 'grpc') {
    const name = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
    problems.push(`${name} is grpc, but resetd exports OTLP over HTTP: set it to http/protobuf or http/json and the endpoint to the collector's HTTP port (4318, not gRPC's 4317)`);
  }
  if (problems.length > 0 || signingKey === undefined) throw new ConfigError(problems);
  const settingWarnings = settingConflicts(env, given);
  if (env.RESET_MAX_DELIVER === 0) settingWarnings.push('RESET_MAX_DELIVER=0 is taken by JetStream as -1, no limit: set -1, or the deliveries to allow');

  return {
    production,
    natsServers: natsServersOf(env.NATS_URL),
    redisUrl: env.REDIS_URL,
    redisTopology,
    redisKeyPrefix: redisKeyPrefixOf(env),
    ipv6PrefixLength: env.RATE_IPV6_PREFIX,
    smtp: env.SMTP_URL ? { url: env.SMTP_URL, pool: env.SMTP_POOL === 'true', poolSize: env.SMTP_POOL_SIZE, maxMessages: env.SMTP_POOL_MAX_MESSAGES, name: env.SMTP_NAME, security: smtpSecurity! } : undefined,
    natsSecurity,
    redisSecurity,
    mail: { from: env.MAIL_FROM, productName: env.MAIL_PRODUCT_NAME, outboxDir: env.MAIL_OUTBOX_DIR, dkim },
    audit: { file: env.AUDIT_LOG_FILE },
    mailResilience: {
      attempts: env.SMTP_RETRY_ATTEMPTS,
      initialBackoffMs: 200,
      maxBackoffMs: 2_000,
      breakerThreshold: env.SMTP_BREAKER_THRESHOLD,
      halfOpenAfterMs: env.SMTP_BREAKER_HALF_OPEN_SECONDS * 1000,
    },
    otpSecrets,
    signingKey,
    policy: {
      ...defaultPolicy,
      codeLength: env.OTP_LENGTH,
      codeLifetimeMs: env.OTP_TTL_SECONDS * 1000,
      maxWrongTries: env.OTP_MAX_TRIES,
      cooldownMs: env.RESET_COOLDOWN_SECONDS * 1000,
      deliveryBudgetMs: env.SMTP_RETRY_BUDGET_SECONDS * 1000,
      // The policy's rules, each with its configured limit.
      rateRules: defaultPolicy.rateRules.map((rule) => ({ ...rule, limit: env[RULE_SETTINGS[rule.name]!] })),
    },
    nats: {
      subjectPrefix: env.RESET_SUBJECT_PREFIX,
      inboxStream: env.RESET_INBOX_STREAM,
      eventsStream: env.RESET_EVENTS_STREAM,
      consumer: env.RESET_CONSUMER,
      replicas: env.RESET_STREAM_REPLICAS,
      maxInFlight: env.RESET_MAX_IN_FLIGHT,
      verifyMaxInFlight: env.VERIFY_MAX_IN_FLIGHT,
      ackWaitMs: env.RESET_ACK_WAIT_SECONDS * 1000,
      maxDeliver: env.RESET_MAX_DELIVER,
      limits: {
        inboxMaxAgeMs: env.RESET_INBOX_MAX_AGE_HOURS * HOUR,
        inboxMaxBytes: env.RESET_INBOX_MAX_BYTES,
        eventsMaxAgeMs: env.RESET_EVENTS_MAX_AGE_HOURS * HOUR,
        eventsMaxBytes: env.RESET_EVENTS_MAX_BYTES,
        eventsDuplicateWindowMs: env.RESET_EVENTS_DUPLICATE_WINDOW_SECONDS * 1000,
      },
    },
    logLevel: env.LOG_LEVEL,
    ops: { port: env.OPS_HTTP_PORT, host: env.OPS_HTTP_HOST },
    serviceName: env.OTEL_SERVICE_NAME,
    tracing: {
      exporter: tracingExporter,
      // grpc only gets here when nothing is exported over OTLP (it is refused above when it is).
      protocol: tracingProtocol === 'grpc' ? 'http/protobuf' : tracingProtocol,
      exportBatchSize: env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE ?? (tracingProtocol === 'http/json' ? JSON_EXPORT_BATCH : PROTOBUF_EXPORT_BATCH),
    },
    developmentDefaults,
    unknownVariables: unknownVariables(
      Object.keys(environment).filter((name) => environment[name] !== undefined),
      Object.keys(envSchema.shape),
    ),
    settingWarnings,
  };
}


/**
 * OTEL_TRACES_EXPORTER when set; unset, OTLP when an endpoint is named or in production, else none:
 * a development machine has no collector, and exporting to the default localhost:4318 only logged
 * ECONNREFUSED every few minutes.
 */
function tracingExporterOf(env: Env, production: boolean): TracingConfig['exporter'] {
  if (env.OTEL_TRACES_EXPORTER !== undefined) return env.OTEL_TRACES_EXPORTER;
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  return endpoint !== undefined || production ? 'otlp' : 'none';
}

/** What is wrong with a variable, in words an operator reads without knowing zod: "must be at least 1". */
export function describeIssue(issue: z.core.$ZodIssue): string {
  // A message written in the schema says it best; zod's own start "Invalid" or "Too".
  if (!/^(Invalid|Too (small|big))\b/.test(issue.message)) return issue.message;
  const unit = (origin: string) => (origin === 'string' ? ' characters' : '');
  switch (issue.code) {
    case 'too_small':
      return `must be at least ${String(issue.minimum)}${unit(issue.origin)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}${unit(issue.origin)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_type':
      return issue.expected === 'int' ? 'must be a whole number' : `must be a ${issue.expected}`;
    default:
      return 'is not valid';
  }
}

/** A variable's problem as a start line: its name, what is wrong, and the value it got (see `shownValue`). */
export function problemLine(issue: z.core.$ZodIssue, environment: NodeJS.ProcessEnv): string {
  const name = String(issue.path[0]);
  return `${name} ${describeIssue(issue)}${shownValue(name, environment[name] ?? '')}`;
}

/** The value as given, for the message: a URL's password masked, a secret's value never repeated, a long one cut. */
function shownValue(name: string, value: string): string {
  if (SECRET_NAMES.test(name)) return '';
  return ` (got ${JSON.stringify(maskUrl(value))})`.replace(/\(got "(.{40}).*"\)$/, '(got "$1…")');
}

/** REDIS_CLUSTER_NODES or REDIS_SENTINELS (not both) replace REDIS_URL's host; else the one server of REDIS_URL. */
export function readRedisTopology(env: Pick<Env, 'REDIS_URL' | 'REDIS_CLUSTER_NODES' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_NAME'>): RedisTopology {
  if (env.REDIS_CLUSTER_NODES !== undefined && env.REDIS_SENTINELS !== undefined) {
    throw new ConfigError('REDIS_CLUSTER_NODES and REDIS_SENTINELS are both set; set one');
  }
  const db = redisDatabaseOf(env.REDIS_URL);
  if (Number.isNaN(db)) {
    throw new ConfigError(`REDIS_URL's path is the database number, e.g. redis://host:6379/0 (got "${new URL(env.REDIS_URL).pathname}")`);
  }
  if (env.REDIS_CLUSTER_NODES !== undefined && db > 0) {
    throw new ConfigError(`REDIS_URL names database ${db}, but a Redis Cluster has only database 0: drop it (REDIS_KEY_PREFIX keeps deployments apart)`);
  }
  if (env.REDIS_CLUSTER_NODES !== undefined) return { kind: 'cluster', nodes: parseHostPorts(env.REDIS_CLUSTER_NODES) };
  if (env.REDIS_SENTINELS !== undefined) return { kind: 'sentinel', sentinels: parseHostPorts(env.REDIS_SENTINELS), name: env.REDIS_SENTINEL_NAME };
  return { kind: 'single' };
}

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
