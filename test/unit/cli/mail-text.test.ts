import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { renderCodeMail } from '../../../src/adapters/mail/render-code-mail.js';
import { codeInMailText, plainTextOf } from '../../../src/cli/mail-text.js';

/** The mail as the outbox mailer writes it: nodemailer's stream transport, every locale's encoding. */
async function eml(locale: string, code: string): Promise<string> {
  const rendered = renderCodeMail(
    { kind: 'code', resetId: 'r-1', to: 'a@example.com', locale, displayName: 'Zoë Ünal', code, expiresAt: 0, lifetimeMinutes: 10 },
    { productName: 'Acme' },
  );
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const { message } = await transport.sendMail({ from: 'a@example.com', to: 'b@example.com', subject: rendered.subject, text: rendered.text, html: rendered.html });
  return (message as Buffer).toString('utf8');
}

describe('plainTextOf and codeInMailText', () => {
  it.each(['en', 'de', 'fr', 'es'])('read the code from the text part of the %s mail, decoded', async (locale) => {
    const raw = await eml(locale, '048213');
    const text = plainTextOf(raw);
    expect(text).toContain('Zoë Ünal');
    expect(codeInMailText(text ?? '')).toBe('048213');
  });

  it('decode base64 and quoted-printable parts', () => {
    const mime = (encoding: string, body: string) =>
      `Content-Type: multipart/alternative; boundary="b1"\n\n--b1\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: ${encoding}\n\n${body}\n--b1--\n`;
    expect(plainTextOf(mime('base64', Buffer.from('Grüße\n\n    123456\n').toString('base64')))).toBe('Grüße\n\n    123456\n');
    expect(plainTextOf(mime('quoted-printable', 'Gr=C3=BC=C3=9Fe, a long line that goes=\n on\n'))).toBe('Grüße, a long line that goes on\n');
    expect(codeInMailText('no code here, 12 34')).toBeUndefined();
  });
});
