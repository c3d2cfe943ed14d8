import { CODE_MAIL_TEMPLATES } from './code-mail-templates.js';
import type { MailLocale } from './locale.js';
import { parseTemplate, render, type Segment } from './template.js';

/** A mail as it is sent: subject, text and HTML parts, and the language it was written in. */
export interface RenderedMail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** The language the mail was written in, after falling back. */
  readonly locale: MailLocale;
}

// C0/C1 controls, line and paragraph separators, and bidi overrides that could make the name
// display as something else.
const CONTROLS = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]+/gu;
const MAX_NAME_LENGTH = 100;

/** The name as it may appear in the body: no control characters, at most 100 characters. */
export function cleanDisplayName(name: string | undefined): string {
  const clean = (name ?? '').replace(CONTROLS, ' ').replace(/\s+/g, ' ').trim();
  // Counted in code points so an emoji is never cut in half.
  return Array.from(clean).slice(0, MAX_NAME_LENGTH).join('').trim();
}

/** A letter's greeting in one language, compiled: with the user's name, or without one. */
export interface Greeting {
  readonly named: readonly Segment[];
  readonly unnamed: string;
}

/** The greeting every mail of resetd's opens with, in `locale`. */
export function greetingIn(locale: MailLocale): Greeting {
  const letter = CODE_MAIL_TEMPLATES[locale];
  return { named: parseTemplate(letter.greeting, ['name']), unnamed: render(parseTemplate(letter.greetingWithoutName, []), {}) };
}

/** The greeting for `displayName` as given (cleaned first); the nameless one when none is left. */
export function greet(greeting: Greeting, displayName: string | undefined): string {
  const name = cleanDisplayName(displayName);
  return name === '' ? greeting.unnamed : render(greeting.named, { name });
}

/**
 * `compile` run once per language and product name, its result kept: everything of a mail but
 * what each one fills in (the name, the code, the time).
 */
export function compiledOncePer<T>(compile: (locale: MailLocale, productName: string) => T): (locale: MailLocale, productName: string) => T {
  const compiled = new Map<string, T>();
  return (locale, productName) => {
    const key = `${locale}\u0000${productName}`;
    let entry = compiled.get(key);
    if (entry === undefined) {
      entry = compile(locale, productName);
      compiled.set(key, entry);
    }
    return entry;
  };
}
