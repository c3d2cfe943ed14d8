import { quotedPrintable } from '../contract/printable.js';
import { typeOfSubject, type Subjects } from '../contract/subjects.js';

/**
 * Why an outcome event is not this deployment's own on the subject it was published to, or
 * undefined when it is. A signature covers the body alone: without this, a signed event of another
 * deployment that shares the key, or one of this deployment re-published on another subject
 * (a `reset.code.sent` on `<prefix>.notice.sent`), would pass. The body's `resetdprefix`, when it
 * has one, must be the client's prefix, and the subject `<prefix>.<the type after "reset">`. An
 * event without one was published before resetd named its deployment, and may still wait in the
 * stream (7 days): dropped, its reset.completed would be lost to an auth service upgraded after it.
 */
export function misplacement(body: unknown, subject: string, subjects: Subjects): string | undefined {
  const prefix = attribute(body, 'resetdprefix');
  if (prefix !== undefined && prefix !== subjects.prefix) return `the event is of the deployment ${quotedPrintable(String(prefix))}, not ${subjects.prefix}`;
  const type = attribute(body, 'type');
  return typeof type === 'string' && typeOfSubject(subjects, subject) === type ? undefined : `an event of type ${quotedPrintable(String(type))} is not published on this subject`;
}

function attribute(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
}
