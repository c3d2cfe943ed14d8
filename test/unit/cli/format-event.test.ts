import { describe, expect, it } from 'vitest';
import type { OutboundEvent } from '../../../src/contract/schemas.js';
import { formatEvent, isOutcomeOf } from '../../../src/cli/format-event.js';

const envelope = { specversion: '1.0', id: 'e-1', source: 'urn:resetd:resetd', time: '2030-01-01T12:00:00.000Z', datacontenttype: 'application/json', resetdprefix: 'reset' } as const;

describe('formatEvent', () => {
  it('writes the time, the type, the reset and the other fields as key=value', () => {
    const event: OutboundEvent = { ...envelope, type: 'reset.code.sent', data: { resetId: 'r-1', userId: 'u-1', expiresAt: '2030-01-01T12:10:00.000Z' } };
    expect(formatEvent(event)).toBe('2030-01-01T12:00:00.000Z  reset.code.sent            r-1  userId=u-1 expiresAt=2030-01-01T12:10:00.000Z');
  });

  it('quotes values with spaces, leaves out what is absent, and shows an unknown reset as -', () => {
    const event: OutboundEvent = {
      ...envelope,
      type: 'reset.rejected',
      data: { resetId: '', eventId: '', reason: 'invalid_request', detail: 'The field data.email is invalid: "x".' },
    };
    expect(formatEvent(event)).toBe(
      '2030-01-01T12:00:00.000Z  reset.rejected             -  eventId="" reason=invalid_request detail="The field data.email is invalid: \\"x\\"."',
    );
  });

  it('escapes what would move the cursor or reorder the line: an unverified event must not forge another', () => {
    const event: OutboundEvent = {
      ...envelope,
      type: 'reset.rejected',
      data: { resetId: 'r-1', eventId: '', reason: 'invalid_request', detail: 'x\u001b[1A\u001b[2K\rreset.completed r-victim\u202e' },
    };
    const line = formatEvent(event);
    expect(line).toBe('2030-01-01T12:00:00.000Z  reset.rejected             r-1  eventId="" reason=invalid_request detail="x\\u001b[1A\\u001b[2K\\rreset.completed r-victim\\u202e"');
    expect([...line].filter((c) => c < ' ' || c === '\u202e')).toEqual([]);
  });

  it('escapes the reset id too: it is the sender’s text like any other field', () => {
    const event: OutboundEvent = { ...envelope, type: 'reset.notice.sent', data: { resetId: 'r-1\u001b]0;owned\u0007\u001b[2K', userId: 'u-1' } };
    const line = formatEvent(event);
    expect(line).toBe('2030-01-01T12:00:00.000Z  reset.notice.sent          "r-1\\u001b]0;owned\\u0007\\u001b[2K"  userId=u-1');
    expect([...line].filter((c) => c < ' ')).toEqual([]);
  });
});

describe('isOutcomeOf', () => {
  const rejected = (eventId: string): OutboundEvent => ({ ...envelope, type: 'reset.rejected', data: { resetId: 'r-1', eventId, reason: 'invalid_request', detail: 'x' } });

  it("takes the request's own rejection, not that of a submission naming the reset (a mistyped code)", () => {
    expect(isOutcomeOf('r-1', rejected('r-1'))).toBe(true);
    expect(isOutcomeOf('r-1', rejected('submission-7'))).toBe(false);
  });

  it('takes code.sent and delivery.failed of the reset, and nothing of another or after', () => {
    expect(isOutcomeOf('r-1', { ...envelope, type: 'reset.code.sent', data: { resetId: 'r-1', userId: 'u', expiresAt: envelope.time } })).toBe(true);
    expect(isOutcomeOf('r-2', { ...envelope, type: 'reset.code.sent', data: { resetId: 'r-1', userId: 'u', expiresAt: envelope.time } })).toBe(false);
    expect(isOutcomeOf('r-1', { ...envelope, type: 'reset.delivery.failed', data: { resetId: 'r-1', userId: 'u', reason: 'smtp_permanent', attempts: 1 } })).toBe(true);
    expect(isOutcomeOf('r-1', { ...envelope, type: 'reset.completed', data: { resetId: 'r-1', userId: 'u', completedAt: envelope.time } })).toBe(false);
  });
});
