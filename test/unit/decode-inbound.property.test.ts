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

  it('reads any RFC 3339 date-time, in any case, offset and precision, leap seconds included, as its instant', () => {
    const written = fc.record({
      instant: fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2200, 0, 1) }),
      offsetMinutes: fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
      zulu: fc.boolean(),
      lowerCase: fc.boolean(),
      fraction: fc.constantFrom('', '.sss', '.sss789'),
      leapSecond: fc.boolean(),
    });
    fc.assert(
      fc.property(written, fc.boolean(), ({ instant, offsetMinutes, zulu, lowerCase, fraction, leapSecond }, inData) => {
        const offset = zulu ? 0 : offsetMinutes;
        const local = new Date(instant + offset * 60_000).toISOString();
        const seconds = leapSecond ? '60' : local.slice(17, 19);
        const zone = zulu ? 'Z' : `${offset < 0 ? '-' : '+'}${[Math.trunc(Math.abs(offset) / 60), Math.abs(offset) % 60].map((n) => String(n).padStart(2, '0')).join(':')}`;
        let text = `${local.slice(0, 10)}T${local.slice(11, 17)}${seconds}${fraction.replace('sss', local.slice(20, 23))}${zone}`;
        if (lowerCase) text = text.toLowerCase();
        // A leap second is read as the last millisecond of its minute; otherwise the fraction is read to the millisecond.
        const expected = leapSecond ? Math.floor(instant / 60_000) * 60_000 + 59_999 : fraction ? instant : Math.floor(instant / 1000) * 1000;
        const data = { ...validData['reset.password.changed'], changedAt: inData ? text : undefined };
        const event = { ...envelope('reset.password.changed', data), time: inData ? '2030-01-01T10:00:00Z' : text };
        const result = decodeInbound('reset.password.changed', encode(event), '1');
        expect(result.kind === 'passwordChanged' ? result.change.changedAt : result, text).toBe(expected);
      }),
      { numRuns: 3_000 },
    );
  });

  it('decodes each valid event into its command', () => {
    for (const type of TYPES) expect(decodeInbound(type, encode(envelope(type, validData[type])), '1').kind).not.toBe('invalid');
  });
});
