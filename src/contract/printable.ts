/** Control characters (C0, DEL, C1), line and paragraph separators, and bidi overrides and isolates. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from the bus made safe for a log line or a terminal, quoted as JSON with every character
 * that could move the cursor, start an escape sequence, break a line or reorder it escaped as
 * `\uXXXX`, and cut to `max` characters: someone else's text must not forge or hide a line.
 */
export function quotedForDisplay(text: string, max = 100): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut).replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Whether `text` holds a character `quotedForDisplay` would escape. */
export function hasUnprintable(text: string): boolean {
  UNPRINTABLE.lastIndex = 0;
  return UNPRINTABLE.test(text);
}
