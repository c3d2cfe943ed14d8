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

const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const MONO = "ui-monospace,SFMono-Regular,Menlo,Consolas,'Liberation Mono','Courier New',monospace";

// Mail clients drop <link> and most <style>: every style that matters is inline, and the layout is
// tables. The one <style> block only adapts the colours where a client supports dark mode.
const DARK = `@media (prefers-color-scheme: dark) {
  .bg { background-color: #0d1117 !important; }
  .card { background-color: #161b22 !important; color: #e6edf3 !important; }
  .code { background-color: #21262d !important; border-color: #30363d !important; color: #ffffff !important; }
  .muted { color: #9da7b3 !important; }
}`;

/** The HTML part: text escaped here, slot values escaped by the caller. */
export function htmlLayout(p: LayoutPieces): Segment[] {
  const html = (segments: readonly Segment[]) => mapText(segments, escapeHtml);
  const row = (style: string, content: readonly Segment[], attributes = '') =>
    join(`<tr><td${attributes} style="${style}">`, content, '</td></tr>\n');
  return join(
    `<!DOCTYPE html>
<html lang="${escapeHtml(p.lang)}" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="supported-color-schemes" content="light dark">
<title>${escapeHtml(p.subject)}</title>
<style>
${DARK}
</style>
</head>
<body class="bg" style="margin:0;padding:0;background-color:#f4f5f7;">
<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;">`,
    html(p.validity),
    `</div>
<table role="presentation" class="bg" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f4f5f7;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" class="card" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:560px;background-color:#ffffff;color:#1f2328;border-radius:8px;font-family:${FONT};font-size:16px;line-height:24px;">
`,
    row('padding:32px 32px 0;', [GREETING]),
    row('padding:16px 32px 0;', html(p.intro)),
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
    row('padding:0 32px;', html(p.validity)),
    row('padding:16px 32px 0;color:#57606a;font-size:14px;line-height:20px;', html(p.notYou), ' class="muted"'),
    row('padding:24px 32px 32px;', html(p.signature)),
    `</table>
</td></tr>
</table>
</body>
</html>
`,
  );
}
