/** The code in a mail's text part: the only run of exactly six digits. */
export function codeIn(text: string): string {
  const codes = text.match(/(?<!\d)\d{6}(?!\d)/g) ?? [];
  if (codes.length === 0) throw new Error('no code in the mail');
  return codes[0]!;
}
