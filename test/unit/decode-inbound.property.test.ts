import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeInbound, decodeVerifyRequest, type Inbound, type VerifyRequest } from '../../src/adapters/nats/decode-inbound.js';

const TYPES = ['reset.requested', 'reset.code.submitted', 'reset.password.changed'] as const;
const encode = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

const validData: Record<(typeof TYPES)[number], Record<string, unknown>> = {
  'reset.requested': { userId: 'u-1', email: 'a@example.com', locale: 'de-AT', displayName: 'Ada', clientIp: '203.0.113.7', userAgent: 'UA' },
  'reset.code.submitted': { resetId: 'r-1', code: '123456', clientIp: '2001:db8::1' },
  'reset.password.changed': { userId: 'u-1', email: 'a@example.com', changedAt: '2030-01-01T10:00:00Z', clientIp: '203.0.113.7' },
};

const envelope = (type: string, data: unknown, id = 'e-1') => ({ specversion: '1.0', id, source: 'urn:test', type, time: '2030-01-01T10:00:00Z', datacontenttype: 'application/json', data });

/** Either a command, or a rejection whose detail names a field (or the body as a whole) in plain words. */
function expectWellFormed(result: Inbound | VerifyRequest): void {
  if (result.kind === 'unreadable') return expectPlainDetail(result.detail);
  if (result.kind !== 'invalid') return;
  expect(result.rejection.name).toBe('reset.rejected');
  expect(result.rejection.data.reason).toBe('invalid_request');
  expectPlainDetail(result.rejection.data.detail);
}

function expectPlainDetail(detail: string): void {
  expect(detail).toMatch(/field [\w.]*\w |body|not JSON|bytes/);
  expect(detail).not.toMatch(/received undefined|Invalid input|data\. /);
}

// Thousands of runs each: the time limit is for a machine under load, not a speed target.
describe('decoding inbound messages, for any input', { timeout: 60_000 }, () => {
  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TYPES), fc.uint8Array({ maxLength: 512 }), (type, bytes) => {
        expectWellFormed(decodeInbound(type, bytes, '1'));
      }),
      { numRuns: 3_000 },
    );
  });

  it('never throws on arbitrary JSON, in or out of an envelope', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TYPES), fc.jsonValue(), fc.boolean(), (type, value, wrap) => {
        expectWellFormed(decodeInbound(type, encode(wrap ? envelope(type, value) : value), '1'));
        expectWellFormed(decodeVerifyRequest(encode(value)));
      }),
      { numRuns: 3_000 },
    );
  });

  it('accepts a valid event, and names the field when one field of it is mutated', () => {
    const mutation = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.integer(),
      fc.string({ maxLength: 600 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.jsonValue(),
    );
    fc.assert(
      fc.property(fc.constantFrom(...TYPES), fc.nat(), mutation, (type, pick, value) => {
        const data = { ...validData[type] };
        const fields = Object.keys(data);
        const field = fields[pick % fields.length]!;
        data[field] = value;
        const result = decodeInbound(type, encode(envelope(type, data)), '1');
        expectWellFormed(result);
        if (result.kind === 'invalid') {
          expect((result.rejection.data as { detail: string }).detail).toContain(`data.${field}`);
        }
      }),
      { numRuns: 4_000 },
    );
  });

  it('decodes each valid event into its command', () => {
    for (const type of TYPES) expect(decodeInbound(type, encode(envelope(type, validData[type])), '1').kind).not.toBe('invalid');
  });
});
