import { describe, expect, it } from 'vitest';
import { decodeInbound } from '../../../src/adapters/nats/decode-inbound.js';

const DETAIL = 'must be an RFC 3339 date and time with an offset, such as 2030-01-01T12:00:00Z.';

/** A reset.password.changed with `changedAt` in its data and `time` on its envelope, each left out when undefined. */
function passwordChanged(changedAt: string | undefined, time?: string) {
  const data = { userId: 'u-1', email: 'a@example.com', ...(changedAt === undefined ? {} : { changedAt }) };
  const event = { specversion: '1.0', id: 'e-1', source: 'urn:test', type: 'reset.password.changed', ...(time === undefined ? {} : { time }), data };
  return decodeInbound('reset.password.changed', new TextEncoder().encode(JSON.stringify(event)), '1');
}

/** When the decoded change happened, or the rejection's detail. */
function changedAtOf(decoded: ReturnType<typeof passwordChanged>): number | string | undefined {
  if (decoded.kind === 'invalid') return decoded.rejection.data.detail;
  return decoded.kind === 'passwordChanged' ? decoded.change.changedAt : undefined;
}

// RFC 3339 section 5.6, with the restrictions of section 5.7.
describe('the date-time rule of the contract (data.changedAt, the envelope time)', () => {
  it.each([
    ['2030-01-07T09:05:00Z', Date.UTC(2030, 0, 7, 9, 5)],
    // The ABNF's "T" and "Z" are case-insensitive (section 5.6, note).
    ['2030-01-07t09:05:00z', Date.UTC(2030, 0, 7, 9, 5)],
    ['2030-01-07T09:05:00z', Date.UTC(2030, 0, 7, 9, 5)],
    ['2030-01-07t10:05:00+01:00', Date.UTC(2030, 0, 7, 9, 5)],
    ['2030-01-07T09:05:00.5Z', Date.UTC(2030, 0, 7, 9, 5, 0, 500)],
    ['2030-01-07T09:05:00.123456789Z', Date.UTC(2030, 0, 7, 9, 5, 0, 123)],
    ['2030-01-07T09:05:00-00:00', Date.UTC(2030, 0, 7, 9, 5)],
    ['2030-01-07T23:04:00+23:59', Date.UTC(2030, 0, 6, 23, 5)],
    ['2030-01-06T09:06:00-23:59', Date.UTC(2030, 0, 7, 9, 5)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
    // A leap second is read as the last millisecond of the minute it was written in.
    ['2016-12-31T23:59:60Z', Date.UTC(2016, 11, 31, 23, 59, 59, 999)],
    ['2016-12-31t23:59:60.5z', Date.UTC(2016, 11, 31, 23, 59, 59, 999)],
    ['2017-01-01T00:59:60+01:00', Date.UTC(2016, 11, 31, 23, 59, 59, 999)],
    ['2015-06-30T19:59:60-04:00', Date.UTC(2015, 5, 30, 23, 59, 59, 999)],
  ])('accepts %s as changedAt and as the time it falls back to, and reads it as that instant', (value, instant) => {
    expect(changedAtOf(passwordChanged(value, '2030-01-01T00:00:00Z'))).toBe(instant);
    expect(changedAtOf(passwordChanged(undefined, value))).toBe(instant);
  });

  it.each([
    'yesterday',
    '2030-01-07T09:05:00', // no offset
    '2030-01-07 09:05:00Z', // a space for the T: RFC 3339 leaves it to an application, and this contract does not take it
    '2030-01-07_09:05:00Z',
    '2030-01-07T09:05Z', // no seconds
    '2030-01-07T09:05:00.Z', // a decimal point without digits
    '2030-01-07T09:05:00,5Z',
    '2030-1-07T09:05:00Z',
    '30-01-07T09:05:00Z',
    '2030-00-07T09:05:00Z',
    '2030-13-07T09:05:00Z',
    '2030-01-00T09:05:00Z',
    '2030-01-32T09:05:00Z',
    '2030-04-31T09:05:00Z',
    '2030-02-29T09:05:00Z', // not a leap year
    '1900-02-29T09:05:00Z',
    '2030-01-07T24:00:00Z',
    '2030-01-07T09:60:00Z',
    '2030-01-07T09:05:61Z',
    '2030-01-07T09:05:00+24:00',
    '2030-01-07T09:05:00+23:60',
    '2030-01-07T09:05:00+0100',
    '2030-01-07T09:05:00+01',
    '2030-01-07T09:05:00 +01:00',
    '2030-01-07T09:05:00Z ',
    ' 2030-01-07T09:05:00Z',
    '2030-01-07T09:05:00ZZ',
    '2030-01-07T09:05:00UTC',
    '2030-01-07T09:05:00Z\n',
    '+002030-01-07T09:05:00Z',
    '２０３０-01-07T09:05:00Z', // full-width digits
  ])('refuses %j, the detail naming the field', (value) => {
    expect(changedAtOf(passwordChanged(value, '2030-01-01T00:00:00Z'))).toBe(`The field data.changedAt ${DETAIL}`);
    expect(changedAtOf(passwordChanged(undefined, value))).toBe(`The field time ${DETAIL}`);
  });
});
