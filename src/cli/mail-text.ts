/**
 * The text/plain part of a mail as written to the outbox, decoded. Enough MIME for what nodemailer
 * writes (multipart, quoted-printable, base64); the demo reads its code from it as a user would.
 */
export function plainTextOf(raw: string): string | undefined {
  return textIn(parsePart(raw));
}

/** The code in a mail's text part: the line that holds nothing but digits. */
export function codeInMailText(text: string): string | undefined {
  return /^[ \t]*(\d{4,10})[ \t]*$/m.exec(text)?.[1];
}

interface Part {
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

function parsePart(raw: string): Part {
  const split = /\r?\n\r?\n/.exec(raw);
  const head = split ? raw.slice(0, split.index) : raw;
  const body = split ? raw.slice(split.index + split[0].length) : '';
  const headers = new Map<string, string>();
  // Folded header lines go on with whitespace.
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function textIn(part: Part): string | undefined {
  const type = part.headers.get('content-type') ?? 'text/plain';
  if (/^multipart\//i.test(type)) {
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (boundary === undefined) return undefined;
    const pieces = part.body.split(`--${boundary}`).slice(1);
    for (const piece of pieces) {
      if (piece.startsWith('--')) break;
      // The line break before a delimiter belongs to the delimiter (RFC 2046), not to the part.
      const text = textIn(parsePart(piece.replace(/^\r?\n/, '').replace(/\r?\n$/, '')));
      if (text !== undefined) return text;
    }
    return undefined;
  }
  if (!/^text\/plain/i.test(type)) return undefined;
  return decode(part.body, (part.headers.get('content-transfer-encoding') ?? '7bit').toLowerCase());
}

function decode(body: string, encoding: string): string {
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}
