import type { CodeMail } from '../../domain/mail.js';
import { htmlLayout, textLayout, type LayoutPieces } from './code-mail-layout.js';
import { CODE_MAIL_TEMPLATES, type CodeMailTemplate } from './code-mail-templates.js';
import { resolveMailLocale, type MailLocale } from './locale.js';
import { escapeHtml, fill, parseTemplate, render, type Segment } from './template.js';

/** A mail as it is sent: subject, text and HTML parts, and the language it was written in. */
export interface RenderedMail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** The language the mail was written in, after falling back. */
  readonly locale: MailLocale;
}

export interface RenderCodeMailOptions {
  readonly productName: string;
}

interface CompiledCodeMail {
  readonly subject: string;
  readonly greeting: readonly Segment[];
  readonly greetingWithoutName: string;
  readonly text: readonly Segment[];
  readonly html: readonly Segment[];
  readonly plural: Intl.PluralRules;
  readonly numbers: Intl.NumberFormat;
  readonly units: CodeMailTemplate['units'];
}

// Per language and product name: everything but the user's name, the code and the lifetime.
const compiled = new Map<string, CompiledCodeMail>();

function compile(locale: MailLocale, productName: string): CompiledCodeMail {
  const t = CODE_MAIL_TEMPLATES[locale];
  const withProduct = (source: string) => fill(parseTemplate(source, ['product']), { product: productName });
  const pieces: LayoutPieces = {
    lang: locale,
    subject: render(withProduct(t.subject), {}),
    intro: withProduct(t.intro),
    validity: parseTemplate(t.validity, ['lifetime']),
    notYou: withProduct(t.notYou),
    signature: withProduct(t.signature),
  };
  return {
    subject: pieces.subject,
    greeting: parseTemplate(t.greeting, ['name']),
    greetingWithoutName: render(parseTemplate(t.greetingWithoutName, []), {}),
    text: textLayout(pieces),
    html: htmlLayout(pieces),
    plural: new Intl.PluralRules(locale),
    numbers: new Intl.NumberFormat(locale),
    units: t.units,
  };
}

function compiledFor(locale: MailLocale, productName: string): CompiledCodeMail {
  const key = `${locale}\u0000${productName}`;
  let entry = compiled.get(key);
  if (entry === undefined) {
    entry = compile(locale, productName);
    compiled.set(key, entry);
  }
  return entry;
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

function lifetimeInWords(minutes: number, c: CompiledCodeMail): string {
  const inHours = minutes >= 60 && minutes % 60 === 0;
  const count = inHours ? minutes / 60 : minutes;
  const forms = inHours ? c.units.hour : c.units.minute;
  return `${c.numbers.format(count)} ${c.plural.select(count) === 'one' ? forms.one : forms.other}`;
}

/** Renders the code mail in the user's language (falling back to English). */
export function renderCodeMail(mail: CodeMail, options: RenderCodeMailOptions): RenderedMail {
  const locale = resolveMailLocale(mail.locale);
  const c = compiledFor(locale, options.productName);
  const name = cleanDisplayName(mail.displayName);
  const lifetime = lifetimeInWords(mail.lifetimeMinutes, c);
  const greeting = (escape: (s: string) => string) =>
    name === '' ? escape(c.greetingWithoutName) : escape(render(c.greeting, { name }));
  return {
    subject: c.subject,
    text: render(c.text, { greeting: greeting((s) => s), code: mail.code, lifetime }),
    html: render(c.html, { greeting: greeting(escapeHtml), code: escapeHtml(mail.code), lifetime: escapeHtml(lifetime) }),
    locale,
  };
}
