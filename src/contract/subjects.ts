/** Subject and stream names of one deployment, all derived from its prefix (see docs/contract.md). */
export interface Subjects {
  readonly prefix: string;
  readonly requested: string;
  readonly codeSubmitted: string;
  readonly passwordChanged: string;
  readonly verify: string;
  readonly inboxStream: string;
  readonly eventsStream: string;
  /** The outbound subject of an event type (`reset.code.sent` → `<prefix>.code.sent`). */
  event(type: string): string;
}

export function subjectsFor(prefix: string, streams: { inbox?: string; events?: string } = {}): Subjects {
  const streamBase = prefix.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  const subject = (type: string) => `${prefix}${type.slice('reset'.length)}`;
  return {
    prefix,
    requested: subject('reset.requested'),
    codeSubmitted: subject('reset.code.submitted'),
    passwordChanged: subject('reset.password.changed'),
    verify: subject('reset.verify'),
    inboxStream: streams.inbox ?? `${streamBase}_INBOX`,
    eventsStream: streams.events ?? `${streamBase}_EVENTS`,
    event: subject,
  };
}

/**
 * The CloudEvent `type` published on a subject of this deployment (`<prefix>.code.sent` →
 * `reset.code.sent`), inbound or outbound: the inverse of `event`. Undefined outside the prefix.
 */
export function typeOfSubject(subjects: Subjects, subject: string): string | undefined {
  return subject.startsWith(`${subjects.prefix}.`) ? `reset${subject.slice(subjects.prefix.length)}` : undefined;
}
