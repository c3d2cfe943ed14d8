import { describe, expect, it } from 'vitest';
import { natsPermissionLine, streamSetupLine } from '../../../src/app/stream-setup-line.js';

describe('the start lines for what NATS refuses', () => {
  it('names the settings of a consumer JetStream refused, with its detail', () => {
    expect(streamSetupLine({ kind: 'consumer', stream: 'RESET_INBOX', consumer: 'resetd', detail: 'invalid JSON (err_code 10025)' }, 'reset')).toBe(
      'the JetStream consumer resetd on RESET_INBOX was refused by JetStream: invalid JSON (err_code 10025); check RESET_ACK_WAIT_SECONDS, RESET_MAX_DELIVER and RESET_MAX_IN_FLIGHT, or set RESET_CONSUMER to a name of this deployment\'s own if a consumer of that name was made otherwise',
    );
  });

  it('names the setting a refused subject comes from, and the subject', () => {
    const line = (operation: 'publish' | 'subscription', subject: string) => natsPermissionLine({ operation, subject }, 'acme');
    expect(line('publish', '$JS.API.STREAM.CREATE.ACME_EVENTS')).toMatch(/^the NATS server refused the NATS user a publish to "\$JS\.API\.STREAM\.CREATE\.ACME_EVENTS" \(Permissions Violation\): set RESET_SUBJECT_PREFIX \(or RESET_INBOX_STREAM and RESET_EVENTS_STREAM\)/);
    expect(line('publish', '$JS.API.CONSUMER.DURABLE.CREATE.ACME_INBOX.resetd')).toMatch(/: set RESET_CONSUMER /);
    expect(line('subscription', 'acme.verify')).toMatch(/a subscription to "acme\.verify" .*: set RESET_SUBJECT_PREFIX to the names/);
    expect(line('subscription', '_INBOX.ABC.*')).toMatch(/: set NATS_INBOX_PREFIX /);
    expect(line('publish', '$JS.API.INFO')).toMatch(/: check the NATS user's permissions, or grant the user that subject in the server's permissions \(deploy\/nats\/permissions\.conf\)$/);
  });
});
