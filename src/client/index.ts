/**
 * `resetd/client`: a typed client of resetd for the services that use it. Types are inferred from
 * the zod schemas the service validates with, so they cannot drift from what it accepts.
 *
 * ```ts
 * const client = await connect({ servers: 'nats://127.0.0.1:4222', verifyKeys: [readFileSync('resetd-signing.pub', 'utf8')] });
 * const resetId = await client.requestReset({ userId: 'u-42', email: 'ada@example.com' });
 * const { status } = await client.verify(resetId, '123456');
 * ```
 */
import type { OutboundType } from '../contract/schemas.js';
import type { OutboundEvent } from './outcome-stream.js';
import type { VerifyReply } from './reset-client.js';

export { connect, ResetClient, type ClientOptions, type ConnectOptions, type PasswordChangedData, type ResetRequestData, type VerifyReply } from './reset-client.js';
export { OutcomeStream, type Acknowledgeable, type OutboundEvent, type OutcomeOptions, type ReceivedOutcome } from './outcome-stream.js';
// The logins `ConnectOptions.security` takes, so that a project depending on resetd alone can log in.
export { credsAuthenticator, nkeyAuthenticator, tokenAuthenticator, usernamePasswordAuthenticator, type Authenticator } from '@nats-io/transport-node';
export { InvalidRequestError, NatsUnreachableError, PublishUnconfirmedError, ResetClientError, ServiceUnavailableError, UnverifiedReplyError, VerifyKeysRequiredError, VerifyUnansweredError } from './errors.js';
export type { UnverifiedMessage } from './signature-gate.js';
export { keyIdOf, SIGNATURE_HEADER, SignatureVerifier, type SignatureCheck, type VerifyKey } from '../contract/message-signature.js';
export type { OutboundType } from '../contract/schemas.js';
export type { Subjects } from '../contract/subjects.js';

/** The event of one type, e.g. `OutcomeOf<'reset.code.sent'>`. */
export type OutcomeOf<T extends OutboundType> = Extract<OutboundEvent, { type: T }>;

/** One of the statuses `verify` answers, or one a newer resetd added: a `switch` over it needs a default. */
export type VerifyStatus = VerifyReply['status'];
