import { quotedForDisplay } from '../contract/printable.js';
import { typeOfSubject, type Subjects } from '../contract/subjects.js';

/**
 * Why an outcome event is not this deployment's own on the subject it was published to, or
 * undefined when it is. A signature covers the body alone: without this, a signed event of another
 * deployment that shares the key, or one of this deployment re-published on another subject
 * (a `reset.code.sent` on `<prefix>.notice.sent`), would pass. The body's `resetdprefix`, when it
 * has one, must be the client's prefix, and the subject `<prefix>.<the type after "reset">`. An
 * event without one was published before resetd named its deployment, and may still wait in the
 * stream (7 days): dropped, its reset.completed would be lost to an auth service upgraded after it.
 * One older than that was not waiting there but kept by someone: it is refused.
 */
export function misplacement(body: unknown, subject: string, subjects: Subjects, now = Date.now()): string | undefined {
  const prefix = attribute(body, 'resetdprefix');
  if (prefix !== undefined && prefix !== subjects.prefix) return `the event is of the deployment ${quotedForDisplay(String(prefix))}, not ${subjects.prefix}`;
  // Only as old as the events stream keeps one: an older one was captured, not waiting (its time is signed).
  if (prefix === undefined && !(now - Date.parse(String(attribute(body, 'time'))) <= UNNAMED_EVENTS_KEPT_MS)) {
    return 'the event names no deployment (resetdprefix) and is older than the events stream keeps one';
  }
  const type = attribute(body, 'type');
  return typeof type === 'string' && typeOfSubject(subjects, subject) === type ? undefined : `an event of type ${quotedForDisplay(String(type))} is not published on this subject`;
}

/** RESET_EVENTS' default age: no event resetd published without a prefix is still in the stream past it. */
const UNNAMED_EVENTS_KEPT_MS = 7 * 24 * 60 * 60 * 1000;

function attribute(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
}
