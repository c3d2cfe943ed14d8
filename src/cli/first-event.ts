import type { OutboundEvent } from '../client/outcome-stream.js';
import type { OutcomeStream } from '../client/outcome-stream.js';

/** The first event that matches, or undefined when none came within `timeoutMs`; stops the stream. */
export async function firstEvent(
  events: OutcomeStream,
  matches: (event: OutboundEvent) => boolean,
  timeoutMs: number,
): Promise<OutboundEvent | undefined> {
  const timer = setTimeout(() => events.stop(), timeoutMs);
  try {
    for await (const event of events) {
      if (matches(event)) return event;
    }
    return undefined;
  } finally {
    clearTimeout(timer);
    events.stop();
  }
}
