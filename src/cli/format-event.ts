import { hasUnprintable, quotedForDisplay } from '../contract/printable.js';
import type { OutboundEvent } from '../client/outcome-stream.js';

export const TYPE_WIDTH = 'reset.verification.failed'.length;

/**
 * One line per event for people: its time, its type, the reset, then every other field of `data`
 * as `key=value` (a value with spaces in quotes). Events hold no codes, so all of it may be shown.
 */
export function formatEvent(event: Pick<OutboundEvent, 'time' | 'type' | 'data'>): string {
  const { resetId, ...rest } = event.data;
  const fields = Object.entries(rest)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  return `${formatValue(event.time)}  ${event.type.padEnd(TYPE_WIDTH)}  ${resetId ? formatValue(resetId) : '-'}  ${fields.join(' ')}`.trimEnd();
}

/**
 * A value from a message as it is shown in a line: as it is when plain, in quotes when it holds
 * spaces, quotes or `=`, escaped when it holds characters that would move the cursor.
 */
export function formatValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  // An unverified message's text may hold escape sequences that would rewrite the terminal's lines.
  if (hasUnprintable(text)) return quotedForDisplay(text, 500);
  return text === '' || /[\s"=]/.test(text) ? JSON.stringify(text) : text;
}

/**
 * Whether the event ends the request `resetId`: exactly one of these answers each `reset.requested`.
 * A `reset.rejected` naming the reset ends it only when it rejects the request itself (its `eventId`
 * is the reset's id): one that rejects a submission for it (a mistyped code) names it too.
 */
export function isOutcomeOf(resetId: string, event: OutboundEvent): boolean {
  if (event.data.resetId !== resetId) return false;
  if (event.type === 'reset.rejected') return event.data.eventId === resetId;
  return event.type === 'reset.code.sent' || event.type === 'reset.delivery.failed';
}
