import { domainToASCII } from 'node:url';
import { z } from 'zod';
import { rfc3339DateTime } from './rfc3339.js';

// One schema per event: the validation at the boundary and the source of the client's types.

const noControl = /^[^\p{Cc}]*$/u;
const controlChars = /\p{Cc}/gu;

export const id = z.string().min(1).max(128).regex(noControl, 'must not contain control characters');
export const userId = z.string().min(1).max(128).regex(noControl, 'must not contain control characters');
/**
 * An address as RFC 6531 allows it: a local part of RFC 5322's dot-atom (every `atext` character,
 * so `first=last@` and `o'brien@` too) with letters and digits of any script, and a dotted domain
 * (`jörg@example.com`, `joerg@müller.de`, `joerg@xn--mller-kva.de`). Quoted local parts and address
 * literals (`"a b"@`, `@[192.0.2.1]`) are refused: no provider hands them out to users.
 */
const MAIL_ADDRESS =
  /^[\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~-]+(?:\.[\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~-]+)*@(?:[\p{L}\p{M}\p{N}][\p{L}\p{M}\p{N}-]*\.)+(?:\p{L}[\p{L}\p{M}]+|xn--[A-Za-z0-9-]+)$/u;
// The domain must also have an ASCII (punycode) form, which is what goes to the SMTP server.
const email = z
  .email({ pattern: MAIL_ADDRESS })
  .max(254)
  .refine((address) => domainToASCII(address.slice(address.lastIndexOf('@') + 1)) !== '', 'Invalid email address: the domain is not a valid international domain name')
  // JSON Schema's name for an address that may hold more than ASCII (RFC 6531).
  .meta({ format: 'idn-email' });
// BCP 47's shape: a language of 2–8 letters, a private-use (`x-`) or grandfathered (`i-`) tag, then
// subtags of 1–8 letters or digits. It only picks templates (any other falls back to en), so the bound
// is generous: twice the 35 characters RFC 5646 asks every implementation to take.
const locale = z.string().max(70).regex(/^(?:[A-Za-z]{2,8}|[XxIi](?=-))(?:-[A-Za-z0-9]{1,8})*$/, 'must be a BCP 47 language tag');
const displayName = z
  .string()
  .max(100)
  .transform((value) => value.replace(controlChars, ''));
export const clientIp = z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' });
const userAgent = z.string().max(512);

export const resetRequestedData = z.object({
  userId,
  email,
  locale: locale.optional(),
  displayName: displayName.optional(),
  clientIp: clientIp.optional(),
  userAgent: userAgent.optional(),
});

export const codeSubmittedData = z.object({
  resetId: id,
  code: z.string().min(1).max(16),
  clientIp: clientIp.optional(),
});

export const passwordChangedData = z.object({
  userId,
  email,
  locale: locale.optional(),
  displayName: displayName.optional(),
  resetId: id.optional(),
  changedAt: rfc3339DateTime.optional(),
  clientIp: clientIp.optional(),
});

/** The CloudEvents 1.0 structured-mode envelope, with `data` checked separately per type. */
export const cloudEventEnvelope = z.object({
  specversion: z.literal('1.0'),
  id,
  source: z.string().min(1).max(512),
  type: z.string().min(1).max(128),
  time: rfc3339DateTime.optional(),
  // A media type: case-insensitive, parameters such as `; charset=utf-8` allowed (some clients always send one).
  datacontenttype: z.string().regex(/^application\/json\s*(;.*)?$/i, 'must be application/json').optional(),
  data: z.record(z.string(), z.unknown()),
});

export const inboundData = {
  'reset.requested': resetRequestedData,
  'reset.code.submitted': codeSubmittedData,
  'reset.password.changed': passwordChangedData,
} as const;

export type InboundType = keyof typeof inboundData;
export type ResetRequestedData = z.infer<typeof resetRequestedData>;
export type CodeSubmittedData = z.infer<typeof codeSubmittedData>;
export type PasswordChangedData = z.infer<typeof passwordChangedData>;

export const verifyStatus = z.enum([
  'completed',
  'invalid_code',
  'expired',
  'locked',
  'unknown_reset',
  'superseded',
  'invalid_request',
  'unavailable',
]);

/**
 * A `reset.verify` request's `nonce`: random text of the requester's, echoed in the signed reply, so
 * that a reply captured for another request (of another deployment sharing the key, say) is refused.
 */
export const verifyNonce = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]*$/, 'must hold only letters, digits, _ and -');

/**
 * A `reset.verify` request: the `data` of `reset.code.submitted`, an optional `nonce` the reply
 * echoes, and an optional `salt` (the same rule) it does not: with one, the reply carries the
 * SHA-256 of the whole request (`requestDigest`). The salt keeps the code from being worked out
 * of that digest by whoever reads replies: without it, only the code would be unknown.
 */
export const verifyRequest = codeSubmittedData.extend({ nonce: verifyNonce.optional(), salt: verifyNonce.optional() });

/**
 * The reply names the reset it answers, and is signed with it, so a `completed` captured for one
 * reset cannot be passed off as the answer for another. `""` only when the request's id was unreadable.
 * `attemptsRemaining` comes with `invalid_code` (and `locked`); `detail` names the field of an `invalid_request`;
 * `nonce` is the request's, when it had a valid one; `requestDigest` the SHA-256 of the request's
 * body as received (base64url), when it had a valid `salt`, so the reply answers that very request.
 */
export const verifyReply = z.object({
  resetId: z.string(),
  status: verifyStatus,
  attemptsRemaining: z.number().int().min(0).optional(),
  detail: z.string().optional(),
  nonce: verifyNonce.optional(),
  requestDigest: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a SHA-256 in base64url').optional(),
});
export type VerifyReply = z.infer<typeof verifyReply>;

/**
 * A closed set as a client reads it: a value a newer resetd added comes through as text instead of
 * failing the whole message, typed (`string & {}`) so that a `switch` over it needs a default.
 * resetd itself publishes only the known values.
 */
function open<T extends z.ZodEnum>(known: T) {
  return z.union([known, z.string().transform((value): string & {} => value)]);
}

/** A verify reply as the client reads it: a status it does not know is a newer resetd's, not a forgery. */
export const receivedVerifyReply = verifyReply.extend({ status: open(verifyStatus) });
export type ReceivedVerifyReply = z.infer<typeof receivedVerifyReply>;

// resetd writes its own times with toISOString, so what it publishes promises that narrower form.
const iso = z.iso.datetime({ offset: true });

/** Outbound events, as published to `<PREFIX>_EVENTS`. */
export const outboundData = {
  'reset.code.sent': z.object({ resetId: z.string(), userId: z.string(), expiresAt: iso }),
  'reset.rejected': z.object({
    resetId: z.string(),
    eventId: z.string(),
    userId: z.string().optional(),
    reason: z.enum(['rate_limited', 'cooldown', 'invalid_request']),
    retryAfterSeconds: z.number().int().positive().optional(),
    detail: z.string(),
  }),
  'reset.delivery.failed': z.object({
    resetId: z.string(),
    userId: z.string(),
    reason: z.enum(['smtp_permanent', 'smtp_retries_exhausted']),
    attempts: z.number().int().min(0),
  }),
  'reset.verification.failed': z.object({
    resetId: z.string(),
    userId: z.string().optional(),
    reason: z.enum(['invalid_code', 'expired', 'locked', 'unknown_reset', 'superseded']),
    attemptsRemaining: z.number().int().min(0),
  }),
  'reset.completed': z.object({ resetId: z.string(), userId: z.string(), completedAt: iso }),
  'reset.notice.sent': z.object({ resetId: z.string(), userId: z.string() }),
} as const;

export type OutboundType = keyof typeof outboundData;

/**
 * What resetd's envelope promises beyond the shared one: `time`, `datacontenttype`, and the extension attribute
 * `resetdprefix`, the subject prefix of the deployment that published it. The signature covers the
 * body, so this ties a signed event to one deployment: a consumer of another that shares the key
 * refuses it.
 */
const outboundEnvelope = cloudEventEnvelope.extend({ time: iso, datacontenttype: z.literal('application/json'), resetdprefix: z.string() });

function outbound<T extends OutboundType>(type: T) {
  return outboundEnvelope.extend({ type: z.literal(type), data: outboundData[type] });
}

/** Any event read from `<PREFIX>_EVENTS`, told apart by `type`. */
export const outboundEvent = z.discriminatedUnion('type', [
  outbound('reset.code.sent'),
  outbound('reset.rejected'),
  outbound('reset.delivery.failed'),
  outbound('reset.verification.failed'),
  outbound('reset.completed'),
  outbound('reset.notice.sent'),
]);
export type OutboundEvent = z.infer<typeof outboundEvent>;

/** The `data` of each outbound event as the client reads it: a `reason` it does not know is a newer resetd's. */
const receivedData = {
  ...outboundData,
  'reset.rejected': outboundData['reset.rejected'].extend({ reason: open(outboundData['reset.rejected'].shape.reason) }),
  'reset.delivery.failed': outboundData['reset.delivery.failed'].extend({ reason: open(outboundData['reset.delivery.failed'].shape.reason) }),
  'reset.verification.failed': outboundData['reset.verification.failed'].extend({ reason: open(outboundData['reset.verification.failed'].shape.reason) }),
};

/** An event published before resetd named its deployment has no `resetdprefix` (the client then checks its subject alone). */
const receivedEnvelope = outboundEnvelope.extend({ resetdprefix: z.string().optional() });

function received<T extends OutboundType>(type: T) {
  return receivedEnvelope.extend({ type: z.literal(type), data: receivedData[type] });
}

/** An outbound event as the client reads it: with its `resetdprefix` if it has one, and open reasons. */
export const receivedOutboundEvent = z.discriminatedUnion('type', [
  received('reset.code.sent'),
  received('reset.rejected'),
  received('reset.delivery.failed'),
  received('reset.verification.failed'),
  received('reset.completed'),
  received('reset.notice.sent'),
]);
export type ReceivedOutboundEvent = z.infer<typeof receivedOutboundEvent>;
