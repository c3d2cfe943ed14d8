import { describe, expect, it } from 'vitest';
import { mailProblem } from '../../../src/app/readiness.js';

describe('the mail readiness check (named smtp)', () => {
  it('passes only with the server reached since start and the breaker closed: half-open is a probe still out', () => {
    expect(mailProblem(undefined, 'closed', 'SMTP')).toBeUndefined();
    expect(mailProblem(undefined, 'open', 'SMTP')).toBe('the SMTP circuit breaker is open: sends failed in a row');
    expect(mailProblem(undefined, 'half-open', 'SMTP')).toBe('the SMTP circuit breaker is half-open: sends failed in a row');
    expect(mailProblem('ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:25', 'closed', 'SMTP')).toBe('ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:25');
  });

  it('fails for the outbox too while its breaker is not closed: its directory went away or its disk filled after the start', () => {
    expect(mailProblem(undefined, 'closed', 'outbox')).toBeUndefined();
    expect(mailProblem(undefined, 'open', 'outbox')).toBe('the outbox circuit breaker is open: writes to MAIL_OUTBOX_DIR failed in a row');
  });
});
