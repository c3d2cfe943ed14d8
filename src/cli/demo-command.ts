import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { Cluster } from 'ioredis';
import { createRedisClient } from '../adapters/redis/redis-connection.js';
import type { OutboundEvent } from '../client/outcome-stream.js';
import type { OutcomeStream } from '../client/outcome-stream.js';
import type { ResetClient } from '../client/reset-client.js';
import { maskUrl } from '../contract/mask-url.js';
import { redisSecurityOptions } from '../adapters/environment/redis-security.js';
import { CliError, EXIT } from './cli-error.js';
import type { CliOutput } from './cli-output.js';
import type { CliSettings } from './cli-settings.js';
import { formatEvent, formatValue, TYPE_WIDTH } from './format-event.js';
import { codeInMailText, plainTextOf } from './mail-text.js';
import { openClient } from './open-client.js';
import { keyIdOf } from '../contract/message-signature.js';
import { setTimeout as sleep } from 'node:timers/promises';

const SERVICE_ENTRY = fileURLToPath(new URL('../app/main.js', import.meta.url));
const STEP_TIMEOUT_MS = 10_000;
/** Each of the demo's two streams: 16 MiB holds its few events many times over. */
const DEMO_STREAM_BYTES = 16 * 1_048_576;

/**
 * One whole reset on the local NATS and Redis, told as it happens: starts the service (the real
 * entry point) with mail going to a temporary outbox and a prefix of its own, requests a reset,
 * reads the code from the mail, submits a wrong code and then the right one, and cleans up.
 */
export async function demoCommand(settings: CliSettings, output: CliOutput): Promise<number> {
  const t0 = performance.now();
  const at = () => `${String(Math.round(performance.now() - t0)).padStart(6)} ms`;
  const say = (text: string) => output.out(`${at()}  ${text}`);
  const prefix = `demo${randomBytes(4).toString('hex')}`;
  const outbox = await mkdtemp(join(tmpdir(), 'resetd-demo-'));
  output.out(`resetd demo: one reset on ${settings.natsServers.map(maskUrl).join(',')} and ${maskUrl(settings.redisUrl)}, mail to ${outbox}`);

  let service: ServiceChild | undefined;
  let client: ResetClient | undefined;
  let cleaned = false;
  const finish = async () => {
    if (cleaned) return;
    cleaned = true;
    const stopped = (await service?.stop()) ?? true;
    await cleanUp(client, settings, prefix, outbox);
    if (service) say(stopped ? 'resetd stopped (SIGTERM); the demo streams, keys and outbox are deleted' : 'resetd did not stop within 10 s and was killed');
  };
  // The demo's own signing key: the service signs with it and the client checks every event and
  // reply against it, as a real deployment's would (a forgery is dropped, not shown).
  const signing = generateKeyPairSync('ed25519');
  try {
    // Connecting first turns a NATS that is not there into one clear line before anything starts.
    client = await openClient({ ...settings, subjectPrefix: prefix, streams: {} }, { verifyKeys: [signing.publicKey.export({ type: 'spki', format: 'pem' }).toString()] });
    say(`starting resetd (subject prefix ${prefix})`);
    service = ServiceChild.start(settings, prefix, outbox, signing.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    await service.started();
    say(`resetd is up: streams and consumer made, waiting for work; it signs with key ${keyIdOf(signing.publicKey)}, which the client checks`);

    const events = new EventLog(client, (event) => say(`← ${formatEvent(event).replace(/^\S+\s+/, '')}`));
    const sent = (type: string, resetId: string, what: string) => say(`→ ${type.padEnd(TYPE_WIDTH)}  ${resetId}  ${what}`);
    await events.ready;

    const user = { userId: 'u-demo', email: 'ada@example.com', displayName: 'Ada Lovelace', locale: 'en' };
    const requestedAt = performance.now();
    const resetId = await client.requestReset(user);
    sent('reset.requested', resetId, `for ${user.userId} <${user.email}>`);
    const outcome = await events.waitFor(resetId, ['reset.code.sent', 'reset.rejected', 'reset.delivery.failed']);
    if (outcome.type !== 'reset.code.sent') throw new CliError(`the request ended in ${outcome.type}, not reset.code.sent`, EXIT.failed);
    const mailedMs = Math.round(performance.now() - requestedAt);

    const { subject, code } = await readOutboxMail(outbox);
    say(`✉ the mail is in the outbox: "${subject}", code ${code}`);

    const wrong = code.startsWith('0') ? code.replace(/^0/, '1') : `0${code.slice(1)}`;
    await client.submitCode(resetId, wrong);
    sent('reset.code.submitted', resetId, `a wrong code, ${wrong}`);
    const failed = await events.waitFor(resetId, ['reset.verification.failed', 'reset.completed']);
    const triesLeft = failed.type === 'reset.verification.failed' ? failed.data.attemptsRemaining : undefined;

    const verifyAt = performance.now();
    sent('reset.verify', resetId, `the right code, ${code}`);
    const reply = await client.verify(resetId, code);
    say(`← ${'reply'.padEnd(TYPE_WIDTH)}  ${resetId}  status=${formatValue(reply.status)}${reply.attemptsRemaining === undefined ? '' : ` attemptsRemaining=${reply.attemptsRemaining}`}`);
    const completed = await events.waitFor(resetId, ['reset.completed']);
    const verifiedMs = Math.round(performance.now() - verifyAt);
    events.stop();

    const ok = reply.status === 'completed' && completed.type === 'reset.completed' && triesLeft !== undefined;
    const flow = events.types(resetId).map((type) => type.replace(/^reset\./, '')).join(' → ');
    await finish();
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    output.out(
      `${ok ? '✔' : '✘'} reset ${resetId}: code mailed ${mailedMs} ms after the request, a wrong code refused ` +
        `(${triesLeft ?? '?'} tries left), the right one accepted in ${verifiedMs} ms; ${flow}; ${seconds} s in all`,
    );
    return ok ? EXIT.ok : EXIT.failed;
  } catch (error) {
    if (service?.exited) throw new CliError(service.failure(), EXIT.unreachable, { cause: error });
    throw error;
  } finally {
    await finish();
  }
}

/** The service as its own process, started as `npm start` starts it. */
class ServiceChild {
  private readonly lines: string[] = [];
  private readonly exit: Promise<unknown>;

  private constructor(private readonly child: ChildProcess) {
    this.exit = once(child, 'exit');
    // A chunk may end mid-line: each stream keeps its tail until the line is complete.
    const collector = () => {
      let partial = '';
      return (chunk: Buffer) => {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        this.lines.push(...lines.filter(Boolean));
      };
    };
    child.stdout?.on('data', collector());
    child.stderr?.on('data', collector());
  }

  static start(settings: CliSettings, prefix: string, outbox: string, signingKey: string): ServiceChild {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of ['SMTP_URL', 'OTP_SECRET_FILE', 'OTP_SECRETS', 'OTP_SECRETS_FILE', 'RESET_INBOX_STREAM', 'RESET_EVENTS_STREAM', 'RESET_SIGNING_KEY_FILE']) delete env[name];
    // Traces go nowhere unless the caller set up an exporter.
    if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_TRACES_EXPORTER) env.OTEL_TRACES_EXPORTER = 'none';
    Object.assign(env, {
      NODE_ENV: 'development',
      NATS_URL: settings.natsServers.join(','),
      REDIS_URL: settings.redisUrl,
      RESET_SUBJECT_PREFIX: prefix,
      REDIS_KEY_PREFIX: prefix,
      MAIL_OUTBOX_DIR: outbox,
      OTP_SECRET: randomBytes(32).toString('hex'),
      RESET_SIGNING_KEY: signingKey,
      OPS_HTTP_PORT: '0',
      LOG_LEVEL: 'info',
      // A throwaway deployment of a few events: it must not reserve a production's 9 GiB of
      // JetStream storage, which a shared or small server refuses.
      RESET_INBOX_MAX_BYTES: String(DEMO_STREAM_BYTES),
      RESET_EVENTS_MAX_BYTES: String(DEMO_STREAM_BYTES),
    });
    return new ServiceChild(spawn(process.execPath, [SERVICE_ENTRY], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  async started(): Promise<void> {
    const deadline = performance.now() + 20_000;
    while (!this.lines.some((line) => line.includes('"msg":"resetd started"'))) {
      if (this.exited) throw new CliError(this.failure(), EXIT.unreachable);
      if (performance.now() > deadline) throw new CliError('resetd did not start within 20 s', EXIT.failed);
      await sleep(25);
    }
  }

  /** The service's own words for why it stopped: its last line on stderr or in its log. */
  failure(): string {
    const last = this.lines.at(-1) ?? `exit code ${this.child.exitCode}`;
    return `the service stopped: ${last.replace(/^resetd: /, '')}`;
  }

  /** SIGTERM, as an orchestrator would; true when it exited within 10 s. */
  async stop(): Promise<boolean> {
    if (this.exited) return true;
    this.child.kill('SIGTERM');
    const timer = sleep(10_000).then(() => false);
    const stopped = await Promise.race([this.exit.then(() => true), timer]);
    if (!stopped) this.child.kill('SIGKILL');
    return stopped;
  }
}

/** Every outcome event of the demo's stream, printed as it arrives and kept for waiting on. */
class EventLog {
  readonly ready: Promise<void>;
  private readonly seen: OutboundEvent[] = [];
  private readonly stream: OutcomeStream;
  private wake: (() => void) | undefined;
  /** Per reset, how far `waitFor` has looked, so the same event is not taken twice. */
  private readonly matched = new Map<string, number>();

  constructor(client: ResetClient, print: (event: OutboundEvent) => void) {
    const stream = client.outcomes({ deliver: 'all' });
    this.stream = stream;
    this.ready = stream.ready;
    void (async () => {
      for await (const event of stream) {
        print(event);
        this.seen.push(event);
        this.wake?.();
      }
    })().catch(() => undefined);
  }

  async waitFor<T extends OutboundEvent['type']>(resetId: string, types: readonly T[]): Promise<Extract<OutboundEvent, { type: T }>> {
    const deadline = performance.now() + STEP_TIMEOUT_MS;
    const skip = this.matched.get(resetId) ?? 0;
    for (;;) {
      const index = this.seen.findIndex((e, i) => i >= skip && e.data.resetId === resetId && (types as readonly string[]).includes(e.type));
      if (index >= 0) {
        this.matched.set(resetId, index + 1);
        return this.seen[index] as Extract<OutboundEvent, { type: T }>;
      }
      const left = deadline - performance.now();
      if (left <= 0) throw new CliError(`no ${types.join(' or ')} within ${STEP_TIMEOUT_MS / 1000} s`, EXIT.failed);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, Math.min(left, 100));
      });
    }
  }

  types(resetId: string): string[] {
    return this.seen.filter((e) => e.data.resetId === resetId).map((e) => e.type);
  }

  stop(): void {
    this.stream.stop();
  }
}

async function readOutboxMail(dir: string): Promise<{ subject: string; code: string }> {
  const deadline = performance.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const file = (await readdir(dir)).find((name) => name.endsWith('.eml'));
    if (file !== undefined) {
      const raw = await readFile(join(dir, file), 'utf8');
      const code = codeInMailText(plainTextOf(raw) ?? '');
      if (code === undefined) throw new CliError(`no code in the text part of ${file}`, EXIT.failed);
      const subject = /^Subject: (.*)$/m.exec(raw)?.[1] ?? '';
      return { subject: decodeHeader(subject), code };
    }
    if (performance.now() > deadline) throw new CliError(`no mail in ${dir} within ${STEP_TIMEOUT_MS / 1000} s`, EXIT.failed);
    await sleep(25);
  }
}

/** An RFC 2047 encoded word (`=?UTF-8?Q?…?=`) as text. */
function decodeHeader(value: string): string {
  return value.replace(/=\?utf-8\?([bq])\?([^?]*)\?=\s*/gi, (_, kind: string, text: string) =>
    kind.toLowerCase() === 'b'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (__, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8'),
  );
}

/** Deletes the demo's streams and Redis keys and its outbox; a failure here only leaves litter. */
async function cleanUp(client: ResetClient | undefined, settings: CliSettings, prefix: string, outbox: string): Promise<void> {
  if (client) {
    const jsm = await jetstreamManager(client.nc).catch(() => undefined);
    for (const stream of [client.subjects.inboxStream, client.subjects.eventsStream]) await jsm?.streams.delete(stream).catch(() => undefined);
    await client.close().catch(() => undefined);
  }
  // The Redis the service used: one server, the master the Sentinels name, or each Cluster master.
  const redis = createRedisClient(settings.redisTopology, settings.redisUrl, { ...redisSecurityOptions(settings.redisSecurity), maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    for (const node of redis instanceof Cluster ? redis.nodes('master') : [redis]) {
      for await (const keys of node.scanStream({ match: `${prefix}:*`, count: 500 })) {
        // One key a command: a Cluster refuses keys of several slots in one.
        for (const key of keys as string[]) await node.unlink(key);
      }
    }
  } catch {
    // Redis was not there; there is nothing of ours in it either.
  } finally {
    redis.disconnect();
  }
  await rm(outbox, { recursive: true, force: true });
}
