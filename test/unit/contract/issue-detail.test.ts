import { describe, expect, it } from 'vitest';
import { issueDetail } from '../../../src/contract/issue-detail.js';
import { cloudEventEnvelope, codeSubmittedData, passwordChangedData, resetRequestedData } from '../../../src/contract/schemas.js';
import type { z } from 'zod';

/** The detail a schema's refusal of `input` gets. */
function detailOf(schema: z.ZodType, input: unknown, prefix = 'data.'): string {
  const result = schema.safeParse(input);
  if (result.success) throw new Error('the schema accepted it');
  return issueDetail(result.error, input, prefix).detail;
}

describe('rejection details', () => {
  it('says a field is missing, not that undefined was received', () => {
    expect(detailOf(resetRequestedData, { email: 'a@example.com' })).toBe('The field data.userId is missing.');
  });

  it('names the kind a field must be, and the kind it was', () => {
    expect(detailOf(resetRequestedData, { userId: 42, email: 'a@example.com' })).toBe('The field data.userId must be a string, not a number.');
    expect(detailOf(cloudEventEnvelope, [], '')).toBe('The body must be an object, not an array.');
  });

  it('says what an address, a date, a length or a constant must be', () => {
    expect(detailOf(resetRequestedData, { userId: 'u-1', email: 'nope' })).toBe('The field data.email must be an email address.');
    expect(detailOf(passwordChangedData, { userId: 'u-1', email: 'a@example.com', changedAt: 'yesterday' })).toBe(
      'The field data.changedAt must be an RFC 3339 date and time with an offset, such as 2030-01-01T12:00:00Z.',
    );
    expect(detailOf(resetRequestedData, { userId: '', email: 'a@example.com' })).toBe('The field data.userId must not be empty.');
    expect(detailOf(resetRequestedData, { userId: 'u-1', email: 'a@example.com', userAgent: 'x'.repeat(513) })).toBe(
      'The field data.userAgent must be at most 512 characters long.',
    );
    expect(detailOf(cloudEventEnvelope, { specversion: '0.3', id: 'e', source: 's', type: 't', data: {} }, '')).toBe('The field specversion must be "1.0".');
  });

  it("keeps the schema's own words where it has them", () => {
    expect(detailOf(resetRequestedData, { userId: 'u-1', email: 'a@example.com', clientIp: 'localhost' })).toBe('The field data.clientIp must be an IPv4 or IPv6 address.');
  });

  it('never repeats the value, which may be a code', () => {
    const detail = detailOf(codeSubmittedData, { resetId: 'r-1', code: '12345678901234567' });
    expect(detail).toBe('The field data.code must be at most 16 characters long.');
    expect(detail).not.toContain('1234');
  });
});
