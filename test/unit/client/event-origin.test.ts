import { describe, expect, it } from 'vitest';
import { misplacement } from '../../../src/client/event-origin.js';
import { cloudEvent } from '../../../src/contract/cloud-event.js';
import { subjectsFor } from '../../../src/contract/subjects.js';

const subjects = subjectsFor('acme');
const event = (type: string, prefix?: string) =>
  cloudEvent({ id: 'e-1', source: 'urn:resetd:resetd', type, time: new Date('2030-01-01T12:00:00Z'), data: { resetId: 'r-1' }, ...(prefix === undefined ? {} : { prefix }) });

describe('misplacement: whether a signed event is this deployment’s, on its own subject', () => {
  it('takes an event of this prefix on the subject of its type', () => {
    expect(misplacement(event('reset.code.sent', 'acme'), 'acme.code.sent', subjects)).toBeUndefined();
    expect(misplacement(event('reset.completed', 'acme'), 'acme.completed', subjects)).toBeUndefined();
  });

  it('refuses an event of another deployment (one that shares the key), replayed on this one’s subject', () => {
    expect(misplacement(event('reset.completed', 'other'), 'acme.completed', subjects)).toBe('the event is of the deployment "other", not acme');
  });

  it('takes an event that names no deployment, published before resetd named it, on the subject of its type only, and only as old as the stream keeps one', () => {
    const published = Date.parse('2030-01-01T12:00:00Z');
    const day = 24 * 60 * 60 * 1000;
    expect(misplacement(event('reset.completed'), 'acme.completed', subjects, published + 7 * day)).toBeUndefined();
    expect(misplacement(event('reset.completed'), 'acme.notice.sent', subjects, published + day)).toMatch(/is not published on this subject/);
    // Older than the events stream keeps one: not waiting there since before the upgrade, but kept by someone.
    expect(misplacement(event('reset.completed'), 'acme.completed', subjects, published + 7 * day + 1)).toBe('the event names no deployment (resetdprefix) and is older than the events stream keeps one');
    expect(misplacement('not an object', 'acme.completed', subjects, published)).toMatch(/names no deployment/);
  });

  it('refuses a genuine event re-published on the subject of another type', () => {
    expect(misplacement(event('reset.code.sent', 'acme'), 'acme.notice.sent', subjects)).toBe('an event of type "reset.code.sent" is not published on this subject');
    expect(misplacement(event('reset.completed', 'acme'), 'acme.reset.completed', subjects)).toMatch(/is not published on this subject/);
    // A prefix that only begins like this one's is another deployment's subject.
    expect(misplacement(event('reset.completed', 'acme'), 'acmeX.completed', subjects)).toMatch(/is not published on this subject/);
  });

  it('quotes the sender’s text in the reason, so it cannot write to a terminal', () => {
    const reason = misplacement(event('reset.completed', 'x\u001b[2K'), 'acme.completed', subjects);
    expect(reason).toBe('the event is of the deployment "x\\u001b[2K", not acme');
  });
});
