import { describe, expect, it } from 'vitest';
import type { NoticeMail } from '../../../src/domain/mail.js';
import { renderNoticeMail } from '../../../src/adapters/mail/render-notice-mail.js';

const CHANGED_AT = Date.UTC(2030, 0, 7, 19, 5);

const aNoticeMail = (overrides: Partial<NoticeMail> = {}): NoticeMail => ({
  kind: 'notice',
  resetId: 'r-1',
  to: 'user@example.com',
  locale: 'en',
  displayName: 'Ada Lovelace',
  changedAt: CHANGED_AT,
  clientIp: '203.0.113.7',
  ...overrides,
});

const options = { productName: 'Acme' };

/** The time as each language writes it, in UTC and saying so; the subject as it reads. */
const expected = {
  en: { when: 'Monday, January 7, 2030 at 7:05 PM UTC', subject: 'Your Acme password was changed', notYou: 'change your password, someone else may have access' },
  de: { when: 'Montag, 7. Januar 2030 um 19:05 UTC', subject: 'Ihr Acme-Passwort wurde geändert', notYou: 'Wenn Sie Ihr Passwort nicht geändert haben' },
  fr: { when: 'lundi 7 janvier 2030 à 19:05 UTC', subject: 'Le mot de passe de votre compte Acme a été modifié', notYou: 'Si vous n’avez pas changé' },
  es: { when: 'lunes, 7 de enero de 2030, 19:05 UTC', subject: 'Se ha cambiado la contraseña de tu cuenta de Acme', notYou: 'Si no cambiaste tu contraseña' },
} as const;

// ICU may put a narrow no-break space before AM/PM; compare with plain spaces.
const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ');

describe('renderNoticeMail', () => {
  for (const [locale, words] of Object.entries(expected)) {
    it(`writes the ${locale} notice: what changed, when (in UTC), from which IP, and what to do if it was not them`, () => {
      const mail = renderNoticeMail(aNoticeMail({ locale }), options);

      expect(mail.locale).toBe(locale);
      expect(mail.subject).toBe(words.subject);
      for (const part of [mail.text, mail.html]) {
        expect(plain(part)).toContain(words.when);
        expect(part).toContain('203.0.113.7');
        expect(part).toContain('Ada Lovelace');
        expect(plain(part)).toContain(plain(words.notYou));
      }
      for (const part of [mail.subject, mail.text, mail.html]) {
        expect(part).not.toMatch(/\{\{|\}\}|undefined|\[object|NaN/);
      }
      expect(mail.html).toContain(`<html lang="${locale}"`);
    });
  }

  it('has no link, no image and no tracking of any kind, in either part', () => {
    for (const locale of Object.keys(expected)) {
      const mail = renderNoticeMail(aNoticeMail({ locale }), options);
      expect(mail.html).not.toMatch(/<a[\s>]|href=|<img|<link|url\(|@import|https?:|www\./i);
      expect(mail.text).not.toMatch(/https?:|www\./i);
    }
  });

  it('leaves the IP sentence out when the IP is not known', () => {
    const mail = renderNoticeMail(aNoticeMail({ clientIp: undefined }), options);

    expect(mail.text).not.toMatch(/IP address/);
    expect(mail.text).toContain('was changed on Monday');
    expect(mail.text).toMatch(/UTC\.\n\nIf you made this change/);
  });

  it('shows an IPv6 address as given', () => {
    expect(renderNoticeMail(aNoticeMail({ clientIp: '2001:db8::1' }), options).text).toContain('the IP address 2001:db8::1.');
  });

  it('greets without a name, and escapes a hostile one in the HTML part', () => {
    expect(renderNoticeMail(aNoticeMail({ locale: 'de', displayName: undefined }), options).text.startsWith('Hallo,\n')).toBe(true);

    const mail = renderNoticeMail(aNoticeMail({ displayName: '<b>Eve</b> {{when}}' }), options);
    expect(mail.html).toContain('&lt;b&gt;Eve&lt;/b&gt; {{when}}');
    expect(mail.html).not.toContain('<b>Eve');
  });

  it('falls back to English for a language without templates', () => {
    expect(renderNoticeMail(aNoticeMail({ locale: 'pt-BR' }), options).locale).toBe('en');
    expect(renderNoticeMail(aNoticeMail({ locale: 'de-AT' }), options).locale).toBe('de');
  });
});
