import type { NoticeMail } from '../../domain/mail.js';
import { CODE_MAIL_TEMPLATES } from './code-mail-templates.js';
import { resolveMailLocale, type MailLocale } from './locale.js';
import { htmlDocument, htmlRow } from './mail-html-frame.js';
import { NOTICE_MAIL_TEMPLATES } from './notice-mail-templates.js';
import { compiledOncePer, greet, greetingIn, type Greeting, type RenderedMail } from './letter.js';
import { escapeHtml, fill, join, mapText, parseTemplate, render, type Segment } from './template.js';

export interface RenderNoticeMailOptions {
  readonly productName: string;
}

interface CompiledNoticeMail {
  readonly subject: string;
  readonly greeting: Greeting;
  readonly origin: readonly Segment[];
  readonly text: readonly Segment[];
  readonly html: readonly Segment[];
  readonly when: Intl.DateTimeFormat;
}

// Filled per mail: the greeting (it may hold the user's name), the time, and the IP sentence.
const GREETING: Segment = { slot: 'greeting' };
const ORIGIN: Segment = { slot: 'origin' };

const compiledFor = compiledOncePer(compile);

function compile(locale: MailLocale, productName: string): CompiledNoticeMail {
  const t = NOTICE_MAIL_TEMPLATES[locale];
  const letter = CODE_MAIL_TEMPLATES[locale];
  const withProduct = (source: string, slots: string[] = []) =>
    fill(parseTemplate(source, ['product', ...slots]), { product: productName });
  const subject = render(withProduct(t.subject), {});
  const changed = withProduct(t.changed, ['when']);
  const ifYou = parseTemplate(t.ifYou, []);
  const notYou = parseTemplate(t.notYou, []);
  const signature = withProduct(letter.signature);
  const html = (segments: readonly Segment[]) => mapText(segments, escapeHtml);
  return {
    subject,
    greeting: greetingIn(locale),
    origin: parseTemplate(t.origin, ['ip']),
    text: join(GREETING, '\n\n', changed, ORIGIN, '\n\n', ifYou, '\n\n', notYou, '\n\n', signature, '\n'),
    html: htmlDocument({
      lang: locale,
      subject,
      preheader: html(changed),
      rows: join(
        htmlRow('padding:32px 32px 0;', [GREETING]),
        htmlRow('padding:16px 32px 0;', join(html(changed), ORIGIN)),
        htmlRow('padding:16px 32px 0;', html(ifYou)),
        htmlRow('padding:16px 32px 0;font-weight:600;', html(notYou)),
        htmlRow('padding:24px 32px 32px;', html(signature)),
      ),
    }),
    // In the user's language, and in UTC, said so: the service cannot know the user's time zone.
    when: new Intl.DateTimeFormat(locale, {
      weekday: 'long',
      year: 'numeric',
      month: 'long',
      day: 'numeric',
      hour: 'numeric',
      minute: '2-digit',
      timeZone: 'UTC',
      timeZoneName: 'short',
    }),
  };
}

/** Renders the password-changed notice in the user's language (falling back to English). */
export function renderNoticeMail(mail: NoticeMail, options: RenderNoticeMailOptions): RenderedMail {
  const locale = resolveMailLocale(mail.locale);
  const c = compiledFor(locale, options.productName);
  const when = c.when.format(mail.changedAt);
  const origin = mail.clientIp ? ` ${render(c.origin, { ip: mail.clientIp })}` : '';
  const greeting = greet(c.greeting, mail.displayName);
  return {
    subject: c.subject,
    text: render(c.text, { greeting, when, origin }),
    html: render(c.html, { greeting: escapeHtml(greeting), when: escapeHtml(when), origin: escapeHtml(origin) }),
    locale,
  };
}
