import type { z } from 'zod';
import type { CodeSubmission, PasswordChange, ResetRequest } from '../../domain/commands.js';
import type { RejectedEvent } from '../../domain/events.js';
import { issueDetail } from '../../contract/issue-detail.js';
import { cloudEventEnvelope, codeSubmittedData, inboundData, type InboundType, type PasswordChangedData } from '../../contract/schemas.js';

export const MAX_BODY_BYTES = 16 * 1024;

export type Inbound =
  | { readonly kind: 'requested'; readonly request: ResetRequest }
  | { readonly kind: 'submitted'; readonly submission: CodeSubmission }
  | { readonly kind: 'passwordChanged'; readonly change: PasswordChange }
  | { readonly kind: 'invalid'; readonly rejection: RejectedEvent };

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
    return reject(`The field type is "${event.type}"; this subject takes "${expectedType}".`, {
      eventId,
      resetId: resetIdOf(expectedType, json, eventId),
    });
  }
  const schema = inboundData[expectedType as InboundType];
  if (!schema) return reject(`The type ${expectedType} is not one resetd accepts.`, { eventId });
  const data = schema.safeParse(event.data);
  if (!data.success) {
    const userId = typeof event.data.userId === 'string' && event.data.userId.length <= 128 ? event.data.userId : undefined;
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
 * envelope.
 */
export function decodeVerifyRequest(body: Uint8Array, fallbackSequence: string): Extract<Inbound, { kind: 'submitted' | 'invalid' }> {
  const json = body.byteLength > MAX_BODY_BYTES ? undefined : parseJson(body);
  if (json === undefined) return rejection('The body is not JSON of at most 16 KiB.', {}, fallbackSequence);
  const data = codeSubmittedData.safeParse(json);
  if (!data.success) return rejection(issueDetail(data.error, json, 'data.').detail, { resetId: resetIdIn(json) }, fallbackSequence);
  return { kind: 'submitted', submission: data.data };
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
    return JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return undefined;
  }
}

function readableId(json: unknown): string | undefined {
  const value = (json as { id?: unknown } | null)?.id;
  return typeof value === 'string' && value.length > 0 && value.length <= 128 ? value : undefined;
}

/** The reset a rejected message was about: a request's own id, or the reset a code was submitted for. */
function resetIdOf(expectedType: string, json: unknown, eventId: string | undefined): string | undefined {
  if (expectedType === 'reset.requested') return eventId;
  const data = (json as { data?: unknown } | null)?.data;
  return resetIdIn(data) ?? (expectedType === 'reset.password.changed' ? eventId : undefined);
}

function resetIdIn(data: unknown): string | undefined {
  const value = (data as { resetId?: unknown } | null | undefined)?.resetId;
  return typeof value === 'string' && value.length <= 128 ? value : undefined;
}
