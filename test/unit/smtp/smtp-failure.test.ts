import { describe, expect, it } from 'vitest';
import { reportableCause, smtpFailureOf } from '../../../src/adapters/smtp/smtp-failure.js';

/** An error shaped as nodemailer reports it. */
const smtpError = (fields: Record<string, unknown>) => Object.assign(new Error(String(fields.message ?? 'failed')), fields);

describe('smtpFailureOf: who an SMTP failure is about', () => {
  it.each([
    ['550 to RCPT TO', { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550, response: '550 5.1.1 no such user' }, 'refused'],
    ['552 after DATA', { code: 'EMESSAGE', command: 'DATA', responseCode: 552, response: '552 too big' }, 'refused'],
    ['a recipient nodemailer refuses unsent', { code: 'EENVELOPE', message: 'Invalid recipient' }, 'refused'],
    ['450 to RCPT TO (greylisting)', { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 450, response: '450 4.2.0 greylisted' }, 'deferred'],
    ['452 after DATA (a full mailbox)', { code: 'EMESSAGE', command: 'DATA', responseCode: 452, response: '452 4.2.2 mailbox full' }, 'deferred'],
    ['451 to MAIL FROM', { code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 451, response: '451 local error' }, 'server'],
    ['421 to RCPT TO: the server closing', { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 421, response: '421 closing' }, 'server'],
    ['554 greeting', { code: 'EPROTOCOL', command: 'CONN', responseCode: 554, response: '554 go away' }, 'server'],
    ['535 to AUTH', { code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 535, response: '535 5.7.8 bad credentials' }, 'login'],
    ['credentials missing', { code: 'ENOAUTH', message: 'Missing credentials' }, 'login'],
    ['a self-signed certificate', { code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate' }, 'tls'],
    ['a certificate for another host', { code: 'ESOCKET', originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID', message: "IP: 127.0.0.1 is not in the cert's list" }, 'tls'],
    ['STARTTLS required but not offered', { code: 'ETLS', message: 'STARTTLS is required' }, 'tls'],
    ['connection refused', { code: 'ESOCKET', originalCode: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:25' }, 'server'],
    ['no greeting in time', { code: 'ETIMEDOUT', command: 'CONN', message: 'Greeting never received' }, 'server'],
  ])('%s is %s', (_, fields, kind) => {
    expect(smtpFailureOf(smtpError(fields)).kind).toBe(kind);
  });

  it("keeps the server's reply for a refusal, and Node's code in the detail for a server fault", () => {
    expect(smtpFailureOf(smtpError({ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550, response: '550 5.1.1 no such user' }))).toEqual({ kind: 'refused', reply: '550 5.1.1 no such user' });
    expect(smtpFailureOf(smtpError({ code: 'ESOCKET', originalCode: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:25' }))).toEqual({
      kind: 'server',
      detail: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:25',
    });
  });

  it('repeats no run of 4 or more digits from a reply, which could be a code a content filter quoted', () => {
    const quoted = { code: 'EMESSAGE', command: 'DATA', responseCode: 554, response: '554 5.7.1 Rejected by policy: "Your reset code is 482913"' };
    expect(smtpFailureOf(smtpError(quoted))).toEqual({ kind: 'refused', reply: '554 5.7.1 Rejected by policy: "Your reset code is ######"' });
    const deferred = { code: 'EMESSAGE', command: 'DATA', responseCode: 451, response: '451 4.7.1 try later, 4829 quoted' };
    expect(smtpFailureOf(smtpError(deferred))).toEqual({ kind: 'deferred', reply: '451 4.7.1 try later, #### quoted' });
  });

  it("reports nodemailer's error as a cause with the reply's digit runs masked and its codes kept; Node's own messages whole", () => {
    const quoted = smtpError({ message: 'Message failed: 554 5.7.1 code 482913', code: 'EMESSAGE', command: 'DATA', responseCode: 554, response: '554 5.7.1 code 482913' });
    const cause = reportableCause(quoted);
    expect(cause.message).toBe('Message failed: 554 5.7.1 code ######');
    expect(String(cause.stack)).not.toContain('482913');
    expect(cause).toMatchObject({ code: 'EMESSAGE', command: 'DATA', responseCode: 554 });
    expect(cause).not.toHaveProperty('response');
    expect(reportableCause(smtpError({ code: 'ESOCKET', originalCode: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:2525' })).message).toBe('connect ECONNREFUSED 127.0.0.1:2525');
  });
});
