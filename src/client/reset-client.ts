import { randomBytes, randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import {
  connect as natsConnect,
  headers as natsHeaders,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
  type Authenticator,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import { context, propagation } from '@opentelemetry/api';
import type { z } from 'zod';
import { cloudEvent } from '../contract/cloud-event.js';
import { natsConnectFailure, natsConnectFailureLine } from '../contract/nats-connect-failure.js';
import { urlLogin } from '../contract/nats-url-login.js';
import { issueDetail } from '../contract/issue-detail.js';
import { requestDigestOf } from '../contract/request-digest.js';
import { codeSubmittedData, passwordChangedData, receivedVerifyReply, resetRequestedData, type CodeSubmittedData, type ReceivedVerifyReply } from '../contract/schemas.js';
import { subjectsFor, type Subjects } from '../contract/subjects.js';
import { maskUrl } from '../contract/mask-url.js';
import { quotedForDisplay } from '../contract/printable.js';
import { readableHeaders } from '../contract/message-headers.js';
import type { VerifyKey } from '../contract/message-signature.js';
import { InvalidRequestError, NatsUnreachableError, PublishUnconfirmedError, ServiceUnavailableError, UnverifiedReplyError, VerifyUnansweredError } from './errors.js';
import { OutcomeStream, type OutcomeOptions } from './outcome-stream.js';
import { isNoResponders, repliesTo } from './replies.js';
import { SignatureGate, type UnverifiedMessage } from './signature-gate.js';

/** What `requestReset` takes: the `data` of `reset.requested`, as the contract defines it. */
export type ResetRequestData = z.input<typeof resetRequestedData>;

/** What `passwordChanged` takes: the `data` of `reset.password.changed`, as the contract defines it. */
export type PasswordChangedData = z.input<typeof passwordChangedData>;

/**
 * What `verify` answers: the reset it is about and its `status`, which may be one this client does
 * not know yet (a newer resetd's), so a `switch` over it needs a default.
 */
export type VerifyReply = Omit<ReceivedVerifyReply, 'nonce' | 'requestDigest'>;

export interface ClientOptions {
  /** The deployment's subject prefix (`RESET_SUBJECT_PREFIX`); `reset` unless set. */
  readonly subjectPrefix?: string;
  /** Stream names, when the deployment sets them apart from the prefix. */
  readonly streams?: { readonly inbox?: string; readonly events?: string };
  /** The CloudEvent `source` of what this client publishes, e.g. `urn:acme:auth`. */
  readonly source?: string;
  /**
   * resetd's public keys (PEM, or JWK as an object or JSON text), several while its key rotates.
   * Given: every outcome event and `verify` reply must carry a `Resetd-Signature` that verifies
   * with one of them; an event that does not is dropped and reported, a reply that does not throws
   * UnverifiedReplyError. Unset: nothing is checked, and the client warns once; with
   * `NODE_ENV=production`, `outcomes()` and `verify()` refuse to read unchecked (ResetClientError).
   */
  readonly verifyKeys?: readonly VerifyKey[];
  /** Told of each outcome event dropped for its signature, unless `outcomes()` was given its own; unset: a process warning. */
  readonly onUnverified?: (message: UnverifiedMessage) => void;
  /** How long one try of a publish waits for JetStream's acknowledgement, in milliseconds; 5000 unless set. */
  readonly publishTimeoutMs?: number;
}

export interface ConnectOptions extends ClientOptions {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222`. */
  readonly servers: string | readonly string[];
  /** The connection's name, as the NATS server's monitoring shows it. */
  readonly name?: string;
  /** How long the first connection may take, in milliseconds; 5000 unless set. */
  readonly timeoutMs?: number;
  /**
   * How to log in, whether to use TLS, and the inbox prefix the server's permissions expect, as
   * nats.js takes them: e.g. `{ authenticator: usernamePasswordAuthenticator('auth', pass),
   * tls: { caFile: '/etc/nats/ca.pem' }, inboxPrefix: '_INBOX_auth' }` (deploy/nats).
   */
  readonly security?: Pick<NodeConnectionOptions, 'authenticator' | 'tls' | 'inboxPrefix'>;
}

/** Opens a NATS connection of its own and returns a client over it; `close()` closes both. */
export function connect(options: ConnectOptions): Promise<ResetClient> {
  return ResetClient.connect(options);
}

/**
 * A typed client of resetd over NATS: publishes the contract's commands as CloudEvents (with
 * `Nats-Msg-Id` set to the event's id), asks `reset.verify`, and reads the outcome events. Every
 * type comes from the schemas the service validates with.
 */
export class ResetClient {
  readonly subjects: Subjects;
  private readonly js: JetStreamClient;
  private readonly source: string;

  /** Opens a NATS connection of its own; `close()` closes it. */
  static async connect(options: ConnectOptions): Promise<ResetClient> {
    // A bad key fails here, before a connection is opened for nothing.
    const gate = SignatureGate.of(options.verifyKeys);
    const servers = typeof options.servers === 'string' ? options.servers.split(',').map((s) => s.trim()) : [...options.servers];
    let nc: NatsConnection;
    try {
      // Once connected it keeps reconnecting; only the first connection fails fast.
      nc = await natsConnect({
        servers,
        name: options.name ?? 'resetd-client',
        timeout: options.timeoutMs ?? 5_000,
        maxReconnectAttempts: -1,
        ...loginFromUrl(servers),
        ...options.security,
      });
    } catch (error) {
      const masked = servers.map(maskUrl);
      throw new NatsUnreachableError(natsConnectFailureLine(error, masked.join(',')), masked, { cause: error, failure: natsConnectFailure(error) });
    }
    try {
      return new ResetClient(nc, await managerOf(nc), options, gate, true);
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  /** Uses a connection the caller already has, and leaves it open on `close()`. */
  static async fromConnection(nc: NatsConnection, options: ClientOptions = {}): Promise<ResetClient> {
    return new ResetClient(nc, await managerOf(nc), options, SignatureGate.of(options.verifyKeys), false);
  }

  private constructor(
    readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly options: ClientOptions,
    private readonly gate: SignatureGate,
    private readonly ownsConnection: boolean,
  ) {
    this.subjects = subjectsFor(options.subjectPrefix ?? 'reset', options.streams ?? {});
    this.js = jetstream(nc);
    this.source = options.source ?? 'urn:resetd:client';
  }

  /**
   * Publishes `reset.requested` and resolves with the reset's id once JetStream has stored it.
   * Publishing again with the same `id` inside the stream's duplicate window is dropped.
   * @throws InvalidRequestError before publishing when the data breaks the contract.
   */
  async requestReset(data: ResetRequestData, options: { id?: string } = {}): Promise<string> {
    const checked = resetRequestedData.safeParse(data);
    if (!checked.success) throw invalid(checked.error, data);
    return this.publish('reset.requested', this.subjects.requested, checked.data, options.id);
  }

  /**
   * Publishes `reset.code.submitted` and resolves with the submission's event id; the outcome
   * (`reset.completed` or `reset.verification.failed`) arrives on the events stream.
   */
  async submitCode(resetId: string, code: string, options: { clientIp?: string; id?: string } = {}): Promise<string> {
    return this.publish('reset.code.submitted', this.subjects.codeSubmitted, checkedSubmission(resetId, code, options.clientIp), options.id);
  }

  /**
   * Publishes `reset.password.changed` once the user's new password is set, and resolves with the
   * event's id once JetStream has stored it; resetd mails the user a notice and publishes
   * `reset.notice.sent`. Publishing again with the same `id` sends no second notice.
   * @throws InvalidRequestError before publishing when the data breaks the contract.
   */
  async passwordChanged(data: PasswordChangedData, options: { id?: string } = {}): Promise<string> {
    const checked = passwordChangedData.safeParse(data);
    if (!checked.success) throw invalid(checked.error, data);
    return this.publish('reset.password.changed', this.subjects.passwordChanged, checked.data, options.id);
  }

  /**
   * Checks a code at once (`reset.verify`, answered by one instance). `unavailable` means a fault
   * on the service's side: nothing was checked and no try was spent, so asking again is safe. No
   * answer in time (VerifyUnansweredError) is not that: the code may have been checked.
   * @throws UnverifiedReplyError when the reply's signature does not verify (with `verifyKeys`), or
   * it answers another reset or another request.
   * @throws ServiceUnavailableError when no reply came in time and the server said no one took the request.
   */
  async verify(resetId: string, code: string, options: { clientIp?: string; timeoutMs?: number } = {}): Promise<VerifyReply> {
    const submission = checkedSubmission(resetId, code, options.clientIp);
    this.gate.assertChecking('a reset.verify reply');
    // Echoed in the signed reply: a reply resetd signed for another request (of another deployment
    // that shares the key, or an earlier one for this reset) does not answer this one.
    const nonce = randomBytes(16).toString('base64url');
    // Every reply until the first that verifies and answers this request: a forged one that arrives
    // first (anyone who can read the request can answer it) must not hide resetd's own. A "no
    // responders" status is such a reply too, so it is believed only if nothing better comes in time.
    let refused: UnverifiedReplyError | undefined;
    let noResponders = false;
    // And a salt, never repeated, for the digest of the whole body the reply must carry: a reply
    // echoing only this nonce may answer a request someone who read this one sent with it.
    const request = JSON.stringify({ ...submission, nonce, salt: randomBytes(16).toString('base64url') });
    const sent = { nonce, digest: requestDigestOf(request) };
    const replies = repliesTo(this.nc, this.subjects.verify, request, { maxWaitMs: options.timeoutMs ?? 10_000, headers: traceHeaders() });
    for await (const reply of replies) {
      if (isNoResponders(reply)) {
        // Usually the server's own word, when no resetd runs: the wait need not be long, only
        // long enough for resetd's signed reply to come after a forged status.
        noResponders = true;
        replies.waitAtMost(NO_RESPONDERS_GRACE_MS);
        continue;
      }
      const judged = this.judgeReply(reply, resetId, sent);
      if (!(judged instanceof UnverifiedReplyError)) return judged;
      refused ??= judged;
    }
    if (refused) throw refused;
    if (noResponders) throw new ServiceUnavailableError(`no resetd instance answers ${this.subjects.verify}: is the service running with this subject prefix?`);
    throw new VerifyUnansweredError(`no answer on ${this.subjects.verify} in time: the code may have been checked (a reset.completed on the outcome events says so)`);
  }

  /** A reply's answer, or why it cannot be trusted: its signature, its body, or another reset or request answered. */
  private judgeReply(reply: Msg, resetId: string, sent: { readonly nonce: string; readonly digest: string }): VerifyReply | UnverifiedReplyError {
    const refusal = this.gate.refusal(reply.data, readableHeaders(reply));
    if (refusal !== undefined) return new UnverifiedReplyError(`the reply on ${this.subjects.verify} did not verify (${refusal.reason}); its status cannot be trusted`, refusal.reason);
    const answer = receivedVerifyReply.safeParse(safeJson(reply));
    if (!answer.success) return new UnverifiedReplyError(`the reply on ${this.subjects.verify} is not a verify reply; its status cannot be trusted`, 'not a verify reply');
    const { nonce: echoed, requestDigest, ...answered } = answer.data;
    if (answered.resetId !== resetId) {
      return new UnverifiedReplyError(`the reply on ${this.subjects.verify} answers reset ${quotedForDisplay(answered.resetId)}, not ${resetId}`, 'another reset');
    }
    if (echoed !== sent.nonce) return new UnverifiedReplyError(`the reply on ${this.subjects.verify} answers another request (its nonce is not this one's)`, 'another request');
    // Required, as the nonce is: a reply without it may answer a request made without the salt.
    if (requestDigest !== sent.digest) {
      return new UnverifiedReplyError(`the reply on ${this.subjects.verify} answers another request with this one's nonce (its digest is not this one's)`, 'another request');
    }
    return answered;
  }

  /**
   * The outcome events, typed by `type`, as they arrive on `<PREFIX>_EVENTS`. With `durable`, a
   * durable consumer of that name is created (or reused), so a restarted reader goes on where it
   * stopped: each event is acknowledged when the loop asks for the next one (not one it ends on), or, with
   * `ack: 'manual'`, when its `ack()` is called. Without it, an ordered consumer that leaves nothing
   * on the server. A new consumer starts after the events kept (`deliver: 'all'` replays them):
   * await `ready` before publishing something whose outcome must not be missed.
   */
  outcomes(options: OutcomeOptions = {}): OutcomeStream {
    this.gate.assertChecking('outcome events');
    const onUnverified = options.onUnverified ?? this.options.onUnverified;
    return new OutcomeStream(this.nc, this.js, this.jsm, this.subjects, { ...options, ...(onUnverified ? { onUnverified } : {}) }, this.gate);
  }

  /** Closes the connection if `connect` opened it, after flushing what was published. */
  async close(): Promise<void> {
    if (this.ownsConnection) await this.nc.drain();
  }

  private async publish(type: string, subject: string, data: unknown, id: string = randomUUID()): Promise<string> {
    const event = cloudEvent({ id, source: this.source, type, time: new Date(), data });
    try {
      // Tried again with the same headers, so the same Nats-Msg-Id: a try the stream took and did not
      // acknowledge in time (a leader election, a reconnect) is dropped as a duplicate.
      await this.js.publish(subject, JSON.stringify(event), { msgID: id, headers: traceHeaders(), timeout: this.options.publishTimeoutMs ?? 5_000, retries: PUBLISH_TRIES });
    } catch (error) {
      if (causedBy(error, NO_RESPONDERS)) {
        throw new ServiceUnavailableError(
          `no stream takes ${subject}: start resetd first (it creates ${this.subjects.inboxStream} and ${this.subjects.eventsStream}), ` +
            'and check the subject prefix and that the NATS server runs JetStream',
          { cause: error },
        );
      }
      if (causedBy(error, ['TimeoutError'])) {
        throw new PublishUnconfirmedError(
          `JetStream did not acknowledge ${type} ${id} in ${PUBLISH_TRIES} tries: it may be stored or not; publish it again with { id: '${id}' } and it is taken once`,
          id,
          { cause: error },
        );
      }
      throw error;
    }
    return id;
  }
}

async function managerOf(nc: NatsConnection): Promise<JetStreamManager> {
  try {
    return await jetstreamManager(nc);
  } catch (error) {
    throw new ServiceUnavailableError(`the NATS server at ${maskUrl(nc.getServer())} does not answer JetStream requests: run it with JetStream (-js)`, { cause: error });
  }
}

/** The caller's trace context, if OpenTelemetry is set up, so resetd's spans join its trace. */
function traceHeaders(): MsgHdrs {
  const h = natsHeaders();
  propagation.inject(context.active(), h, { set: (carrier, key, value) => carrier.set(key, value) });
  return h;
}

/** How long a verify waits for a signed reply once told that no one took the request. */
const NO_RESPONDERS_GRACE_MS = 1_000;

/**
 * A code submission (`submitCode`, `verify`) as the contract takes it.
 * @throws InvalidRequestError naming the field that breaks the contract.
 */
export function checkedSubmission(resetId: string, code: string, clientIp?: string): CodeSubmittedData {
  const submitted = { resetId, code, ...(clientIp ? { clientIp } : {}) };
  const checked = codeSubmittedData.safeParse(submitted);
  if (!checked.success) throw invalid(checked.error, submitted);
  return checked.data;
}

function invalid(error: z.ZodError, data: unknown): InvalidRequestError {
  const { field, detail } = issueDetail(error, data);
  return new InvalidRequestError(detail, field);
}

/** Tries of a publish JetStream does not acknowledge in time, each with the event's one id. */
const PUBLISH_TRIES = 3;

/** A JetStream publish that no stream took: nats.js reports it under several names. */
const NO_RESPONDERS = ['NoResponders', 'NoRespondersError', 'JetStreamNotEnabled'];

/** Whether the error, or one of its causes, is named one of `names`. */
function causedBy(error: unknown, names: readonly string[]): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (names.includes(e.name)) return true;
  }
  return false;
}

/** An authenticator for a login written into a server URL, which nats.js 3 does not read itself. */
function loginFromUrl(servers: readonly string[]): { authenticator?: Authenticator } {
  const login = urlLogin(servers);
  if (login === undefined) return {};
  return { authenticator: login.kind === 'token' ? tokenAuthenticator(login.token) : usernamePasswordAuthenticator(login.user, login.password) };
}

function safeJson(msg: Msg): unknown {
  try {
    return msg.json();
  } catch {
    return undefined;
  }
}

