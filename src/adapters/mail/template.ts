/** A compiled template: literal text, and slots to be filled when it is rendered. */
export type Segment = string | { readonly slot: string };

const SLOT = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/** Splits `Hi {{name}},` into text and slots. A slot not in `allowed` is a typo in a template and throws. */
export function parseTemplate(source: string, allowed: readonly string[]): Segment[] {
  const segments: Segment[] = [];
  let last = 0;
  for (const match of source.matchAll(SLOT)) {
    const slot = match[1] ?? '';
    if (!allowed.includes(slot)) throw new Error(`Unknown slot {{${slot}}} in mail template "${source}"`);
    segments.push(source.slice(last, match.index), { slot });
    last = match.index + match[0].length;
  }
  segments.push(source.slice(last));
  if (segments.some((s) => typeof s === 'string' && (s.includes('{{') || s.includes('}}')))) {
    throw new Error(`Malformed slot in mail template "${source}"`);
  }
  return join(segments);
}

/** Concatenates segments and segment lists, merging neighbouring text. */
export function join(...parts: ReadonlyArray<Segment | readonly Segment[]>): Segment[] {
  const out: Segment[] = [];
  for (const segment of parts.flat()) {
    const previous = out.at(-1);
    if (typeof segment === 'string' && typeof previous === 'string') out[out.length - 1] = previous + segment;
    else if (segment !== '') out.push(segment);
  }
  return out;
}

/** Rewrites the literal text (to escape it for HTML, say), leaving the slots alone. */
export function mapText(segments: readonly Segment[], f: (text: string) => string): Segment[] {
  return segments.map((s) => (typeof s === 'string' ? f(s) : s));
}

/**
 * Fills the slots named in `values` and leaves the others open. A value is inserted as text and
 * never parsed again, so a value holding `{{code}}` stays literal.
 */
export function fill(segments: readonly Segment[], values: Readonly<Record<string, string>>): Segment[] {
  return join(segments.map((s) => (typeof s === 'string' ? s : (values[s.slot] ?? s))));
}

/** Renders a template whose every slot has a value. */
export function render(segments: readonly Segment[], values: Readonly<Record<string, string>>): string {
  return segments
    .map((s) => {
      if (typeof s === 'string') return s;
      const value = values[s.slot];
      if (value === undefined) throw new Error(`No value for slot {{${s.slot}}}`);
      return value;
    })
    .join('');
}

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}
