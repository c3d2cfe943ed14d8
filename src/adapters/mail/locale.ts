/** The languages the code mail is written in; `en` is the fallback. */
export const MAIL_LOCALES = ['en', 'de', 'fr', 'es'] as const;

export type MailLocale = (typeof MAIL_LOCALES)[number];

const isMailLocale = (tag: string): tag is MailLocale => (MAIL_LOCALES as readonly string[]).includes(tag);

/**
 * Picks the mail's language for a BCP 47 tag: the tag itself, then its language part
 * (`de-AT` → `de`), then `en`. Case does not matter; `_` is accepted for `-`.
 */
export function resolveMailLocale(tag: string | undefined): MailLocale {
  const normalized = (tag ?? '').trim().toLowerCase().replaceAll('_', '-');
  if (isMailLocale(normalized)) return normalized;
  const language = normalized.split('-', 1)[0] ?? '';
  return isMailLocale(language) ? language : 'en';
}
