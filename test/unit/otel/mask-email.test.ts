import { describe, expect, it } from 'vitest';
import { maskEmail, maskEmailsIn } from '../../../src/adapters/otel/mask-email.js';

describe('maskEmail', () => {
  it('keeps the first character and the domain', () => {
    expect(maskEmail('jane.doe@example.com')).toBe('j***@example.com');
    expect(maskEmail('j@example.com')).toBe('j***@example.com');
  });

  it('gives nothing away of what is not an address', () => {
    expect(maskEmail('not-an-address')).toBe('***');
    expect(maskEmail('@example.com')).toBe('***');
  });
});

describe('maskEmailsIn', () => {
  it('masks every address in a text, such as an SMTP reply quoted in an error', () => {
    expect(maskEmailsIn('550 5.1.1 <jane.doe+reset@mail.example.org>: no such user; cc bob@example.com')).toBe(
      '550 5.1.1 <j***@mail.example.org>: no such user; cc b***@example.com',
    );
    expect(maskEmailsIn('{"msg":"sent to jane@example.com"}')).toBe('{"msg":"sent to j***@example.com"}');
  });

  it('masks an internationalised address whole, not from its first ASCII letter', () => {
    expect(maskEmailsIn('553 5.1.1 <jörg.müller@bücher.de> unknown')).toBe('553 5.1.1 <j***@bücher.de> unknown');
  });

  it('leaves text without addresses, and addresses already masked, as they are', () => {
    expect(maskEmailsIn('connection refused')).toBe('connection refused');
    expect(maskEmailsIn('to j***@example.com')).toBe('to j***@example.com');
  });
});
