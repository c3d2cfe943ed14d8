import { describe, expect, it } from 'vitest';
import type { CodeMail } from '../../../src/domain/mail.js';
import { cleanDisplayName } from '../../../src/adapters/mail/letter.js';
import { renderCodeMail } from '../../../src/adapters/mail/render-code-mail.js';
import { resolveMailLocale } from '../../../src/adapters/mail/locale.js';

const aCodeMail = (overrides: Partial<CodeMail> = {}): CodeMail => ({
  kind: 'code',
  resetId: 'r-1',
  to: 'user@example.com',
  locale: 'en',
  displayName: 'Ada Lovelace',
  code: '482913',
  expiresAt: Date.UTC(2030, 0, 1, 12, 10),
  lifetimeMinutes: 10,
  ...overrides,
});

const options = { productName: 'resetd' };

const lifetimes = { en: '10 minutes', de: '10 Minuten', fr: '10 minutes', es: '10 minutos' } as const;

describe('renderCodeMail', () => {
  for (const [locale, lifetime] of Object.entries(lifetimes)) {
    it(`writes the ${locale} mail with the code, the lifetime in words and no placeholder left`, () => {
      const mail = renderCodeMail(aCodeMail({ locale }), options);

      expect(mail.locale).toBe(locale);
      expect(mail.subject).toContain('resetd');
      expect(mail.subject).not.toContain('482913');
      for (const part of [mail.text, mail.html]) {
        expect(part).toContain('482913');
        expect(part).toContain(lifetime);
        expect(part).toContain('Ada Lovelace');
        expect(part).toContain('resetd');
      }
      for (const part of [mail.subject, mail.text, mail.html]) {
        expect(part).not.toMatch(/\{\{|\}\}|undefined|\[object/);
      }
      expect(mail.html).toContain(`<html lang="${locale}"`);
      expect(mail.html).toContain('<meta name="color-scheme" content="light dark">');
      expect(mail.html).not.toMatch(/<img|<link|url\(|@import/);
    });
  }

  it('greets without a name when there is none', () => {
    const german = renderCodeMail(aCodeMail({ locale: 'de', displayName: undefined }), options);
    expect(german.text.startsWith('Hallo,\n')).toBe(true);
    const spanish = renderCodeMail(aCodeMail({ locale: 'es', displayName: ' \u0007 ' }), options);
    expect(spanish.text.startsWith('Hola:\n')).toBe(true);
  });

  it('puts the lifetime in hours when it is whole hours, in the right number', () => {
    expect(renderCodeMail(aCodeMail({ lifetimeMinutes: 60 }), options).text).toContain('1 hour ');
    expect(renderCodeMail(aCodeMail({ locale: 'de', lifetimeMinutes: 120 }), options).text).toContain('2 Stunden');
    expect(renderCodeMail(aCodeMail({ locale: 'es', lifetimeMinutes: 1 }), options).text).toContain('1 minuto ');
  });

  it('escapes the display name in the HTML part and keeps it out of the subject', () => {
    const displayName = '<script>alert(1)</script>\r\nBcc: evil@x.y';
    const mail = renderCodeMail(aCodeMail({ displayName }), options);

    expect(mail.html).not.toContain('<script');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Bcc: evil@x.y');
    expect(mail.text).toContain('Hi <script>alert(1)</script> Bcc: evil@x.y,');
    expect(mail.text).not.toMatch(/\r|script>\n/);
    expect(mail.subject).not.toContain('evil');
  });

  it('uses the product name from the options, escaped in HTML, and never parses it as a template', () => {
    const mail = renderCodeMail(aCodeMail(), { productName: 'A&B {{code}}' });
    expect(mail.subject).toBe('Your A&B {{code}} password reset code');
    expect(mail.html).toContain('A&amp;B {{code}}');
    expect(mail.text.match(/482913/g)).toHaveLength(1);
  });

  it('renders each mail with its own code though the templates are cached', () => {
    const first = renderCodeMail(aCodeMail({ code: '111111' }), options);
    const second = renderCodeMail(aCodeMail({ code: '222222', displayName: 'Grace' }), options);
    expect(first.text).toContain('111111');
    expect(second.text).toContain('222222');
    expect(second.text).not.toContain('111111');
    expect(second.text).toContain('Hi Grace,');
  });
});

describe('resolveMailLocale', () => {
  it.each([
    ['de-AT', 'de'],
    ['pt', 'en'],
    ['FR', 'fr'],
    ['es_MX', 'es'],
    ['EN-gb', 'en'],
    ['', 'en'],
    [undefined, 'en'],
    ['zh-Hant-TW', 'en'],
  ])('%s → %s', (tag, expected) => {
    expect(resolveMailLocale(tag)).toBe(expected);
  });

  it('renders de-AT in German, pt in English, FR in French', () => {
    expect(renderCodeMail(aCodeMail({ locale: 'de-AT' }), options).text).toContain('10 Minuten');
    expect(renderCodeMail(aCodeMail({ locale: 'pt' }), options).locale).toBe('en');
    expect(renderCodeMail(aCodeMail({ locale: 'FR' }), options).subject).toContain('Votre code');
  });
});

describe('cleanDisplayName', () => {
  it('drops control characters and bidi overrides, and keeps at most 100 characters', () => {
    expect(cleanDisplayName('Ada\u0000\u001b[31m Love\u202elace\u0085')).toBe('Ada [31m Love lace');
    expect(Array.from(cleanDisplayName('😀'.repeat(150)))).toHaveLength(100);
    expect(cleanDisplayName('😀'.repeat(150)).endsWith('\ud83d')).toBe(false);
  });
});
