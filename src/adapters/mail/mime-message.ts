import { randomBytes } from 'node:crypto';
import MimeNode from 'nodemailer/lib/mime-node/index.js';

const CRLF = '\r\n';
const LINE = 76;
const HEX = '0123456789ABCDEF';

/**
 * Quoted-printable (RFC 2045 §6.7) of a text's UTF-8 bytes, with CRLF line breaks: ASCII as it is
 * but `=`, trailing white space and control characters; everything else as `=XX`; lines kept to
 * 76 characters with soft breaks. One pass over a buffer sized for the worst case.
 */
export function quotedPrintable(text: string): Buffer {
  const input = Buffer.from(text, 'utf8');
  // Each byte at most 3 (=XX), plus a soft break (=CRLF, 3) per 25 bytes in the worst case.
  const out = Buffer.allocUnsafe(input.length * 3 + Math.ceil((input.length * 3) / 72) * 3 + 2);
  let at = 0;
  let column = 0;
  const softBreak = () => {
    out[at++] = 0x3d;
    out[at++] = 0x0d;
    out[at++] = 0x0a;
    column = 0;
  };
  for (let i = 0; i < input.length; i += 1) {
    const byte = input[i]!;
    if (byte === 0x0a || (byte === 0x0d && input[i + 1] === 0x0a)) {
      if (byte === 0x0d) i += 1;
      out[at++] = 0x0d;
      out[at++] = 0x0a;
      column = 0;
      continue;
    }
    const next = input[i + 1];
    const lineEnds = next === undefined || next === 0x0a || next === 0x0d;
    const literal = (byte >= 0x21 && byte <= 0x7e && byte !== 0x3d) || ((byte === 0x20 || byte === 0x09) && !lineEnds);
    const width = literal ? 1 : 3;
    // Keep room for the `=` of a soft break, unless this is the line's last character.
    if (column + width > (lineEnds ? LINE : LINE - 1)) softBreak();
    if (literal) {
      out[at++] = byte;
    } else {
      out[at++] = 0x3d;
      out[at++] = HEX.charCodeAt(byte >> 4);
      out[at++] = HEX.charCodeAt(byte & 0x0f);
    }
    column += width;
  }
  return out.subarray(0, at);
}

/** A header line (folded, encoded) as nodemailer writes it, e.g. `Subject: =?UTF-8?Q?…?=`. */
export function headerLine(name: string, value: string): string {
  const node = new MimeNode('text/plain');
  node.setHeader(name, value);
  const lines = node.buildHeaders().split(CRLF);
  const start = lines.findIndex((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  if (start < 0) throw new Error(`nodemailer wrote no ${name} header`);
  let end = start + 1;
  while (end < lines.length && /^[ \t]/.test(lines[end]!)) end += 1;
  return lines.slice(start, end).join(CRLF);
}

/** What changes from one mail to the next; everything else is fixed per sender. */
export interface MimeParts {
  /** An ASCII address without spaces, angle brackets or line breaks (checked by the caller). */
  readonly to: string;
  /** A `Subject:` header line, from `headerLine`. */
  readonly subjectLine: string;
  readonly messageId: string;
  readonly date: Date;
  readonly language: string;
  readonly text: string;
  readonly html: string;
}

/**
 * Writes a transactional mail, a text part and an HTML part as multipart/alternative, straight into
 * one buffer: the headers nodemailer would write (From and Subject encoded by nodemailer itself),
 * the parts quoted-printable. Built once per sender; each mail then costs two encodings and a copy,
 * not a MIME tree, and goes to the socket in one write.
 */
export class MimeWriter {
  private readonly fromLine: string;
  private readonly boundary = `--_resetd_${randomBytes(12).toString('hex')}`;
  private readonly partHeads: { text: Buffer; html: Buffer; end: Buffer };

  constructor(
    from: string,
    private readonly fixedHeaders: Readonly<Record<string, string>>,
  ) {
    this.fromLine = headerLine('From', from);
    const part = (type: string) =>
      Buffer.from(`${CRLF}--${this.boundary}${CRLF}Content-Type: ${type}; charset=utf-8${CRLF}Content-Transfer-Encoding: quoted-printable${CRLF}${CRLF}`);
    this.partHeads = { text: part('text/plain'), html: part('text/html'), end: Buffer.from(`${CRLF}--${this.boundary}--${CRLF}`) };
  }

  write(parts: MimeParts): Buffer {
    const headers = [
      `Content-Type: multipart/alternative;${CRLF} boundary="${this.boundary}"`,
      this.fromLine,
      `To: ${parts.to}`,
      parts.subjectLine,
      `Message-ID: ${parts.messageId}`,
      `Date: ${parts.date.toUTCString().replace(/GMT$/, '+0000')}`,
      'MIME-Version: 1.0',
      ...Object.entries(this.fixedHeaders).map(([name, value]) => `${name}: ${value}`),
      `Content-Language: ${parts.language}`,
    ];
    return Buffer.concat([
      Buffer.from(`${headers.join(CRLF)}${CRLF}`),
      this.partHeads.text,
      quotedPrintable(parts.text),
      this.partHeads.html,
      quotedPrintable(parts.html),
      this.partHeads.end,
    ]);
  }
}
