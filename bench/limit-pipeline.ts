/**
 * The limit: the same work as resetd's reset, with no domain logic, as fast as it honestly goes. Pull
 * `reset.requested` from JetStream (at most `BENCH_MAX_IN_FLIGHT` at once, as resetd), make a code
 * and its keyed digest, as many Redis round trips as resetd (`BENCH_REDIS_ROUND_TRIPS`, at least
 * four), one mail through resetd's own message builder and SMTP transport with the same pool, one
 * awaited publish of the outcome, signed as the contract requires of every event (`Resetd-Signature`,
 * resetd's own signer), ack. No validation schema, no tracing, metrics, audit, retries or breaker, no lease.
 *
 * A process of its own, configured by environment; prints `limit started` once it pulls.
 */
import { createHmac, generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AckPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';
import { cloudEvent, eventIdDeriver } from '../src/contract/cloud-event.js';
import { defaultStreamLimits, ensureStreams } from '../src/adapters/nats/jetstream-streams.js';
import { subjectsFor } from '../src/contract/subjects.js';
import { messageSigner, SIGNATURE_HEADER } from '../src/contract/message-signature.js';
import { mailMessageBuilder } from '../src/adapters/mail/mail-message.js';
import { createSmtpTransport } from '../src/adapters/smtp/nodemailer-mailer.js';
import { createRedisClient } from '../src/adapters/redis/redis-connection.js';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const prefix = env('BENCH_PREFIX', 'limit');
const maxInFlight = Number(env('BENCH_MAX_IN_FLIGHT', '64'));
const secret = Buffer.from(env('OTP_SECRET'));
const keyPrefix = env('REDIS_KEY_PREFIX', 'limit');
const subjects = subjectsFor(prefix);
const TTL_MS = 24 * 3_600_000;
const CODE_TTL_MS = 10 * 60_000;
const CONSUMER = 'limit';
const source = 'urn:resetd:limit';

interface Requested {
  readonly id: string;
  readonly data: { userId: string; email: string; locale?: string; displayName?: string; clientIp?: string };
}

/**
 * As many Redis round trips as resetd makes for a new reset (the bench measures it and passes it
 * on), each of plain commands, in resetd's order: the lookup with the limits' window at once, issue,
 * the user's pending reset, finish; past four, one more window each, as resetd would spend them.
 */
const extraRoundTrips = Math.max(0, Number(env('BENCH_REDIS_ROUND_TRIPS', '4')) - 4);
const extraWindowsOf = (userId: string): string[] => Array.from({ length: extraRoundTrips }, (_, i) => `${keyPrefix}:user:{${userId}}:rl-${i}`);

// resetd's client: the commands of one turn of the event loop leave in one write, as resetd's do.
const redis = createRedisClient({ kind: 'single' }, env('REDIS_URL'), { enableOfflineQueue: true, maxRetriesPerRequest: 1 });
await redis.connect();
// As resetd connects (src/app/connections.ts): no async stack traces captured for each request.
const nc = await connect({ servers: env('NATS_URL'), name: 'limit', noAsyncTraces: true });
const js = jetstream(nc);
const jsm = await jetstreamManager(nc);
await ensureStreams(jsm, subjects, {
  replicas: 1,
  consumer: CONSUMER,
  ackWaitMs: 60_000,
  maxDeliver: -1,
  maxAckPending: Math.max(1000, maxInFlight * 4),
  limits: {
    ...defaultStreamLimits,
    inboxMaxBytes: Number(env('RESET_INBOX_MAX_BYTES', String(defaultStreamLimits.inboxMaxBytes))),
    eventsMaxBytes: Number(env('RESET_EVENTS_MAX_BYTES', String(defaultStreamLimits.eventsMaxBytes))),
  },
});
// Sanity: the durable consumer is explicit-ack, as resetd's.
if ((await jsm.consumers.info(subjects.inboxStream, CONSUMER)).config.ack_policy !== AckPolicy.Explicit) throw new Error('consumer not explicit-ack');

// With SMTP_TLS_CA_FILE, as resetd with it: STARTTLS required, the server's certificate checked against that CA.
const caFile = process.env.SMTP_TLS_CA_FILE;
const transport = createSmtpTransport(env('SMTP_URL'), {
  maxConnections: Number(env('SMTP_POOL_SIZE', '5')),
  maxMessages: Number(env('SMTP_POOL_MAX_MESSAGES', '100')),
  pool: true,
  ...(caFile ? { security: { requireTls: true, ca: readFileSync(caFile, 'utf8') } } : {}),
});
// As resetd without RESET_SIGNING_KEY: a key made at start.
const signer = messageSigner(generateKeyPairSync('ed25519').privateKey);
// As resetd: event ids keyed with a secret of their own (resetd keeps the deployment's in Redis), so no one can publish under one first.
const eventId = eventIdDeriver(randomBytes(32));
const encoder = new TextEncoder();
const build = mailMessageBuilder({ from: env('MAIL_FROM', 'resetd <no-reply@bench.example>'), productName: 'resetd' });

async function handle(msg: JsMsg): Promise<void> {
  const event = JSON.parse(Buffer.from(msg.data).toString('utf8')) as Requested;
  const resetId = event.id;
  const { userId, email } = event.data;
  const record = `${keyPrefix}:reset:{${resetId}}`;
  const now = Date.now();
  // 1: find, and admit (one sliding window stands for resetd's layers), in one round trip.
  const [existing] = await Promise.all([redis.hgetall(record), redis.zadd(`${keyPrefix}:global:rl`, now, resetId)]);
  if (existing.outcome !== undefined) {
    msg.ack();
    return;
  }
  for (const window of extraWindowsOf(userId)) await redis.zadd(window, now, resetId);
  // 2: issue: the digest, never the code, with the record's lifetime.
  const code = String(randomInt(1_000_000)).padStart(6, '0');
  const digest = createHmac('sha256', secret).update(`${resetId}\u0000${code}`).digest('base64url');
  const expiresAt = now + CODE_TTL_MS;
  // Both in one write (one round trip); no MULTI: an ioredis transaction is a `Pipeline`, which
  // costs the collector (see src/adapters/redis/one-write-per-tick.ts), and resetd's script is atomic anyway.
  await Promise.all([
    redis.hset(record, 'resetId', resetId, 'userId', userId, 'state', 'issued', 'digest', digest, 'expiresAt', expiresAt),
    redis.pexpire(record, TTL_MS),
  ]);
  // 3: the user's pending reset.
  await redis.set(`${keyPrefix}:user:{${userId}}:current`, resetId, 'PX', TTL_MS);
  // The mail, through resetd's builder and transport.
  await transport.sendMail(
    build({ kind: 'code', resetId, to: email, locale: event.data.locale, displayName: event.data.displayName, code, expiresAt, lifetimeMinutes: 10 }),
  );
  // 4: finish.
  const outcome = { resetId, userId, expiresAt: new Date(expiresAt).toISOString() };
  await redis.hset(record, 'state', 'sent', 'outcome', JSON.stringify(outcome));
  const id = eventId(resetId, 'reset.code.sent', '0');
  const body = cloudEvent({ id, source, type: 'reset.code.sent', time: new Date(), data: outcome, prefix });
  const bytes = encoder.encode(JSON.stringify(body));
  const h = natsHeaders();
  h.set(SIGNATURE_HEADER, signer.sign(bytes));
  await js.publish(subjects.event('reset.code.sent'), bytes, { msgID: id, headers: h });
  msg.ack();
}

let inFlight = 0;
let wake: (() => void) | undefined;
let stopping = false;

const settle = (msg: JsMsg): void => {
  inFlight += 1;
  handle(msg).then(
    () => undefined,
    (error: unknown) => {
      process.stderr.write(`limit: ${String(error)}\n`);
      msg.nak(1_000);
    },
  ).finally(() => {
    inFlight -= 1;
    wake?.();
  });
};

async function pull(): Promise<void> {
  const consumer = await js.consumers.get(subjects.inboxStream, CONSUMER);
  // As resetd's inbox: pull once a quarter of the slots are free, so a pull brings a batch; an open pull takes new messages as they come.
  const refill = Math.max(1, Math.ceil(maxInFlight / 4));
  process.stdout.write('limit started\n');
  while (!stopping) {
    while (maxInFlight - inFlight < refill && !stopping) await new Promise<void>((resolve) => (wake = resolve));
    if (stopping) break;
    // As resetd's loop: a failed pull (say, heartbeats missed while the cores were busy) is pulled again.
    try {
      const batch = await consumer.fetch({ max_messages: maxInFlight - inFlight, expires: 3_000 });
      for await (const msg of batch) settle(msg);
    } catch (error) {
      process.stderr.write(`limit: pulling failed, pulling again: ${String(error)}\n`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

const stop = async () => {
  stopping = true;
  wake?.();
  while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  transport.close();
  await nc.drain();
  await redis.quit();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

await pull();
