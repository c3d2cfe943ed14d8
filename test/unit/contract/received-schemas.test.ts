import { describe, expect, it } from 'vitest';
import { cloudEvent } from '../../../src/contract/cloud-event.js';
import { codeSubmittedData, outboundData, outboundEvent, receivedOutboundEvent, receivedVerifyReply, verifyNonce, verifyReply } from '../../../src/contract/schemas.js';

const rejected = (reason: string, prefix?: string) => ({
  ...cloudEvent({ id: 'e-1', source: 'urn:resetd:resetd', type: 'reset.rejected', time: new Date('2030-01-01T12:00:00Z'), data: { resetId: 'r-1', eventId: 'r-1', reason, detail: 'Slow down.' }, ...(prefix ? { prefix } : {}) }),
});

describe('what the client reads, and what resetd publishes', () => {
  it('names the deployment in an event when given its prefix (resetdprefix), and not otherwise', () => {
    expect(rejected('cooldown', 'acme')).toMatchObject({ resetdprefix: 'acme' });
    expect(rejected('cooldown')).not.toHaveProperty('resetdprefix');
  });

  it('reads a verify reply with a status it does not know as that status: a newer resetd’s, not a forgery', () => {
    expect(receivedVerifyReply.parse({ resetId: 'r-1', status: 'throttled' })).toEqual({ resetId: 'r-1', status: 'throttled' });
    expect(receivedVerifyReply.parse({ resetId: 'r-1', status: 'completed', nonce: 'n-1' })).toEqual({ resetId: 'r-1', status: 'completed', nonce: 'n-1' });
    expect(receivedVerifyReply.safeParse({ resetId: 'r-1', status: 7 }).success).toBe(false);
    // resetd's own replies stay within the statuses it knows.
    expect(verifyReply.safeParse({ resetId: 'r-1', status: 'throttled' }).success).toBe(false);
  });

  it('reads an outcome event with a reason it does not know, with its resetdprefix or without one (published before resetd named it)', () => {
    expect(receivedOutboundEvent.parse(rejected('newfangled', 'acme'))).toMatchObject({ resetdprefix: 'acme', data: { reason: 'newfangled' } });
    expect(receivedOutboundEvent.parse(rejected('cooldown'))).not.toHaveProperty('resetdprefix');
    expect(receivedOutboundEvent.safeParse({ ...rejected('cooldown', 'acme'), resetdprefix: 7 }).success).toBe(false);
    // resetd's own events always name it.
    expect(outboundEvent.safeParse(rejected('cooldown')).success).toBe(false);
    // What resetd publishes is checked against the closed set.
    expect(outboundData['reset.rejected'].safeParse(rejected('newfangled').data).success).toBe(false);
  });

  it('takes a nonce of 1 to 64 letters, digits, _ and -', () => {
    for (const nonce of ['a', 'AZaz09_-', 'x'.repeat(64)]) expect(verifyNonce.safeParse(nonce).success, nonce).toBe(true);
    for (const nonce of ['', 'x'.repeat(65), 'a b', 'a.b', 'ä', 5]) expect(verifyNonce.safeParse(nonce).success, String(nonce)).toBe(false);
  });

  it('leaves reset.code.submitted as it was: an extra field, a nonce too, is ignored there', () => {
    expect(codeSubmittedData.parse({ resetId: 'r-1', code: '123456', nonce: 'not valid here!', extra: 1 })).toEqual({ resetId: 'r-1', code: '123456' });
  });
});
