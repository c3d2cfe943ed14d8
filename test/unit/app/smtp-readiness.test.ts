import { describe, expect, it } from 'vitest';
import { smtpProblem } from '../../../src/app/readiness.js';

describe('the smtp readiness check', () => {
  it('passes only with the server reached since start and the breaker closed: half-open is a probe still out', () => {
    expect(smtpProblem(undefined, 'closed')).toBeUndefined();
    expect(smtpProblem(undefined, 'open')).toBe('the SMTP circuit breaker is open: sends failed in a row');
    expect(smtpProblem(undefined, 'half-open')).toBe('the SMTP circuit breaker is half-open: sends failed in a row');
    expect(smtpProblem('ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:25', 'closed')).toBe('ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:25');
  });
});
