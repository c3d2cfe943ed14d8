/**
 * An address as it may appear in a span, a log line or a metric: the first character of the local
 * part and the whole domain (`j***@example.com`), enough to tell mail providers apart and no more.
 */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${address[0]}***${address.slice(at)}`;
}

// Local part as RFC 5322 allows it unquoted, then a dotted domain, letters of any script included
// (RFC 6531). Good enough to catch an address echoed in an SMTP reply or an error message; `***`
// already masked is left alone.
const ADDRESS = /[\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~.-]+@[\p{L}\p{M}\p{N}-]+(?:\.[\p{L}\p{M}\p{N}-]+)+/gu;

/** Masks every address in a free text (an error message, a serialised log line). */
export function maskEmailsIn(text: string): string {
  return text.includes('@') ? text.replace(ADDRESS, (address) => (address.includes('***@') ? address : maskEmail(address))) : text;
}
