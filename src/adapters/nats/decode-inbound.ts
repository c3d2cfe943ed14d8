import type { z } from 'zod';
import type { CodeSubmission, PasswordChange, ResetRequest } from '../../domain/commands.js';
import type { RejectedEvent } from '../../domain/events.js';
import { issueDetail } from '../../contract/issue-detail.js';
import { requestDigestOf } from '../../contract/request-digest.js';
import { cloudEventEnvelope, codeSubmittedData, id, inboundData, userId as userIdRule, verifyNonce, type InboundType, type PasswordChangedData } from '../../contract/schemas.js';

export const MAX_BODY_BYTES = 16 * 1024;

export type Inbound =
  | { readonly kind: 'requested'; readonly request: ResetRequest }
  | { readonly kind: 'submitted'; readonly submission: CodeSubmission }
  | { readonly kind: 'passwordChanged'; readonly change: PasswordChange }
  | { readonly kind: 'invalid'; readonly rejection: RejectedEvent };

/**
 * A `reset.verify` request: a submission, one that breaks a rule, or one that cannot be read at
 * all; each with what its reply repeats of it (`VerifyEcho`).
 */
export type VerifyRequest = (
  | Extract<Inbound, { kind: 'submitted' | 'invalid' }>
  /** `resetId`: the reset the request names if that much can be read, else `""`. */
  | { readonly kind: 'unreadable'; readonly resetId: string; readonly detail: string }
) &
  VerifyEcho;

/**
 * What a reply repeats of its request: the `nonce` the requester sent, when it is a valid one, and
 * with a valid `salt` the digest of the request's body, so the reply answers that body and no
 * other with that nonce (the salt, never repeated, keeps the code from being worked out of it).
 */
export interface VerifyEcho {
  readonly nonce?: string;
  readonly requestDigest?: string;
}

/**
 * Turns a message body into a command, or into the `reset.rejected` that names what is wrong with
 * it. Never throws. `fallbackSequence` tells apart rejections of messages whose id cannot be read.
 */
export function decodeInbound(expectedType: string, body: Uint8Array, fallbackSequence: string): Inbound {
  const reject = (detail: string, seen: Seen = {}): Inbound => rejection(detail, seen, fallbackSequence);
  if (body.byteLength > MAX_BODY_BYTES) {
    return reject(`The body is ${body.byteLength} bytes; at most ${MAX_BODY_BYTES} are accepted.`);
  }
  const json = parseJson(body);
  if (json === undefined) return reject('The body is not JSON; a CloudEvent in structured JSON mode is expected.');
  const envelope = cloudEventEnvelope.safeParse(json);
  const eventId = readableId(json);
  if (!envelope.success) {
    return reject(issueDetail(envelope.error, json).detail, { eventId, resetId: resetIdOf(expectedType, json, eventId) });
  }
  const event = envelope.data;
  if (event.type !== expectedType) {
    // The value is not repeated: it is the sender's text, and this sentence goes into a signed event.
    return reject(`The field type does not match this subject, which takes "${expectedType}".`, {
      eventId,
      resetId: resetIdOf(expectedType, json, eventId),
    });
  }
  const schema = inboundData[expectedType as InboundType];
  if (!schema) return reject(`The type ${expectedType} is not one resetd accepts.`, { eventId });
  const data = schema.safeParse(event.data);
  if (!data.success) {
    // Only a type whose data names a user: a submitted code's sender could otherwise put any user's id in a signed rejection.
    const userId = expectedType === 'reset.code.submitted' ? undefined : valid(userIdRule, event.data.userId);
    return reject(issueDetail(data.error, event.data, 'data.').detail, { eventId, resetId: resetIdOf(expectedType, json, eventId), userId });
  }
  switch (expectedType as InboundType) {
    case 'reset.requested':
      return { kind: 'requested', request: { resetId: event.id, ...(data.data as z.infer<(typeof inboundData)['reset.requested']>) } };
    case 'reset.code.submitted':
      return { kind: 'submitted', submission: { ...(data.data as z.infer<(typeof inboundData)['reset.code.submitted']>), submissionId: event.id } };
    case 'reset.password.changed': {
      // Without its own `changedAt`, the change happened about when the auth service published it.
      const { changedAt = event.time, ...change } = data.data as PasswordChangedData;
      return {
        kind: 'passwordChanged',
        change: { noticeId: event.id, ...change, ...(changedAt === undefined ? {} : { changedAt: Date.parse(changedAt) }) },
      };
    }
  }
}

/**
 * Decodes a `reset.verify` request: the `data` of `reset.code.submitted` as plain JSON, without an
 * envelope, and the requester's `nonce` for the reply to echo. A request that cannot be read (not a
 * JSON object, an envelope, `resetId` or `code` missing, a `nonce` that breaks its rule) is
 * `unreadable`: it names no reset a rejection could be about. A request has no id, so its
 * rejection is named by its reset and what is wrong: the same mistake repeated (or a flood of it)
 * is one event for the events stream's duplicate window, not one per request.
 */
export function decodeVerifyRequest(body: Uint8Array): VerifyRequest {
  const json = body.byteLength > MAX_BODY_BYTES ? undefined : parseJson(body);
  if (json === undefined) return unreadable('', 'The body is not JSON of at most 16 KiB.');
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return unreadable('', 'The body must be a JSON object with the fields resetId and code.');
  const fields = json as Record<string, unknown>;
  const resetId = valid(id, fields.resetId);
  const echo = echoOf(fields, body);
  // Answered in the reply alone, as any request that cannot be read: nothing is checked.
  for (const field of ['nonce', 'salt'] as const) {
    if (fields[field] !== undefined && !verifyNonce.safeParse(fields[field]).success) return unreadable(resetId ?? '', `The field ${field} must be 1–64 letters, digits, _ or -.`);
  }
  // An envelope holds the data under `data`; a body that has its own resetId is the data itself,
  // and a field it has beside them is one this version does not know, so it is ignored.
  if ('specversion' in fields || ('data' in fields && fields.resetId === undefined)) {
    return unreadable('', 'The body is a CloudEvent envelope; reset.verify takes the plain data (resetId, code) as the body.', echo);
  }
  for (const field of ['resetId', 'code'] as const) {
    if (fields[field] === undefined) return unreadable(resetId ?? '', `The field ${field} is missing.`, echo);
    if (typeof fields[field] !== 'string') return unreadable(resetId ?? '', `The field ${field} must be a string.`, echo);
  }
  const data = codeSubmittedData.safeParse(json);
  if (!data.success) {
    const { detail } = issueDetail(data.error, json);
    return { ...rejection(detail, { resetId }, `verify:${detail}`), ...echo };
  }
  return { kind: 'submitted', submission: data.data, ...echo };
}

const unreadable = (resetId: string, detail: string, echo: VerifyEcho = {}): VerifyRequest => ({ kind: 'unreadable', resetId, detail, ...echo });

const echoOf = (fields: Record<string, unknown>, body: Uint8Array): VerifyEcho => {
  const nonce = valid(verifyNonce, fields.nonce);
  const salted = valid(verifyNonce, fields.salt) !== undefined;
  return { ...(nonce === undefined ? {} : { nonce }), ...(salted ? { requestDigest: requestDigestOf(body) } : {}) };
};

/** What a reply to a `reset.verify` request must name, read and nothing more: its reset (`""` when it names no valid one) and its echo. */
export function verifyReplyAddress(body: Uint8Array): { readonly resetId: string } & VerifyEcho {
  const json = body.byteLength > MAX_BODY_BYTES ? undefined : parseJson(body);
  if (typeof json !== 'object' || json === null) return { resetId: '' };
  const fields = json as Record<string, unknown>;
  return { resetId: valid(id, fields.resetId) ?? '', ...echoOf(fields, body) };
}

type Seen = Partial<{ eventId: string; resetId: string; userId: string }>;

function rejection(detail: string, seen: Seen, fallbackSequence: string): Extract<Inbound, { kind: 'invalid' }> {
  return {
    kind: 'invalid',
    rejection: {
      name: 'reset.rejected',
      sequence: seen.eventId ? `e:${seen.eventId}` : `m:${fallbackSequence}`,
      data: {
        resetId: seen.resetId ?? '',
        eventId: seen.eventId ?? '',
        ...(seen.userId ? { userId: seen.userId } : {}),
        reason: 'invalid_request',
        detail,
      },
    },
  };
}

function parseJson(body: Uint8Array): unknown {
  try {
    // A view of the body, not a copy of it.
    return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** `value` if it passes `rule`: a rejection repeats only what was valid, never what broke the rules. */
function valid(rule: z.ZodType<string>, value: unknown): string | undefined {
  return rule.safeParse(value).success ? (value as string) : undefined;
}

function readableId(json: unknown): string | undefined {
  return valid(id, (json as { id?: unknown } | null)?.id);
}

/** The reset a rejected message was about: a request's own id, or the reset a code was submitted for. */
function resetIdOf(expectedType: string, json: unknown, eventId: string | undefined): string | undefined {
  if (expectedType === 'reset.requested') return eventId;
  const data = (json as { data?: unknown } | null)?.data;
  const resetId = valid(id, (data as { resetId?: unknown } | null | undefined)?.resetId);
  return resetId ?? (expectedType === 'reset.password.changed' ? eventId : undefined);
}
