import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeInbound, decodeVerifyRequest, verifyReplyAddress } from '../../../src/adapters/nats/decode-inbound.js';
import { requestDigestOf } from '../../../src/contract/request-digest.js';

const encode = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const envelope = (type: string, data: unknown, id = 'e-1') => ({ specversion: '1.0', id, source: 'urn:test', type, data });

describe('a reset.verify request that cannot be read', () => {
  it.each([
    ['not JSON', '{"resetId": "r-1",', '', 'The body is not JSON of at most 16 KiB.'],
    ['a JSON array', ['r-1', '123456'], '', 'The body must be a JSON object with the fields resetId and code.'],
    ['a CloudEvent envelope', envelope('reset.code.submitted', { resetId: 'r-1', code: '123456' }), '', 'The body is a CloudEvent envelope; reset.verify takes the plain data (resetId, code) as the body.'],
    ['an envelope without specversion', { id: 'e-1', data: { resetId: 'r-1', code: '123456' } }, '', 'The body is a CloudEvent envelope; reset.verify takes the plain data (resetId, code) as the body.'],
    ['no resetId', { code: '123456' }, '', 'The field resetId is missing.'],
    ['no code', { resetId: 'r-1' }, 'r-1', 'The field code is missing.'],
    ['a code that is a number', { resetId: 'r-1', code: 123456 }, 'r-1', 'The field code must be a string.'],
  ])('%s is answered with the field named in plain words', (_name, body, resetId, detail) => {
    expect(decodeVerifyRequest(encode(body))).toEqual({ kind: 'unreadable', resetId, detail });
  });

  it('is not a request whose data has a field named data beside its own: unknown fields are ignored', () => {
    expect(decodeVerifyRequest(encode({ resetId: 'r-1', code: '123456', data: 1 }))).toEqual({ kind: 'submitted', submission: { resetId: 'r-1', code: '123456' } });
  });

  it('names its reset, as far as that much can be read, for the reply of a request turned away unread', () => {
    expect(verifyReplyAddress(encode({ resetId: 'r-1', code: 'anything' }))).toEqual({ resetId: 'r-1' });
    expect(verifyReplyAddress(encode({ resetId: 'r\u0000x', nonce: 'n-1' }))).toEqual({ resetId: '', nonce: 'n-1' });
    const salted = encode({ resetId: 'r\u0000x', nonce: 'n-1', salt: 's-1' });
    expect(verifyReplyAddress(salted)).toEqual({ resetId: '', nonce: 'n-1', requestDigest: requestDigestOf(salted) });
    expect(verifyReplyAddress(encode({ resetId: 'r-1', nonce: 'not a nonce' }))).toEqual({ resetId: 'r-1' });
    expect(verifyReplyAddress(encode('not json'))).toEqual({ resetId: '' });
  });
});

describe("a reset.verify request's nonce", () => {
  it('is carried with the request, whatever else is wrong with it, for the reply to echo; with a salt, so is the digest of the body', () => {
    const requests = [
      encode({ resetId: 'r-1', code: '123456', nonce: 'n_1-A', salt: 'pepper' }),
      encode({ resetId: 'r-1', nonce: 'n-1', salt: 'pepper' }),
      encode({ resetId: 'r-1', code: '1'.repeat(17), nonce: 'n-1', salt: 'pepper' }),
    ] as const;
    const [submitted, noCode, longCode] = requests.map((body) => decodeVerifyRequest(body));
    expect(submitted).toEqual({ kind: 'submitted', submission: { resetId: 'r-1', code: '123456' }, nonce: 'n_1-A', requestDigest: requestDigestOf(requests[0]) });
    expect(noCode).toEqual({ kind: 'unreadable', resetId: 'r-1', detail: 'The field code is missing.', nonce: 'n-1', requestDigest: requestDigestOf(requests[1]) });
    expect(longCode).toMatchObject({ kind: 'invalid', nonce: 'n-1', requestDigest: requestDigestOf(requests[2]) });
    // The SHA-256 of the bytes, so two bodies with one nonce are told apart.
    expect(requestDigestOf(requests[1])).toBe(createHash('sha256').update(requests[1]).digest('base64url'));
    expect(requestDigestOf(requests[1])).not.toBe(requestDigestOf(requests[2]));
    // Without a salt, no digest: the code would be the one unknown in it.
    expect(decodeVerifyRequest(encode({ resetId: 'r-1', code: '123456', nonce: 'n-1' }))).toEqual({ kind: 'submitted', submission: { resetId: 'r-1', code: '123456' }, nonce: 'n-1' });
  });

  it('makes the request unreadable when it or the salt breaks its rule: nothing is checked, the field is named', () => {
    for (const field of ['nonce', 'salt']) {
      for (const value of ['', 'a b', 'x'.repeat(65), 7]) {
        expect(decodeVerifyRequest(encode({ resetId: 'r-1', code: '123456', [field]: value }))).toEqual({
          kind: 'unreadable',
          resetId: 'r-1',
          detail: `The field ${field} must be 1–64 letters, digits, _ or -.`,
        });
      }
    }
  });
});

describe('a reset.verify request that breaks a rule', () => {
  it('is rejected like a submitted code, naming the field and the reset when its id is valid', () => {
    const decoded = decodeVerifyRequest(encode({ resetId: 'r-1', code: '1'.repeat(17) }));

    expect(decoded).toEqual({
      kind: 'invalid',
      rejection: {
        name: 'reset.rejected',
        // Named by the reset and the mistake: the same mistake again is the same event.
        sequence: 'm:verify:The field code must be at most 16 characters long.',
        data: { resetId: 'r-1', eventId: '', reason: 'invalid_request', detail: 'The field code must be at most 16 characters long.' },
      },
    });
  });

  it('does not repeat a resetId that broke the rules', () => {
    const decoded = decodeVerifyRequest(encode({ resetId: 'r\u0000x', code: '123456' }));

    expect(decoded).toMatchObject({ kind: 'invalid', rejection: { data: { resetId: '', detail: 'The field resetId must not contain control characters.' } } });
  });
});

describe('a rejection of an inbound message', () => {
  it('carries a userId only when it passed validation', () => {
    const broken = decodeInbound('reset.requested', encode(envelope('reset.requested', { userId: 'u\u0000x', email: 'a@example.com' })), '1');
    const otherField = decodeInbound('reset.requested', encode(envelope('reset.requested', { userId: 'u-1', email: 'nope' })), '1');

    expect(broken).toMatchObject({ kind: 'invalid', rejection: { data: { eventId: 'e-1', detail: 'The field data.userId must not contain control characters.' } } });
    expect(broken.kind === 'invalid' && 'userId' in broken.rejection.data).toBe(false);
    expect(otherField).toMatchObject({ kind: 'invalid', rejection: { data: { userId: 'u-1', detail: expect.stringContaining('data.email') } } });
  });

  it('names no user for a submitted code, whose data has no userId: its sender cannot put one in a signed rejection', () => {
    const decoded = decodeInbound('reset.code.submitted', encode(envelope('reset.code.submitted', { resetId: 'r-1', code: '', userId: 'victim' })), '1');
    expect(decoded).toMatchObject({ kind: 'invalid', rejection: { data: { resetId: 'r-1', detail: expect.stringContaining('data.code') } } });
    expect(decoded.kind === 'invalid' && 'userId' in decoded.rejection.data).toBe(false);
  });

  it("names a type that does not match the subject without repeating the sender's text", () => {
    const hostile = 'reset.completed\u202e\u0085 forged';
    const decoded = decodeInbound('reset.requested', encode(envelope(hostile, { userId: 'u-1', email: 'a@example.com' })), '1');

    expect(decoded).toMatchObject({ kind: 'invalid', rejection: { data: { detail: 'The field type does not match this subject, which takes "reset.requested".' } } });
  });

  it('carries no event id or resetId that broke the rules, and is then told apart by its message', () => {
    const decoded = decodeInbound('reset.code.submitted', encode(envelope('reset.code.submitted', { resetId: 'r\u0007', code: '123456' }, 'e\u0000')), '42');

    expect(decoded).toMatchObject({ kind: 'invalid', rejection: { sequence: 'm:42', data: { eventId: '', resetId: '' } } });
  });

  it('names a missing field as missing, and the data as a whole as data', () => {
    const noUserId = decodeInbound('reset.requested', encode(envelope('reset.requested', { email: 'a@example.com' })), '1');
    const noData = decodeInbound('reset.requested', encode({ specversion: '1.0', id: 'e-1', source: 's', type: 'reset.requested' }), '1');

    expect(noUserId).toMatchObject({ rejection: { data: { detail: 'The field data.userId is missing.' } } });
    expect(noData).toMatchObject({ rejection: { data: { detail: 'The field data is missing.' } } });
  });
});

describe('the envelope of an inbound event', () => {
  const data = { userId: 'u-1', email: 'ada@example.com' };

  it.each(['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset=UTF-8'])('accepts datacontenttype %s', (type) => {
    expect(decodeInbound('reset.requested', encode({ ...envelope('reset.requested', data), datacontenttype: type }), '1').kind).toBe('requested');
  });

  it('refuses another media type, naming the field', () => {
    const decoded = decodeInbound('reset.requested', encode({ ...envelope('reset.requested', data), datacontenttype: 'text/plain' }), '1');
    expect(decoded).toMatchObject({ kind: 'invalid', rejection: { data: { detail: expect.stringContaining('datacontenttype') } } });
  });

  it('ignores attributes and extensions it does not know', () => {
    expect(decodeInbound('reset.requested', encode({ ...envelope('reset.requested', data), traceparent: 'x', partitionkey: 'p' }), '1').kind).toBe('requested');
  });
});
