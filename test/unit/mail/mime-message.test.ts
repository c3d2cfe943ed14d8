import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { headerLine, MimeWriter, quotedPrintable } from '../../../src/adapters/mail/mime-message.js';

const aMail = (overrides: Partial<Parameters<MimeWriter['write']>[0]> = {}) => ({
  to: 'user@example.com',
  subjectLine: headerLine('Subject', 'Ihr Code zum Zurücksetzen des Passworts für Acme'),
  messageId: '<6f1c2a38-3b7e-4d2b-9a51-0c8e2f4b7d10@acme.test>',
  date: new Date(Date.UTC(2030, 0, 7, 9, 10, 11)),
  language: 'de',
  text: 'Hallo Zoë,\n\n    482913\n\nDer Code läuft in 10 Minuten ab. = ist kein Problem.  \n',
  html: '<p style="margin:0">Hallo Zoë,</p>\n<p>482913</p>',
  ...overrides,
});

describe('quotedPrintable', () => {
  it('keeps ASCII as it is and encodes =, non-ASCII and trailing white space', () => {
    expect(quotedPrintable('a = b\nZoë \nend\t').toString()).toBe('a =3D b\r\nZo=C3=AB=20\r\nend=09');
  });

  it('keeps every line to 76 characters, breaking softly', () => {
    const encoded = quotedPrintable(`${'x'.repeat(200)}\n${'é'.repeat(90)}`).toString();
    for (const line of encoded.split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
    expect(encoded.replace(/=\r\n/g, '').split('\r\n')[0]).toBe('x'.repeat(200));
  });

  it('decodes back to the text, whatever it holds', async () => {
    const writer = new MimeWriter('Acme <no-reply@acme.test>', {});
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 300 }), async (body) => {
        // Mail has lines, not lone carriage returns; a trailing line break is the part's own.
        const text = body.replace(/\r/g, '');
        const parsed = await simpleParser(writer.write(aMail({ text, html: `<p>${text}</p>` })));
        expect(parsed.text?.replace(/\n$/, '')).toBe(text.replace(/\n$/, ''));
      }),
      { numRuns: 200 },
    );
  });
});

describe('MimeWriter', () => {
  it('writes a multipart/alternative mail that a mail parser reads as it was meant', async () => {
    const raw = new MimeWriter('Acmé Support <no-reply@acme.test>', { 'Auto-Submitted': 'auto-generated' }).write(aMail());
    const parsed = await simpleParser(raw);

    expect(parsed.from?.value).toEqual([{ name: 'Acmé Support', address: 'no-reply@acme.test' }]);
    expect(parsed.to).toMatchObject({ value: [{ address: 'user@example.com', name: '' }] });
    expect(parsed.subject).toBe('Ihr Code zum Zurücksetzen des Passworts für Acme');
    expect(parsed.messageId).toBe('<6f1c2a38-3b7e-4d2b-9a51-0c8e2f4b7d10@acme.test>');
    expect(parsed.date?.toISOString()).toBe('2030-01-07T09:10:11.000Z');
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(parsed.headers.get('content-language')).toBe('de');
    expect(parsed.text).toBe(aMail().text);
    expect(parsed.html).toBe(aMail().html);
    const text = raw.toString('latin1');
    expect(text).not.toMatch(/[^\r]\n/);
    for (const line of text.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
  });
});
