import type { Env } from '../adapters/environment/env-schema.js';

/** A heading of docs/configuration.md and .env.example, and what each of its variables means (Markdown). */
export interface EnvGroup {
  readonly title: string;
  readonly variables: Partial<Record<keyof Env, string>>;
}

/**
 * What each variable of `envSchema` means, grouped as an operator looks for them. The default and
 * the rule come from the schema itself; docs/configuration.md and .env.example are generated from
 * both (`npm run configuration`), and a test fails when a variable has no description here.
 */
export const envGroups: readonly EnvGroup[] = [
  {
    title: 'Connections',
    variables: {
      NATS_URL:
        "NATS server(s), comma-separated. One is enough to find a cluster; listing all lets an instance start while one is down. Another scheme stops the start: resetd's Node client would take `http://` as `nats://`, and has no websocket transport for `ws://` or `wss://`.",
      REDIS_URL: 'Redis; `rediss://` for TLS; a path is the database number (`/2`; refused at start if the server does not have it; only 0 with a Cluster). Run it with persistence (AOF) in production.',
      REDIS_KEY_PREFIX:
        'Prefix of every Redis key. Unset: RESET_SUBJECT_PREFIX, so deployments with different prefixes on one Redis share no key (before, `resetd`: set that to keep the keys of an older deployment).',
      REDIS_CLUSTER_NODES:
        "Redis Cluster: some of its nodes as `host:port`, comma-separated (the client learns the rest). Set: REDIS_URL's host is not used; its user, password and `rediss://` are, for every node.",
      REDIS_SENTINELS:
        "Redis Sentinel: the Sentinels as `host:port`, comma-separated. Set: the master they name is used instead of REDIS_URL's host (its user, password and `rediss://` still apply). Not with REDIS_CLUSTER_NODES.",
      REDIS_SENTINEL_NAME: 'The master name the Sentinels watch (`sentinel monitor <name> …`), with REDIS_SENTINELS.',
    },
  },
  {
    title: 'Mail',
    variables: {
      SMTP_URL:
        '`smtp://user:pass@host:587` (STARTTLS) or `smtps://user:pass@host:465`. Unset: mail is written as `.eml` files to MAIL_OUTBOX_DIR (with NODE_ENV=production it is required).',
      SMTP_POOL_SIZE: 'Pooled SMTP connections.',
      SMTP_POOL: 'Keep SMTP connections open and reuse them; `false` opens one connection per mail (slower, for comparison).',
      SMTP_POOL_MAX_MESSAGES:
        "Mails one pooled connection sends before it is replaced. Many providers cap this (25, 50, 100 a connection); set it to your provider's cap. A mail that finds every connection busy goes to whichever is free first, a new one included, so it never waits out a new connection's handshake while an old one comes free.",
      SMTP_NAME: "Name resetd gives itself in EHLO: a host name receivers can look up. Unset: this machine's host name, which a container's random one fails.",
      MAIL_FROM: 'Sender of every mail, an address with a domain; its domain names the Message-ID. Required with NODE_ENV=production when SMTP_URL is set.',
      MAIL_PRODUCT_NAME: 'Product name in the mail.',
      MAIL_OUTBOX_DIR: 'Where mail goes without SMTP_URL.',
      DKIM_DOMAIN: 'DKIM signing domain (`d=`), best the domain of MAIL_FROM; set with DKIM_SELECTOR and the key, or leave all three unset (no signature).',
      DKIM_SELECTOR: 'DKIM selector (`s=`): the public key is published as TXT at `<selector>._domainkey.<domain>`.',
      DKIM_PRIVATE_KEY: 'DKIM private key in PEM: RSA of at least 1024 bits, 2048 advised (an Ed25519 key stops the start: it would leave mail unsigned); `\\n` may stand for line breaks.',
      DKIM_PRIVATE_KEY_FILE: 'A file holding the DKIM private key, instead of DKIM_PRIVATE_KEY (not both).',
    },
  },
  {
    title: 'Connection security',
    variables: {
      NATS_TOKEN: 'NATS token login (not with another NATS login).',
      NATS_TOKEN_FILE: 'A file holding NATS_TOKEN, instead of it (not both).',
      NATS_USER: 'NATS user, with NATS_PASSWORD.',
      NATS_PASSWORD: 'NATS password, with NATS_USER. A user and password (or a token) written into NATS_URL work too, not together with these.',
      NATS_PASSWORD_FILE: 'A file holding NATS_PASSWORD, instead of it (not both).',
      NATS_NKEY_SEED: 'NATS NKey user seed (`SU…`), for an nkey login.',
      NATS_NKEY_SEED_FILE: 'A file holding NATS_NKEY_SEED, instead of it (not both).',
      NATS_CREDS: 'NATS credentials (user JWT and NKey seed, as `nsc` writes them), inline.',
      NATS_CREDS_FILE: 'A NATS credentials file (`.creds`), instead of NATS_CREDS (not both).',
      NATS_TLS_CA_FILE: 'CA certificate(s) in PEM to check the NATS server against; set: TLS.',
      NATS_TLS_CERT_FILE: 'Client certificate in PEM, for a NATS server that verifies clients (`tlsverify`), with NATS_TLS_KEY_FILE; read again at each reconnection.',
      NATS_TLS_KEY_FILE: 'Private key in PEM of NATS_TLS_CERT_FILE.',
      NATS_INBOX_PREFIX:
        "Prefix of this connection's reply subjects (unset: `_INBOX`). With deploy/nats, `_INBOX_resetd`: a prefix no other user may read, so no one sees resetd's replies or the messages it pulls.",
      REDIS_USERNAME: 'Redis ACL user, with REDIS_PASSWORD (unset: the default user); not with a user in REDIS_URL.',
      REDIS_PASSWORD: "Redis password (`requirepass`, or the ACL user's); not with a password in REDIS_URL.",
      REDIS_PASSWORD_FILE: 'A file holding REDIS_PASSWORD, instead of it (not both).',
      REDIS_TLS_CA_FILE: 'CA certificate(s) in PEM to check Redis against; needs a `rediss://` REDIS_URL.',
      REDIS_TLS_CERT_FILE: 'Client certificate in PEM, for a Redis with `tls-auth-clients yes`, with REDIS_TLS_KEY_FILE.',
      REDIS_TLS_KEY_FILE: 'Private key in PEM of REDIS_TLS_CERT_FILE.',
      SMTP_USER: 'SMTP user; overrides the user in SMTP_URL.',
      SMTP_PASSWORD: 'SMTP password; overrides the password in SMTP_URL.',
      SMTP_PASSWORD_FILE: 'A file holding SMTP_PASSWORD, instead of it (not both).',
      SMTP_TLS_CA_FILE: 'CA certificate(s) in PEM to check the SMTP server against, instead of the public CAs.',
      SMTP_ALLOW_PLAINTEXT:
        '`true`: with NODE_ENV=production, allow an `smtp://` server without STARTTLS (a local catcher, as Mailpit in docker compose); else TLS is required.',
    },
  },
  {
    title: 'Codes',
    variables: {
      OTP_SECRET: 'HMAC key for code digests, at least 32 characters. Unset: a development key, with one warning line (with NODE_ENV=production it is required, and the examples\' placeholders are refused).',
      OTP_SECRET_FILE: 'A file holding OTP_SECRET, instead of it (not both).',
      OTP_SECRETS: 'Keys for rotation, comma-separated, newest first, each at least 32 characters; not together with OTP_SECRET. See [security.md](security.md).',
      OTP_SECRETS_FILE: 'A file holding OTP_SECRETS, instead of it (not both).',
      OTP_LENGTH: 'Digits per code.',
      OTP_TTL_SECONDS: 'Code lifetime, in seconds.',
      OTP_MAX_TRIES: 'Wrong tries before the reset locks.',
      RESET_COOLDOWN_SECONDS: 'Least time between two codes for one user, in seconds.',
    },
  },
  {
    title: 'Signatures (who may say a reset completed)',
    variables: {
      RESET_SIGNING_KEY:
        'Ed25519 private key in PKCS#8 PEM that signs every event and `reset.verify` reply (`Resetd-Signature`); `resetd keygen` makes one; `\\n` may stand for line breaks. Unset: a key made at start, with one warning line (with NODE_ENV=production it is required). See [security.md](security.md#who-may-say-a-reset-completed).',
      RESET_SIGNING_KEY_FILE: 'A file holding RESET_SIGNING_KEY, instead of it (not both).',
    },
  },
  {
    title: 'Rate limits (sliding windows shared by all instances)',
    variables: {
      RATE_USER_PER_HOUR: 'Requests per user in an hour.',
      RATE_USER_PER_DAY: 'Requests per user in a day; at least RATE_USER_PER_HOUR (a start warning says so otherwise).',
      RATE_IP_PER_HOUR: 'Requests per client IP in an hour.',
      RATE_IPV6_PREFIX:
        'The per-IP limit counts an IPv6 client by its network of this many leading bits (one host often holds a whole /64); IPv4 counts per address, an IPv4-mapped IPv6 address as its IPv4 address.',
      RATE_GLOBAL_PER_HOUR: 'Requests over all users in an hour.',
    },
  },
  {
    title: 'SMTP retries and circuit breaker',
    variables: {
      SMTP_RETRY_BUDGET_SECONDS: 'How long transient SMTP failures are retried (by redelivery) before `reset.delivery.failed`, in seconds.',
      SMTP_RETRY_ATTEMPTS: 'Tries per mail within one handling of its message, the first included; later tries are redeliveries.',
      SMTP_BREAKER_THRESHOLD: 'Consecutive failed SMTP tries (across all mails) that open the circuit breaker.',
      SMTP_BREAKER_HALF_OPEN_SECONDS: 'Seconds the open breaker waits before letting one trial send through.',
    },
  },
  {
    title: 'NATS subjects, streams and consumer',
    variables: {
      RESET_SUBJECT_PREFIX: 'Subject prefix; also names the streams, upper-cased with every other character as `_` (so `acme-eu` and `acme.eu` name the same ones: resetd refuses to start on a stream that holds another prefix\'s subjects).',
      RESET_INBOX_STREAM: 'Inbox stream name; unset: `<PREFIX>_INBOX`.',
      RESET_EVENTS_STREAM: 'Events stream name; unset: `<PREFIX>_EVENTS`.',
      RESET_CONSUMER: 'Durable consumer on the inbox, shared by all instances.',
      RESET_STREAM_REPLICAS: 'Stream replicas (3 on a NATS cluster).',
      RESET_MAX_IN_FLIGHT: "Messages one instance handles at once. Far more wants a larger heap ceiling than `npm start`'s (see [operations.md](operations.md)).",
      VERIFY_MAX_IN_FLIGHT:
        '`reset.verify` requests one instance holds at once; past it a request is answered `unavailable` at once, unread (see [security.md](security.md#bounded-verify-and-pasted-codes)).',
      RESET_ACK_WAIT_SECONDS:
        "Consumer ack wait, in seconds (at least 2): a dead instance's messages go to another after it; one in progress is kept alive by heartbeats every third of it. Below RESET_EVENTS_DUPLICATE_WINDOW_SECONDS.",
      RESET_INBOX_MAX_AGE_HOURS: 'Hours a command may wait in the inbox stream before the server drops it.',
      RESET_INBOX_MAX_BYTES: 'Bytes the inbox stream may hold (at least 1 MiB); past it a publish is refused with `maximum bytes exceeded`. See [security.md](security.md#storage-ceilings).',
      RESET_EVENTS_MAX_AGE_HOURS: 'Hours the events stream keeps an event.',
      RESET_EVENTS_MAX_BYTES: 'Bytes the events stream may hold (at least 1 MiB); past it the oldest events are dropped. See [security.md](security.md#storage-ceilings).',
      RESET_EVENTS_DUPLICATE_WINDOW_SECONDS:
        'Seconds the events stream remembers an event id: an outcome published again within it (a redelivery after an instance died) is dropped, not stored twice. Well above `RESET_ACK_WAIT_SECONDS` (a start warning says so when it is not above). Each NATS node holding the stream keeps about 300 bytes an id for that long: see [capacity.md](capacity.md).',
      RESET_MAX_DELIVER: 'Deliveries before giving up (`-1`: until the SMTP retry budget decides; JetStream takes `0` as `-1`, with a start warning). Keep `-1`.',
    },
  },
  {
    title: 'Logs and audit',
    variables: {
      LOG_LEVEL: 'Level of the JSON log on stdout, in any case; `debug` adds a line per message handled.',
      AUDIT_LOG_FILE: 'Append audit records (one JSON line per outcome and `reset.verify` answer) to this file; unset: stdout, marked `"audit":true`.',
    },
  },
  {
    title: "Operators' port",
    variables: {
      OPS_HTTP_PORT: '`/healthz`, `/readyz` and `/metrics`; `0` turns it off (one info line at start says so).',
      OPS_HTTP_HOST: "Address the operators' port listens on.",
    },
  },
  {
    title: 'OpenTelemetry',
    variables: {
      OTEL_SERVICE_NAME: 'Service name in traces, and the CloudEvent `source`.',
      OTEL_TRACES_EXPORTER:
        '`otlp` (OTLP over HTTP), `console` (stdout, for development) or `none` (nothing recorded; trace context still passes through). Unset: `otlp` when an OTLP endpoint is set or NODE_ENV=production, else `none` (a development machine has no collector).',
      OTEL_EXPORTER_OTLP_PROTOCOL: "How spans are encoded: `http/protobuf` or `http/json`. Unset: `http/protobuf`, the specification's default. `grpc` stops the start when spans would be exported with it: resetd exports over HTTP (a collector's port 4318); it is fine where OTEL_EXPORTER_OTLP_TRACES_PROTOCOL overrides it or nothing is exported.",
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'As OTEL_EXPORTER_OTLP_PROTOCOL, for traces; overrides it.',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'OTLP/HTTP base endpoint (traces go to `<endpoint>/v1/traces`); setting it turns export on. Unset while exporting: `http://localhost:4318`.',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'OTLP/HTTP traces endpoint, used as given; overrides OTEL_EXPORTER_OTLP_ENDPOINT for traces.',
      OTEL_TRACES_SAMPLER: 'Which spans are recorded.',
      OTEL_TRACES_SAMPLER_ARG: 'The ratio for the `traceidratio` samplers; unset: 1.',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE:
        "Spans sent in one OTLP request. Unset: by the encoding, the SDK's 512 with `http/protobuf`, 128 with `http/json` (a larger JSON body costs resetd twice the CPU per span to build; docs/operations.md, Tracing configuration).",
    },
  },
  {
    title: 'Environment',
    variables: {
      NODE_ENV: '`production`, `development` or `test`, in any case; another value (`prod`) stops the start, as it would otherwise turn every production check off unseen. `production` makes OTP_SECRET, SMTP_URL, MAIL_FROM (with SMTP_URL) and RESET_SIGNING_KEY(_FILE) required, and STARTTLS for an `smtp://` server (unless SMTP_ALLOW_PLAINTEXT=true).',
    },
  },
];
