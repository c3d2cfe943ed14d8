import { escapeHtml, join, type Segment } from './template.js';

export const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";

// Mail clients drop <link> and most <style>: every style that matters is inline, and the layout is
// tables. The one <style> block only adapts the colours where a client supports dark mode.
const DARK = `@media (prefers-color-scheme: dark) {
  .bg { background-color: #0d1117 !important; }
  .card { background-color: #161b22 !important; color: #e6edf3 !important; }
  .code { background-color: #21262d !important; border-color: #30363d !important; color: #ffffff !important; }
  .muted { color: #9da7b3 !important; }
}`;

/** What fills the frame every HTML mail shares. */
export interface HtmlFrame {
  readonly lang: string;
  readonly subject: string;
  /** The hidden preview line mail clients show beside the subject; HTML, escaped by the caller. */
  readonly preheader: readonly Segment[];
  /** The card's table rows (see `htmlRow`). */
  readonly rows: readonly Segment[];
}

/** One row of the card: its content is HTML, escaped by the caller. */
export function htmlRow(style: string, content: readonly Segment[], attributes = ''): Segment[] {
  return join(`<tr><td${attributes} style="${style}">`, content, '</td></tr>\n');
}

/** The document around a mail's card: head, dark-mode colours, a centred card at most 560 px wide. */
export function htmlDocument(frame: HtmlFrame): Segment[] {
  return join(
    `<!DOCTYPE html>
<html lang="${escapeHtml(frame.lang)}" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="supported-color-schemes" content="light dark">
<title>${escapeHtml(frame.subject)}</title>
<style>
${DARK}
</style>
</head>
<body class="bg" style="margin:0;padding:0;background-color:#f4f5f7;">
<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;">`,
    frame.preheader,
    `</div>
<table role="presentation" class="bg" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f4f5f7;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" class="card" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:560px;background-color:#ffffff;color:#1f2328;border-radius:8px;font-family:${FONT};font-size:16px;line-height:24px;">
`,
    frame.rows,
    `</table>
</td></tr>
</table>
</body>
</html>
`,
  );
}
