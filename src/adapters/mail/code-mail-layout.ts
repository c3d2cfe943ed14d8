import { htmlDocument, htmlRow } from './mail-html-frame.js';
import { escapeHtml, join, mapText, type Segment } from './template.js';

/** One language's words, with `{{product}}` filled; `validity` still holds the `{{lifetime}}` slot. */
export interface LayoutPieces {
  readonly lang: string;
  readonly subject: string;
  readonly intro: readonly Segment[];
  readonly validity: readonly Segment[];
  readonly notYou: readonly Segment[];
  readonly signature: readonly Segment[];
}

// Filled per mail: the greeting (it may hold the user's name), the code and the lifetime.
const GREETING: Segment = { slot: 'greeting' };
const CODE: Segment = { slot: 'code' };

export function textLayout(p: LayoutPieces): Segment[] {
  return join(GREETING, '\n\n', p.intro, '\n\n    ', CODE, '\n\n', p.validity, '\n\n', p.notYou, '\n\n', p.signature, '\n');
}

const MONO = "ui-monospace,SFMono-Regular,Menlo,Consolas,'Liberation Mono','Courier New',monospace";

/** The HTML part: text escaped here, slot values escaped by the caller. */
export function htmlLayout(p: LayoutPieces): Segment[] {
  const html = (segments: readonly Segment[]) => mapText(segments, escapeHtml);
  return htmlDocument({
    lang: p.lang,
    subject: p.subject,
    preheader: html(p.validity),
    rows: join(
      htmlRow('padding:32px 32px 0;', [GREETING]),
      htmlRow('padding:16px 32px 0;', html(p.intro)),
      // The code is one unbroken run of characters, so a double-click or a tap selects all of it;
      // letter-spacing adds room after the last character too, hence the wider left padding.
      `<tr><td align="center" style="padding:24px 32px;">
<table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr>
<td class="code" style="padding:12px 12px 12px 24px;border:1px solid #d0d7de;border-radius:6px;background-color:#f6f8fa;color:#1f2328;font-family:${MONO};font-size:32px;line-height:40px;font-weight:700;letter-spacing:12px;-webkit-user-select:all;user-select:all;">`,
      CODE,
      `</td>
</tr></table>
</td></tr>
`,
      htmlRow('padding:0 32px;', html(p.validity)),
      htmlRow('padding:16px 32px 0;color:#57606a;font-size:14px;line-height:20px;', html(p.notYou), ' class="muted"'),
      htmlRow('padding:24px 32px 32px;', html(p.signature)),
    ),
  });
}
