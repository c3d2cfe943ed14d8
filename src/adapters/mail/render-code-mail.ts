import type { CodeMail } from '../../domain/mail.js';
import { htmlLayout, textLayout, type LayoutPieces } from './code-mail-layout.js';
import { CODE_MAIL_TEMPLATES, type CodeMailTemplate } from './code-mail-templates.js';
import { resolveMailLocale, type MailLocale } from './locale.js';
import { compiledOncePer, greet, greetingIn, type Greeting, type RenderedMail } from './letter.js';
import { escapeHtml, fill, parseTemplate, render, type Segment } from './template.js';

export interface RenderCodeMailOptions {
  readonly productName: string;
}

interface CompiledCodeMail {
  readonly subject: string;
  readonly greeting: Greeting;
  readonly text: readonly Segment[];
  readonly html: readonly Segment[];
  readonly plural: Intl.PluralRules;
  readonly numbers: Intl.NumberFormat;
  readonly units: CodeMailTemplate['units'];
}

// Per language and product name: everything but the user's name, the code and the lifetime.
const compiledFor = compiledOncePer(compile);

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
    greeting: greetingIn(locale),
    text: textLayout(pieces),
    html: htmlLayout(pieces),
    plural: new Intl.PluralRules(locale),
    numbers: new Intl.NumberFormat(locale),
    units: t.units,
  };
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
  const lifetime = lifetimeInWords(mail.lifetimeMinutes, c);
  const greeting = greet(c.greeting, mail.displayName);
  return {
    subject: c.subject,
    text: render(c.text, { greeting, code: mail.code, lifetime }),
    html: render(c.html, { greeting: escapeHtml(greeting), code: escapeHtml(mail.code), lifetime: escapeHtml(lifetime) }),
    locale,
  };
}
