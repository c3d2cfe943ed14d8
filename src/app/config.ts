import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { ConfigError } from '../adapters/environment/config-error.js';
import { envSchema, redisKeyPrefixOf, RULE_SETTINGS, withoutEmpty, type Env } from '../adapters/environment/env-schema.js';
import { problemLines } from '../adapters/environment/problem-line.js';
import { readRedisTopology } from '../adapters/environment/redis-topology.js';
import { MAKE_KEY, readDkim, readSecrets, readSigningKey, type DkimConfig } from '../adapters/environment/key-settings.js';
import { readNatsSecurity, type NatsSecurity } from '../adapters/environment/nats-security.js';
import { readRedisSecurity, type RedisSecurity } from '../adapters/environment/redis-security.js';
import { readSmtpSecurity } from '../adapters/environment/smtp-security.js';
import { natsServersOf } from '../adapters/environment/url-setting.js';
import type { StreamLimits } from '../adapters/nats/jetstream-streams.js';
import type { RedisTopology } from '../adapters/redis/redis-connection.js';
import { MAIL_BACKOFF, type MailResilienceOptions } from '../adapters/resilience/resilient-mailer.js';
import type { SmtpSecurity } from '../adapters/smtp/nodemailer-mailer.js';
import { keyIdOf } from '../contract/message-signature.js';
import { defaultPolicy, type ResetPolicy } from '../domain/policy.js';
import { settingConflicts } from './setting-conflicts.js';
import { unknownVariables } from './unknown-variables.js';

const DEV_SECRET = 'development-only-secret-do-not-use-in-production!';
/** The placeholders of the Kubernetes example's Secret: a code key nobody chose. */
const PLACEHOLDER = /replace-me/i;
/** The docker compose example's code key says so; its signing key is known by its kid. Both are published. */
const EXAMPLE_KEY = /change-me/i;
const EXAMPLE_SIGNING_KID = 'iT4libtopri2GLaVraQAh5spkpfh2y7ZEfxbPxkO-T0';
const HOUR = 3_600_000;

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
    for (const [name, line] of problemLines(parsed.error.issues, environment)) {
      bad.add(name);
      problems.push(line);
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
      ...MAIL_BACKOFF,
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
      rateRules: defaultPolicy.rateRules.map((rule) => ({ ...rule, limit: env[RULE_SETTINGS[rule.name as keyof typeof RULE_SETTINGS]] })),
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
